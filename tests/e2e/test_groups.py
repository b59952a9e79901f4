"""Group supervision in Southwark, as people do it: a weekly reflective group of three (W §5, §8),
a session planned with a calendar invitation, attendance marked, the W App C record written by
the Practice Co-ordinator and signed off by the Advanced Practitioner through the e-mailed link,
and its sealed PDF filed; only those present (and the usual managers) read it.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from typing import Any

import pytest
from pypdf import PdfReader

from kernel.config import Config
from kernel import clock
from storage.models import Organisation
from tests.mailbox import Mailbox, sign_link_for
from tests.sealing import mailing_and_sealing
from tests.e2e.test_web_pages import HTML, PASSWORD, csrf
from workflows import accounts, people
from workflows.profiles import load_profile

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return replace(mailing_and_sealing(config, smtp_server.port), profile="southwark")


class Southwark:
    """A practice group: its lead (manager of all), an Advanced Practitioner, a Practice
    Co-ordinator, three social workers in the group, one social worker outside it."""

    def __init__(self, ids: dict[str, int], tokens: dict[str, str]) -> None:
        self.ids, self.tokens = ids, tokens

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def group_org(app: Any) -> Southwark:
    services = app.extensions["docgen"]
    profile = load_profile("southwark")
    with services.sessions.begin() as db:
        org = Organisation(name="Southwark Council", profile="southwark")
        db.add(org)
        db.flush()
        team = people.create_team(db, org, "Practice Group 3", "Safeguarding & Family Support")
        spec = [("lead", "Grace Lead", "team_manager", None, []),
                ("ap", "Ade Practitioner", "advanced_practitioner", "lead", []),
                ("pc", "Pat Coordinator", "practice_coordinator", "lead", []),
                ("sw1", "Sol Worker", "social_worker", "lead", []),
                ("sw2", "Tam Worker", "social_worker", "lead", []),
                ("sw3", "Uma Worker", "social_worker", "lead", []),
                ("outsider", "Val Outside", "social_worker", None, []),
                ("auditor", "Omar Aziz", "social_worker", None, ["auditor"])]
        ids: dict[str, int] = {}
        tokens: dict[str, str] = {}
        for key, name, role, manager, roles in spec:
            person = people.create_person(db, org, profile, {
                "name": name, "email": f"{key}@southwark.example.org", "role": role, "team_id": team.id,
                "line_manager_id": ids.get(manager) if manager else None, "employment_start": dt.date(2024, 1, 8)})
            account = accounts.create_account(db, person, "correct-horse-battery", roles)
            ids[key] = person.id
            tokens[key] = accounts.issue_api_token(db, account, "test")
        db.expunge_all()
    return Southwark(ids, tokens)


def _sign_in(client: Any, who: str) -> None:
    client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "email": f"{who}@southwark.example.org",
                                  "password": PASSWORD}, headers=HTML)


def _group(client: Any, org: Southwark) -> dict[str, Any]:
    created = client.post("/api/v1/groups", json={
        "name": "Practice Group 3 reflective group", "facilitator_id": org.ids["ap"],
        "member_ids": [org.ids["sw1"], org.ids["sw2"], org.ids["sw3"]],
        "recorder_id": org.ids["pc"], "signer_id": org.ids["ap"]}, headers=org.auth("lead"))
    assert created.status_code == 201, created.json
    return created.json


def _held_session(client: Any, org: Southwark, group_id: int) -> dict[str, Any]:
    """A session planned for tomorrow, then (the clock a day on) attendance marked."""
    starts = (clock.now() + dt.timedelta(days=1)).replace(microsecond=0)
    planned = client.post(f"/api/v1/groups/{group_id}/sessions", json={
        "starts_at": starts.isoformat() + "Z", "minutes": 90, "location": "Tooley Street, room 4"},
        headers=org.auth("ap"))
    assert planned.status_code == 201, planned.json
    clock.set_clock(lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=1, hours=2))
    marked = client.put(f"/api/v1/group-sessions/{planned.json['id']}/attendance", json={"attendance": [
        {"person_id": org.ids["sw1"], "attendance": "present"},
        {"person_id": org.ids["sw2"], "attendance": "present"},
        {"person_id": org.ids["sw3"], "attendance": "apologies"}]}, headers=org.auth("ap"))
    assert marked.status_code == 200, marked.json
    assert marked.json["status"] == "held"
    return planned.json


def test_a_weekly_group_of_three_meets_and_its_w_app_c_record_is_signed_off_and_sealed(
        client: Any, group_org: Southwark, mailbox: Mailbox) -> None:
    org = group_org
    group = _group(client, org)
    session = _held_session(client, org, group["id"])

    invitations = [m for m in mailbox.emails() if m["Subject"] == f"Group supervision: {group['name']}"]
    assert sorted(m["To"] for m in invitations) == sorted(
        f"{who}@southwark.example.org" for who in ("ap", "pc", "sw1", "sw2", "sw3"))
    ics = next(part for part in invitations[0].walk() if part.get_content_type() == "text/calendar")
    calendar = ics.get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in calendar and session["uid"] in calendar and calendar.count("ATTENDEE") == 5

    refused = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=org.auth("ap"))
    assert refused.status_code == 403 and refused.json["error"]["field"] == "recorder_id"
    started = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=org.auth("pc"))
    assert started.status_code == 201, started.json
    record_id = started.json["id"]

    named = client.patch(f"/api/v1/group-records/{record_id}", json={"fields": {"cases": "104233, Jane Smith"}},
                         headers=org.auth("pc"))
    assert named.status_code in (400, 422) and named.json["error"]["field"] == "cases"
    saved = client.patch(f"/api/v1/group-records/{record_id}", json={"fields": {
        "cases": "104233, LL-104240", "legal_status": "Child in need", "legal_category": "CIN",
        "lead_social_worker": "Sol Worker", "reflective_discussion": "Hypotheses about the father's absence.",
        "action_required": "Visit within 10 working days", "who_is_leading": "Sol Worker", "timescales": "10 days",
        "visit_recorded": "Yes", "next_supervision": (clock.today() + dt.timedelta(days=7)).isoformat()}},
        headers=org.auth("pc"))
    assert saved.status_code == 200, saved.json

    sent = client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("pc"))
    assert sent.status_code == 200, sent.json
    assert sent.json["status"] == "awaiting_supervisor"
    token = sign_link_for(mailbox, "ap@southwark.example.org")
    link_page = client.get(f"/sign/{token}", headers=HTML)
    assert link_page.status_code == 200 and "12. Performance:" in link_page.get_data(as_text=True)
    signed = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": "Ade Practitioner"})
    assert signed.status_code == 200, signed.json
    assert signed.json["status"] == "signed"

    pdf = client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth("sw1"))
    assert pdf.status_code == 200, pdf.json
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for heading in ("2. Names of children in family under consideration;", "6. Names of those present at discussion;",
                    "12. Performance:", "Signature and audit certificate"):
        assert heading in text
    assert "104233, LL-104240" in text and "Sol Worker, Tam Worker" in text and "Uma Worker" not in text

    read = client.get(f"/api/v1/group-records/{record_id}", headers=org.auth("sw2"))
    assert read.status_code == 200 and read.json["fields"]["cases"] == "104233, LL-104240"
    for stranger in ("sw3", "outsider"):  # apologies sent; never in the group
        assert client.get(f"/api/v1/group-records/{record_id}", headers=org.auth(stranger)).status_code == 404
        assert client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth(stranger)).status_code == 404
    assert client.get(f"/api/v1/group-records/{record_id}", headers=org.auth("lead")).status_code == 200

    report = client.get("/api/v1/reports/group-attendance",
                        query_string={"from": (clock.today() - dt.timedelta(days=7)).isoformat(),
                                      "to": clock.today().isoformat()}, headers=org.auth("lead"))
    lines = {line["name"]: line for line in report.json["items"]}
    assert (lines["Sol Worker"]["present"], lines["Uma Worker"]["apologies"]) == (1, 1)

    _sign_in(client, "lead")
    start, end = clock.today() - dt.timedelta(days=7), clock.today()
    compliance = client.get("/reports/compliance", query_string={
        "scope": "all", "start": [str(start.day), str(start.month), str(start.year)],
        "end": [str(end.day), str(end.month), str(end.year)]}, headers=HTML).get_data(as_text=True)
    assert "Group supervision attendance (in addition to one-to-one supervision)" in compliance
    assert re.search(r"Uma Worker</th>\s*<td[^>]*>0</td>\s*<td[^>]*>1</td>", compliance)


def test_a_group_needs_the_profiles_recorder_and_signer_roles(client: Any, group_org: Southwark) -> None:
    org = group_org
    wrong = client.post("/api/v1/groups", json={
        "name": "Group", "facilitator_id": org.ids["ap"], "member_ids": [org.ids["sw1"]],
        "recorder_id": org.ids["sw2"], "signer_id": org.ids["ap"]}, headers=org.auth("lead"))
    assert wrong.status_code in (400, 422) and wrong.json["error"]["field"] == "recorder_id"
    missing = client.post("/api/v1/groups", json={
        "name": "Group", "facilitator_id": org.ids["ap"], "member_ids": [org.ids["sw1"]],
        "recorder_id": org.ids["pc"]}, headers=org.auth("lead"))
    assert missing.status_code in (400, 422) and missing.json["error"]["field"] == "signer_id"
    own_frequency = client.post("/api/v1/groups", json={
        "name": "Group", "facilitator_id": org.ids["ap"], "member_ids": [org.ids["sw1"]], "recorder_id": org.ids["pc"],
        "signer_id": org.ids["ap"], "frequency": "2 weeks"}, headers=org.auth("lead"))  # W §5 has them weekly
    assert own_frequency.status_code in (400, 422) and own_frequency.json["error"]["field"] == "frequency"


def test_a_weekly_group_that_has_not_met_is_due_on_the_dashboard_list(client: Any, group_org: Southwark) -> None:
    org = group_org
    group = _group(client, org)
    clock.set_clock(lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=9))
    due = client.get("/api/v1/groups/due", headers=org.auth("lead"))
    assert [(item["name"], item["state"]) for item in due.json["items"]] == [(group["name"], "overdue")]
    assert client.get("/api/v1/groups/due", headers=org.auth("outsider")).json["items"] == []

    _sign_in(client, "lead")
    dashboard = client.get("/supervision", headers=HTML).get_data(as_text=True)
    assert "Groups due to meet" in dashboard and group["name"] in dashboard and "Overdue" in dashboard
