"""The administrator reads the policy profile with each rule's source and the policy's own words,
and confirms docgen's retention default for the council (issue 17), checked with axe in Chromium."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_admin_confirms_the_retention_default_on_the_policy_page(page: Page, site: str, accessible: Any) -> None:
    sign_in(page, site, "admin", accessible)
    page.goto(f"{site}/admin/policy")
    warning = page.locator(".govuk-warning-text", has_text="has not confirmed docgen’s default for retention")
    expect(warning).to_be_visible()
    expect(page.locator('[data-source="record_days"]')).to_contain_text("Source: K §9")
    expect(page.locator('[data-quote="record_days"]')).to_have_text("Records should be completed within 5 working days.")
    expect(page.locator('[data-source="roles.team_manager"]')).to_contain_text("docgen default")
    accessible(page, "admin-policy-unconfirmed")

    warning.get_by_role("button", name="Confirm retention for the council").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Confirmed for the council: retention")
    expect(page.locator(".govuk-warning-text")).to_have_count(0)
    accessible(page, "admin-policy-confirmed")
