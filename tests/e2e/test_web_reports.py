"""The compliance report, session planning, reasons for restricted reads, the supervisee's signed PDFs
and sign-ins made by an administrator, through the pages on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from storage.models import Account, AuditEvent, OutboxMessage, PlannedSession, Record
from storage.filing import file_document
from tests.e2e.test_web_pages import (  # noqa: F401
    HTML,
    PASSWORD,
    config,
    post,
    sign_in,
    start_record,
    text,
)
from kernel import clock
from workflows import accounts, compliance, compliance_report, people
from workflows.profiles import load_profile

TODAY = dt.datetime(2025, 6, 10, 9, 0)  # a Tuesday
PERIOD = {"start": ["1", "3", "2025"], "end": ["31", "5", "2025"]}


@pytest.fixture(autouse=True)
def fixed_clock() -> None:
    clock.set_clock(lambda: TODAY)


def report_url(**query: Any) -> str:
    parts = [f"{name}={value}" for name, values in {"scope": ["all"], **PERIOD, **query}.items()
             for value in ([values] if isinstance(values, str) else values)]
    return "/reports/compliance?" + "&".join(parts)


def figures(page: str) -> list[dict[str, str]]:
    """The rows of the table beside the chart, as report_table gives them."""
    table = page.split("The chart’s figures", 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<th scope="row" class="govuk-table__header"[^>]*>([^<]*)</th>\s*'
                       r'<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>', table)
    return [{"measure": html.unescape(m), "count": c, "total": t, "percent": p} for m, c, t, p in cells]


# --- compliance report -------------------------------------------------------------------------

def test_a_supervisors_report_shows_the_figures_team_report_gives_for_the_people_they_oversee(
        client: Any, org: Any, app: Any, db: Any) -> None:
    sign_in(client, "manager")
    start_record(client, org, dt.date(2025, 3, 3))
    start_record(client, org, dt.date(2025, 4, 7))
    page = client.get(report_url(), headers=HTML)
    assert page.status_code == 200, text(page)
    expected = compliance.team_report(db, app.extensions["docgen"].profile, start=dt.date(2025, 3, 1),
                                      end=dt.date(2025, 5, 31),
                                      supervisee_ids=people.overseen_by(db, org.ids["manager"], TODAY.date()))
    assert figures(text(page)) == compliance_report.report_table(expected)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in text(page) and " style=" not in text(page)
    assert "Everyone you oversee" in text(page) and "Overdue now" in text(page)
    assert "Agreements out of date" in text(page)


def test_a_report_for_one_team_names_the_team(client: Any, org: Any) -> None:
    sign_in(client, "auditor")
    page = text(client.get(report_url(scope=f"team-{org.team.id}"), headers=HTML))
    assert "Whole organisation" in page and "Children in Need 1" in page


@pytest.mark.parametrize("query, href, message", [
    ({"start": ["31", "2", "2025"]}, "#start-day", "From must be a real date"),
    ({"end": ["", "5", "2025"]}, "#end-day", "To must include a day"),
    ({"start": ["1", "6", "2025"], "end": ["1", "5", "2025"]}, "#end-day", "The period ends before it starts"),
])
def test_bad_dates_are_named_in_the_error_summary(client: Any, org: Any, query: dict[str, Any], href: str,
                                                  message: str) -> None:
    sign_in(client, "manager")
    page = client.get(report_url(**query), headers=HTML)
    assert page.status_code == 400
    assert "govuk-error-summary" in text(page) and f'href="{href}"' in text(page) and message in text(page)
    assert "<svg" not in text(page)


def test_someone_who_oversees_nobody_may_not_see_a_report(client: Any, org: Any) -> None:
    sign_in(client, "worker")
    page = client.get(report_url(), headers=HTML)
    assert page.status_code == 403 and "Children in Need 1" not in text(page)
    assert "/reports/compliance" not in text(client.get("/my-records", headers=HTML))  # nor in the menu


def test_the_csv_link_downloads_the_same_report(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    start_record(client, org, dt.date(2025, 3, 3))
    page = text(client.get(report_url(), headers=HTML))
    href = html.unescape(re.search(r'href="([^"]+)" download>Download CSV', page).group(1))
    assert "format=csv" in href and "from=2025-03-01" in href and "to=2025-05-31" in href
    csv = client.get(href)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert all(f"measure,{row['measure']},,,,{row['count']},{row['total']}" in csv.get_data(as_text=True)
               for row in figures(page))


# --- planning ----------------------------------------------------------------------------------

def sessions_url(org: Any) -> str:
    return f"/supervision/{org.ids['worker']}/sessions"


def plan(client: Any, org: Any, day: list[str], time: str = "10:30") -> Any:
    return post(client, sessions_url(org), {"day": day, "time": time, "minutes": "60", "location": "Room 2"})


def test_a_session_is_planned_cancelled_and_rebooked(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    assert client.get(sessions_url(org), headers=HTML).status_code == 200

    planned = plan(client, org, ["20", "6", "2025"])
    assert planned.status_code == 302, text(planned)
    session = db.scalars(select(PlannedSession)).one()
    assert session.starts_at == dt.datetime(2025, 6, 20, 9, 30)  # 10:30 in London is 09:30 UTC in June
    invitations = db.scalars(select(OutboxMessage).where(OutboxMessage.subject.startswith("Supervision:"))).all()
    assert {m.to_address for m in invitations} == {"worker@knowsley.example.org", "manager@knowsley.example.org"}
    page = text(client.get(sessions_url(org), headers=HTML))
    assert "20 June 2025 at 10:30" in page and f"/api/v1/sessions/{session.id}/ics" in page

    ics = client.get(f"/api/v1/sessions/{session.id}/ics")
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert ics.status_code == 200 and str(event["UID"]) == session.uid
    assert event.decoded("DTSTART") == dt.datetime(2025, 6, 20, 9, 30, tzinfo=dt.UTC)

    cancelled = post(client, f"/supervision/sessions/{session.id}/cancel", {}, page=sessions_url(org))
    assert cancelled.status_code == 302
    assert "Rebook by 17 June 2025" in text(client.get(sessions_url(org), headers=HTML))  # five working days
    clock.set_clock(lambda: dt.datetime(2025, 6, 18, 9, 0))
    assert "Rebook overdue" in text(client.get(sessions_url(org), headers=HTML))

    rebook = f"/supervision/sessions/{session.id}/rebook"
    assert 'value="Room 2"' in text(client.get(rebook, headers=HTML))
    rebooked = post(client, rebook, {"day": ["24", "6", "2025"], "time": "14:00", "minutes": "45",
                                     "location": "Room 2"})
    assert rebooked.status_code == 302, text(rebooked)
    db.expire_all()
    new = db.get(PlannedSession, db.get(PlannedSession, session.id).rebooked_as_id)
    assert (new.status, new.starts_at, new.minutes) == ("planned", dt.datetime(2025, 6, 24, 13, 0), 45)
    page = text(client.get(sessions_url(org), headers=HTML))
    assert "Rebook overdue" not in page and "Rebooked" in page


def test_a_session_beyond_the_planning_horizon_is_named_in_the_error_summary(client: Any, org: Any,
                                                                              db: Any) -> None:
    sign_in(client, "manager")
    refused = plan(client, org, ["20", "1", "2026"])
    assert refused.status_code == 400 and 'href="#day-day"' in text(refused)
    assert "beyond the planning horizon" in text(refused)
    bad_time = plan(client, org, ["20", "6", "2025"], time="half ten")
    assert bad_time.status_code == 400 and 'href="#time"' in text(bad_time)
    assert db.scalars(select(PlannedSession)).all() == []


def test_someone_unrelated_cannot_see_or_plan_a_supervisees_sessions(client: Any, org: Any) -> None:
    sign_in(client, "asye")
    assert client.get(sessions_url(org), headers=HTML).status_code == 404


# --- reasons for restricted reads --------------------------------------------------------------

def give_reason(client: Any, record_id: int, reason: str) -> Any:
    return post(client, "/read-reason", {"reason": reason, "next": f"/records/{record_id}"},
                page=f"/records/{record_id}")


def test_an_auditor_is_asked_why_and_the_read_is_audited_with_the_reason(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    sign_in(client, "auditor")
    asked = client.get(f"/records/{record_id}", headers=HTML)
    assert asked.status_code == 403 and "Why do you need to read this record?" in text(asked)
    assert "will be e-mailed" not in text(asked)

    empty = give_reason(client, record_id, "   ")
    assert empty.status_code == 400 and 'href="#reason"' in text(empty)
    given = give_reason(client, record_id, "Quarterly case file audit")
    assert given.status_code == 302 and given.headers["Location"] == f"/records/{record_id}"
    assert "reason=" not in given.headers["Location"]  # the reason stays out of URLs and logs
    opened = client.get(f"/records/{record_id}", headers=HTML)
    assert opened.status_code == 200 and "Supervision record R-" in text(opened)
    read = db.scalars(select(AuditEvent).where(AuditEvent.action == "record.read",
                                               AuditEvent.actor_id == org.ids["auditor"])).one()
    assert (read.reason, read.detail["basis"]) == ("Quarterly case file audit", "auditor")
    db.commit()  # end the read: on SQLite a transaction holds the write lock (BEGIN IMMEDIATE)

    clock.set_clock(lambda: TODAY + dt.timedelta(minutes=16))  # the reason is kept for 15 minutes
    assert client.get(f"/records/{record_id}", headers=HTML).status_code == 403


def test_a_reason_is_kept_for_its_own_document_only(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    first, second = start_record(client, org), start_record(client, org, dt.date(2025, 4, 7))
    sign_in(client, "auditor")
    give_reason(client, first, "Complaint review")
    assert client.get(f"/records/{first}/docx", headers=HTML).status_code == 200  # the same record's Word file
    assert client.get(f"/records/{second}", headers=HTML).status_code == 403
    outside = post(client, "/read-reason", {"reason": "x", "next": "//elsewhere.example/records/1"},
                   page=f"/records/{second}")
    assert outside.status_code == 400


def test_a_senior_manager_breaking_glass_is_warned_and_the_supervisee_is_emailed(
        client: Any, org: Any, app: Any, db: Any) -> None:
    services = app.extensions["docgen"]
    with services.sessions.begin() as setup:  # outside the team's management chain
        head = people.create_person(setup, services.organisation(setup), load_profile("knowsley"), {
            "name": "Rita Shah", "email": "rita@knowsley.example.org", "role": "head_of_service",
            "job_title": "Head of Adult Services", "employment_start": dt.date(2020, 1, 6)})
        accounts.create_account(setup, head, PASSWORD, ["senior_manager"])
    sign_in(client, "manager")
    record_id = start_record(client, org)
    sign_in(client, "rita")
    asked = text(client.get(f"/records/{record_id}", headers=HTML))
    assert "break-glass" in asked and "will be e-mailed that you read it" in asked
    give_reason(client, record_id, "Serious incident review SI-204")
    assert client.get(f"/records/{record_id}", headers=HTML).status_code == 200
    told = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "worker@knowsley.example.org",
                                                  OutboxMessage.subject.contains("break-glass"))).one()
    assert "Serious incident review SI-204" in told.text_body and "Rita Shah" in told.text_body


# --- the supervisee's signed PDFs --------------------------------------------------------------

def test_a_supervisee_is_offered_the_signed_pdf_only_of_sealed_documents(client: Any, org: Any, app: Any) -> None:
    sign_in(client, "manager")
    sealed, waiting, draft = (start_record(client, org, dt.date(2025, m, 3)) for m in (3, 4, 5))
    services = app.extensions["docgen"]
    with services.sessions.begin() as setup:
        for record_id in (sealed, waiting):
            setup.get(Record, record_id).status = "signed"
        file_document(setup, services.store, record=setup.get(Record, sealed), version=1, kind="final_pdf",
                      data=b"%PDF-1.7 sealed")
    sign_in(client, "worker")
    page = text(client.get("/my-records", headers=HTML))
    assert f"/api/v1/records/{sealed}/pdf" in page and page.count("Download the signed PDF") == 1
    assert f"/api/v1/records/{waiting}/pdf" not in page and "The signed PDF is being prepared" in page
    assert f"/api/v1/records/{draft}/pdf" not in page
    pdf = client.get(f"/api/v1/records/{sealed}/pdf")
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.7 sealed"


# --- sign-ins made by an administrator ---------------------------------------------------------

def test_an_administrator_creates_a_sign_in_that_then_works(client: Any, org: Any, app: Any, db: Any) -> None:
    services = app.extensions["docgen"]
    with services.sessions.begin() as setup:
        person = people.create_person(setup, services.organisation(setup), load_profile("knowsley"), {
            "name": "Jo Bloggs", "email": "jo@knowsley.example.org", "role": "social_worker",
            "employment_start": dt.date(2025, 4, 1)})
        person_id = person.id
    sign_in(client, "admin")
    assert "Create a sign-in for Jo Bloggs" in text(client.get(f"/admin/people/{person_id}", headers=HTML))
    url = f"/admin/people/{person_id}/account"
    mismatch = post(client, url, {"password": "a-long-secret-1", "confirm": "a-long-secret-2", "roles": ["auditor"]})
    assert mismatch.status_code == 400 and 'href="#confirm"' in text(mismatch)
    assert "a-long-secret" not in text(mismatch)  # passwords are never shown back
    short = post(client, url, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and 'href="#password"' in text(short) and "at least 12" in text(short)
    made = post(client, url, {"password": "a-long-secret-1", "confirm": "a-long-secret-1", "roles": ["auditor"]})
    assert made.status_code == 302, text(made)
    assert db.scalar(select(Account.roles).where(Account.person_id == person_id)) == ["auditor"]
    db.commit()  # end the read: on SQLite a transaction holds the write lock (BEGIN IMMEDIATE)
    assert "Create a sign-in for Jo Bloggs" not in text(client.get(f"/admin/people/{person_id}", headers=HTML))

    signed = post(client, "/sign-in", {"email": "jo@knowsley.example.org", "password": "a-long-secret-1"})
    assert signed.status_code == 302 and signed.headers["Location"] == "/my-records"
