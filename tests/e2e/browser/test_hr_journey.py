"""HR's journey in Chromium (issue 18): nobody leaving, then a leaver on the page as soon as their
leaving date is set, forwarded early with a reason, and the bundle downloaded the same day. Each
page is checked with axe and photographed at desktop size, the leaver's dates at phone size too."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from storage.models import Person
from tests.e2e.browser.test_journeys import sign_in
from tests.etags import read_then_change
from workflows import records

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}


def leaves_today(app: Any, client: Any, org: Any) -> None:
    """Alex has a record, and an administrator types today as the leaving date: that records his
    leaving (`movers.mark_leaver`), so his records freeze at once, before any nightly run."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        records.create_record(db, services.profile, db.get_one(Person, org.ids["worker"]),
                              dt.date.today() - dt.timedelta(days=7))
    url = f"/api/v1/people/{org.ids['worker']}"
    edited = client.patch(url, json={"leave_date": dt.date.today().isoformat()},
                          headers=read_then_change(client, url, org.auth("admin")))
    assert edited.status_code == 200, edited.json


def test_hr_downloads_a_bundle_on_the_day_a_leavers_records_are_forwarded_early(
        page: Page, browser: Browser, site: str, accessible: Any, app: Any, client: Any, org: Any) -> None:
    sign_in(page, site, "hr", accessible)
    expect(page.get_by_role("heading", name="Leavers and transfers")).to_be_visible()
    expect(page.get_by_text("Nobody has a leaving date at the moment.")).to_be_visible()
    page.get_by_text("What “Records frozen”").click()
    expect(page.get_by_text("pass to HR for the employee’s file")).to_be_visible()
    accessible(page, "hr-leavers-empty-desktop")

    leaves_today(app, client, org)
    page.reload()
    card = page.locator(f"#leaver-{org.ids['worker']}")
    expect(card).to_contain_text("Alex Morgan")
    expect(card).to_contain_text(f"Frozen on {dt.date.today():%-d %B %Y}, the leaving date")
    expect(card).to_contain_text(re.compile(r"Forwarded to HR\s*Due on"))
    accessible(page, "hr-leaver-dates-desktop")
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, site, "hr", accessible)
    expect(phone.get_by_role("heading", name="Alex Morgan")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    accessible(phone, "hr-leaver-dates-phone")
    phone.context.close()

    card.get_by_role("link", name=re.compile("Forward to HR early")).click()
    expect(page.get_by_role("heading", name="Forward Alex Morgan’s records to HR early")).to_be_visible()
    accessible(page, "hr-forward-early-desktop")
    page.get_by_role("button", name="Forward to HR now").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter why the records must go to HR now")
    accessible(page)
    summary.get_by_role("link").click()
    expect(page.get_by_label("Why must the records go to HR now?")).to_be_focused()
    page.get_by_label("Why must the records go to HR now?").fill("Employment tribunal has asked for the file")
    page.get_by_role("button", name="Forward to HR now").click()

    expect(page.get_by_role("heading", name="Records forwarded to HR")).to_be_visible()
    accessible(page, "hr-forwarded-desktop")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the records bundle").click()
    assert re.fullmatch(rf"supervision-file-{org.ids['worker']}-\d{{8}}\.zip", download.value.suggested_filename)
    assert download.value.failure() is None


def test_hr_records_a_leaving_date_on_its_own_form_refused_years_ahead_then_recorded(
        page: Page, browser: Browser, site: str, accessible: Any, org: Any) -> None:
    """From the search on the leavers page HR opens Alex Morgan's leaving-date form (photographed
    at desktop and phone size), is told a date years ahead names the leaving date, then records
    one a month on and sees it on the leavers page."""
    leaves = dt.date.today() + dt.timedelta(days=30)
    sign_in(page, site, "hr", accessible)
    page.get_by_label("Find the person to move").fill("Alex")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Record leaving date of Alex Morgan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record Alex Morgan’s leaving date")
    expect(page.get_by_text("6 months after the leaving date their records are forwarded to HR")).to_be_visible()
    accessible(page, "hr-leaving-date-form-desktop")
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, site, "hr", accessible)
    phone.goto(f"{site}/hr/people/{org.ids['worker']}/leaving")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Record Alex Morgan’s leaving date")
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    accessible(phone, "hr-leaving-date-form-phone")
    phone.context.close()

    when = page.get_by_role("group", name="Leaving date")
    for box, value in (("Day", "1"), ("Month", "6"), ("Year", str(leaves.year + 10))):
        when.get_by_label(box).fill(value)
    page.get_by_role("button", name="Record the leaving date").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Leaving date must be within 5 years of today")
    accessible(page, "hr-leaving-date-too-far-desktop")
    summary.get_by_role("link").click()
    expect(when.get_by_label("Day")).to_be_focused()

    for box, value in (("Day", leaves.day), ("Month", leaves.month), ("Year", leaves.year)):
        when.get_by_label(box).fill(str(value))
    page.get_by_role("button", name="Record the leaving date").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Alex Morgan leaves on {leaves.day} {leaves:%B %Y}.")
    expect(page.locator(f"#leaver-{org.ids['worker']}")).to_contain_text(f"{leaves.day} {leaves:%B %Y} (coming)")
    accessible(page, "hr-leaving-date-recorded-desktop")
