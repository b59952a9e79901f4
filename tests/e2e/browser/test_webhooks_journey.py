"""Issue 15's webhook pages in Chromium: an administrator adds a subscription after a validation
error, copies its secret from the page that shows it once, reads the delivery log once a leaver
is recorded, and pauses it. Every page checked with axe; the main ones photographed."""
from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.browser.test_journeys import sign_in
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_an_administrator_subscribes_sees_the_secret_once_and_reads_the_delivery_log(
        page: Page, site: str, accessible: Any, org: Any, receiver: Receiver) -> None:
    sign_in(page, site, "admin", accessible)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    accessible(page, "webhooks")

    page.get_by_role("button", name="Add the subscription").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the address to deliver to")
    accessible(page)

    page.get_by_label("Address to deliver to").fill(f"{receiver.url}/hooks")
    page.get_by_label("What it is for (optional)").fill("HR system: leavers")
    page.get_by_label("A person is recorded as a leaver").check()
    page.get_by_role("button", name="Add the subscription").click()
    expect(page.get_by_role("heading", name="Subscription added")).to_be_visible()
    receiver.secret = page.locator("#secret").inner_text()
    assert len(receiver.secret) >= 40
    accessible(page, "webhook-added")

    left = requests.post(f"{site}/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": "2026-11-30"},
                         headers=org.auth("hr"), timeout=30)
    assert left.status_code == 200, left.text
    assert [e["event"] for e in receiver.acted_on] == ["person.left"]

    page.get_by_role("link", name="See its deliveries").click()
    expect(page.get_by_role("table", name="Latest deliveries, newest first")).to_contain_text("Delivered")
    expect(page.locator("main")).not_to_contain_text(receiver.secret)
    accessible(page, "webhook-deliveries")
    page.get_by_role("button", name="Pause deliveries").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Deliveries are paused")
    expect(page.get_by_role("button", name="Resume deliveries")).to_be_visible()
    accessible(page)
