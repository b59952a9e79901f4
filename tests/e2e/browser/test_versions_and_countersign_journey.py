"""Versions told apart, walked in Chromium at 375 px and 1280 px (issue 27, items 3, 10, 11 and 19).

Alex Morgan disagrees with version 1 of a record through the link in a real e-mail; the page he
lands on leads back to the record. Sam Whitfield revises it and sends version 2; Alex's new link
says what changed since he disagreed. Alex agrees with a comment; Sam opens the countersign link
from his own e-mail, reads Alex's comment on the page, and countersigns. Nobody's name stands as a
signer's before they signed. Every page is checked with axe and photographed.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.mailing import config, mailbox  # noqa: F401  (fixtures)
from tests.e2e.browser.test_signoff_journey import _link_in_email
from tests.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

WIDTHS = {"phone": 375, "desktop": 1280}
WORKER, MANAGER = "worker@knowsley.example.org", "manager@knowsley.example.org"
DISAGREEMENT = "The flexi day was agreed as two days, not one"
THANKS = "Thanks for putting the two days right"


def _sent(app: Any, org: Any) -> int:
    """Sam's record for Alex, written and sent through the API (the journey is Alex's and Sam's links)."""
    api = app.test_client()
    created = api.post("/api/v1/records", headers=org.auth("manager"),
                       json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"})
    record_id = int(created.json["id"])
    edited = api.patch(f"/api/v1/records/{record_id}", headers={**org.auth("manager"), "If-Match": created.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move; one flexi day owed."}})
    assert edited.status_code == 200, edited.json
    assert api.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager")).status_code == 200
    return record_id


def _revised_and_sent_again(app: Any, org: Any, record_id: int) -> None:
    """Sam corrects the welfare text, adds an action and sends version 2."""
    api = app.test_client()
    read = api.get(f"/api/v1/records/{record_id}", headers=org.auth("manager"))
    revised = api.patch(f"/api/v1/records/{record_id}", headers={**org.auth("manager"), "If-Match": read.headers["ETag"]},
                        json={"welfare": {"discussion": "Settled after the team move; two flexi days owed."},
                              "actions": [{"section": "welfare", "text": "Book the two flexi days", "due": "18 December 2026"}]})
    assert revised.status_code == 200, revised.json
    again = api.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager"))
    assert again.status_code == 200 and again.json["version"] == 2, again.json


def _reader(browser: Browser, width: int) -> Page:
    """Someone opening a link from their e-mail: no account, no session, this screen's width."""
    return browser.new_context(viewport={"width": width, "height": 900}).new_page()


def _decide(page: Page, decision: str, comment: str = "") -> None:
    page.get_by_label(decision, exact=True).check()
    if comment:
        page.get_by_label("Comment", exact=True).fill(comment)
    page.get_by_label("Type your full name to confirm").fill("Alex Morgan")
    page.get_by_role("button", name="Submit").click()


@pytest.mark.parametrize("size", WIDTHS)
def test_a_resent_version_shows_its_changes_and_the_countersign_link_shows_the_comment(
        browser: Browser, site: str, app: Any, org: Any, mailbox: Mailbox, accessible: Any, size: str) -> None:
    width = WIDTHS[size]
    record_id = _sent(app, org)

    alex = _reader(browser, width)
    alex.goto(_link_in_email(mailbox, WORKER))
    expect(alex.locator(".app-signing")).to_contain_text("Waiting for Alex Morgan (supervisee) to agree and sign")
    expect(alex.locator(".app-signing")).to_contain_text("To be countersigned by Sam Whitfield (supervisor)")
    expect(alex.locator(".app-changes-since")).to_have_count(0)  # version 1: nothing to compare with
    _decide(alex, "I disagree", DISAGREEMENT)
    expect(alex.get_by_role("heading", name="Your disagreement was sent to Sam Whitfield")).to_be_visible()
    back = alex.get_by_role("link", name=re.compile("Open the record in docgen"))
    expect(back).to_have_attribute("href", f"/records/{record_id}")
    accessible(alex, f"versions-1-disagreed-{size}")

    _revised_and_sent_again(app, org, record_id)
    alex = _reader(browser, width)
    alex.goto(_link_in_email(mailbox, WORKER))
    changes = alex.locator(".app-changes-since")
    expect(changes).to_contain_text("Version 2: revised after you disagreed")
    expect(changes).to_contain_text(f"Your comment on version 1: “{DISAGREEMENT}”")
    expect(changes.locator(".app-change-list li")).to_have_text(["Welfare: text changed",
                                                                "Action 'Book the two flexi days' added"])
    accessible(alex, f"versions-2-changes-shown-{size}")
    _decide(alex, "I agree, with a comment", THANKS)
    expect(alex.get_by_role("heading", name="You agreed, with your comment")).to_be_visible()
    accessible(alex)

    sam = _reader(browser, width)  # the countersign link from Sam's e-mail, not signed in
    sam.goto(_link_in_email(mailbox, MANAGER))
    said = sam.locator(".app-decisions")
    expect(sam.get_by_role("heading", name="What Alex Morgan said")).to_be_visible()
    expect(said).to_contain_text("Version 2 (this version)")
    expect(said).to_contain_text(f"“{THANKS}”")
    expect(said).to_contain_text(f"“{DISAGREEMENT}”")
    expect(sam.locator(".app-signing")).to_contain_text("Waiting for Sam Whitfield (supervisor) to countersign")
    accessible(sam, f"versions-3-countersign-shows-comment-{size}")
    sam.get_by_label("Type your full name to confirm").fill("Sam Whitfield")
    sam.get_by_role("button", name="Countersign").click()
    expect(sam.get_by_role("heading", name="You countersigned")).to_be_visible()
    expect(sam.get_by_role("link", name=re.compile("Open the record in docgen"))).to_have_attribute(
        "href", f"/records/{record_id}/edit")
    accessible(sam, f"versions-4-countersigned-{size}")
