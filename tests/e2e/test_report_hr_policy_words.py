"""The compliance report, HR's retention words and the policy page say what happens (issue 27,
items 9, 14 and 15), read through the pages as a head of service, HR and an administrator would."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from storage.models import AuditEvent
from tests.e2e.test_hr_leavers import REASON, a_record, at, leaving
from tests.e2e.test_web_pages import HTML, csrf, post, sign_in, text
from workflows.compliance_report import TITLE_CHARACTERS

SVG_TEXT = re.compile(r'<text x="16" y="\d+" font-size="18" font-weight="bold"[^>]*>([^<]*)</text>')


def test_the_charts_title_is_never_cut_at_the_edge_of_the_picture(client: Any, org: Any) -> None:
    """Issue 27: "Supervision compliance, Whole organisation, 1 October 2026 to 7 December 2026"
    was drawn on one line 640 wide and read "…to 7 Decem"."""
    sign_in(client, "head")
    page = text(client.get("/reports/compliance?scope=all&start=1&start=10&start=2026&end=7&end=12&end=2026",
                           headers=HTML))

    lines = SVG_TEXT.findall(page)
    assert lines == ["Supervision compliance, Whole organisation,", "1 October 2026 to 7 December 2026"]
    assert all(len(line) <= TITLE_CHARACTERS for line in lines)
    first_bar = int(re.search(r'<rect x="16" y="(\d+)"', page).group(1))
    assert first_bar > 28 + 24 * (len(lines) - 1)  # the bars start below the title's last line


def test_on_a_phone_each_figure_keeps_its_met_out_of_and_percent_label(client: Any, org: Any) -> None:
    """Issue 27: on a phone the table stacks and hides its header row, so each cell carries its
    column's name (`data-label`, shown by the stylesheet); the figures had none."""
    sign_in(client, "head")
    page = text(client.get("/reports/compliance", headers=HTML))

    figures = page[page.index("The chart’s figures"):page.index("</table>", page.index("The chart’s figures"))]
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', figures, re.DOTALL)[1:]
    assert len(rows) == 3
    for row in rows:
        assert re.findall(r'data-label="([^"]+)"', row) == ["Measure", "Met", "Out of", "Percent"]


def test_hr_reads_that_an_early_forward_keeps_the_destruction_date(client: Any, app: Any, org: Any) -> None:
    """Issue 27: the page said records are "destroyed 7 years after they are forwarded", yet after
    an early forward the date stayed 29 July 2034. HR chose: the date counts from the day the rule
    sends them, so an early forward never shortens how long they are kept; the words say so."""
    at(dt.date(2027, 1, 4))
    a_record(client, org)
    leaving(client, org, "worker", "2027-01-29")
    at(dt.date(2027, 2, 1))
    sign_in(client, "hr")
    worker = org.ids["worker"]
    form = text(client.get(f"/hr/leavers/{worker}/forward", headers=HTML))
    assert "It does not change when they are destroyed: 29 July 2034" in form
    assert "download the records bundle straight away" not in form

    done = post(client, f"/hr/leavers/{worker}/forward", {"reason": REASON})
    forwarded = " ".join(text(client.get(done.headers["Location"], headers=HTML)).split())
    leavers = " ".join(text(client.get("/hr/leavers", headers=HTML)).split())

    assert "29 July 2034" in forwarded
    assert "That date counts from 29 July 2027, the day they were due to go to HR" in forwarded
    assert "after they are forwarded" not in leavers
    assert "Forwarding them early does not bring that day forward" in leavers
    assert "Forwarded early on 1 February 2027 (due on 29 July 2027)" in leavers
    assert "Due on 29 July 2034, 7 years after 29 July 2027" in leavers.replace("7 Years", "7 years")


def test_a_freeze_after_the_leaving_date_says_why_it_came_later(client: Any, org: Any) -> None:
    """Issue 27: "Frozen on 7 December" beside "from the leaving date" (28 October). The nightly
    run freezes on the leaving date; a freeze that came later (no run in between, or the leaving
    recorded after the day) says so, without claiming which."""
    at(dt.date(2027, 1, 4))
    a_record(client, org)
    leaving(client, org, "worker", "2027-01-29")
    at(dt.date(2027, 2, 1))
    sign_in(client, "hr")
    post(client, f"/hr/leavers/{org.ids['worker']}/forward", {"reason": REASON})

    leavers = " ".join(text(client.get("/hr/leavers", headers=HTML)).split())

    assert ("Frozen on 1 February 2027, after the leaving date (29 January 2027): when the leaving was recorded "
            "or the next retention run came") in leavers
    assert "On the leaving date the nightly retention run freezes" in leavers


def test_the_policy_page_reads_as_words_for_an_administrator(client: Any, org: Any) -> None:
    """Issue 27: "Source: default: docgen — K §6…" and "1 days after"."""
    sign_in(client, "admin")
    page = " ".join(text(client.get("/admin/policy", headers=HTML)).split())

    assert "Source: default: docgen" not in page and "1 days" not in page
    assert "1 day after the record is due" in page
    assert "Why: K §6 sets no frequency for managers" in page


def test_confirming_a_default_is_checked_first_and_needs_the_councils_decision(client: Any, org: Any,
                                                                               db: Any) -> None:
    """Issue 27: confirming a council's decision was one click on a warning. Now the warning links
    to a page that shows the rule, docgen's default and why, and what confirming does; the
    administrator ticks that the council has decided, or nothing is recorded."""
    sign_in(client, "admin")
    policy = text(client.get("/admin/policy", headers=HTML))
    assert '<button type="submit"' not in policy[policy.index('data-unconfirmed="retention"'):][:800]
    check = client.get("/admin/policy/confirm?key=retention", headers=HTML)
    shown = " ".join(text(check).split())
    assert check.status_code == 200
    assert "Why docgen chose it" in shown and "S 12.4" in shown and "you are asked again" in shown
    fingerprint = shown.split('name="fingerprint" value="')[1].split('"')[0]
    form = {"csrf_token": csrf(client, "/admin/policy/confirm?key=retention"), "key": "retention",
            "fingerprint": fingerprint}

    undecided = client.post("/admin/policy/confirm", headers=HTML, data=form)
    assert undecided.status_code == 422 and 'href="#decided"' in text(undecided)
    assert "Select that the council has decided to keep this rule" in text(undecided)
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "profile_default_confirmed")).all()

    done = client.post("/admin/policy/confirm", headers=HTML, data={**form, "decided": "yes"}, follow_redirects=True)
    assert "Confirmed for the council: retention" in text(done)
    assert 'data-unconfirmed="retention"' not in text(done)
    assert len(db.scalars(select(AuditEvent).where(AuditEvent.action == "profile_default_confirmed")).all()) == 1


def test_a_check_page_for_a_rule_that_is_not_waiting_is_refused_naming_the_field(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    refused = client.get("/admin/policy/confirm?key=record_days", headers=HTML)
    assert refused.status_code == 422 and "record_days" in text(refused)
