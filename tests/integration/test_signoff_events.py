"""Sign-off says what happened, and the composition root's subscribers do what follows (issue 24):
a sent record is one DocumentSent, and the worker is asked for its review PDF once the send has
committed; a signature asks for the sealed PDF once it has committed, and one that rolls back
asks for nothing; a disagreement is one DocumentDecided, whose e-mail to the supervisor is
written with it and delivered after its commit, and a decision refused or rolled back e-mails
nobody. Through the deployment `create_app` builds, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from docgen import bootstrap
from kernel.errors import InvalidInput
from storage.models import Account, OutboxMessage, Record
from workflows import events, notifications, pipeline, records, signoff
from workflows.access import Caller
from workflows.deployment import Deployment, Work
from workflows.inputs.signoff import Decide

SESSION = dt.date(2026, 11, 2)
WORKER = "worker@knowsley.example.org"
SUPERVISOR = "manager@knowsley.example.org"
HOLDER = Caller(ip="198.51.100.4", user_agent="Mozilla/5.0 (link)")  # no account: the link is the credential
BACKGROUND = ("make_review_pdf", "finalise_document")


class Worker:
    """The task queue as the worker would find it: each task asked for, with the state of its
    record as a fresh session reads it at that moment (what the worker would read)."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.asked: list[tuple[Any, ...]] = []
        self.found: list[str] = []

    def enqueue(self, task: str, *args: Any) -> None:
        if task not in BACKGROUND:  # e-mails and webhook deliveries are theirs to test
            return
        self.asked.append((task, *args))
        with self.deployment.sessions() as db:
            self.found.append(db.get_one(Record, args[1]).status)


@pytest.fixture
def deployment(app: Any) -> Deployment:
    return app.extensions["docgen"]


@pytest.fixture
def worker(deployment: Deployment) -> Worker:
    queue = Worker(deployment)
    deployment.enqueue = queue.enqueue
    return queue


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def _sent(deployment: Deployment, org: Any) -> int:
    """A record its supervisor has written and sent to the supervisee; its id."""
    with deployment.unit_of_work() as uow:
        manager = _caller(uow, org.ids["manager"])
        record = records.start_record(uow, manager, org.ids["worker"], SESSION)
        pipeline.send_for_signoff(uow, manager, "record", record.id)
    return record.id


def _token(deployment: Deployment) -> str:
    """The supervisee's link token, from the newest e-mail to them."""
    with deployment.sessions() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == WORKER)
                             .order_by(OutboxMessage.id.desc())).first()
        return re.search(r"/sign/([A-Za-z0-9_-]{43})", notifications.letter_for(db, message).text).group(1)


def _agreed(deployment: Deployment) -> None:
    """The supervisee agrees through the link in their e-mail."""
    token = _token(deployment)
    with deployment.unit_of_work() as uow:
        signoff.decide(uow, HOLDER, token, Decide(decision="agree", confirm_name="Alex Morgan"))


def _disagree(deployment: Deployment, comment: str = "The plan for the Smith family is not what we agreed") -> None:
    """The supervisee disagrees through the link in their e-mail."""
    token = _token(deployment)
    with deployment.unit_of_work() as uow:
        signoff.decide(uow, HOLDER, token, Decide(decision="disagree", comment=comment, confirm_name="Alex Morgan"))


def _mail_to(deployment: Deployment, address: str) -> list[str]:
    """The subjects of the e-mails in the outbox to `address`, as a fresh session reads them."""
    with deployment.sessions() as db:
        return list(db.scalars(select(OutboxMessage.subject).where(OutboxMessage.to_address == address)
                               .order_by(OutboxMessage.id)))


def _countersign(deployment: Deployment, org: Any) -> None:
    with deployment.unit_of_work() as uow:
        signoff.countersign(uow, _caller(uow, org.ids["manager"]), "record", _record_id(uow), "Good session")


def _record_id(uow: Work) -> int:
    return uow.session.scalars(select(Record.id)).one()


def test_sending_a_record_records_one_document_sent_and_asks_for_one_review_pdf_after_the_commit(
        deployment: Deployment, worker: Worker, org: Any) -> None:
    heard: list[object] = []
    deployment.subscribe(events.DocumentSent, lambda _uow, event: heard.append(event))

    record_id = _sent(deployment, org)

    assert heard == [events.DocumentSent("record", record_id, 1)]
    assert worker.asked == [("make_review_pdf", "record", record_id, 1)]
    assert worker.found == ["awaiting_supervisee"]  # committed before the worker was asked


def test_a_signature_asks_for_one_sealed_pdf_after_the_commit(deployment: Deployment, worker: Worker,
                                                              org: Any) -> None:
    record_id = _sent(deployment, org)
    _agreed(deployment)
    assert [task for task, *_ in worker.asked] == ["make_review_pdf"]  # agreed is not signed yet

    _countersign(deployment, org)

    assert worker.asked == [("make_review_pdf", "record", record_id, 1), ("finalise_document", "record", record_id, 1)]
    assert worker.found[-1] == "signed"


def test_a_signature_that_rolls_back_asks_for_nothing(deployment: Deployment, worker: Worker, org: Any) -> None:
    _sent(deployment, org)
    _agreed(deployment)

    def refused(_uow: Work, _event: object) -> None:  # a write the database refuses at the commit
        raise RuntimeError("the database refused the commit")

    deployment.subscribe(events.DocumentSigned, refused)
    with pytest.raises(RuntimeError, match="refused the commit"):
        _countersign(deployment, org)

    assert [task for task, *_ in worker.asked] == ["make_review_pdf"]
    with deployment.sessions() as db:
        assert db.scalars(select(Record.status)).one() == "awaiting_supervisor"


def test_a_re_sent_link_asks_again_for_a_lost_review_pdf_without_a_second_document_sent(
        deployment: Deployment, worker: Worker, org: Any) -> None:
    heard: list[object] = []
    deployment.subscribe(events.DocumentSent, lambda _uow, event: heard.append(event))
    record_id = _sent(deployment, org)

    with deployment.unit_of_work() as uow:
        signoff.resend_link(uow, _caller(uow, org.ids["manager"]), "record", record_id)

    assert heard == [events.DocumentSent("record", record_id, 1)]
    assert worker.asked == [("make_review_pdf", "record", record_id, 1)] * 2  # the task does nothing once made


def test_a_deployment_is_subscribed_once(app: Any) -> None:
    """A second subscription would write every webhook delivery and ask for every task twice."""
    with pytest.raises(RuntimeError, match="subscribed already"):
        bootstrap.subscribe(app.extensions["docgen"])


def test_a_disagreement_records_document_decided_and_its_notice_is_in_the_outbox_once_committed(
        deployment: Deployment, worker: Worker, org: Any) -> None:
    heard: list[object] = []
    deployment.subscribe(events.DocumentDecided, lambda _uow, event: heard.append(event))
    record_id = _sent(deployment, org)
    found: list[list[str]] = []  # the supervisor's outbox as a fresh session reads it when delivery is asked for

    def enqueue(task: str, *args: Any) -> None:
        if task == "deliver_email":
            found.append(_mail_to(deployment, SUPERVISOR))
    deployment.enqueue = enqueue

    _disagree(deployment)

    assert heard == [events.DocumentDecided("record", record_id, 1, "disagreed")]
    notice = "Alex Morgan disagreed: revise or countersign: Supervision record R-"
    [subject] = _mail_to(deployment, SUPERVISOR)
    assert subject.startswith(notice) and subject.endswith("(2 November 2026)")
    assert found == [[subject]]  # written with the decision, its delivery asked for once that committed


def test_a_refused_decision_tells_nobody(deployment: Deployment, worker: Worker, org: Any) -> None:
    _sent(deployment, org)

    with pytest.raises(InvalidInput, match="say what you disagree with"):
        _disagree(deployment, comment="  ")

    assert _mail_to(deployment, SUPERVISOR) == []


def test_a_decision_that_rolls_back_tells_nobody(deployment: Deployment, worker: Worker, org: Any) -> None:
    _sent(deployment, org)

    def refused(_uow: Work, _event: object) -> None:  # heard after the notice was written: a commit refused
        raise RuntimeError("the database refused the commit")

    deployment.subscribe(events.DocumentDecided, refused)
    with pytest.raises(RuntimeError, match="refused the commit"):
        _disagree(deployment)

    assert _mail_to(deployment, SUPERVISOR) == []
    with deployment.sessions() as db:
        assert db.scalars(select(Record.status)).one() == "awaiting_supervisee"
