"""A team manager starts the team's records from the page, in Chromium (issue 16): the form with
an error, the progress while the workers have not run yet, "Continue" after a restart lost the
tasks, and the finished count. Every page checked with axe; the progress page photographed."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_a_manager_starts_the_team_records_and_continues_them_after_a_restart(
        page: Page, site: str, accessible: Any, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    huey = app.extensions["docgen.tasks"].huey
    sign_in(page, site, "manager", accessible)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Start records for a team").click()
    expect(page.get_by_role("heading", name="Start records for a team")).to_be_visible()
    accessible(page, "bulk-start")

    page.get_by_role("button", name="Start the records").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter date of the supervision sessions")
    accessible(page)

    monkeypatch.setattr(huey, "immediate", False)  # the workers are down: the tasks wait, then are lost
    day = dt.date.today()
    group = page.get_by_role("group", name="Date of the supervision sessions")
    for label, value in (("Day", day.day), ("Month", day.month), ("Year", day.year)):
        group.get_by_label(label).fill(str(value))
    page.get_by_label("Team or service").select_option(label="Team: Children in Need 1")
    page.get_by_role("button", name="Start the records").click()
    expect(page.get_by_role("heading", name="Starting records")).to_be_visible()
    expect(page.locator("#bulk-count")).to_contain_text("0 of 2 started, 2 to do")
    accessible(page, "bulk-start-progress")

    huey.flush()
    monkeypatch.setattr(huey, "immediate", True)  # the workers are back
    page.get_by_role("button", name="Continue starting the records").click()
    expect(page.get_by_role("heading", name="Records started")).to_be_visible()
    expect(page.locator("#bulk-count")).to_have_text("2 of 2 started")
    accessible(page)
    page.get_by_role("link", name="Back to starting records").click()
    expect(page.get_by_role("table", name="Records you started, latest first")).to_contain_text("2 of 2 started")
    accessible(page)
