"""Journeys through issue 14's pages in Chromium, every page checked with axe: a line manager
records a three-way meeting, an auditor draws and scores a sample, a manager outside the line asks
for consent and the supervisee answers at the e-mailed link (Haringey's profile)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kernel.config import Config
from storage.models import Organisation, Person, SignoffEvent
from tests.e2e.browser.mailing import mailbox  # noqa: F401
from tests.e2e.browser.test_journeys import PASSWORD, sign_in
from tests.mailbox import Mailbox, text_of
from tests.sealing import mailing_and_sealing
from workflows import accounts, people, records

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def profile_name() -> str:
    return "knowsley"


@pytest.fixture
def config(config: Config, mailbox: Mailbox, site_port: int, profile_name: str) -> Config:
    return dataclasses.replace(mailing_and_sealing(config, mailbox.port, f"http://127.0.0.1:{site_port}"),
                               profile=profile_name)


def _record(app: Any, org: Any, day: dt.date, status: str) -> int:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        record = records.create_record(db, services.profile, db.get_one(Person, org.ids["worker"]), day)
        record.status = status
        if status == "signed":
            record.signed_at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10))
        else:
            db.add(SignoffEvent(record_id=record.id, version=1, event="disagreed", person_id=org.ids["worker"],
                                at=dt.datetime.combine(day, dt.time(16)), comment="The leave dates are wrong"))
        db.flush()
        return record.id


def test_a_line_manager_records_a_three_way_meeting(page: Page, site: str, accessible: Any, app: Any,
                                                   org: Any) -> None:
    _record(app, org, dt.date.today() - dt.timedelta(days=60), "changes_requested")
    app.extensions["docgen"].enqueue("disagreement_route")
    sign_in(page, site, "head", accessible)
    page.goto(f"{site}/disagreements")
    expect(page.get_by_role("heading", name="Disagreements for you as line manager")).to_be_visible()
    accessible(page, "disagreements")
    page.get_by_role("link", name=re.compile(r"^R-")).click()
    expect(page.get_by_role("table", name="Sign-off and route, as on the certificate")).to_contain_text("line manager told")
    accessible(page)
    expect(page.get_by_role("radio")).to_have_count(0)  # the only outcome is said, not offered (issue 27)
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date of the three-way meeting")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what was decided")
    accessible(page)
    today = dt.date.today()
    group = page.get_by_role("group", name="Date of the three-way meeting")
    for label, value in (("Day", today.day), ("Month", today.month), ("Year", today.year)):
        group.get_by_label(label).fill(str(value))
    page.get_by_label("What was decided", exact=True).fill("Leave dates corrected from the HR system")
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_role("heading", name="Outcome")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("outcome has been recorded")
    expect(page.get_by_role("table", name="Sign-off and route, as on the certificate")).to_contain_text(
        "Leave dates corrected from the HR system")
    accessible(page, "disagreement-outcome")


def test_an_auditor_draws_scores_and_reports_a_sample(page: Page, site: str, accessible: Any, app: Any,
                                                      org: Any) -> None:
    for weeks in (2, 6, 10):
        _record(app, org, dt.date.today() - dt.timedelta(weeks=weeks), "signed")
    sign_in(page, site, "auditor", accessible)
    page.goto(f"{site}/quality-audits")
    expect(page.get_by_role("heading", name="Quality audits")).to_be_visible()
    accessible(page, "quality-audits")
    page.get_by_label("Records per supervisor").fill("0")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Records per supervisor must be between 1 and 50")
    accessible(page)
    page.get_by_label("Records per supervisor").fill("2")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_role("heading", name=re.compile("^Quality audit QA-"))).to_be_visible()
    accessible(page, "quality-audit-report")
    page.get_by_role("link", name=re.compile(r"^R-")).first.click()
    expect(page.get_by_role("heading", name=re.compile("^Audit of R-"))).to_be_visible()
    accessible(page, "quality-audit-item")
    page.get_by_role("button", name="Save the audit form").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Reflection is present")
    accessible(page)
    for question in ("Actions are specific, with an owner and a due date", "Reflection is present",
                     "Decisions and their rationale are recorded"):
        page.get_by_role("group", name=question).get_by_label("Yes").check()
    page.get_by_label("Findings").fill("Clear and reflective")
    page.get_by_role("button", name="Save the audit form").click()
    expect(page.get_by_role("table", name="Records sampled and findings")).to_contain_text("Clear and reflective")


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_a_manager_outside_the_line_asks_and_the_supervisee_answers(page: Page, site: str, accessible: Any, app: Any,
                                                                    org: Any, mailbox: Mailbox) -> None:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        organisation = db.get_one(Organisation, org.org.id)
        team = people.create_team(db, organisation, "Fostering", "Children's Social Care")
        olu = people.create_person(db, organisation, services.profile, {
            "name": "Olu Other", "email": "olu@knowsley.example.org", "role": "team_manager", "team_id": team.id,
            "employment_start": dt.date(2024, 1, 8)})
        people.create_person(db, organisation, services.profile, {
            "name": "Kim Lee", "email": "kim@knowsley.example.org", "role": "social_worker", "team_id": team.id,
            "line_manager_id": olu.id, "employment_start": dt.date(2024, 1, 8)})
        accounts.create_account(db, olu, PASSWORD, [])
    sign_in(page, site, "olu", accessible)
    page.goto(f"{site}/consent-requests")
    expect(page.get_by_role("heading", name="Reading records with consent")).to_be_visible()
    accessible(page, "consent-requests")
    page.get_by_role("button", name="Ask for consent").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    accessible(page)
    page.get_by_label("Whose records do you need to read?").select_option(label="Alex Morgan")
    page.get_by_label("Why do you need to read them?").fill("Investigating a complaint about the duty rota")
    page.get_by_role("button", name="Ask for consent").click()
    expect(page.get_by_role("table", name="Your requests")).to_contain_text("Waiting")

    mail = next(m for m in reversed(mailbox.emails()) if m["To"] == "worker@knowsley.example.org")
    link = re.search(r"http://127\.0\.0\.1:\d+/consent/[A-Za-z0-9_-]{43}", text_of(mail)).group(0)
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", name="Olu Other asks to read your supervision records")).to_be_visible()
    accessible(page, "consent-link")
    page.get_by_label("No, I do not agree").check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("You refused Olu Other’s request")).to_be_visible()
    accessible(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="This consent link cannot be used")).to_be_visible()
    accessible(page)

    sign_in(page, site, "olu", accessible)  # the manager who asked may not override the refusal
    page.goto(f"{site}/consent-requests")
    expect(page.get_by_role("table", name="Your requests")).to_contain_text("Alex Morgan’s own manager decides")
    expect(page.get_by_role("button", name="Override the refusal")).to_have_count(0)
    # H §11: "the manager must make a professional judgement about the need to override consent":
    # Sam, who keeps Alex's file (H §10), decides
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/consent-requests")
    accessible(page, "consent-refusal-to-decide")
    page.get_by_label("Why must Olu Other read Alex Morgan’s records?").fill("Risk to a child named in the complaint")
    page.get_by_role("button", name="Override the refusal").click()
    expect(page.get_by_role("heading", name="Override Alex Morgan’s refusal")).to_have_count(0)
    accessible(page, "consent-overridden")
    sign_in(page, site, "olu", accessible)
    page.goto(f"{site}/consent-requests")
    expect(page.get_by_role("table", name="Your requests")).to_contain_text("Refused, overridden")
