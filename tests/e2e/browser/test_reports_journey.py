"""Journeys through the compliance report, session planning and the reason form, in Chromium, each
page checked with axe and the main ones photographed."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from storage.models import Person
from tests.e2e.browser.test_journeys import sign_in
from workflows import records

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def record_id(app: Any, org: Any) -> int:
    """A record of Alex Morgan's from last week, so a report or a log has a session to count."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        record = records.create_record(db, services.profile, db.get(Person, org.ids["worker"]),
                                       dt.date.today() - dt.timedelta(days=7))
        db.flush()
        return record.id


def test_a_supervisor_reads_the_compliance_report_and_plans_a_session(page: Page, site: str, accessible: Any,
                                                                       record_id: int) -> None:
    sign_in(page, site, "manager", accessible)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Compliance").click()
    expect(page.get_by_role("heading", name="Supervision compliance")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Everyone you oversee, "))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("^Supervision compliance, "))).to_be_visible()
    expect(page.get_by_role("table", name="The chart’s figures")).to_contain_text("Supervisions held on time")
    csv = page.get_by_role("link", name="Download CSV of this report")
    expect(csv).to_have_attribute("href", re.compile("format=csv"))
    accessible(page, "compliance-report")

    page.get_by_role("group", name="From").get_by_label("Day").fill("31")
    page.get_by_role("group", name="From").get_by_label("Month").fill("2")
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("From must be a real date")
    accessible(page)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="My supervisees").click()
    page.get_by_role("link", name="Plan sessions with Alex Morgan").click()
    expect(page.get_by_role("heading", name="Planned sessions")).to_be_visible()
    accessible(page)
    day = dt.date.today() + dt.timedelta(days=7)
    group = page.get_by_role("group", name="Date of the session")
    for label, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        group.get_by_label(label).fill(str(value))
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("Location").fill("Room 2, Huyton")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("have been sent the invitation")
    page.get_by_role("button", name=re.compile("^Cancel the session on")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("rebook it by")
    expect(page.get_by_role("link", name=re.compile("^Rebook the session of"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Download invitation"))).to_have_attribute(
        "href", re.compile(r"/api/v1/sessions/\d+/ics"))
    accessible(page, "planning")


def test_an_auditor_gives_a_reason_before_reading_a_record(page: Page, site: str, accessible: Any,
                                                           record_id: int) -> None:
    sign_in(page, site, "auditor", accessible)
    page.goto(f"{site}/records/{record_id}")
    expect(page.get_by_role("heading", name="Why do you need to read this record?")).to_be_visible()
    accessible(page, "reason-form")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you need to read this record")
    accessible(page)
    page.get_by_label("Why do you need to read this record?").fill("Quarterly case file audit")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile("Supervision record R-"))).to_be_visible()
    accessible(page)
