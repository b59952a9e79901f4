"""Sign-off in Chromium: the supervisee opens the link from a real e-mail (captured over SMTP) and
signs with the keyboard alone; the supervisor countersigns, downloads the sealed PDF and /verify
calls it genuine. Every page visited is checked with axe; the main ones are photographed."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.mailing import config, mailbox  # noqa: F401  (fixtures)
from tests.mailbox import Mailbox, text_of

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

WORKER = "worker@knowsley.example.org"


def _link_in_email(mailbox: Mailbox, address: str) -> str:
    """The sign-off link in the newest e-mail to this address, as its recipient would click it."""
    message = [m for m in mailbox.emails() if m["To"] == address][-1]
    match = re.search(r"http://127\.0\.0\.1:\d+/sign/[A-Za-z0-9_-]{43}", text_of(message))
    assert match, text_of(message)
    return match.group(0)


def _tab_to(page: Page, element_id: str) -> None:
    """Press Tab until the element with this id has the focus, as a keyboard user would."""
    for _ in range(40):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def _drafts(app: Any, org: Any) -> tuple[int, int]:
    """A written record and a draft agreement, made through the API as the supervisor."""
    api = app.test_client()
    created = api.post("/api/v1/records", headers=org.auth("manager"),
                       json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"})
    record = created.json
    edited = api.patch(f"/api/v1/records/{record['id']}", headers={**org.auth("manager"), "If-Match": created.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move."}})
    assert edited.status_code == 200, edited.json
    agreement = api.post("/api/v1/agreements", headers=org.auth("manager"),
                         json={"supervisee_id": org.ids["worker"], "started_on": "2025-03-03"}).json
    return record["id"], agreement["id"]


def test_supervisee_signs_by_keyboard_and_the_sealed_pdf_verifies(
        page: Page, browser: Browser, site: str, app: Any, org: Any, mailbox: Mailbox, accessible: Any,
        tmp_path: Any) -> None:
    record_id, agreement_id = _drafts(app, org)
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/records/{record_id}/edit")
    page.get_by_role("button", name="Send for sign-off").click()
    expect(page.get_by_role("heading", name=re.compile("before you send it"))).to_be_visible()
    expect(page.get_by_text("Settled after the team move.")).to_be_visible()  # what Alex will read
    page.get_by_role("button", name="Send to Alex Morgan for sign-off").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("was sent to Alex Morgan for sign-off")
    accessible(page)

    link = _link_in_email(mailbox, WORKER)
    reader = browser.new_context().new_page()  # the supervisee: no account, only the e-mail
    reader.goto(link)
    expect(reader.get_by_role("heading", name=re.compile(f"Supervision record R-{record_id:06d}"))).to_be_visible()
    expect(reader.get_by_text("Settled after the team move.")).to_be_visible()
    accessible(reader, "sign-link")

    _tab_to(reader, "confirm_name")
    reader.keyboard.type("Alex Morgan")
    reader.keyboard.press("Enter")  # no decision yet
    expect(reader.locator(".govuk-error-summary")).to_be_focused()
    expect(reader.locator(".govuk-error-summary")).to_contain_text("Select whether you agree")
    accessible(reader)

    _tab_to(reader, "decision")  # the first radio, "I agree"
    reader.keyboard.press("Space")
    expect(reader.get_by_label("I agree", exact=True)).to_be_checked()
    _tab_to(reader, "submit")
    reader.keyboard.press("Enter")
    expect(reader.locator(".govuk-panel")).to_contain_text("You agreed")
    accessible(reader, "sign-confirmation")
    reader.goto(link)
    expect(reader.get_by_role("heading", name="This link no longer works")).to_be_visible()
    accessible(reader)

    page.goto(f"{site}/records/{record_id}/edit")
    page.get_by_label("Comment (optional)").fill("Good session; see you in four weeks")
    page.get_by_role("button", name="Countersign").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You countersigned")
    expect(page.locator("#signoff")).to_contain_text("Good session; see you in four weeks")
    accessible(page, "record-signoff")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download final PDF").click()
    pdf = tmp_path / "final.pdf"
    download.value.save_as(pdf)

    page.goto(f"{site}/verify")
    accessible(page)
    page.get_by_label("Upload the PDF").set_input_files(str(pdf))
    page.get_by_role("button", name="Check the PDF").click()
    expect(page).to_have_title(
        re.compile(f"^Genuine and unaltered: record R-{record_id:06d}, signed by Alex Morgan on .* and Sam Whitfield on"))
    expect(page.locator(".govuk-panel")).to_contain_text("Genuine and unaltered")
    accessible(page, "verify-genuine")

    page.goto(f"{site}/supervision/{org.ids['worker']}")
    page.get_by_role("link", name="Agreement: draft").click()
    page.get_by_label("Frequency of supervision").fill("Every 4 weeks")
    page.get_by_role("button", name="Save the agreement").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The agreement has been saved")
    expect(page.get_by_label("Frequency of supervision")).to_have_value("Every 4 weeks")
    assert page.url.endswith(f"/agreements/{agreement_id}")
    accessible(page, "agreement-edit")
