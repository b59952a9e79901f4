"""Group supervision in Chromium (issue 14): a team manager sets up a group of three, plans a
session, marks attendance and writes the plain group record (a child's name refused in the case
IDs, the field named); a member who was present reads it. Every page checked with axe."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kernel import clock
from tests.e2e.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_a_manager_runs_a_group_session_and_a_member_present_reads_its_record(
        page: Page, site: str, accessible: Any) -> None:
    sign_in(page, site, "manager", accessible)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Group supervision").click()
    expect(page.get_by_role("heading", name="Group supervision", exact=True)).to_be_visible()
    accessible(page, "groups")

    page.get_by_role("link", name="Set up a group").click()
    page.get_by_role("button", name="Set up the group").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("give the group a name")
    accessible(page)
    page.get_by_label("Name of the group").fill("CIN 1 action learning")
    page.get_by_label("Facilitator").select_option(label="Sam Whitfield")
    for name in ("Alex Morgan", "Priya Patel"):
        page.get_by_role("group", name="Members").get_by_label(name).check()
    page.get_by_role("button", name="Set up the group").click()
    expect(page.get_by_role("heading", name="CIN 1 action learning")).to_be_visible()
    accessible(page, "group")

    day = clock.today() + dt.timedelta(days=1)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Location").fill("Huyton, room 2")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.get_by_role("table", name="Sessions of CIN 1 action learning, latest first")).to_contain_text("Planned")
    accessible(page)

    later = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(9))
    clock.set_clock(lambda: later)
    page.get_by_role("link", name="Attendance").click()
    page.get_by_role("group", name="Alex Morgan").get_by_label("Present").check()
    page.get_by_role("group", name="Priya Patel").get_by_label("Apologies").check()
    accessible(page, "group-attendance")
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_role("button", name="Start the record").click()
    expect(page.get_by_role("heading", name="Group supervision record")).to_be_visible()
    accessible(page, "group-record-edit")

    page.get_by_label("Case IDs discussed").fill("104233, Jane Smith")
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("'Jane Smith' is not a case ID")
    accessible(page)
    page.get_by_label("Case IDs discussed").fill("104233")
    page.get_by_label("Discussion").fill("Working with fathers who avoid visits.")
    page.get_by_role("button", name="Save the record").click()
    expect(page.get_by_text("The record is saved")).to_be_visible()
    record_url = page.url

    sign_in(page, site, "worker", accessible)
    page.goto(record_url)
    expect(page.get_by_text("Working with fathers who avoid visits.")).to_be_visible()
    expect(page.get_by_text("Alex Morgan", exact=True)).to_be_visible()
    accessible(page, "group-record")
    page.goto(f"{site}/groups/attendance")
    accessible(page, "group-attendance-report")

    sign_in(page, site, "asye", accessible)  # sent apologies: the record is not theirs to read
    assert page.goto(record_url).status == 404
