"""Ten at once hold as one (issue 14), on SQLite and PostgreSQL: a consent link answered ten times
records one answer; ten sweeps tell the line manager of a disagreement once; ten outcomes of one
disagreement record one; ten saves of one audit form made from the same read save one.

Each thread has its own test client (or unit of work); a barrier releases them together.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from kernel import clock
from storage.models import AuditEvent, DisagreementEscalation, OutboxMessage, Person, QualityAuditItem, SignoffEvent
from tests.e2e.test_consent import CONSENT_LINK, REASON, WORKER, config, olu, profile_name  # noqa: F401
from tests.e2e.test_disagreement_to_hr import _left_unsettled
from tests.integration.test_concurrency import THREADS, _at_once
from tests.mailbox import Mailbox, text_of
from workflows import disagreements, records

HEAD = "head@knowsley.example.org"


def _count(app: Any, *where: Any) -> int:
    with app.extensions["docgen"].sessions() as db:
        return db.scalar(select(func.count()).select_from(where[0]).where(*where[1:])) or 0


def test_a_consent_link_answered_ten_times_at_once_records_one_answer(
        app: Any, client: Any, org: Any, olu: dict[str, str], mailbox: Mailbox) -> None:
    asked = client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["worker"], "reason": REASON},
                        headers=olu)
    assert asked.status_code == 201
    token = CONSENT_LINK.search(text_of([m for m in mailbox.emails() if m["To"] == WORKER][-1])).group(1)
    answers = _at_once(app, THREADS, lambda c, n: c.post(f"/api/v1/consent/{token}",
                                                         json={"answer": ("granted", "refused")[n % 2]}))
    assert Counter(a.status_code for a in answers) == {200: 1, 410: THREADS - 1}
    [won] = [a.json["answer"] for a in answers if a.status_code == 200]
    assert _count(app, AuditEvent, AuditEvent.action.like("consent.%"), AuditEvent.action != "consent.asked") == 1
    assert _count(app, OutboxMessage, OutboxMessage.to_address == "olu@knowsley.example.org") == 1
    assert client.get("/api/v1/consent-requests", headers=olu).json["items"][0]["answer"] == won


def test_ten_sweeps_at_once_tell_the_line_manager_once(app: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _left_unsettled(app, org)
    services = app.extensions["docgen"]

    def sweep(_client: Any, _n: int) -> int:
        with services.unit_of_work() as uow:
            return disagreements.sweep_overdue(uow)

    assert sorted(_at_once(app, THREADS, sweep)) == [0] * (THREADS - 1) + [1]
    assert _count(app, DisagreementEscalation, DisagreementEscalation.record_id == record_id) == 1
    assert _count(app, SignoffEvent, SignoffEvent.record_id == record_id, SignoffEvent.event == "line_manager_told") == 1
    assert _count(app, OutboxMessage, OutboxMessage.to_address == HEAD) == 1


def test_ten_outcomes_of_one_disagreement_at_once_record_one(app: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _left_unsettled(app, org)
    app.extensions["docgen"].enqueue("disagreement_route")
    with app.extensions["docgen"].sessions() as db:
        escalation_id = db.scalar(select(DisagreementEscalation.id).where(DisagreementEscalation.record_id == record_id))
    meeting = clock.today().isoformat()
    answers = _at_once(app, THREADS, lambda c, n: c.post(
        f"/api/v1/disagreements/{escalation_id}/outcome",
        json={"outcome": "three_way", "meeting_on": meeting, "outcome_text": f"Outcome {n}"}, headers=org.auth("head")))
    assert Counter(a.status_code for a in answers) == {200: 1, 409: THREADS - 1}
    [won] = [a.json["outcome_text"] for a in answers if a.status_code == 200]
    assert _count(app, SignoffEvent, SignoffEvent.record_id == record_id, SignoffEvent.event == "three_way_meeting") == 1
    with app.extensions["docgen"].sessions() as db:
        assert db.get_one(DisagreementEscalation, escalation_id).outcome_text == won


@pytest.mark.parametrize("profile_name", ["knowsley"])  # H §12 audits no one-to-one record; K §11 does
def test_ten_saves_of_one_audit_form_from_the_same_read_save_one(app: Any, client: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        record = records.create_record(db, services.profile, db.get_one(Person, org.ids["worker"]), dt.date(2026, 2, 2))
        record.status, record.signed_at = "signed", dt.datetime(2026, 2, 3, 9)
    drawn = client.post("/api/v1/quality-audits", json={"team_id": org.team.id, "period_start": "2026-02-01",
                                                        "period_end": "2026-02-28"}, headers=org.auth("auditor")).json
    [item] = drawn["items"]
    url = f"/api/v1/quality-audits/{drawn['id']}/items/{item['id']}"
    answers = _at_once(app, THREADS, lambda c, n: c.post(url, json={"reflection": "yes", "findings": f"Finding {n}",
                                                                    "revision": item["revision"]},
                                                         headers=org.auth("auditor")))
    codes = Counter(a.status_code for a in answers)
    assert codes[200] == 1 and sum(codes.values()) == THREADS and set(codes) <= {200, 409, 412}, codes
    [won] = [n for n, a in enumerate(answers) if a.status_code == 200]
    with services.sessions() as db:
        assert db.get_one(QualityAuditItem, item["id"]).findings == f"Finding {won}"
    assert _count(app, AuditEvent, AuditEvent.action == "quality_audit.scored") == 1

