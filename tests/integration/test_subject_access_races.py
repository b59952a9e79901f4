"""Subject access requests under concurrent use (issue 25 item 1), on SQLite and PostgreSQL.

- HR officers recording a request for one person at the same moment record one: the partial unique
  index on the person's open request holds it where both pass the "already open?" read
  (PostgreSQL's READ COMMITTED), and the others are told, naming the email field.
- Two officers withholding two mentions of one request from the same read: exactly one lands (the
  request's revision is the claim, so a decision never lands on a schedule its author did not
  see), the other is refused as stale (412) with nothing written.

Each thread has its own unit of work; a barrier releases them together.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from kernel import clock
from kernel.errors import Conflict, PreconditionFailed
from storage.models import Account, AuditEvent, SubjectAccessRequest, SubjectAccessWithholding
from workflows import subject_access
from workflows.access import Caller
from workflows.inputs.subject_access import RecordRequest, WithholdMention
from workflows.subject_access_export import Mention
from tests.integration.test_token_races import _at_once

THREADS = 6
ALEX = "worker@knowsley.example.org"


def _officer(uow: Any, org: Any, who: str) -> Caller:
    return Caller(account=uow.session.scalar(select(Account).where(Account.person_id == org.ids[who])))


def _count(services: Any, what: Any, *where: Any) -> int:
    with services.sessions() as db:
        return db.scalar(select(func.count()).select_from(what).where(*where))


@pytest.mark.parametrize("read_misses_it", [False, True])
def test_officers_recording_one_persons_request_at_once_record_one(app: Any, org: Any, read_misses_it: bool,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    services = app.extensions["docgen"]
    if read_misses_it:  # as on PostgreSQL when both read before either commits: the index alone decides
        monkeypatch.setattr(subject_access, "_open_request", lambda db, person_id: None)

    def record(n: int) -> str:
        with services.unit_of_work() as uow:
            caller = _officer(uow, org, "hr" if n % 2 else "admin")
            try:
                subject_access.record_request(uow, caller, RecordRequest(email=ALEX, received_on=clock.today()))
            except Conflict as exc:
                assert exc.field == "email" and "already has an open request" in exc.message, exc
                return "refused"
            return "recorded"

    answers = _at_once(THREADS, record)
    assert Counter(answers) == {"recorded": 1, "refused": THREADS - 1}, answers
    assert _count(services, SubjectAccessRequest, SubjectAccessRequest.person_id == org.ids["worker"]) == 1
    assert _count(services, AuditEvent, AuditEvent.action == "subject_access.recorded") == 1


def _mention(key: str) -> Mention:
    return Mention(key=key, document="records/R-000001.pdf", page=1, kind="staff", text=f"Colleague {key}",
                   context=f"present: Colleague {key}")


def test_two_withholdings_made_from_one_read_land_one(app: Any, org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    services = app.extensions["docgen"]
    # The schedule is H2's (workflows.subject_access_export); two fixed mentions stand in for a
    # sealed group record's, which the e2e tests read through LibreOffice.
    monkeypatch.setattr(subject_access, "_schedule", lambda uow, request: [_mention("k-1"), _mention("k-2")])
    with services.unit_of_work() as uow:
        made = subject_access.record_request(uow, _officer(uow, org, "hr"),
                                             RecordRequest(email=ALEX, received_on=clock.today() - dt.timedelta(3)))
        request_id, revision = made.id, made.revision

    def withhold(n: int) -> str:
        with services.unit_of_work() as uow:
            given = WithholdMention(key=f"k-{n + 1}", reason="Another member of staff", revision=revision)
            try:
                subject_access.withhold(uow, _officer(uow, org, ("hr", "admin")[n]), request_id, given)
            except PreconditionFailed as exc:
                assert exc.field == "revision", exc
                return "stale"
            return "withheld"

    answers = _at_once(2, withhold)
    assert Counter(answers) == {"withheld": 1, "stale": 1}, answers
    won = f"k-{answers.index('withheld') + 1}"
    with services.sessions() as db:
        assert list(db.scalars(select(SubjectAccessWithholding.mention_key))) == [won]
        assert db.get(SubjectAccessRequest, request_id).revision == revision + 1
        steps = list(db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "subject_access.withheld")))
        assert [step["key"] for step in steps] == [won]
