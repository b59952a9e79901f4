"""An ASYE's record of support (issue 25 item 3) in Chromium: a supervisor opens it from their
supervisee's history, is told of a note left empty, records a direct observation and the 3-month
review (Stockport's profile: S §10 sets reviews at 3, 6 and 12 months), and opens the printable page
for the portfolio; each page checked with axe and photographed, at desktop size and on a phone. As at
15 October 2026, for Priya Patel who started on 6 April 2026."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from kernel import clock
from kernel.config import Config
from storage.models import Person, Record
from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_phone_journey import fits, phone  # noqa: F401  (a touch phone)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, profile="stockport")


@pytest.fixture
def asye(app: Any, org: Any) -> Iterator[int]:
    """Priya Patel, an ASYE since 6 April 2026, with a one-to-one written up each week to 11 May."""
    clock.set_clock(lambda: dt.datetime(2026, 10, 15, 12, 0))
    start = dt.date(2026, 4, 6)
    with app.extensions["docgen"].sessions.begin() as db:
        db.get(Person, org.ids["asye"]).employment_start = start
        for weeks in range(1, 6):
            db.add(Record(kind="practitioner", supervisee_id=org.ids["asye"], supervisor_id=org.ids["manager"],
                          session_date=start + dt.timedelta(weeks=weeks), status="signed", sections={}))
    yield org.ids["asye"]


def _date(page: Page, day: dt.date) -> None:
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))


def test_a_supervisor_keeps_an_asyes_record_of_support(page: Page, site: str, accessible: Any, asye: int) -> None:
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/supervision/{asye}")
    page.get_by_role("link", name="ASYE record of support of Priya Patel").click()
    expect(page.get_by_role("heading", name="ASYE record of support")).to_be_visible()
    expect(page.get_by_role("table", name="Frequency met, phase by phase, as at 15 October 2026")).to_contain_text(
        "Every 1 week")
    accessible(page, "asye-support")

    page.get_by_role("link", name="Record a direct observation").click()
    _date(page, dt.date(2026, 6, 10))
    page.get_by_label("Observer").fill("Jo Practice-Educator")
    page.get_by_role("button", name="Save the observation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("What was observed must not be empty")
    accessible(page, "asye-support-observation-error")
    page.get_by_label("What was observed").fill("Home visit: kept the child's voice central.")
    page.get_by_role("button", name="Save the observation").click()
    expect(page.get_by_role("table", name="Direct observations of Priya Patel’s practice")).to_contain_text(
        "Jo Practice-Educator")

    page.get_by_role("link", name="Record the review at 3 months").click()
    _date(page, dt.date(2026, 7, 8))
    page.get_by_label("Outcome of the review").fill("On track; caseload to rise to 12.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("table", name="Reviews at the profile’s review points")).to_contain_text(
        "8 July 2026, by Sam Whitfield")
    accessible(page, "asye-support-recorded")

    page.get_by_role("link", name="Printable page of the record of support of Priya Patel").click()
    expect(page.get_by_role("heading", name="ASYE record of support, as at 15 October 2026")).to_be_visible()
    accessible(page, "asye-support-print")


def test_the_record_of_support_fits_a_phone(phone: Page, site: str, accessible: Any, asye: int) -> None:
    sign_in(phone, site, "asye", accessible)
    phone.goto(f"{site}/my-records")
    phone.get_by_role("link", name="ASYE record of support").click()
    expect(phone.get_by_role("heading", name="ASYE record of support")).to_be_visible()
    fits(phone, accessible, "asye-support-phone")
