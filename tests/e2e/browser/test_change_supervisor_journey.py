"""A change of supervisor, walked in Chromium at 375 px and 1280 px (issue 27, items 5, 6 and 12).

The administrator hands Alex Morgan over from Sam Whitfield to Dana Okafor: a date before the
current supervision started is refused on its field, then the change lands and says that Sam's
supervision ends the day before. Dana, now Alex's supervisor, opens the draft Sam left: the action
carried with "Friday" for a due date is flagged "No date set"; she sets one, then removes an area
whose open action she moves to another area. Every page is checked with axe and photographed.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

WIDTHS = {"phone": 375, "desktop": 1280}
CARRIED = "Ring the family court about the hearing"
IN_AREA = "Renew the parking permit"


@pytest.fixture
def second_record(app: Any, org: Any) -> int:
    """Sam's two records for Alex through the API: the first raises an action due "Friday" and one in
    the A.O.B area, the second (still a draft) carries the first forward."""
    api = app.test_client()
    ids = []
    for day in ("2025-03-03", "2025-04-07"):
        created = api.post("/api/v1/records", headers=org.auth("manager"),
                           json={"supervisee_id": org.ids["worker"], "session_date": day})
        assert created.status_code == 201, created.json
        ids.append(int(created.json["id"]))
        if len(ids) == 1:
            edited = api.patch(f"/api/v1/records/{ids[0]}", headers={**org.auth("manager"),
                                                                     "If-Match": created.headers["ETag"]},
                               json={"actions": [{"text": CARRIED, "owner": "Alex", "due": "Friday"}]})
            assert edited.status_code == 200, edited.json
    latest = api.get(f"/api/v1/records/{ids[1]}", headers=org.auth("manager"))
    edited = api.patch(f"/api/v1/records/{ids[1]}", headers={**org.auth("manager"), "If-Match": latest.headers["ETag"]},
                       json={"actions": [{"section": "aob", "text": IN_AREA, "due": "30 April 2025"}]})
    assert edited.status_code == 200, edited.json
    return ids[1]


def _date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


@pytest.mark.parametrize("size", WIDTHS)
def test_an_administrator_changes_a_supervisor_and_the_new_one_takes_over_the_record(
        page: Page, site: str, accessible: Any, second_record: int, size: str) -> None:
    page.set_viewport_size({"width": WIDTHS[size], "height": 900})
    sign_in(page, site, "admin", accessible)
    page.goto(f"{site}/admin/relationships")
    accessible(page, f"change-supervisor-1-relationships-{size}")
    page.get_by_role("link", name=re.compile(r"Change supervisor of Alex Morgan")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Alex Morgan’s supervisor")

    page.get_by_label("New supervisor").select_option(label="Dana Okafor (head@knowsley.example.org)")
    _date(page, "New supervisor starts on", "1", "12", "2023")
    page.get_by_role("button", name="Change the supervisor").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must start after 8 January 2024")
    accessible(page, f"change-supervisor-2-refused-{size}")

    _date(page, "New supervisor starts on", "5", "1", "2026")
    page.get_by_role("button", name="Change the supervisor").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Dana Okafor supervises Alex Morgan from 5 January 2026")
    expect(banner).to_contain_text("Sam Whitfield’s supervision ends on 4 January 2026")
    accessible(page, f"change-supervisor-3-changed-{size}")

    sign_in(page, site, "head", accessible)
    page.goto(f"{site}/records/{second_record}/edit")
    card = page.locator(".govuk-summary-card", has_text=CARRIED)
    expect(card).to_contain_text("No date set")
    accessible(page, f"change-supervisor-4-new-supervisor-record-{size}")
    card.get_by_role("button", name=re.compile("Correct or remove")).click()
    page.get_by_label("By when").fill("11 April 2025")
    page.get_by_role("button", name="Save the action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The action has been corrected")
    expect(page.locator(".govuk-summary-card", has_text=CARRIED)).not_to_contain_text("No date set")

    page.get_by_role("button", name=re.compile("Remove A.O.B")).click()
    expect(page.get_by_role("group", name="Where should its open action go?")).to_be_visible()
    accessible(page, f"change-supervisor-5-remove-area-{size}")
    page.get_by_role("button", name=re.compile("Yes, remove")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose where its open actions go")
    page.get_by_label("Performance").check()
    page.get_by_role("button", name=re.compile("Yes, remove")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The area has been removed and its actions moved")
    expect(page.locator(".govuk-summary-card", has_text=IN_AREA)).to_contain_text("in Performance")
    accessible(page, f"change-supervisor-6-area-removed-{size}")
