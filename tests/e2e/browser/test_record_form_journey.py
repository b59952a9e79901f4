"""The record page loses no typing (issue 18): type into the record, press each of its other buttons,
and find the text kept or saved; "Send for sign-off" shows the saved record as the supervisee will
read it; removing an area asks first; a stale tab shows both texts; leaving with unsaved typing
warns. At desktop and phone sizes, each state checked with axe."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True}
ACTION = "Book two days of annual leave"


@pytest.fixture
def record_id(app: Any, org: Any) -> int:
    """A draft record with one action, started through the API as the supervisor."""
    api = app.test_client()
    created = api.post("/api/v1/records", headers=org.auth("manager"),
                       json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"})
    edited = api.patch(f"/api/v1/records/{created.json['id']}",
                       json={"actions": [{"section": "welfare", "text": ACTION}]},
                       headers={**org.auth("manager"), "If-Match": created.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    return int(created.json["id"])


def _box(page: Page, label: str) -> Any:
    return page.get_by_label(label, exact=True)


def test_no_button_of_the_record_page_loses_what_was_typed(page: Page, site: str, record_id: int,
                                                            accessible: Any) -> None:
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/records/{record_id}/edit")

    _box(page, "Welfare discussion").fill("Tired after the court week; agreed a lighter May.")
    page.get_by_role("button", name="Add the action").click()  # nothing typed for the action
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the action")
    expect(_box(page, "Welfare discussion")).to_have_value("Tired after the court week; agreed a lighter May.")
    accessible(page, "record-form-kept-desktop")

    _box(page, "Action").fill("Ask for a court skills course")
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The action has been added")
    expect(_box(page, "Welfare discussion")).to_have_value("Tired after the court week; agreed a lighter May.")

    _box(page, "Performance").fill("Two assessments completed on time.")
    page.locator(".govuk-summary-card", has_text=ACTION).get_by_role("button", name=re.compile("Save progress")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The record has been saved")
    expect(_box(page, "Performance")).to_have_value("Two assessments completed on time.")

    _box(page, "Decisions made and rationale").fill("Caseload capped at 14 until June.")
    _box(page, "Title of the new area").fill("Court work")
    page.get_by_role("button", name="Add the area").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The area has been added")
    expect(_box(page, "Decisions made and rationale")).to_have_value("Caseload capped at 14 until June.")
    expect(_box(page, "Court work")).to_be_visible()

    _box(page, "A.O.B").fill("Parking permit renewed.")
    page.get_by_role("button", name="Remove A.O.B").click()
    expect(page.get_by_role("heading", name="Remove the area ‘A.O.B’?")).to_be_visible()
    expect(page.get_by_text("Parking permit renewed.")).to_be_visible()  # saved, and shown before it goes
    accessible(page, "remove-confirm-desktop")
    page.get_by_role("link", name="No, keep it").click()
    expect(_box(page, "A.O.B")).to_have_value("Parking permit renewed.")
    page.get_by_role("button", name="Remove A.O.B").click()
    page.get_by_role("button", name="Yes, remove ‘A.O.B’").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The area has been removed")
    expect(_box(page, "A.O.B")).to_have_count(0)
    expect(_box(page, "Decisions made and rationale")).to_have_value("Caseload capped at 14 until June.")
    accessible(page, "record-form-saved-desktop")

    _box(page, "Welfare discussion").fill("Settled again after a lighter May.")
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.get_by_role("heading", name=re.compile("before you send it"))).to_be_visible()
    expect(page.locator(".govuk-warning-text")).to_contain_text("not saved")
    for written in ("Settled again after a lighter May.", "Two assessments completed on time.",
                    "Caseload capped at 14 until June.", "Ask for a court skills course"):
        expect(page.get_by_text(written)).to_be_visible()  # what Alex will read, as saved
    expect(page.get_by_role("button", name="Send to Alex Morgan for sign-off")).to_be_visible()
    accessible(page, "send-check-desktop")


def test_a_stale_tab_shows_both_texts_and_keeps_the_typing(page: Page, site: str, app: Any, org: Any,
                                                           record_id: int, accessible: Any) -> None:
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/records/{record_id}/edit")
    api = app.test_client()
    etag = api.get(f"/api/v1/records/{record_id}", headers=org.auth("manager")).headers["ETag"]
    theirs = api.patch(f"/api/v1/records/{record_id}", json={"welfare": {"discussion": "Their welfare notes"}},
                       headers={**org.auth("manager"), "If-Match": etag})
    assert theirs.status_code == 200, theirs.json

    _box(page, "Welfare discussion").fill("My welfare notes")
    page.get_by_role("button", name="Save the record").click()

    expect(page.locator(".govuk-error-summary")).to_contain_text("Someone else changed this record")
    expect(page.locator("#stale-changes")).to_contain_text("Their welfare notes")
    expect(_box(page, "Welfare discussion")).to_have_value("My welfare notes")
    accessible(page, "record-form-stale-desktop")


def test_leaving_with_unsaved_typing_asks_first(page: Page, site: str, record_id: int, accessible: Any) -> None:
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/records/{record_id}/edit")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))

    _box(page, "Welfare discussion").fill("Not saved yet")
    page.get_by_role("link", name=re.compile("^Back to Alex Morgan")).click()

    expect(_box(page, "Welfare discussion")).to_have_value("Not saved yet")  # stayed on the page
    assert asked == ["beforeunload"]

    page.get_by_role("button", name="Add the action").click()  # refused: the typing is shown again, unsaved
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the action")
    page.get_by_role("link", name=re.compile("^Back to Alex Morgan")).click()
    expect(_box(page, "Welfare discussion")).to_have_value("Not saved yet")
    assert asked == ["beforeunload", "beforeunload"]


def test_on_a_phone_the_record_form_keeps_typing_and_shows_what_will_be_sent(
        browser: Browser, site: str, record_id: int, accessible: Any) -> None:
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, site, "manager", accessible)
    phone.goto(f"{site}/records/{record_id}/edit")

    _box(phone, "Welfare discussion").fill("Typed on the bus.")
    phone.get_by_role("button", name="Add the action").tap()
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Enter the action")
    expect(_box(phone, "Welfare discussion")).to_have_value("Typed on the bus.")
    accessible(phone, "record-form-kept-phone")

    phone.get_by_role("button", name="Remove A.O.B").tap()
    expect(phone.get_by_role("heading", name="Remove the area ‘A.O.B’?")).to_be_visible()
    accessible(phone, "remove-confirm-phone")
    phone.get_by_role("link", name="No, keep it").tap()

    phone.get_by_role("button", name="Send for sign-off").tap()
    expect(phone.get_by_role("heading", name=re.compile("before you send it"))).to_be_visible()
    expect(phone.get_by_text("Typed on the bus.")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    accessible(phone, "send-check-phone")
    phone.context.close()
