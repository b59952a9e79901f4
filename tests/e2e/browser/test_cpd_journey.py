"""CPD evidence for Social Work England (issue 25 item 2) in Chromium: a supervisee marks a
reflection from a signed record on My records, is told of a box left empty, reads the CPD page, and
removes the piece after the page that asks, naming it; each page checked with axe and photographed,
at desktop size and on a phone. As at 15 October 2026."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, expect

from kernel import clock
from storage.models import CpdPiece, Person, Record
from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_phone_journey import fits, phone  # noqa: F401  (a touch phone)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def audit_record(app: Any, org: Any, day: dt.date, status: str) -> int:
    """Alex Morgan's record of `day` with Sam Whitfield, whose one area reflects on the Lee audit."""
    with app.extensions["docgen"].sessions.begin() as db:
        record = Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                        session_date=day, status=status, sections={"areas": [
                            {"key": "case_audits", "title": "Case Audits and reflection on learning from audit",
                             "discussion": "The Lee audit showed the chronology lagged."}]})
        db.add(record)
        db.flush()
        return record.id


@pytest.fixture
def signed_record(app: Any, org: Any) -> Iterator[int]:
    """Alex Morgan's record of 4 March 2026, signed, with an area to reflect on."""
    clock.set_clock(lambda: dt.datetime(2026, 10, 15, 12, 0))
    yield audit_record(app, org, dt.date(2026, 3, 4), "signed")


def test_a_supervisee_marks_a_reflection_as_cpd(page: Page, site: str, accessible: Any, signed_record: int) -> None:
    sign_in(page, site, "worker", accessible)
    page.goto(f"{site}/my-records")
    page.get_by_role("link", name=re.compile("^Mark as CPD")).first.click()
    page.get_by_label("Case Audits and reflection on learning from audit").check()
    page.get_by_role("button", name="Choose this reflection").click()
    expect(page.get_by_text("The Lee audit showed the chronology lagged.")).to_be_visible()
    accessible(page, "cpd-mark")

    page.get_by_label("Impact on your practice").fill("I update chronologies within a day of each visit.")
    page.get_by_role("button", name="Save as CPD").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("What you learnt must not be empty")
    accessible(page)

    page.get_by_label("What you learnt").fill("A live chronology shows patterns a late one hides.")
    page.get_by_role("button", name="Save as CPD").click()
    expect(page.get_by_role("heading", name="My CPD for Social Work England")).to_be_visible()
    expect(page.locator("#minimum")).to_contain_text("You still need 1 more piece of CPD")
    accessible(page, "cpd-summary")
    page.get_by_role("link", name="Printable page of this year’s CPD").click()
    expect(page.get_by_role("heading", name="CPD from 1 December 2025 to 30 November 2026")).to_be_visible()
    accessible(page, "cpd-print")

    page.goto(f"{site}/my-records/cpd")
    page.get_by_role("link", name=re.compile("^Change or remove")).click()
    page.get_by_role("link", name=re.compile("^Remove this piece")).click()
    expect(page.get_by_role("heading", name="Are you sure you want to remove “Case Audits and reflection on "
                                             "learning from audit”?")).to_be_visible()
    accessible(page, "cpd-remove")
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("was removed from your CPD")
    expect(page.get_by_text("You have marked no CPD in this year yet.")).to_be_visible()
    accessible(page)


def test_the_cpd_pages_fit_a_phone(phone: Page, site: str, accessible: Any, signed_record: int, app: Any,
                                   org: Any) -> None:
    with app.extensions["docgen"].sessions.begin() as db:
        piece = CpdPiece(person_id=org.ids["worker"], record_id=signed_record, title="Keeping chronologies live",
                         type="Supervision with my supervisor", description="Reflection on a case audit",
                         done_on=dt.date(2026, 3, 4), learning="A live chronology shows patterns.",
                         impact="I update chronologies within a day.", peer_reflection=True)
        db.add(piece)
        db.flush()
        piece_id = piece.id
    sign_in(phone, site, "worker", accessible)
    phone.goto(f"{site}/my-records/{signed_record}/cpd")
    expect(phone.get_by_role("heading", name="Mark a reflection as CPD")).to_be_visible()
    fits(phone, accessible, "cpd-mark-phone")
    phone.goto(f"{site}/my-records/cpd")
    fits(phone, accessible, "cpd-summary-phone")
    phone.goto(f"{site}/my-records/cpd/{piece_id}/remove")
    expect(phone.get_by_role("heading", name="Are you sure you want to remove “Keeping chronologies live”?")
           ).to_be_visible()
    fits(phone, accessible, "cpd-remove-phone")


def test_someone_off_the_register_is_told_why_no_minimum_is_shown(page: Page, site: str, accessible: Any, app: Any,
                                                                   org: Any, signed_record: int) -> None:
    """Alex recorded as a family support worker, a role Knowsley's profile does not mark `swe_registered`."""
    with app.extensions["docgen"].sessions.begin() as db:
        db.get(Person, org.ids["worker"]).role = "family_support_worker"
    sign_in(page, site, "worker", accessible)
    page.goto(f"{site}/my-records/cpd")
    expect(page.get_by_role("heading", name="My CPD", exact=True)).to_be_visible()
    expect(page.locator("#register")).to_contain_text(
        "ask your administrator to check your role, or whether it is marked as registered with Social Work England")
    expect(page.locator("#minimum")).to_have_count(0)
    accessible(page, "cpd-summary-off-register")
