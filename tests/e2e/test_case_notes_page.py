"""A record's case notes for the child's social care record, on a page and as a download (issue 23).
W App E: "The supervisor needs to record this on the child's electronic social care record"; W §10:
"See Section 8, Group Supervision on recording group discussions which should be recorded on
electronic social care record". Under Knowsley's profile, which names no such rule for a record's
case IDs, no case notes are offered."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from kernel.config import Config
from storage.models import Person
from tests.e2e.test_web_pages import HTML, sign_in, text
from workflows import records


@pytest.fixture
def config(config: Config, request: pytest.FixtureRequest) -> Config:
    return dataclasses.replace(config, profile=getattr(request, "param", "southwark"))


def _casework(app: Any, org: Any, cases: str) -> int:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        alex = db.get_one(Person, org.ids["worker"])
        kind = "casework" if "casework" in services.profile.record_kinds else None
        record = records.create_record(db, services.profile, alex, dt.date(2026, 9, 7), kind=kind)
        record.sections = {**record.sections, "cases": cases, "activity": "Seen at home on 1 September",
                           "analysis": "Going well", "action_plan": "Review in two weeks"}
        return record.id


def test_the_supervisor_copies_one_note_per_case_and_downloads_them_all(app: Any, client: Any, org: Any) -> None:
    record_id = _casework(app, org, "200117, 200118")
    sign_in(client, "manager")

    page = text(client.get(f"/records/{record_id}/case-notes", headers=HTML))

    assert 'data-case-id="200117"' in page and 'data-case-id="200118"' in page
    assert "Activity: Seen at home on 1 September" in page
    download = client.get(f"/records/{record_id}/case-notes.txt", headers=HTML)
    assert download.status_code == 200 and download.mimetype == "text/plain"
    assert "attachment" in download.headers["Content-Disposition"]
    assert text(download).count("case discussion in supervision") == 2
    api = client.get(f"/api/v1/records/{record_id}/case-notes", headers=org.auth("manager")).json
    assert api["offered"] and [n["case_id"] for n in api["notes"]] == ["200117", "200118"]


def test_the_supervisee_reading_the_record_finds_the_link(app: Any, client: Any, org: Any) -> None:
    record_id = _casework(app, org, "200117")
    sign_in(client, "worker")

    assert "Case notes for the child’s record" in text(client.get(f"/records/{record_id}", headers=HTML))


def test_a_colleague_outside_the_line_cannot_read_the_case_notes(app: Any, client: Any, org: Any) -> None:
    record_id = _casework(app, org, "200117")
    sign_in(client, "asye")  # Priya, supervised by Sam beside Alex: no basis to read his records

    assert client.get(f"/records/{record_id}/case-notes", headers=HTML).status_code == 404


@pytest.mark.parametrize("config", ["knowsley"], indirect=True)
def test_knowsley_offers_no_case_notes(app: Any, client: Any, org: Any) -> None:
    record_id = _casework(app, org, "")
    sign_in(client, "manager")

    page = text(client.get(f"/records/{record_id}/case-notes", headers=HTML))

    assert "offers no case notes" in page and "data-case-id" not in page
