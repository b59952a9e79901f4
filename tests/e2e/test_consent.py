"""Reading outside the line with the supervisee's consent (W §10, H §11), through the API and pages.

Under Haringey's profile, Olu (a team manager in another team, outside Alex's line) asks Alex to
let him read Alex's records. Alex answers through an e-mailed single-use link: agreed, Olu reads
(each read audited on the basis "consent"); refused, Olu cannot. H §11: "In the exceptional case
where consent is not given to share staffing records the manager must make a professional judgement
about the need to override consent": that manager is Sam, Alex's supervisor, who keeps Alex's file
("retained in a file by the manager", H §10), never Olu, who asked. Sam's override, with a reason,
tells Alex and Olu, and Olu then reads through break-glass. Southwark's policy has no override and
Knowsley's no reading by consent at all.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from kernel.config import Config
from storage.models import AuditEvent, Organisation
from tests.e2e.test_web_pages import HTML, csrf, post, text
from tests.mailbox import Mailbox, text_of
from tests.sealing import mailing_and_sealing
from workflows import accounts, people

CONSENT_LINK = re.compile(r"https://docgen\.example\.org/consent/([A-Za-z0-9_-]{43})")
WORKER = "worker@knowsley.example.org"
REASON = "Investigating a complaint about the duty rota"


@pytest.fixture(params=["haringey"])
def profile_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def config(config: Config, smtp_server: Mailbox, profile_name: str) -> Config:
    return dataclasses.replace(mailing_and_sealing(config, smtp_server.port), profile=profile_name)


@pytest.fixture
def olu(app: Any, org: Any) -> dict[str, str]:
    """Olu manages Kim in another team: a manager, with no standing right to Alex's records."""
    services = app.extensions["docgen"]
    start = dt.date(2024, 1, 8)
    with services.sessions.begin() as db:
        organisation = db.get_one(Organisation, org.org.id)
        team = people.create_team(db, organisation, "Fostering", "Children's Social Care")
        olu = people.create_person(db, organisation, services.profile, {
            "name": "Olu Other", "email": "olu@knowsley.example.org", "role": "team_manager", "team_id": team.id,
            "employment_start": start})
        kim = people.create_person(db, organisation, services.profile, {
            "name": "Kim Lee", "email": "kim@knowsley.example.org", "role": "social_worker", "team_id": team.id,
            "line_manager_id": olu.id, "employment_start": start})
        people.create_relationship(db, kim.id, olu.id, start)
        token = accounts.issue_api_token(db, accounts.create_account(db, olu, "correct-horse-battery", []), "test")
    return {"Authorization": f"Bearer {token}"}


def _record(client: Any, org: Any) -> int:
    made = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"},
                       headers=org.auth("manager"))
    assert made.status_code == 201, made.json
    return made.json["id"]


def _ask(client: Any, org: Any, olu: dict[str, str], mailbox: Mailbox) -> str:
    asked = client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["worker"], "reason": REASON},
                        headers=olu)
    assert asked.status_code == 201, asked.json
    [mail] = [m for m in mailbox.emails() if m["To"] == WORKER and "asks to read" in m["Subject"]]
    assert REASON in text_of(mail) and "Olu Other" in text_of(mail)
    return CONSENT_LINK.search(text_of(mail)).group(1)


def _bases(app: Any, record_id: int) -> list[tuple[str, str]]:
    with app.extensions["docgen"].sessions() as db:
        rows = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "record",
                                                   AuditEvent.object_id == str(record_id),
                                                   AuditEvent.action == "record.read"))
        return [(r.detail.get("basis", ""), r.reason) for r in rows]


def test_consent_granted_on_the_link_page_lets_the_manager_read(app: Any, client: Any, org: Any,
                                                                olu: dict[str, str], mailbox: Mailbox) -> None:
    record_id = _record(client, org)
    assert client.get(f"/api/v1/records/{record_id}", headers=olu).status_code == 404
    token = _ask(client, org, olu, mailbox)
    again = client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["worker"], "reason": REASON},
                        headers=olu)
    assert again.status_code == 409 and again.json["error"]["field"] == "supervisee_id"
    empty = client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["asye"], "reason": " "}, headers=olu)
    assert empty.status_code == 422 and empty.json["error"]["field"] == "reason"
    # Someone who can read already needs no consent; a non-manager may not ask.
    assert client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["worker"], "reason": REASON},
                       headers=org.auth("head")).status_code == 409
    assert client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["asye"], "reason": REASON},
                       headers=org.auth("worker")).status_code == 403

    page = client.get(f"/consent/{token}", headers=HTML)
    assert page.status_code == 200 and "Olu Other asks to read your supervision records" in text(page)
    assert REASON in text(page) and page.headers["Cache-Control"] == "no-store"
    unanswered = post(client, f"/consent/{token}", {})
    assert unanswered.status_code == 422 and "answer is required" in text(unanswered)
    answered = post(client, f"/consent/{token}", {"answer": "granted", "comment": "Fine for the complaint"})
    assert answered.status_code == 200 and "You agreed that Olu Other may read" in text(answered)
    assert client.get(f"/consent/{token}", headers=HTML).status_code == 410

    assert client.get(f"/api/v1/records/{record_id}", headers=olu).status_code == 200
    assert _bases(app, record_id)[-1] == ("consent", REASON)
    [told] = [m for m in mailbox.emails() if m["To"] == "olu@knowsley.example.org"]
    assert "agreed" in text_of(told) and "Fine for the complaint" in text_of(told)
    listed = client.get("/api/v1/consent-requests", headers=olu).json["items"]
    assert [r["answer"] for r in listed] == ["granted"]


def test_a_refusal_is_overridden_by_the_supervisees_own_manager_never_by_the_manager_who_asked(
        app: Any, client: Any, org: Any, olu: dict[str, str], mailbox: Mailbox) -> None:
    record_id = _record(client, org)
    token = _ask(client, org, olu, mailbox)
    refused = client.post(f"/api/v1/consent/{token}", json={"answer": "refused"})
    assert refused.status_code == 200 and refused.json["answer"] == "refused"
    assert client.post(f"/api/v1/consent/{token}", json={"answer": "granted"}).status_code == 410
    assert client.get(f"/api/v1/records/{record_id}", headers=olu).status_code == 404
    [decide] = [m for m in mailbox.emails() if m["To"] == "manager@knowsley.example.org"]
    assert "refused Olu Other" in decide["Subject"] and REASON in text_of(decide)

    request_id = refused.json["id"]
    assert client.get("/api/v1/consent-requests", headers=olu).json["refusals"] == []
    [to_decide] = client.get("/api/v1/consent-requests", headers=org.auth("manager")).json["refusals"]
    assert (to_decide["id"], to_decide["reader"]) == (request_id, "Olu Other")
    url = f"/api/v1/consent-requests/{request_id}/override"
    asker = client.post(url, json={"reason": "Safeguarding risk"}, headers=olu)
    assert asker.status_code == 403 and asker.json["error"]["field"] == "id"
    assert "not the manager who asked" in asker.json["error"]["message"]
    assert client.post(url, json={"reason": "x"}, headers=org.auth("head")).status_code == 404  # not their file
    assert client.post(url, json={"reason": "  "}, headers=org.auth("manager")).json["error"]["field"] == "reason"
    mailbox.envelopes.clear()
    overridden = client.post(url, json={"reason": "Safeguarding risk to a child named in the rota complaint"},
                             headers=org.auth("manager"))
    assert overridden.status_code == 200 and overridden.json["overridden_at"]
    assert client.post(url, json={"reason": "again"}, headers=org.auth("manager")).status_code == 409
    [notice] = [m for m in mailbox.emails() if m["To"] == WORKER]
    assert "break-glass" in notice["Subject"] and "Safeguarding risk" in text_of(notice)
    assert "Sam Whitfield" in text_of(notice) and "Olu Other" in text_of(notice)
    [told] = [m for m in mailbox.emails() if m["To"] == "olu@knowsley.example.org"]
    assert "overridden" in told["Subject"]

    assert client.get(f"/api/v1/records/{record_id}", headers=olu).status_code == 200
    assert _bases(app, record_id)[-1] == ("break_glass", "Safeguarding risk to a child named in the rota complaint")


def test_the_manager_asks_on_the_consent_page_and_the_supervisees_manager_overrides_on_theirs(
        app: Any, client: Any, org: Any, olu: dict[str, str], mailbox: Mailbox) -> None:
    client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "email": "olu@knowsley.example.org",
                                  "password": "correct-horse-battery"}, headers=HTML)
    shown = client.get("/consent-requests", headers=HTML)
    assert shown.status_code == 200 and "Alex Morgan" in text(shown)
    missing = post(client, "/consent-requests", {"supervisee_id": str(org.ids["worker"]), "reason": ""})
    assert missing.status_code == 422 and "say why you need to read" in text(missing).lower()
    asked = post(client, "/consent-requests", {"supervisee_id": str(org.ids["worker"]), "reason": REASON})
    assert asked.status_code == 303
    token = CONSENT_LINK.search(text_of([m for m in mailbox.emails() if m["To"] == WORKER][-1])).group(1)
    alex = app.test_client()  # Alex answers from their own mailbox, not Olu's signed-in browser
    assert alex.post(f"/api/v1/consent/{token}", json={"answer": "refused"}).status_code == 200
    listed = text(client.get("/consent-requests", headers=HTML))
    assert "Alex Morgan’s own manager decides whether to override it" in listed
    assert "Override Alex Morgan’s refusal" not in listed
    [request_id] = [r["id"] for r in client.get("/api/v1/consent-requests", headers=olu).json["items"]]
    refused = post(client, f"/consent-requests/{request_id}/override", {"reason": "Risk to a child"},
                   page="/consent-requests")
    assert refused.status_code == 403 and "not the manager who asked" in text(refused)

    sam = app.test_client()  # Alex's supervisor, who keeps Alex's file (H §10)
    sam.post("/sign-in", data={"csrf_token": csrf(sam, "/sign-in"), "email": "manager@knowsley.example.org",
                               "password": "correct-horse-battery"}, headers=HTML)
    shown = text(sam.get("/consent-requests", headers=HTML))
    assert "Override Alex Morgan’s refusal" in shown and REASON in shown
    done = post(sam, f"/consent-requests/{request_id}/override", {"reason": "Risk to a child"},
                page="/consent-requests")
    assert done.status_code == 303
    assert "Override Alex Morgan’s refusal" not in text(sam.get("/consent-requests", headers=HTML))
    assert "Refused, overridden" in text(client.get("/consent-requests", headers=HTML))


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_southwark_gives_no_override(client: Any, org: Any, olu: dict[str, str], mailbox: Mailbox) -> None:
    token = _ask(client, org, olu, mailbox)
    request_id = client.post(f"/api/v1/consent/{token}", json={"answer": "refused"}).json["id"]
    refused = client.post(f"/api/v1/consent-requests/{request_id}/override", json={"reason": "Risk"}, headers=olu)
    assert refused.status_code == 403 and refused.json["error"]["field"] == "reason"


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_knowsley_reads_by_line_only(client: Any, org: Any, olu: dict[str, str]) -> None:
    asked = client.post("/api/v1/consent-requests", json={"supervisee_id": org.ids["worker"], "reason": REASON},
                        headers=olu)
    assert asked.status_code == 403 and asked.json["error"]["field"] == "supervisee_id"
    assert client.get("/consent-requests", headers={**olu, **HTML}).status_code == 200
