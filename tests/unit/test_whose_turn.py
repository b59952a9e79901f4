"""Whose turn it is on a record, in the one wording the dashboard, the record's page and the
e-mails share (issue 18): who must act at each step of sign-off, and the supervisor's own link,
spent by countersigning in docgen, saying so instead of pointing at a newer e-mail."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.errors import Gone
from storage.models import OutboxMessage
from workflows import agreements, due_list, signoff
from workflows.deployment import Deployment, Work
from workflows.inputs.signoff import Decide
from tests.unit.test_signoff_use_cases import HOLDER, WORKER, _caller, _token, enqueued, sent  # noqa: F401 (fixtures)

MANAGER = "manager@knowsley.example.org"


def _subjects(uow: Work, address: str) -> list[str]:
    return list(uow.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.to_address == address)
                                    .order_by(OutboxMessage.id)))


@pytest.mark.parametrize(("status", "viewer", "sealed", "who", "text"), [
    (signoff.AWAITING_SUPERVISEE, "supervisor", False, "supervisee", "Waiting for Alex Morgan to agree (sent 2 days ago)"),
    (signoff.AWAITING_SUPERVISEE, "supervisee", False, "supervisee", "Ready for you to agree: open the link in your e-mail"),
    (signoff.AWAITING_SUPERVISOR, "supervisor", False, "supervisor", "Ready for you to countersign"),
    (signoff.AWAITING_SUPERVISOR, "other", False, "supervisor", "Waiting for Sam Whitfield to countersign"),
    (signoff.CHANGES_REQUESTED, "supervisor", False, "supervisor", "Alex Morgan disagreed: revise or countersign"),
    (signoff.CHANGES_REQUESTED, "supervisee", False, "supervisor",
     "You disagreed: waiting for Sam Whitfield to revise or countersign"),
    (signoff.SIGNED, "supervisor", True, None, "Signed: download PDF"),
    (signoff.SIGNED, "supervisee", False, None, "Signed: the PDF is being sealed"),
    (signoff.DRAFT, "supervisor", False, "supervisor", "Draft: finish it and send it for sign-off"),
])
def test_each_step_says_who_must_act_in_words_the_reader_understands(
        status: str, viewer: signoff.Viewer, sealed: bool, who: str | None, text: str) -> None:
    step = signoff.turn(status, "Alex Morgan", "Sam Whitfield", viewer, sent_on=dt.date(2026, 11, 28),
                        today=dt.date(2026, 11, 30), sealed=sealed)
    assert (step.who, step.text) == (who, text)
    assert step.download is (status == signoff.SIGNED and sealed)


@pytest.mark.parametrize("sealed", [True, False])
def test_a_version_countersigned_over_a_disagreement_never_reads_as_signed(sealed: bool) -> None:
    """K §9: records are "signed by both the supervisor and supervisee"; a version the supervisee
    disagreed with is "finalised after a disagreement", even where W §10 allows it ("(or not)")."""
    step = signoff.turn(signoff.SIGNED, "Alex Morgan", "Sam Whitfield", "supervisee", sealed=sealed, disagreed=True)
    assert step.who is None
    assert step.text == ("Finalised after a disagreement: download PDF" if sealed
                         else "Finalised after a disagreement: the PDF is being sealed")


@pytest.mark.parametrize(("days", "words"), [(0, "today"), (1, "yesterday"), (9, "9 days ago")])
def test_how_long_ago_a_link_was_sent_reads_as_a_person_would_say_it(days: int, words: str) -> None:
    assert signoff.ago(dt.date(2026, 11, 30) - dt.timedelta(days=days), dt.date(2026, 11, 30)) == words


def test_the_supervisor_sees_whose_turn_it_is_from_sending_to_the_sealed_pdf(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress) -> None:
    manager = _caller(uow, team["manager"])
    record = sent.document
    assert signoff.progress(uow, record, team["manager"]).step.text == "Waiting for Alex Morgan to agree (sent today)"
    assert _subjects(uow, WORKER)[-1].startswith("Ready for you to agree: Supervision record")
    later = clock.now() + dt.timedelta(days=2)
    clock.set_clock(lambda: later)
    turns = due_list.my_supervisees(uow, manager).turns
    assert [(t.record_id, t.step.text) for t in turns] == [(record.id, "Waiting for Alex Morgan to agree (sent 2 days ago)")]

    signoff.decide(uow, HOLDER, _token(deployment, WORKER), Decide(decision="agree", confirm_name="Alex Morgan"))
    assert due_list.my_supervisees(uow, manager).turns[0].step.text == "Ready for you to countersign"
    assert _subjects(uow, MANAGER)[-1].startswith("Ready for you to countersign: Supervision record")

    signed = signoff.countersign(uow, manager, "record", record.id)
    assert signed.step.text == "Signed: the PDF is being sealed"  # the worker has not sealed it yet
    assert due_list.my_supervisees(uow, manager).turns[0].step.what == "Signed"  # signed records stay listed


def test_the_dashboard_links_each_supervisee_to_their_current_agreement(uow: Work, team: dict[str, int]) -> None:
    manager = _caller(uow, team["manager"])
    assert due_list.my_supervisees(uow, manager).agreements == {}
    started = agreements.start_agreement(uow, manager, team["worker"], dt.date(2025, 3, 3))
    assert due_list.my_supervisees(uow, manager).agreements == {
        team["worker"]: agreements.AgreementLink(started["id"], "Agreement: draft")}


def test_after_a_disagreement_the_supervisor_is_told_to_revise_or_countersign(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress) -> None:
    signoff.decide(uow, HOLDER, _token(deployment, WORKER),
                   Decide(decision="disagree", confirm_name="Alex Morgan", comment="The flexi day was two days"))
    manager = _caller(uow, team["manager"])
    assert due_list.my_supervisees(uow, manager).turns[0].step.text == "Alex Morgan disagreed: revise or countersign"
    assert _subjects(uow, MANAGER)[-1].startswith("Alex Morgan disagreed: revise or countersign: Supervision record")
    organisation = due_list.due_list(uow.session, deployment.profile, clock.today(), supervisor_id=team["manager"])
    labels = [item.label for item in organisation if item.ref_id == sent.document.id and item.kind == "record"]
    assert labels and "Alex Morgan disagreed: waiting for Sam Whitfield to revise or countersign" in labels[0]


def test_the_supervisors_link_spent_by_countersigning_in_docgen_says_when_and_which_record(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress) -> None:
    signoff.decide(uow, HOLDER, _token(deployment, WORKER), Decide(decision="agree", confirm_name="Alex Morgan"))
    own_link = _token(deployment, MANAGER)
    signoff.countersign(uow, _caller(uow, team["manager"]), "record", sent.document.id)

    with pytest.raises(signoff.AlreadyCountersigned) as spent:
        signoff.open_link(uow, HOLDER, own_link, on_form=True)
    assert spent.value.message == f"you already countersigned in docgen on {clock.today():%-d %B %Y}"
    assert (spent.value.kind, spent.value.document_id, spent.value.status) == ("record", sent.document.id, 410)


def test_a_link_replaced_by_a_resend_still_points_at_the_newer_e_mail(
        deployment: Deployment, uow: Work, team: dict[str, int], sent: signoff.Progress) -> None:
    first = _token(deployment, WORKER)
    signoff.resend_link(uow, _caller(uow, team["manager"]), "record", sent.document.id)
    with pytest.raises(Gone) as replaced:
        signoff.open_link(uow, HOLDER, first, on_form=True)
    assert not isinstance(replaced.value, signoff.AlreadyCountersigned)
    assert "replaced by a newer one" in replaced.value.message
