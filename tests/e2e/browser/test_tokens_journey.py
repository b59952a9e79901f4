"""Issue 15's pages in Chromium: a person makes a personal API token, sees it once and revokes it;
the sign-in page offers the organisation's account, and a sign-in that cannot be completed ends on
a page saying so. Every page checked with axe; the token pages photographed."""
from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kernel.config import Config
from tests.e2e.browser.test_journeys import PASSWORD
from tests.oidc import CLIENT_ID, OpenIdProvider, openid_provider  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def config(config: Config, openid_provider: OpenIdProvider) -> Config:  # noqa: F811
    return dataclasses.replace(config, oidc_issuer=openid_provider.issuer, oidc_client_id=CLIENT_ID,
                               oidc_client_secret=openid_provider.client_secret)


def _sign_in_with_password(page: Page, site: str, who: str) -> None:
    """The password form, beside the organisation's sign-in button (so the button's name is exact)."""
    page.goto(f"{site}/sign-in")
    page.get_by_label("Email address").fill(f"{who}@knowsley.example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_person_makes_a_token_sees_it_once_and_revokes_it(page: Page, site: str, accessible: Any) -> None:
    _sign_in_with_password(page, site, "worker")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    accessible(page, "api-tokens")

    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a name for the token")
    accessible(page)

    page.get_by_label("Name").fill("Case system sync")
    page.get_by_label("1 year").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Token ‘Case system sync’ created")).to_be_visible()
    secret = page.get_by_label("Your token").input_value()
    assert len(secret) >= 40
    accessible(page, "api-token-created")

    page.get_by_role("link", name="Back to your API tokens").click()
    expect(page.locator("body")).not_to_contain_text(secret)
    page.get_by_role("button", name="Revoke the token Case system sync").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been revoked")
    expect(page.get_by_role("table", name="Your tokens")).to_contain_text(re.compile("Revoked"))
    accessible(page)


def test_the_organisation_sign_in_is_offered_and_an_incomplete_one_is_explained(page: Page, site: str,
                                                                               accessible: Any) -> None:
    page.goto(f"{site}/sign-in")
    expect(page.get_by_role("button", name="Sign in with your organisation’s account")).to_be_visible()
    accessible(page, "sign-in-with-organisation")
    page.goto(f"{site}/sign-in/oidc/callback?code=made-up&state=made-up")
    expect(page.get_by_role("heading", name="You cannot sign in")).to_be_visible()
    expect(page.locator("main")).to_contain_text("could not be completed")
    accessible(page, "sign-in-refused")
    page.get_by_role("link", name="Back to sign in").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
