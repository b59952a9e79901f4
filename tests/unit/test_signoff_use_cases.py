"""Sign-off as use cases: sending files the Word file and e-mails a link, the worker is asked for
its PDFs only once the change has committed, the link holder decides, and a refusal leaves nothing
behind (except a wrong one-time code, which counts)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from docgen import bootstrap
from kernel.errors import Conflict, Forbidden, InvalidInput
from storage.models import Account, DocumentVersion, OutboxMessage, SignoffEvent, SignoffLink
from workflows import notifications, pipeline, records, signoff
from workflows.access import Caller
from workflows.deployment import Deployment, Work
from workflows.inputs.signoff import Decide

SESSION = dt.date(2025, 3, 3)
WORKER = "worker@knowsley.example.org"
HOLDER = Caller(ip="198.51.100.4", user_agent="Mozilla/5.0 (link)")  # no account: the link is the credential


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


@pytest.fixture
def enqueued(deployment: Deployment) -> list[tuple[Any, ...]]:
    """What the use cases hand to the task queue, in order."""
    tasks: list[tuple[Any, ...]] = []
    deployment.enqueue = lambda *task: tasks.append(task)
    bootstrap.subscribe(deployment)  # the worker hears of sends and signatures, as in every process
    return tasks


@pytest.fixture
def sent(uow: Work, team: dict[str, int], enqueued: list[tuple[Any, ...]]) -> signoff.Progress:
    """A record its supervisor has written and sent to the supervisee."""
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    return pipeline.send_for_signoff(uow, manager, "record", record.id)


def _token(deployment: Deployment, address: str) -> str:
    """The token in the newest e-mail to this address, as its recipient would get it (the outbox
    keeps it only sealed)."""
    with deployment.sessions() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                             .order_by(OutboxMessage.id.desc())).first()
        body = notifications.letter_for(db, message).text
    return re.search(r"/sign/([A-Za-z0-9_-]{43})", body).group(1)


def _asked(enqueued: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The tasks asked for besides delivering the e-mails the change wrote."""
    return [task for task in enqueued if task[0] != "deliver_email"]


def _filed(deployment: Deployment, kind: str) -> int:
    with deployment.sessions() as db:
        return db.scalar(select(func.count()).select_from(DocumentVersion).where(DocumentVersion.kind == kind))


def test_sending_files_the_word_file_and_asks_for_the_review_pdf_once_committed(
        deployment: Deployment, sent: signoff.Progress, enqueued: list[tuple[Any, ...]]) -> None:
    record = sent.document
    assert record.status == signoff.AWAITING_SUPERVISEE
    assert [e.event for e in sent.events] == ["filed", "sent"]
    assert sent.events[0].docx_sha256 and _filed(deployment, "docx") == 1
    assert _asked(enqueued) == [("make_review_pdf", "record", record.id, 1)]
    assert _token(deployment, WORKER)


def test_a_refused_second_send_leaves_no_word_file_and_asks_for_nothing(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress,
        enqueued: list[tuple[Any, ...]]) -> None:
    with pytest.raises(Conflict):
        pipeline.send_for_signoff(uow, _caller(uow, team["manager"]), "record", sent.document.id)
    uow.rollback()
    assert _filed(deployment, "docx") == 1
    assert _asked(enqueued) == [("make_review_pdf", "record", sent.document.id, 1)]


def test_the_supervisee_agrees_then_the_countersignature_asks_for_the_sealed_pdf(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress,
        enqueued: list[tuple[Any, ...]]) -> None:
    record_id = sent.document.id
    agreed = signoff.decide(uow, HOLDER, _token(deployment, WORKER), Decide(decision="agree", confirm_name="alex  morgan"))
    assert agreed.status == signoff.AWAITING_SUPERVISOR
    assert ("finalise_document", "record", record_id, 1) not in enqueued

    signed = signoff.countersign(uow, _caller(uow, team["manager"]), "record", record_id, "Good session")
    assert signed.document.status == signoff.SIGNED
    assert [e.event for e in signed.events][-2:] == ["sent", "countersigned"]
    assert enqueued[-1] == ("finalise_document", "record", record_id, 1)


def test_a_signed_in_caller_may_decide_only_on_a_link_sent_to_them(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress) -> None:
    with pytest.raises(Forbidden):
        signoff.decide(uow, _caller(uow, team["manager"]), _token(deployment, WORKER),
                       Decide(decision="agree", confirm_name="Alex Morgan"))


def test_a_wrong_code_counts_although_the_decision_is_refused(
        deployment: Deployment, uow: Work, sent: signoff.Progress) -> None:
    profile = deployment.profile
    deployment.profile = profile.model_copy(
        update={"signoff": profile.signoff.model_copy(update={"one_time_code": True})})
    token = _token(deployment, WORKER)
    assert signoff.open_link(uow, HOLDER, token).code_required
    with pytest.raises(signoff.WrongCode):
        signoff.decide(uow, HOLDER, token, Decide(decision="agree", confirm_name="Alex Morgan", code="not-the-code"))
    uow.rollback()
    with deployment.sessions() as db:
        assert db.scalar(select(SignoffLink.code_attempts).where(SignoffLink.used_at.is_(None))) == 1


def test_the_link_page_shown_again_around_a_refused_decision_records_nothing(
        deployment: Deployment, uow: Work, sent: signoff.Progress) -> None:
    token = _token(deployment, WORKER)
    page = signoff.link_view(uow, token, on_form=True)
    assert page.signer.email == WORKER and page.title.startswith("Supervision record R-")
    with pytest.raises(InvalidInput):
        signoff.decide(uow, HOLDER, token, Decide(decision="agree", confirm_name="Someone Else"))
    with deployment.sessions() as db:
        assert db.scalar(select(SignoffLink.used_at)) is None
        assert set(db.scalars(select(SignoffEvent.event))) == {"filed", "sent"}  # neither opened nor decided
