"""The administrator reads the policy profile with each rule's source and the policy's own words,
and confirms docgen's retention default for the council (issue 17), checked with axe in Chromium."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kernel.config import Config
from tests.e2e.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def config(config: Config, request: pytest.FixtureRequest) -> Config:
    """The site runs the council's profile a test names (Knowsley's when it names none)."""
    callspec = getattr(request.node, "callspec", None)
    return dataclasses.replace(config, profile=callspec.params.get("council", "knowsley") if callspec else "knowsley")


def test_admin_confirms_the_retention_default_on_the_policy_page(page: Page, site: str, accessible: Any) -> None:
    sign_in(page, site, "admin", accessible)
    page.goto(f"{site}/admin/policy")
    warning = page.locator(".govuk-warning-text", has_text="has not confirmed docgen’s default for retention")
    expect(warning).to_be_visible()
    expect(page.locator('[data-source="record_days"]')).to_contain_text("Source: K §9")
    expect(page.locator('[data-quote="record_days"]')).to_have_text("Records should be completed within 5 working days.")
    expect(page.locator('[data-source="roles.team_manager"]')).to_contain_text("docgen default")
    accessible(page, "admin-policy-unconfirmed")

    warning.get_by_role("link", name="Check and confirm retention for the council").click()
    page.get_by_label("The council has decided to keep this rule as it stands").check()
    page.get_by_role("button", name="Confirm retention for the council").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Confirmed for the council: retention")
    expect(page.locator(".govuk-warning-text")).to_have_count(0)
    accessible(page, "admin-policy-confirmed")


@pytest.mark.parametrize("council", ["knowsley", "stockport", "southwark", "haringey", "lancashire"])
def test_each_councils_policy_page_shows_every_rule_with_its_quote_or_default_label(
        page: Page, site: str, accessible: Any, council: str) -> None:
    """Issue 23: "The policy page, screenshotted for each council, shows every rule with its quote or
    default label; axe finds 0 violations." A council's citation is shown with the policy's own words;
    docgen's default says so."""
    sign_in(page, site, "admin", accessible)
    page.goto(f"{site}/admin/policy")

    # Each source's rendered words and those of the quotes inside it, read in one round trip: a
    # Playwright call per rule was most of this test's time.
    sources = page.locator("[data-source]").evaluate_all(
        "sources => sources.map(s => [s.innerText, [...s.querySelectorAll('[data-quote]')].map(q => q.innerText)])")
    assert len(sources) > 20
    for words, quotes in sources:
        if words.startswith("docgen default"):
            assert len(quotes) <= 1 and all(quote.strip() for quote in quotes), words
        else:
            assert words.startswith("Source: "), words
            assert len(quotes) == 1 and len(quotes[0].strip()) > 10, f"{council}: {words}"
    accessible(page, f"admin-policy-{council}")
