"""Supervision hours and attendance (issue 25 item 3) in Chromium: a supervisor opens a supervisee's
log from their history, a head of service a team's from the compliance report; each page checked
with axe and photographed, at desktop size and on a phone."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_phone_journey import fits, phone  # noqa: F401  (a touch phone)
from tests.e2e.browser.test_reports_journey import record_id  # noqa: F401  (a record of last week's to count)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_a_supervisor_reads_a_supervisees_hours_and_attendance(page: Page, site: str, accessible: Any,
                                                               record_id: int) -> None:
    sign_in(page, site, "manager", accessible)
    page.get_by_role("link", name="Alex Morgan").first.click()
    page.get_by_role("link", name="Supervision hours and attendance of Alex Morgan").click()
    expect(page.get_by_role("heading", name="Supervision hours and attendance")).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Month by month"))).to_contain_text("every 1 month")
    expect(page.get_by_role("link", name="Download CSV of Alex Morgan’s supervision log")).to_have_attribute(
        "href", re.compile(r"/supervision/\d+/log\.csv\?from=\d{4}-\d{2}&to=\d{4}-\d{2}"))
    accessible(page, "supervision-log")

    page.get_by_label("From month").fill("April")
    page.get_by_role("button", name="Show the log").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("From must be a month like")
    accessible(page)


def test_a_head_of_service_reads_a_teams_hours_from_the_compliance_report(page: Page, site: str, accessible: Any,
                                                                          record_id: int) -> None:
    sign_in(page, site, "head", accessible)
    page.goto(f"{site}/reports/compliance")
    page.get_by_role("link", name="supervision hours and attendance").click()
    accessible(page)
    page.get_by_label("Team").select_option(label="Children in Need 1")
    page.get_by_role("button", name="Show the log").click()
    expect(page.get_by_role("table", name="The team month by month")).to_be_visible()
    expect(page.get_by_role("table", name="Each person over the months")).to_contain_text("Alex Morgan")
    accessible(page, "supervision-log-team")


def test_the_logs_fit_a_phone(phone: Page, site: str, accessible: Any, org: Any, record_id: int) -> None:
    sign_in(phone, site, "head", accessible)
    phone.goto(f"{site}/supervision/{org.ids['worker']}/log")
    expect(phone.get_by_role("heading", name="Supervision hours and attendance")).to_be_visible()
    fits(phone, accessible, "supervision-log-phone")
    phone.goto(f"{site}/reports/supervision-log?team_id={org.team.id}")
    expect(phone.get_by_role("table", name="The team month by month")).to_be_visible()
    fits(phone, accessible, "supervision-log-team-phone")
