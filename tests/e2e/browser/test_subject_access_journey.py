"""A subject access request (UK GDPR Art. 15; issue 25 item 1) in Chromium: Harriet in HR records
Alex Morgan's request from the navigation, is told of a reason left out, withholds a mention on
the redaction schedule with a reason (and a colleague in every file at once, then releases them),
extends the request, prepares the export (a form's POST; the worker files it) and downloads it from
the link the page then shows; each page checked with axe and photographed, at desktop size and on a
phone. As at 16 November 2026."""
from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from kernel import clock
from tests.e2e.browser.test_cpd_journey import audit_record
from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_phone_journey import fits, phone  # noqa: F401  (a touch phone)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def draft_record(app: Any, org: Any) -> Iterator[int]:
    """Alex Morgan's record of 4 November 2026, a draft that names Sam Whitfield, their supervisor."""
    clock.set_clock(lambda: dt.datetime(2026, 11, 16, 12, 0))
    yield audit_record(app, org, dt.date(2026, 11, 4), "draft")


def _record_the_request(page: Page, site: str, accessible: Any) -> str:
    sign_in(page, site, "hr", accessible)
    page.goto(f"{site}/hr/leavers")
    page.get_by_role("link", name="Subject access").click()
    expect(page.get_by_role("heading", name="Subject access requests")).to_be_visible()
    page.get_by_role("button", name="Record a request").click()
    page.get_by_label("Email address of the person asking").fill("worker@knowsley.example.org")
    page.get_by_label("Day").fill("23")
    page.get_by_label("Month").fill("10")
    page.get_by_label("Year").fill("2026")
    accessible(page, "subject-access-new")
    page.get_by_role("button", name="Record the request").click()
    expect(page.get_by_role("heading", name="Alex Morgan")).to_be_visible()
    return page.url


def test_hr_records_a_request_and_withholds_a_mention(page: Page, site: str, accessible: Any,
                                                       draft_record: int) -> None:
    url = _record_the_request(page, site, accessible)
    expect(page.locator(".govuk-warning-text")).to_contain_text("7 days left to answer this request")
    expect(page.locator(".govuk-summary-list")).to_contain_text("23 November 2026")
    schedule = page.locator("table")
    expect(schedule).to_contain_text("Sam Whitfield")
    accessible(page, "subject-access-request")

    row = schedule.locator("tr", has_text="Sam Whitfield").first
    row.get_by_role("button", name=re.compile("^Withhold")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Reason must not be empty")
    accessible(page)

    page.get_by_role("textbox", name=re.compile("^Reason to withhold Sam Whitfield")).first.fill(
        "Sam Whitfield is another member of staff")
    page.get_by_role("button", name=re.compile("^Withhold Sam Whitfield")).first.click()
    expect(page.locator("table")).to_contain_text("Withheld: Sam Whitfield is another member of staff")

    page.get_by_label("Why is more time needed?").fill("Ten years of records across two teams")
    page.get_by_role("button", name="Extend by two months").click()
    expect(page.locator(".govuk-summary-list")).to_contain_text(
        "25 January 2027, extended on 16 November 2026")  # the 23rd is a Saturday
    expect(page.locator(".govuk-warning-text")).to_have_count(0)
    accessible(page, "subject-access-request-withheld")
    assert page.url.startswith(url)

    page.get_by_role("button", name="Prepare the export").click()  # a form's POST: a prefetch starts none
    expect(page.locator("#export-status")).to_contain_text("Ready")
    accessible(page, "subject-access-export-ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the export").click()
    assert re.fullmatch(r"subject-access-\d+-\d+-20261116\.zip", download.value.suggested_filename)
    with zipfile.ZipFile(download.value.path()) as archive:
        manifest = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith("manifest.json"))))
    assert manifest["withheld"], manifest


def test_hr_withholds_a_colleague_in_every_file_with_one_reason(page: Page, site: str, accessible: Any,
                                                                draft_record: int, app: Any, org: Any) -> None:
    later = audit_record(app, org, dt.date(2026, 11, 11), "draft")  # a second draft naming Sam Whitfield
    _record_the_request(page, site, accessible)
    page.get_by_role("button", name="Withhold in every file").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Reason must not be empty")
    page.get_by_label("Text to withhold in every file").select_option(value="Sam Whitfield")
    page.get_by_label("Reason for withholding it in every file").fill("Sam Whitfield is another member of staff")
    page.get_by_role("button", name="Withhold in every file").click()
    rows = page.locator("table tr", has_text="Sam Whitfield")
    expect(rows.filter(has_text=f"R-{later:06d}")).to_contain_text("Withheld: Sam Whitfield is another member")
    expect(rows.filter(has_text=f"R-{draft_record:06d}")).to_contain_text("Withheld: Sam Whitfield is another member")
    expect(rows.filter(has_not_text="Withheld:")).to_have_count(0)
    accessible(page, "subject-access-withheld-everywhere")
    page.get_by_role("button", name="Release in every file the withholdings of Sam Whitfield because: Sam Whitfield "
                                    "is another member of staff").click()
    expect(rows.filter(has_text="Withheld:")).to_have_count(0)


def test_the_request_page_fits_a_phone(page: Page, phone: Page, site: str, accessible: Any,
                                       draft_record: int) -> None:
    url = _record_the_request(page, site, accessible)
    sign_in(phone, site, "hr", accessible)
    phone.goto(url)
    expect(phone.get_by_role("heading", name="Alex Morgan")).to_be_visible()
    fits(phone, accessible, "subject-access-request-phone")
    phone.goto(f"{site}/hr/subject-access")
    fits(phone, accessible, "subject-access-list-phone")
