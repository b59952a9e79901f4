"""The e-mails outside sign-off follow domain events too (issue 24): a consent answered or
overridden, a read under break-glass, a disagreement's outcome and a leaver's records forwarded to
HR are each one event, recorded by the use case that decides; the composition root's subscribers
write its e-mails to the outbox with the change, and their delivery is asked for once that has
committed. A command refused, or one whose commit fails, e-mails nobody. Through the deployment
`create_app` builds, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.config import Config
from kernel.errors import Forbidden, InvalidInput
from storage.models import (Account, AuditEvent, ConsentRequest, DisagreementEscalation, Organisation, OutboxMessage,
                            Person, SignoffEvent)
from workflows import accounts, consent, disagreements, events, notifications, people, records, retention, webhooks
from workflows.access import BREAK_GLASS_SUBJECT, Caller
from workflows.deployment import Deployment, Work

HOLDER = Caller(ip="198.51.100.4", user_agent="Mozilla/5.0 (link)")  # no account: the link is the credential
WORKER, MANAGER, HR = "worker@knowsley.example.org", "manager@knowsley.example.org", "hr@knowsley.example.org"
READER = "olu@knowsley.example.org"
REASON = "Investigating a complaint about the duty rota"


@pytest.fixture(params=["knowsley"])
def profile_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def config(config: Config, profile_name: str) -> Config:
    return dataclasses.replace(config, profile=profile_name)


@pytest.fixture
def deployment(app: Any) -> Deployment:
    return app.extensions["docgen"]


class Postman:
    """The task queue as the worker would find it when asked to deliver an e-mail: the message's
    recipient and subject as a fresh session reads it then (only a committed row is there)."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.asked: list[tuple[str, str]] = []

    def enqueue(self, task: str, *args: Any) -> None:
        if task != "deliver_email":  # webhook deliveries and PDFs are other tests'
            return
        with self.deployment.sessions() as db:
            message = db.get_one(OutboxMessage, args[0])
            self.asked.append((message.to_address, message.subject))


@pytest.fixture
def postman(deployment: Deployment) -> Postman:
    queue = Postman(deployment)
    deployment.enqueue = queue.enqueue
    return queue


def _heard(deployment: Deployment, event_type: type) -> list[Any]:
    heard: list[Any] = []
    deployment.subscribe(event_type, lambda _uow, event: heard.append(event))
    return heard


def _commit_refused(deployment: Deployment, event_type: type) -> None:
    """The database refuses the commit of the change that records `event_type`: a handler heard
    after the notices' raises, as a failing write would."""
    def refused(_uow: Work, _event: object) -> None:
        raise RuntimeError("the database refused the commit")
    deployment.subscribe(event_type, refused)


def _outbox(deployment: Deployment, *addresses: str) -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail in the outbox to these addresses, as a fresh session reads them."""
    with deployment.sessions() as db:
        return [(m.to_address, m.subject) for m in db.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address.in_(addresses)).order_by(OutboxMessage.id))]


def _text_to(deployment: Deployment, address: str) -> str:
    with deployment.sessions() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                             .order_by(OutboxMessage.id.desc())).first()
        return notifications.letter_for(db, message).text


def _caller(uow: Work, person_id: int, reason: str = "") -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7", reason=reason)


def _run(deployment: Deployment, command: Callable[[Work], Any]) -> Any:
    with deployment.unit_of_work() as uow:
        return command(uow)


def _newcomer(deployment: Deployment, org: Any, key: str, name: str, role: str, roles: list[str]) -> int:
    """Someone in a team of their own, outside Alex's line; their person id."""
    with deployment.sessions.begin() as db:
        organisation = db.get_one(Organisation, org.org.id)
        team = people.create_team(db, organisation, f"{name}'s team", "Children's Social Care")
        person = people.create_person(db, organisation, deployment.profile, {
            "name": name, "email": f"{key}@knowsley.example.org", "role": role, "team_id": team.id,
            "employment_start": dt.date(2024, 1, 8)})
        accounts.create_account(db, person, "correct-horse-battery", roles)
        return person.id


# --- consent (H §11, Haringey's profile) --------------------------------------------------------


def _asked(deployment: Deployment, org: Any) -> tuple[int, str]:
    """Olu, a manager outside Alex's line, asked to read Alex's records: the request and Alex's token."""
    olu = _newcomer(deployment, org, "olu", "Olu Other", "team_manager", [])
    with deployment.sessions.begin() as db:  # Olu manages Kim: a manager, with no right to Alex's records
        kim = people.create_person(db, db.get_one(Organisation, org.org.id), deployment.profile, {
            "name": "Kim Lee", "email": "kim@knowsley.example.org", "role": "social_worker",
            "team_id": db.get_one(Person, olu).team_id,
            "line_manager_id": olu, "employment_start": dt.date(2024, 1, 8)})
        people.create_relationship(db, kim.id, olu, dt.date(2024, 1, 8))
    row = _run(deployment, lambda uow: consent.ask(uow, _caller(uow, olu), org.ids["worker"], REASON))
    token = re.search(r"/consent/([A-Za-z0-9_-]{43})", _text_to(deployment, WORKER)).group(1)
    return row.id, token


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_a_refusal_is_one_consent_answered_and_tells_the_reader_and_alexs_manager_once_committed(
        deployment: Deployment, postman: Postman, org: Any) -> None:
    request_id, token = _asked(deployment, org)
    heard = _heard(deployment, events.ConsentAnswered)

    _run(deployment, lambda uow: consent.answer(uow, HOLDER, token, "refused", "Not without my supervisor"))

    assert heard == [events.ConsentAnswered(request_id, "refused")]
    told = [(READER, "Alex Morgan answered your request"),
            (MANAGER, "Alex Morgan refused Olu Other access to their records")]
    assert _outbox(deployment, READER, MANAGER) == told
    assert [mail for mail in postman.asked if mail[0] != WORKER] == told  # asked for once committed
    assert "Not without my supervisor" in _text_to(deployment, READER)


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_a_consent_granted_tells_the_reader_alone(deployment: Deployment, postman: Postman, org: Any) -> None:
    request_id, token = _asked(deployment, org)
    heard = _heard(deployment, events.ConsentAnswered)

    _run(deployment, lambda uow: consent.answer(uow, HOLDER, token, "granted"))

    assert heard == [events.ConsentAnswered(request_id, "granted")]
    assert _outbox(deployment, READER, MANAGER) == [(READER, "Alex Morgan answered your request")]


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_an_override_is_one_consent_overridden_and_tells_alex_and_the_reader(
        deployment: Deployment, postman: Postman, org: Any) -> None:
    request_id, token = _asked(deployment, org)
    _run(deployment, lambda uow: consent.answer(uow, HOLDER, token, "refused"))
    heard = _heard(deployment, events.ConsentOverridden)

    _run(deployment, lambda uow: consent.override(uow, _caller(uow, org.ids["manager"]), request_id,
                                                  "A risk to a child on Alex's caseload"))

    assert heard == [events.ConsentOverridden(request_id, org.ids["manager"])]
    told = [(WORKER, BREAK_GLASS_SUBJECT), (READER, "Alex Morgan's refusal was overridden")]
    assert _outbox(deployment, WORKER, READER)[-2:] == told and postman.asked[-2:] == told
    assert "A risk to a child on Alex's caseload" in _text_to(deployment, WORKER)


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_a_refused_answer_or_override_tells_nobody(deployment: Deployment, postman: Postman, org: Any) -> None:
    request_id, token = _asked(deployment, org)
    answered, overridden = _heard(deployment, events.ConsentAnswered), _heard(deployment, events.ConsentOverridden)

    with pytest.raises(InvalidInput, match="answer must be one of"):
        _run(deployment, lambda uow: consent.answer(uow, HOLDER, token, "perhaps"))
    _run(deployment, lambda uow: consent.answer(uow, HOLDER, token, "refused"))
    before = _outbox(deployment, WORKER, READER, MANAGER)
    with pytest.raises(InvalidInput, match="reason for overriding"):
        _run(deployment, lambda uow: consent.override(uow, _caller(uow, org.ids["manager"]), request_id, " "))

    assert answered == [events.ConsentAnswered(request_id, "refused")] and overridden == []
    assert _outbox(deployment, WORKER, READER, MANAGER) == before
    assert len(before) == 3  # Alex's link, then the refusal's two e-mails: none for the refused commands


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_an_answer_that_rolls_back_tells_nobody(deployment: Deployment, postman: Postman, org: Any) -> None:
    request_id, token = _asked(deployment, org)
    _commit_refused(deployment, events.ConsentAnswered)

    with pytest.raises(RuntimeError, match="refused the commit"):
        _run(deployment, lambda uow: consent.answer(uow, HOLDER, token, "refused"))

    assert _outbox(deployment, READER, MANAGER) == []
    with deployment.sessions() as db:
        assert db.get_one(ConsentRequest, request_id).answered_at is None


# --- break-glass (Knowsley's profile: docgen's default) ----------------------------------------


def _alexs_record_and_director(deployment: Deployment, org: Any) -> tuple[int, int]:
    """Alex's record, and Dee, a senior manager outside Alex's line who reads by break-glass."""
    dee = _newcomer(deployment, org, "director", "Dee Director", "head_of_service", ["senior_manager"])
    record_id = _run(deployment, lambda uow: records.start_record(
        uow, _caller(uow, org.ids["manager"]), org.ids["worker"], dt.date(2026, 11, 2)).id)
    return record_id, dee


def _read(deployment: Deployment, reader: int, record_id: int, reason: str) -> None:
    _run(deployment, lambda uow: records.read(uow, _caller(uow, reader, reason), record_id))


def _reads_by(deployment: Deployment, reader: int) -> list[int]:
    """The ids of the audit entries of the reader's reads."""
    with deployment.sessions() as db:
        return list(db.scalars(select(AuditEvent.id).where(AuditEvent.action == "record.read",
                                                           AuditEvent.actor_id == reader).order_by(AuditEvent.id)))


def test_a_break_glass_read_is_one_event_and_tells_alex_once_an_hour_per_reason(
        deployment: Deployment, postman: Postman, org: Any) -> None:
    record_id, dee = _alexs_record_and_director(deployment, org)
    heard = _heard(deployment, events.ReadUnderBreakGlass)

    _read(deployment, dee, record_id, "A complaint about the duty rota")

    [read] = _reads_by(deployment, dee)
    assert heard == [events.ReadUnderBreakGlass(org.ids["worker"], dee, read)]
    assert _outbox(deployment, WORKER) == [(WORKER, BREAK_GLASS_SUBJECT)] == postman.asked
    assert "A complaint about the duty rota" in _text_to(deployment, WORKER)

    _read(deployment, dee, record_id, "A complaint about the duty rota")  # the next page of the same file

    assert heard[1:] == [events.ReadUnderBreakGlass(org.ids["worker"], dee, _reads_by(deployment, dee)[1])]
    assert _outbox(deployment, WORKER) == [(WORKER, BREAK_GLASS_SUBJECT)]


def test_a_read_refused_or_rolled_back_tells_nobody(deployment: Deployment, postman: Postman, org: Any) -> None:
    record_id, dee = _alexs_record_and_director(deployment, org)
    heard = _heard(deployment, events.ReadUnderBreakGlass)

    with pytest.raises(Forbidden, match="must give a reason"):
        _read(deployment, dee, record_id, "")
    _commit_refused(deployment, events.ReadUnderBreakGlass)
    with pytest.raises(RuntimeError, match="refused the commit"):
        _read(deployment, dee, record_id, "A complaint about the duty rota")

    assert len(heard) == 1  # the read whose commit failed; the refused one recorded nothing
    assert _outbox(deployment, WORKER) == [] and postman.asked == []
    assert _reads_by(deployment, dee) == []


# --- a disagreement's outcome (W §17, Southwark's profile) ---------------------------------------


def _taken_to_the_line_manager(deployment: Deployment, org: Any) -> int:
    """Alex disagreed with Sam's record and asked for a three-way meeting: the escalation's id."""
    with deployment.sessions.begin() as db:
        record = records.create_record(db, deployment.profile, db.get_one(Person, org.ids["worker"]),
                                       dt.date(2026, 9, 7))
        record.status = "changes_requested"
        db.add(SignoffEvent(record_id=record.id, version=1, event="disagreed", person_id=org.ids["worker"],
                            at=dt.datetime(2026, 9, 10, 10), comment="The supervision date is wrong"))
        db.flush()
        record_id = record.id
    return _run(deployment, lambda uow: disagreements.request_meeting(
        uow, _caller(uow, org.ids["worker"]), "record", record_id).id)


def _outcome(deployment: Deployment, org: Any, escalation_id: int, outcome: str, text: str) -> None:
    meeting_on = clock.today() if outcome == "three_way" else None
    _run(deployment, lambda uow: disagreements.record_outcome(uow, _caller(uow, org.ids["head"]), escalation_id,
                                                              outcome, text, meeting_on))


@pytest.mark.parametrize("profile_name", ["southwark"])
@pytest.mark.parametrize(("outcome", "told"), [("hr", [WORKER, MANAGER, HR]), ("three_way", [WORKER, MANAGER])])
def test_an_outcome_is_one_event_and_tells_both_parties_and_hr_when_it_is_theirs(
        deployment: Deployment, postman: Postman, org: Any, outcome: str, told: list[str]) -> None:
    escalation_id = _taken_to_the_line_manager(deployment, org)
    heard = _heard(deployment, events.DisagreementOutcomeRecorded)

    _outcome(deployment, org, escalation_id, outcome, "The three-way meeting did not settle it")

    assert heard == [events.DisagreementOutcomeRecorded(escalation_id, outcome)]
    mails = _outcome_mail(_outbox(deployment, WORKER, MANAGER, HR))
    assert sorted(to for to, _ in mails) == sorted(told)
    assert _outcome_mail(postman.asked) == mails


def _outcome_mail(mails: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [mail for mail in mails if mail[1].startswith("Outcome of a supervision disagreement: Supervision record")]


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_an_outcome_refused_or_rolled_back_tells_nobody(deployment: Deployment, postman: Postman, org: Any) -> None:
    escalation_id = _taken_to_the_line_manager(deployment, org)

    with pytest.raises(InvalidInput, match="Enter why it goes to HR"):
        _outcome(deployment, org, escalation_id, "hr", "  ")
    _commit_refused(deployment, events.DisagreementOutcomeRecorded)
    with pytest.raises(RuntimeError, match="refused the commit"):
        _outcome(deployment, org, escalation_id, "hr", "The three-way meeting did not settle it")

    assert _outcome_mail(_outbox(deployment, WORKER, MANAGER, HR)) == []
    with deployment.sessions() as db:
        assert db.get_one(DisagreementEscalation, escalation_id).outcome == ""


# --- a leaver's records forwarded to HR (S 12.4) ----------------------------------------------


def _left_two_days_ago(deployment: Deployment, org: Any) -> None:
    with deployment.sessions.begin() as db:
        db.get_one(Person, org.ids["worker"]).leave_date = clock.today() - dt.timedelta(days=2)


def _forward_early(deployment: Deployment, org: Any, reason: str) -> None:
    _run(deployment, lambda uow: retention.forward_early(uow, _caller(uow, org.ids["hr"]), org.ids["worker"], reason))


def test_records_forwarded_early_are_one_event_and_hr_hears_who_forwarded_them_and_why(
        deployment: Deployment, postman: Postman, org: Any) -> None:
    _left_two_days_ago(deployment, org)
    heard = _heard(deployment, events.RecordsForwarded)

    _forward_early(deployment, org, "A tribunal has asked for the employee's file")

    with deployment.sessions() as db:
        entry = db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.forward_to_hr")).one()
    assert heard == [events.RecordsForwarded(org.ids["worker"], entry.id)]
    told = [(HR, "Supervision records of Alex Morgan forwarded to HR")]
    assert _outbox(deployment, HR) == told == postman.asked
    said = " ".join(_text_to(deployment, HR).split())
    assert "Harriet Reid forwarded their supervision records to HR early" in said
    assert "The reason given: A tribunal has asked for the employee's file" in said


def test_a_forwarding_refused_or_rolled_back_tells_nobody(deployment: Deployment, postman: Postman, org: Any) -> None:
    _left_two_days_ago(deployment, org)

    with pytest.raises(InvalidInput, match="Enter why"):
        _forward_early(deployment, org, " ")
    _commit_refused(deployment, events.RecordsForwarded)
    with pytest.raises(RuntimeError, match="refused the commit"):
        _forward_early(deployment, org, "A tribunal has asked for the employee's file")

    assert _outbox(deployment, HR) == [] and postman.asked == []
    with deployment.sessions() as db:
        assert db.get_one(Person, org.ids["worker"]).forwarded_to_hr_on is None


# --- what an integrator hears of these events ----------------------------------------------------


@pytest.mark.parametrize(("event", "expected"), [
    (events.ConsentAnswered(4, "refused"), ("consent.answered", {"consent_request_id": 4, "answer": "refused"})),
    (events.ConsentOverridden(4, 2), ("consent.overridden", {"consent_request_id": 4})),
    (events.DisagreementOutcomeRecorded(6, "hr"), ("disagreement.outcome", {"disagreement_id": 6, "outcome": "hr"})),
    (events.RecordsForwarded(7, 31), ("retention.forwarded", {"person_id": 7})),
    (events.ReadUnderBreakGlass(7, 2, 31), None),
])
def test_a_receiver_hears_ids_only_and_never_who_read_whose_records(event: object,
                                                                     expected: tuple[str, dict] | None) -> None:
    """A consent's answer or override and a disagreement's outcome are announced by id; who
    overrode and the forwarding's audit entry are not in the payload, and a break-glass read is
    the supervisee's to hear, not another system's."""
    found = webhooks.announced(event, "https://docgen.example.org")
    assert (found.event, found.data) == expected if expected else found is None
    if expected:
        assert found.event in webhooks.EVENTS and found.event in webhooks.EVENT_DESCRIPTIONS
