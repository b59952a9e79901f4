"""Issue 27 in Chromium: a supervisee follows their open actions from My records to the record
that raised them, sees it marked signed with its PDF, and goes back; on the desktop no table word
breaks across lines ("Alex Morga n"), on a phone nothing overflows; the supervisor's dashboard
keeps a draft dated tomorrow; a facilitator cancels a group session and rebooks it. Every page is
checked with axe, best practices included."""
from __future__ import annotations

import datetime as dt
import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.mailing import config, mailbox  # noqa: F401  (fixtures)
from tests.e2e.browser.test_journeys import sign_in
from tests.e2e.browser.test_phone_journey import fits
from tests.e2e.browser.test_signoff_journey import _link_in_email
from tests.mailbox import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

DESKTOP = {"width": 1280, "height": 900}
# A long note beside short columns: what made the table squeeze "Alex Morgan" to "Alex Morga n".
PROGRESS = ("Agreed with the team manager that the day is taken after the Hollies review, once the "
            "chronology for the Child Protection conference has been updated and shared with the family, "
            "the school and the health visitor, and the legal planning meeting has set its date")
# Each word of a table's visible text whose letters are drawn on more than one line.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.govuk-table td, .govuk-table th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.govuk-visually-hidden')) continue;
      for (const word of node.data.matchAll(/[^\\s\\-\\u2013\\/]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(word[0]);
      }
    }
  }
  return broken;
}"""


def _signed_and_carried(app: Any, org: Any, mailbox: Mailbox, site: str) -> int:
    """A record of 2 November with an action, agreed, countersigned and sealed; a draft of
    1 December carries the action on. The decisions go to the site over HTTP: sealing runs in the
    server's thread, since pyHanko cannot start its event loop inside Playwright's."""
    api = app.test_client()
    created = api.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"},
                       headers=org.auth("manager"))
    record_id = created.json["id"]
    edited = api.patch(f"/api/v1/records/{record_id}", headers={**org.auth("manager"), "If-Match": created.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move."}, "actions": [
                           {"section": "welfare", "text": "Take the flexi day owed", "owner": "Alex Morgan",
                            "due": "30 December 2026", "progress": PROGRESS}]})
    assert edited.status_code == 200, edited.json
    assert api.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager")).status_code == 200
    for address, name in (("worker@knowsley.example.org", "Alex Morgan"), ("manager@knowsley.example.org", "Sam Whitfield")):
        token = _link_in_email(mailbox, address).rsplit("/", 1)[1]
        decided = urllib.request.Request(f"{site}/api/v1/sign/{token}", method="POST",
                                         data=json.dumps({"decision": "agree", "confirm_name": name}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(decided) as answer:
            assert answer.status == 200
    later = api.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-12-01"},
                     headers=org.auth("manager"))
    assert later.status_code == 201, later.json
    return record_id


def _whole_words(page: Page) -> None:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.evaluate(BROKEN_WORDS) == [], f"{page.url}: words broken across lines in a table"


def test_a_supervisee_follows_an_open_action_to_its_signed_record_and_back(
        page: Page, site: str, app: Any, org: Any, mailbox: Mailbox, accessible: Any) -> None:
    record_id = _signed_and_carried(app, org, mailbox, site)
    page.set_viewport_size(DESKTOP)
    sign_in(page, site, "worker", accessible)
    page.goto(f"{site}/my-records")
    actions = page.get_by_role("table", name="Open actions from your supervision records, soonest due first")
    expect(actions).to_contain_text("Take the flexi day owed")
    expect(actions).to_contain_text("30 December 2026")
    expect(page.get_by_text("Signed: download PDF")).to_have_count(0)
    _whole_words(page)
    accessible(page, "my-records-open-actions")

    actions.get_by_role("link", name="Record of 2 November 2026").click()
    expect(page.get_by_role("heading", name=f"Supervision record R-{record_id:06d}")).to_be_visible()
    expect(page.get_by_role("link", name="Download the signed PDF")).to_be_visible()
    _whole_words(page)
    accessible(page, "record-signed-with-back-link")
    page.get_by_role("link", name="Back to my records").click()
    expect(page.get_by_role("heading", name="My supervision records")).to_be_visible()

    page.get_by_role("link", name=f"R-{record_id + 1:06d}").click()
    expect(page.get_by_text("Carried forward from 2 November 2026")).to_be_visible()
    accessible(page)

    page.goto(f"{site}/my-records")
    fits(page, accessible, "my-records-open-actions-phone")


def test_a_draft_dated_tomorrow_is_on_the_supervisors_dashboard(page: Page, site: str, app: Any, org: Any,
                                                                 accessible: Any) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    created = app.test_client().post("/api/v1/records", headers=org.auth("manager"),
                                     json={"supervisee_id": org.ids["worker"], "session_date": tomorrow.isoformat()})
    assert created.status_code == 201, created.json
    page.set_viewport_size(DESKTOP)
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/supervision")
    expect(page.get_by_role("link", name=f"Record of {tomorrow.day} {tomorrow:%B %Y} to complete")).to_be_visible()
    _whole_words(page)
    accessible(page, "dashboard-draft-tomorrow")


def test_a_facilitator_cancels_a_group_session_and_rebooks_it(page: Page, site: str, app: Any, org: Any,
                                                               accessible: Any) -> None:
    api = app.test_client()
    group = api.post("/api/v1/groups", headers=org.auth("manager"), json={
        "name": "CIN 1 action learning", "facilitator_id": org.ids["manager"],
        "member_ids": [org.ids["worker"], org.ids["asye"]]}).json
    starts = dt.datetime.combine(dt.date.today() + dt.timedelta(days=7), dt.time(10))
    planned = api.post(f"/api/v1/groups/{group['id']}/sessions", headers=org.auth("manager"),
                       json={"starts_at": f"{starts.isoformat()}Z"})
    assert planned.status_code == 201, planned.json
    page.set_viewport_size(DESKTOP)
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/groups/{group['id']}")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent the cancellation")
    accessible(page, "group-session-cancelled")
    page.get_by_role("link", name="Rebook").click()
    expect(page.get_by_role("heading", name="Rebook the session")).to_be_visible()
    page.get_by_label("Date").fill((dt.date.today() + dt.timedelta(days=9)).isoformat())
    page.get_by_label("Start time").fill("14:30")
    page.get_by_role("button", name="Rebook the session").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The session is rebooked for")
    accessible(page)
    page.get_by_role("link", name="Move").click()
    accessible(page, "group-session-move")
