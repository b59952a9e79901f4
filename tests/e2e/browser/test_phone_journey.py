"""The service on a phone: every page this journey visits fits a 320 px and a 375 px screen with no
sideways scrolling, and the sign page's controls work by touch (page.tap in a touch-emulated phone,
where a tap lands on whatever is drawn at that point, so an overflowing page intercepts it).

Each page is checked with axe at phone size and photographed as `<page>-phone`."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from storage.models import Person
from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_signoff_journey import WORKER, _link_in_email
from tests.e2e.browser.mailing import config, mailbox  # noqa: F401  (fixtures)
from tests.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"width": 375, "height": 812}
WIDTHS = (320, 375)
# The innermost elements reaching past the screen's right edge, to say what overflows.
WIDER_THAN_SCREEN = """[...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
  .slice(0, 5).map(e => e.outerHTML.slice(0, 120))"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A touch phone: mobile viewport, touch events, no mouse."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    yield context.new_page()
    context.close()


def fits(page: Page, accessible: Any, screenshot: str) -> None:
    """No sideways scrolling at either phone width; axe-clean and photographed at 375 px.

    Measured once the page's stylesheets and web fonts apply: the heading a journey waits for can be
    there before them, and My records, laid out unstyled on a busy machine, measured 325 px on a
    320 px screen."""
    page.wait_for_load_state("load")  # the document's stylesheets have loaded and applied
    page.evaluate("document.fonts.ready.then(() => true)")  # and the fonts they name
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client, (f"{page.url} is {scroll} px wide on a {client} px screen ({screenshot}); "
                                  f"too wide: {page.evaluate(WIDER_THAN_SCREEN)}")
    accessible(page, screenshot)


def _sent_record(app: Any, org: Any) -> int:
    """A written record with two actions, one with a long unbroken word, sent to Alex through the API."""
    api = app.test_client()
    record = api.post("/api/v1/records", headers=org.auth("manager"),
                      json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"})
    assert record.status_code == 201, record.json
    record_id = record.json["id"]
    edited = api.patch(f"/api/v1/records/{record_id}", headers={**org.auth("manager"), "If-Match": record.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move."}, "actions": [
                           {"section": "summary", "text": "Book two days of annual leave", "owner": "Alex Morgan",
                            "due": "30 April 2025", "progress": "Asked the team manager"},
                           {"section": "summary", "text": "Read https://www.knowsley.gov.uk/children-and-families/"
                            "safeguarding-procedures-for-practitioners", "owner": "Alex", "due": "next supervision"}]})
    assert edited.status_code == 200, edited.json
    sent = api.post(f"/api/v1/records/{record_id}/send", headers={**org.auth("manager"), "If-Match": edited.headers["ETag"]})
    assert sent.status_code in (200, 202), sent.json
    return record_id


def test_a_supervisee_signs_by_touch_on_a_phone_and_no_page_overflows(
        phone: Page, site: str, app: Any, org: Any, mailbox: Mailbox, accessible: Any) -> None:
    record_id = _sent_record(app, org)
    with app.extensions["docgen"].sessions.begin() as db:
        db.get(Person, org.ids["asye"]).leave_date = dt.date.today() + dt.timedelta(days=14)

    phone.goto(_link_in_email(mailbox, WORKER))
    expect(phone.get_by_role("heading", name=re.compile(f"Supervision record R-{record_id:06d}"))).to_be_visible()
    expect(phone.locator("h1 .app-document-number")).to_have_css("white-space", "nowrap")  # never "R-/000002"
    expect(phone.get_by_text("Book two days of annual leave")).to_be_visible()
    fits(phone, accessible, "sign-link-phone")

    phone.get_by_role("button", name="Submit").tap()
    expect(phone.locator(".govuk-error-summary")).to_be_visible()
    fits(phone, accessible, "sign-link-error-phone")
    phone.get_by_label("I agree", exact=True).tap()
    expect(phone.get_by_label("I agree", exact=True)).to_be_checked()
    phone.get_by_label("Type your full name to confirm").tap()
    phone.keyboard.type("Alex Morgan")
    phone.get_by_role("button", name="Submit").tap()
    expect(phone.get_by_role("heading", name="You agreed")).to_be_visible()
    fits(phone, accessible, "sign-done-phone")

    sign_in(phone, site, "worker", accessible)
    expect(phone.get_by_role("heading", name="My supervision records")).to_be_visible()
    fits(phone, accessible, "my-records-phone")
    phone.get_by_role("link", name=re.compile("R-")).first.tap()
    expect(phone.get_by_text("Settled after the team move.")).to_be_visible()
    fits(phone, accessible, "record-view-phone")

    sign_in(phone, site, "manager", accessible)
    expect(phone.get_by_role("heading", name="My supervisees")).to_be_visible()
    fits(phone, accessible, "supervisor-dashboard-phone")
    phone.get_by_role("link", name="Alex Morgan", exact=True).tap()
    expect(phone.get_by_role("heading", name="Alex Morgan")).to_be_visible()
    fits(phone, accessible, "supervisee-history-phone")
    phone.goto(f"{site}/records/{record_id}/edit")
    expect(phone.get_by_role("heading", name=re.compile(f"R-{record_id:06d}"))).to_be_visible()
    fits(phone, accessible, "record-page-phone")
    phone.goto(f"{site}/supervision")
    phone.get_by_role("link", name="Start a record for Alex Morgan").tap()
    expect(phone.get_by_role("heading", name=re.compile("record", re.I))).to_be_visible()
    fits(phone, accessible, "start-record-phone")
    phone.goto(f"{site}/reports/compliance")
    expect(phone.get_by_role("heading", name="Supervision compliance")).to_be_visible()
    fits(phone, accessible, "compliance-report-phone")

    sign_in(phone, site, "hr", accessible)
    expect(phone.get_by_role("heading", name="Leavers and transfers")).to_be_visible()
    expect(phone.get_by_role("heading", name="Priya Patel")).to_be_visible()
    fits(phone, accessible, "hr-leavers-phone")
