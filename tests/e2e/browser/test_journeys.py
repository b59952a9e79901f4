"""Journeys through the pages in Chromium, each page checked with axe and the main ones photographed."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from storage.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PASSWORD = "correct-horse-battery"


def sign_in(page: Page, site: str, who: str, check: Any, screenshot: str | None = None) -> None:
    page.context.clear_cookies()
    page.goto(f"{site}/sign-in")
    check(page, screenshot)
    page.get_by_label("Email address").fill(f"{who}@knowsley.example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    # Wait for the answer to the sign-in: a page opened before it lands reads the last account's
    # cookie (a late response of the previous page can set it again after clear_cookies).
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_supervisor_writes_a_record_and_the_supervisee_reads_it(page: Page, site: str, accessible: Any,
                                                                 tmp_path: Any) -> None:
    sign_in(page, site, "nobody", accessible)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct email address and password")
    accessible(page, "sign-in-error")

    sign_in(page, site, "manager", accessible, "sign-in")
    expect(page.get_by_role("heading", name="My supervisees")).to_be_visible()
    accessible(page, "supervisor-dashboard")

    page.get_by_role("link", name="Start a record for Alex Morgan").click()
    accessible(page)
    page.get_by_role("button", name="Start the record").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()  # GOV.UK JS ran despite the CSP
    accessible(page, "start-record-error")
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Start the record").click()
    expect(page.get_by_role("heading", name=re.compile("Supervision record R-"))).to_be_visible()
    accessible(page)

    page.get_by_label("Welfare discussion").fill("Feeling settled; caseload is manageable.")
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The record has been saved")

    page.get_by_label("Raised in").select_option(label="Welfare")
    page.get_by_label("Action", exact=True).fill("Book two days of annual leave")
    page.get_by_label("Who will do it").fill("Alex")
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The action has been added")
    card = page.locator(".govuk-summary-card", has_text="Book two days of annual leave")
    card.get_by_label(re.compile("Progress this session")).fill("Booked for April")
    card.get_by_label(re.compile("Completed in this session")).check()
    card.get_by_role("button", name=re.compile("Save progress")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been saved")
    expect(page.get_by_label(re.compile("Completed in this session"))).to_be_checked()

    page.get_by_role("button", name="Remove A.O.B").click()
    expect(page.get_by_role("heading", name="Remove the area ‘A.O.B’?")).to_be_visible()
    page.get_by_role("button", name="Yes, remove ‘A.O.B’").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The area has been removed")
    expect(page.get_by_role("button", name="Remove A.O.B")).to_have_count(0)
    accessible(page, "record-edit")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as Word").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".docx" and saved.read_bytes()[:2] == b"PK"

    page.get_by_role("button", name="Upload an edited Word file").click()
    page.get_by_label("Upload the edited Word file").set_input_files(
        files=[{"name": "notes.docx", "mimeType": "application/octet-stream", "buffer": b"not a Word file"}])
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    accessible(page, "upload-error")

    page.goto(f"{site}/supervision")
    page.get_by_role("link", name="Alex Morgan", exact=True).click()
    expect(page.get_by_text("Book two days of annual leave")).to_be_visible()
    accessible(page, "supervisee-history")

    sign_in(page, site, "worker", accessible)
    expect(page.get_by_role("heading", name="My supervision records")).to_be_visible()
    accessible(page, "my-records")
    page.get_by_role("link", name=re.compile("R-")).click()
    expect(page.get_by_text("Feeling settled; caseload is manageable.")).to_be_visible()
    expect(page.get_by_role("button", name="Save the record")).to_have_count(0)
    accessible(page, "record-view")


def test_hr_sees_leavers_and_transfers(page: Page, site: str, accessible: Any, app: Any, org: Any) -> None:
    with app.extensions["docgen"].sessions.begin() as db:
        db.get(Person, org.ids["asye"]).leave_date = dt.date.today() + dt.timedelta(days=14)
    sign_in(page, site, "hr", accessible)
    expect(page.get_by_role("heading", name="Leavers and transfers")).to_be_visible()
    card = page.locator(f"#leaver-{org.ids['asye']}")
    expect(card).to_contain_text("(coming)")
    expect(card).to_contain_text("Will be frozen on")  # nothing to download until the records are frozen
    expect(card.get_by_role("link", name=re.compile("Download the records bundle"))).to_have_count(0)
    accessible(page, "hr-leavers")


def test_admin_adds_a_person_after_a_validation_error(page: Page, site: str, accessible: Any) -> None:
    sign_in(page, site, "admin", accessible)
    expect(page.get_by_role("heading", name="People")).to_be_visible()
    accessible(page, "admin-people")
    page.get_by_role("link", name="Add a person").click()
    accessible(page)
    page.get_by_label("Email address").fill("jo.bloggs@")
    start = page.get_by_role("group", name="Employment start date")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill("4")
    start.get_by_label("Year").fill("2025")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the person's full name")
    expect(summary).to_contain_text("Enter an email address in the correct format")  # at once (issue 27)
    expect(summary).to_be_focused()
    accessible(page, "admin-add-person-error")
    summary.get_by_role("link", name="Enter the person's full name").click()
    expect(page.get_by_label("Full name")).to_be_focused()

    page.get_by_label("Full name").fill("Jo Bloggs")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter an email address in the correct format")
    page.get_by_label("Email address").fill("jo.bloggs@knowsley.example.org")
    page.get_by_label("Role").select_option(label="Qualified social worker")
    page.get_by_label("Line manager").select_option(label="Sam Whitfield (manager@knowsley.example.org)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Jo Bloggs has been added")
    expect(page.get_by_role("link", name="Jo Bloggs")).to_be_visible()
    accessible(page)

    for name, shot in (("Teams", "admin-teams"), ("Supervision", "admin-relationships"), ("Policy", "admin-policy")):
        page.get_by_role("navigation", name="Menu").get_by_role("link", name=name, exact=True).click()
        accessible(page, shot)

    page.goto(f"{site}/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    accessible(page, "not-found")
