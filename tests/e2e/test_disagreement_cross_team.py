"""A disagreement goes to "the supervisor's line manager" (S §9, W §17, H §13), who may be outside
the supervisee's own line: Pat, managed by Lou, supervises Kim from another team (Kim's line
manager is Dana). Lou is e-mailed the disagreement, opens it, and records the outcome, each reading
audited on the basis of the route; Kim's record itself stays closed to Lou, and nobody else gains
the disagreement, Dana included.

The list of disagreements is an index (who, what, when, where the route stands): what was said is
on each disagreement's page, an audited read, so listing writes no audit entry and shows none of it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from kernel import clock
from storage.models import AuditEvent, Person, Record, SignoffEvent
from tests.e2e.test_email_links_reach_readers import (_mail_to, _path, _signed_in, _supervising_across_teams,
                                                      config, profile_name)  # noqa: F401  (mail to a test server)
from tests.e2e.test_web_pages import HTML, words
from tests.mailbox import Mailbox

COMMENT = "The supervision date is wrong"


def _kim_disagreed(app: Any, org: Any) -> dict[str, Any]:
    """Kim disagreed with Pat's record of their September session, and it still waits for Pat; the
    hourly task tells Pat's line manager, Lou."""
    ids = _supervising_across_teams(app, org)
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        record = db.get_one(Record, ids["record"])
        record.session_date, record.status = dt.date(2026, 9, 7), "changes_requested"
        db.add(SignoffEvent(record_id=record.id, version=record.version, event="disagreed", person_id=ids["kim"],
                            at=dt.datetime(2026, 9, 10, 10), comment=COMMENT))
    services.enqueue("disagreement_route")
    return ids


def _audited(app: Any, person_id: int) -> list[AuditEvent]:
    with app.extensions["docgen"].sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.actor_id == person_id).order_by(AuditEvent.id)))


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_the_supervisors_line_manager_outside_the_supervisees_line_opens_and_settles_the_disagreement(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    ids = _kim_disagreed(app, org)
    mail = _mail_to(mailbox, "lou@knowsley.example.org", "A supervision disagreement for you")
    url = _path(mail)
    escalation_id = int(url.rsplit("/", 1)[1])
    assert url == f"/disagreements/{escalation_id}"

    lou = _signed_in(app, "lou", 21)
    page = lou.get(url, headers=HTML)
    assert page.status_code == 200
    for seen in ("Kim Lee", "Pat Quinn", COMMENT, "Record the outcome"):
        assert seen in words(page), seen
    done = client.post(f"/api/v1/disagreements/{escalation_id}/outcome", headers=ids["lou_api"], json={
        "outcome": "three_way", "outcome_text": "Date corrected to 8 September", "meeting_on": clock.today().isoformat()})
    assert done.status_code == 200, done.json
    assert done.json["outcome"] == "three_way" and done.json["outcomes"] == []
    events = client.get(f"/api/v1/records/{ids['record']}/signoff", headers=org.auth("head")).json["events"]
    assert [e["event"] for e in events][-1] == "three_way_meeting"

    # Each reading is audited against the record, on the basis of the route, not of the line.
    read = [(a.action, a.object_type, a.object_id, a.detail.get("basis"), a.detail.get("disagreement_id"))
            for a in _audited(app, ids["lou"]) if a.action in ("disagreement.read", "disagreement.outcome")
            and a.object_type == "record"]
    assert read == [("disagreement.read", "record", str(ids["record"]), "disagreement_line_manager", escalation_id),
                    ("disagreement.outcome", "record", str(ids["record"]), "disagreement_line_manager", escalation_id)]

    # The record itself stays closed to Lou; nobody else gains the disagreement: not a manager with
    # no part in it, not Kim's own line manager, not the supervisor or the supervisee.
    assert lou.get(f"/records/{ids['record']}", headers=HTML).status_code == 404
    assert client.get(f"/api/v1/records/{ids['record']}", headers=ids["lou_api"]).status_code == 404
    for who in ("manager", "head"):
        assert client.get(f"/api/v1/disagreements/{escalation_id}", headers=org.auth(who)).status_code == 404
        refused = client.post(f"/api/v1/disagreements/{escalation_id}/outcome", headers=org.auth(who), json={
            "outcome": "hr", "outcome_text": "x"})
        assert refused.status_code == 404
        assert client.get("/api/v1/disagreements", headers=org.auth(who)).json["items"] == []
    sam = _signed_in(app, "manager", 22)
    assert sam.get(url, headers=HTML).status_code == 404
    for key in ("pat", "kim"):
        assert _signed_in(app, key, 23 if key == "pat" else 24).get(url, headers=HTML).status_code == 404


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_the_list_of_disagreements_is_an_index_and_writes_no_audit_entry(app: Any, client: Any, org: Any) -> None:
    ids = _kim_disagreed(app, org)
    lou = _signed_in(app, "lou", 25)
    with app.extensions["docgen"].sessions() as db:
        before = db.scalar(select(func.count(AuditEvent.id)))

    listed = client.get("/api/v1/disagreements", headers=ids["lou_api"])
    [item] = listed.json["items"]
    assert (item["document"], item["supervisee_name"], item["supervisor_name"], item["outcome"], item["outcomes"]) == (
        f"R-{ids['record']:06d}", "Kim Lee", "Pat Quinn", "", ["three_way", "hr"])
    assert [e["event"] for e in item["events"]] == ["line_manager_told"]
    assert not {"disagreement", "outcome_text"} & set(item) and all("comment" not in e for e in item["events"])
    assert COMMENT not in listed.get_data(as_text=True)
    page = lou.get("/disagreements", headers=HTML)
    assert "Kim Lee" in words(page) and f'href="/disagreements/{item["id"]}"' in page.get_data(as_text=True)
    assert COMMENT not in words(page)
    with app.extensions["docgen"].sessions() as db:
        assert db.scalar(select(func.count(AuditEvent.id))) == before

    # What was said is on the disagreement's own page, and reading it is audited.
    assert COMMENT in client.get(f"/api/v1/disagreements/{item['id']}", headers=ids["lou_api"]).json["disagreement"]
    assert [a.detail["basis"] for a in _audited(app, ids["lou"]) if a.action == "disagreement.read"] == [
        "disagreement_line_manager"]


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_supervisors_line_manager_loses_the_disagreement_once_the_records_go_to_hr(
        app: Any, client: Any, org: Any) -> None:
    """As the supervisee's own line does (S 12.4): the route gives no reading the line would not."""
    ids = _kim_disagreed(app, org)
    [item] = client.get("/api/v1/disagreements", headers=ids["lou_api"]).json["items"]
    with app.extensions["docgen"].sessions.begin() as db:
        db.get_one(Person, ids["kim"]).forwarded_to_hr_on = clock.today()
    assert client.get(f"/api/v1/disagreements/{item['id']}", headers=ids["lou_api"]).status_code == 404
    assert client.get("/api/v1/disagreements", headers=ids["lou_api"]).json["items"] == []
