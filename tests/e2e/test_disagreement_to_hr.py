"""W §17 alone takes an unsettled disagreement on to HR: under Southwark's profile the line
manager may pass it there (HR is e-mailed, the step is a sign-off event on the certificate).
Knowsley's route, docgen's default, has no HR step, and nor has Haringey's: H §13 names only the
supervisor's line manager (`test_disagreement_signoff`). Issue 23 moved the HR test from Haringey,
whose profile cited H §13 for an HR step H §13 does not have, to Southwark."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from storage.models import Person, SignoffEvent
from tests.e2e.test_consent import config, profile_name  # noqa: F401  (the profile by name, mail to a test server)
from tests.mailbox import Mailbox, text_of
from workflows import records


def _left_unsettled(app: Any, org: Any) -> int:
    """Alex disagreed with Sam's record in September, and it still waits for Sam."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        record = records.create_record(db, services.profile, db.get_one(Person, org.ids["worker"]), dt.date(2026, 9, 7))
        record.status = "changes_requested"
        db.add(SignoffEvent(record_id=record.id, version=1, event="disagreed", person_id=org.ids["worker"],
                            at=dt.datetime(2026, 9, 10, 10), comment="The supervision date is wrong"))
        db.flush()
        return record.id


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_southwarks_line_manager_passes_a_disagreement_to_hr(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    """W §17: "Should this not resolve the issue then HR would need to be consulted about other ways
    to mediate or resolve the issue." """
    record_id = _left_unsettled(app, org)
    app.extensions["docgen"].enqueue("disagreement_route")
    [shown] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    assert shown["outcomes"] == ["three_way", "hr"]
    passed = client.post(f"/api/v1/disagreements/{shown['id']}/outcome",
                         json={"outcome": "hr", "outcome_text": "The three-way meeting did not settle it"},
                         headers=org.auth("head"))
    assert passed.status_code == 200, passed.json
    [to_hr] = [m for m in mailbox.emails() if m["To"] == "hr@knowsley.example.org"]
    assert "Passed to HR: The three-way meeting did not settle it" in text_of(to_hr)
    events = client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json["events"]
    assert [e["event"] for e in events][-2:] == ["line_manager_told", "passed_to_hr"]


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_knowsleys_default_route_has_no_hr_step(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    _left_unsettled(app, org)
    app.extensions["docgen"].enqueue("disagreement_route")
    [shown] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    refused = client.post(f"/api/v1/disagreements/{shown['id']}/outcome", json={"outcome": "hr", "outcome_text": "x"},
                          headers=org.auth("head"))
    assert refused.status_code == 422 and refused.json["error"]["field"] == "outcome"
