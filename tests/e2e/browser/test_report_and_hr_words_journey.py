"""Issue 27 in Chromium: the compliance report on a phone keeps each figure's Met / Out of /
Percent label and its chart's title whole; HR reads what an early forward does and does not do; an
administrator checks a default before confirming it. Each page is checked with axe and photographed."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from storage.models import Person
from tests.e2e.browser.test_journeys import sign_in
from workflows import movers, records

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def leaver(app: Any, org: Any) -> int:
    """Priya left last week with a record on her file, and no retention run has been since."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        priya = db.get_one(Person, org.ids["asye"])
        records.create_record(db, services.profile, priya, dt.date.today() - dt.timedelta(days=20))
        movers.mark_leaver(db, priya, dt.date.today() - dt.timedelta(days=7), None)
    return org.ids["asye"]


def _before(cell: Any) -> str:
    """What the stylesheet writes before a cell (its `data-label` on a phone)."""
    return str(cell.evaluate("cell => getComputedStyle(cell, '::before').content"))


def test_on_a_phone_the_report_keeps_each_figures_label_and_the_charts_whole_title(
        page: Page, site: str, accessible: Any) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, site, "head", accessible)
    page.goto(f"{site}/reports/compliance")
    figures = page.get_by_role("table", name="The chart’s figures")
    expect(figures).to_contain_text("Supervisions held on time")

    row = figures.locator("tbody tr").first
    for cell, label in zip(row.locator("th, td").all(), ("Measure", "Met", "Out of", "Percent")):
        expect(cell).to_be_visible()
        assert _before(cell) == f'"{label}"'
    chart = page.locator(".app-chart svg")
    title = chart.locator("text[font-weight=bold]")
    expect(title.last).to_have_text(re.compile(r"to \d{1,2} \w+ \d{4}$"))
    widest = max(box["x"] + box["width"] for box in (t.bounding_box() for t in title.all()) if box)
    assert widest <= chart.bounding_box()["x"] + chart.bounding_box()["width"]
    accessible(page, "compliance-report-phone-labels")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(figures.get_by_role("columnheader", name="Out of")).to_be_visible()
    accessible(page, "compliance-report-desktop")


def test_hr_reads_what_an_early_forward_does_and_an_administrator_checks_a_default_before_confirming(
        page: Page, site: str, accessible: Any, leaver: int) -> None:
    sign_in(page, site, "hr", accessible)
    page.goto(f"{site}/hr/leavers")
    page.get_by_text("What “Records frozen”, “Forwarded to HR” and “Destroyed” mean").click()
    expect(page.locator(".govuk-details")).to_contain_text("Forwarding them early does not bring that day forward")
    card = page.locator(f"#leaver-{leaver}")
    expect(card).to_contain_text("the leaving date")
    accessible(page, "hr-leavers-retention-words")
    card.get_by_role("link", name="Forward to HR early").click()
    expect(page.get_by_role("heading", name=re.compile("early$"))).to_be_visible()
    expect(page.get_by_text("It does not change when they are destroyed")).to_be_visible()
    page.get_by_label("Why must the records go to HR now?").fill("A tribunal has asked for the employee's file")
    page.get_by_role("button", name="Forward to HR now").click()
    expect(page.get_by_text("the day they were due to go to HR: forwarding early does not change it")).to_be_visible()
    accessible(page, "hr-forwarded-early")

    sign_in(page, site, "admin", accessible)
    page.goto(f"{site}/admin/policy")
    page.get_by_role("link", name="Check and confirm retention for the council").click()
    expect(page.get_by_role("heading", name="Check docgen’s default for retention before you confirm it")).to_be_visible()
    page.get_by_role("button", name="Confirm retention for the council").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select that the council has decided")
    accessible(page, "admin-policy-confirm-refused")
    page.get_by_label("The council has decided to keep this rule as it stands").check()
    page.get_by_role("button", name="Confirm retention for the council").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Confirmed for the council: retention")
    accessible(page, "admin-policy-confirmed-after-check")
