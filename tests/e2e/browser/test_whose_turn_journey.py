"""Whose turn it is, in Chromium: the supervisor's dashboard says who must act at each step of a
record's sign-off (sent, disagreed, agreed, signed with its PDF), the supervisor reads on the
record's page what was sent, with each version's decisions and comments, and their own e-mailed
link, spent by countersigning in docgen, says so and leads back to the record. Every state is
checked with axe and photographed at desktop size, the record and the dashboard also on a phone."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_signoff_journey import WORKER, _link_in_email
from tests.e2e.browser.mailing import config, mailbox  # noqa: F401  (fixtures)
from tests.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

MANAGER = "manager@knowsley.example.org"
PHONE = {"width": 375, "height": 812}


def _sent_record(app: Any, org: Any) -> int:
    """A record the supervisor wrote and sent through the API (the record form has its own journey)."""
    api = app.test_client()
    created = api.post("/api/v1/records", headers=org.auth("manager"),
                       json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"})
    edited = api.patch(f"/api/v1/records/{created.json['id']}",
                       headers={**org.auth("manager"), "If-Match": created.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move."}})
    assert edited.status_code == 200, edited.json
    _send_again(app, org, created.json["id"])
    return created.json["id"]


def _send_again(app: Any, org: Any, record_id: int) -> None:
    sent = app.test_client().post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager"))
    assert sent.status_code == 200, sent.json


def _decide(browser: Browser, mailbox: Mailbox, decision: str, comment: str = "") -> None:
    """The supervisee follows the newest e-mailed link, with no account, and decides."""
    reader = browser.new_context().new_page()
    reader.goto(_link_in_email(mailbox, WORKER))
    reader.get_by_label({"agree": "I agree", "disagree": "I disagree"}[decision], exact=True).check()
    if comment:
        reader.get_by_role("textbox", name="Comment").fill(comment)
    reader.get_by_label("Type your full name to confirm").fill("Alex Morgan")
    reader.get_by_role("button", name="Submit").click()
    expect(reader.locator(".govuk-panel")).to_be_visible()
    reader.context.close()


def _on_phone(browser: Browser, page: Page, url: str, accessible: Any, screenshot: str) -> Page:
    """The same page, signed in as the same person, on a touch phone."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.add_cookies(page.context.cookies())
    phone = context.new_page()
    phone.goto(url)
    accessible(phone, screenshot)
    return phone


def _dashboard_turn(page: Page, site: str, record_id: int) -> Any:
    """The dashboard's line for this record."""
    page.goto(f"{site}/supervision")
    return page.locator(".app-turn", has=page.locator(f'a[href="/records/{record_id}/edit"]'))


def test_the_dashboard_says_whose_turn_it_is_and_the_supervisor_reads_what_was_sent(
        page: Page, browser: Browser, site: str, app: Any, org: Any, mailbox: Mailbox, accessible: Any) -> None:
    record_id = _sent_record(app, org)
    sign_in(page, site, "manager", accessible)

    turn = _dashboard_turn(page, site, record_id)
    expect(turn).to_contain_text("Waiting for Alex Morgan to agree (sent today)")
    accessible(page, "turn-sent-desktop")
    _on_phone(browser, page, f"{site}/supervision", accessible, "turn-sent-phone").context.close()

    turn.get_by_role("link", name=re.compile("Record of 3 March 2025")).click()
    signoff = page.locator("#signoff")
    expect(signoff).to_contain_text("Waiting for Alex Morgan to agree (sent today)")
    expect(page.get_by_role("heading", name="The record as sent to Alex Morgan")).to_be_visible()
    expect(signoff).to_contain_text("Settled after the team move.")
    accessible(page, "sent-record-desktop")
    phone = _on_phone(browser, page, page.url, accessible, "sent-record-phone")
    expect(phone.locator("#signoff")).to_contain_text("Settled after the team move.")
    phone.context.close()

    _decide(browser, mailbox, "disagree", "The flexi day was agreed as two days")
    expect(_dashboard_turn(page, site, record_id)).to_contain_text("Alex Morgan disagreed: revise or countersign")
    accessible(page, "turn-disagreed-desktop")
    _on_phone(browser, page, f"{site}/supervision", accessible, "turn-disagreed-phone").context.close()

    _send_again(app, org, record_id)  # the revised version
    _decide(browser, mailbox, "agree")
    turn = _dashboard_turn(page, site, record_id)
    expect(turn).to_contain_text("Ready for you to countersign")
    accessible(page, "turn-countersign-desktop")
    turn.get_by_role("link", name=re.compile("Record of 3 March 2025")).click()
    signoff = page.locator("#signoff")
    expect(signoff).to_contain_text("Ready for you to countersign")
    expect(signoff.get_by_text("Version 1", exact=True)).to_be_visible()
    expect(signoff.get_by_text("Version 2 (current)")).to_be_visible()
    expect(signoff).to_contain_text("The flexi day was agreed as two days")
    accessible(page, "countersign-record-desktop")
    own_link = _link_in_email(mailbox, MANAGER)

    page.get_by_role("button", name="Countersign", exact=True).click()
    expect(page.locator("#signoff")).to_contain_text("Signed: download PDF")
    expect(page.get_by_role("link", name="Download final PDF")).to_be_visible()
    turn = _dashboard_turn(page, site, record_id)
    expect(turn).to_contain_text("Signed: download PDF")
    expect(turn.get_by_role("link", name=re.compile("download PDF"))).to_have_attribute(
        "href", f"/api/v1/records/{record_id}/pdf")
    accessible(page, "turn-signed-desktop")
    _on_phone(browser, page, f"{site}/supervision", accessible, "turn-signed-phone").context.close()

    page.goto(own_link)
    expect(page.get_by_role("heading", name="You have already countersigned")).to_be_visible()
    expect(page.get_by_text(re.compile(r"You already countersigned in docgen on \d+ \w+ \d{4}"))).to_be_visible()
    accessible(page, "spent-link-desktop")
    page.get_by_role("link", name=re.compile("Open the record")).click()
    expect(page.locator("#signoff")).to_contain_text("Signed: download PDF")
