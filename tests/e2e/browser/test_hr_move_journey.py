"""HR moves a worker in Chromium: from the leavers and transfers page HR finds Alex Morgan by name,
opens the move page, is told to choose a change when none is chosen, then moves Alex to another
team and to Dana Okafor's supervision from today and sees the banner saying so on the leavers page,
with the change in the recent changes. Each page is checked with axe and photographed."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from kernel import clock
from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.test_hr_move import second_team

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_hr_finds_a_worker_moves_them_to_a_new_team_and_supervisor_and_sees_the_banner(
        page: Page, site: str, accessible: Any, app: Any, org: Any) -> None:
    second_team(app.test_client(), org)
    today = clock.today()
    sign_in(page, site, "hr", accessible)
    expect(page.get_by_role("heading", name="Move someone to another team or supervisor")).to_be_visible()
    page.get_by_label("Find the person to move").fill("Alex")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("table").first).to_contain_text("Alex Morgan")
    accessible(page, "hr-move-1-found-desktop")

    page.get_by_role("link", name="Move Alex Morgan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move Alex Morgan to another team or supervisor")
    accessible(page, "hr-move-2-form-desktop")
    when = page.get_by_role("group", name="Date the move takes effect")
    when.get_by_label("Day").fill(str(today.day))
    when.get_by_label("Month").fill(str(today.month))
    when.get_by_label("Year").fill(str(today.year))
    page.get_by_role("button", name="Move Alex Morgan").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose a new supervisor, team or line manager")
    accessible(page, "hr-move-3-no-change-desktop")
    summary.get_by_role("link").click()
    expect(page.get_by_label("New supervisor")).to_be_focused()

    page.get_by_label("New team").select_option(label="Children in Need 2")
    page.get_by_label("New supervisor").select_option(label="Dana Okafor")
    page.get_by_role("button", name="Move Alex Morgan").click()

    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(f"Alex Morgan moves to Children in Need 2 and to Dana Okafor’s supervision from "
                                   f"{today:%-d %B %Y}.")
    expect(banner).to_contain_text("A draft supervision agreement with Dana Okafor has been started.")
    expect(page.get_by_role("heading", name="Leavers and transfers")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Alex Morgan\s+Dana Okafor"))).to_be_visible()
    accessible(page, "hr-move-4-moved-desktop")
