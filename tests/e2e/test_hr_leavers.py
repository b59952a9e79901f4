"""HR can act at once (issue 18): a leaver is on HR's page as soon as a leaving date is set, with
the dates their records freeze, go to HR and are destroyed; HR can forward them early with a
reason (audited, once); the bundle can be downloaded straight after; and every refusal a browser
meets is a GOV.UK page, not a cancelled download or JSON. Both databases.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from sqlalchemy import func, select

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from kernel import clock
from storage.models import AuditEvent, OutboxMessage, Person
from tests.e2e.test_web_pages import HTML, config, post, sign_in, text  # noqa: F401  (config: own rate limits)
from tests.etags import read_then_change

REASON = "Employment tribunal has asked for the employee's file"


def at(day: dt.date) -> None:
    moment = dt.datetime.combine(day, dt.time(10))
    clock.set_clock(lambda: moment)


def leaving(client: Any, org: Any, who: str, day: str) -> None:
    """A leaving date typed on the person, as an administrator's edit does: recorded as a leaving
    (`movers.mark_leaver`), with no freeze until it comes."""
    url = f"/api/v1/people/{org.ids[who]}"
    edited = client.patch(url, json={"leave_date": day}, headers=read_then_change(client, url, org.auth("hr")))
    assert edited.status_code == 200, edited.json


def a_record(client: Any, org: Any) -> int:
    made = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2027-01-04"},
                       headers=org.auth("manager"))
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def forwards(app: Any, person_id: int) -> list[AuditEvent]:
    with app.extensions["docgen"].sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.forward_to_hr",
                                                        AuditEvent.object_id == str(person_id))))


def test_a_leaver_is_on_hrs_page_at_once_with_what_happens_when(client: Any, org: Any) -> None:
    at(dt.date(2027, 1, 4))
    assert client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "2027-01-29"},
                       headers=org.auth("hr")).status_code == 200
    sign_in(client, "hr")

    page = text(client.get("/hr/leavers", headers=HTML))

    card = page[page.index(f'id="leaver-{org.ids["worker"]}"'):]
    assert "Alex Morgan" in card and "29 January 2027 (coming)" in card
    assert "Will be frozen on 29 January 2027, the leaving date" in card
    assert "Due on 29 July 2027" in card and "Due on 29 July 2034" in card
    assert f"/hr/leavers/{org.ids['worker']}/forward" not in page  # still at work: not yet


def test_hrs_first_screen_explains_the_terms_and_what_to_do_when_nobody_is_leaving(client: Any, org: Any) -> None:
    sign_in(client, "hr")

    page = text(client.get("/hr/leavers", headers=HTML))

    assert "Nobody has a leaving date at the moment." in page
    assert "find them below</a> and record their leaving date" in page
    assert "ask an administrator" not in page  # HR records it on its own form (`/hr/people/<id>/leaving`)
    assert "govuk-details" in page and "Records frozen" in page and "Forwarded to HR" in page
    assert "6 months after the leaving date" in page.replace("6 Months", "6 months")


def test_hr_forwards_early_with_a_reason_once_and_downloads_the_bundle_straight_away(
        client: Any, app: Any, org: Any) -> None:
    at(dt.date(2027, 1, 4))
    a_record(client, org)
    leaving(client, org, "worker", "2027-01-29")
    sign_in(client, "hr")
    worker = org.ids["worker"]
    bundle = f"/hr/leavers/{worker}/bundle"

    early = client.get(bundle, headers=HTML)  # not left yet
    assert early.status_code == 409 and early.mimetype == "text/html"
    assert "has not been forwarded to HR yet" in text(early).replace("have not", "has not")
    assert "forward them early" in text(early)
    at(dt.date(2027, 2, 1))  # left; the nightly run has not been

    form = f"/hr/leavers/{worker}/forward"
    blank = post(client, form, {"reason": "  "})
    assert blank.status_code == 422 and 'href="#reason"' in text(blank)
    assert "Enter why the records must go to HR now" in text(blank) and not forwards(app, worker)

    done = post(client, form, {"reason": REASON})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/hr/leavers/{worker}/forwarded")
    assert "Records forwarded to HR" in text(client.get(done.headers["Location"], headers=HTML))
    again = post(client, form, {"reason": REASON}, page=f"/hr/leavers/{worker}/forwarded")
    assert again.status_code == 303

    [event] = forwards(app, worker)
    assert (event.actor_id, event.reason, event.detail["early"]) == (org.ids["hr"], REASON, True)
    with app.extensions["docgen"].sessions() as db:
        person = db.get_one(Person, worker)
        assert (person.records_frozen_on, person.forwarded_to_hr_on) == (dt.date(2027, 2, 1), dt.date(2027, 2, 1))
        assert db.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.subject.contains("forwarded to HR"))) == 1
    downloaded = client.get(bundle, headers=HTML)
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/zip"
    assert any(name.endswith("manifest.json") for name in zipfile.ZipFile(io.BytesIO(downloaded.data)).namelist())
    page = text(client.get("/hr/leavers", headers=HTML))
    assert "Forwarded early on 1 February 2027 (due on 29 July 2027)" in page and f"/hr/leavers/{worker}/forward\"" not in page


def test_forwarding_before_the_leaving_date_is_refused_on_the_form(client: Any, app: Any, org: Any) -> None:
    at(dt.date(2027, 1, 4))
    leaving(client, org, "worker", "2027-01-29")
    sign_in(client, "hr")

    refused = post(client, f"/hr/leavers/{org.ids['worker']}/forward", {"reason": REASON})

    assert refused.status_code == 409 and "govuk-error-summary" in text(refused)
    assert "leaves on 29 January 2027" in text(refused) and REASON.replace("'", "&#39;") in text(refused)
    assert not forwards(app, org.ids["worker"])


def test_a_leaver_with_nothing_to_export_gets_a_page_saying_so(client: Any, org: Any) -> None:
    at(dt.date(2027, 1, 4))
    leaving(client, org, "asye", "2027-01-04")
    assert client.post(f"/api/v1/people/{org.ids['asye']}/forward-to-hr", json={"reason": REASON},
                       headers=org.auth("hr")).status_code == 200
    sign_in(client, "hr")

    answer = client.get(f"/hr/leavers/{org.ids['asye']}/bundle", headers=HTML)

    assert answer.status_code == 409 and answer.mimetype == "text/html"
    assert "nothing to export" in text(answer) and "Go back to leavers" in text(answer)
    missing = client.get("/hr/leavers/424242/bundle", headers=HTML)
    assert missing.status_code == 404 and missing.mimetype == "text/html" and "Page not found" in text(missing)


def test_the_api_forwards_early_for_hr_only_with_a_reason_and_once(client: Any, app: Any, org: Any) -> None:
    at(dt.date(2027, 1, 4))
    a_record(client, org)
    leaving(client, org, "worker", "2027-01-04")
    url = f"/api/v1/people/{org.ids['worker']}/forward-to-hr"

    assert client.post(url, json={}, headers=org.auth("hr")).status_code == 422
    blank = client.post(url, json={"reason": ""}, headers=org.auth("hr"))
    assert blank.status_code == 422 and blank.json["error"]["field"] == "reason"
    for who in ("admin", "manager", "auditor"):
        assert client.post(url, json={"reason": REASON}, headers=org.auth(who)).status_code == 403, who
    # Alex left today: their own token no longer signs them in
    assert client.post(url, json={"reason": REASON}, headers=org.auth("worker")).status_code == 401
    assert not forwards(app, org.ids["worker"])

    first = client.post(url, json={"reason": REASON}, headers=org.auth("hr"))
    second = client.post(url, json={"reason": REASON}, headers=org.auth("hr"))

    assert first.status_code == second.status_code == 200
    assert (first.json["forwarded_now"], second.json["forwarded_now"]) == (True, False)
    assert first.json["forwarded_to_hr_on"] == "2027-01-04" and first.json["destroy_on"] == "2034-07-04"
    assert len(forwards(app, org.ids["worker"])) == 1
    assert client.get(f"/api/v1/people/{org.ids['worker']}/export", headers=org.auth("hr")).status_code == 200
    assert "post" in client.get("/api/v1/openapi.json").json["paths"]["/people/{person_id}/forward-to-hr"]
