"""Appraisals on the supervisor's due list, the API's, the policy page and `docgen profile check`
(issue 23, item 11: "appraisal and PDR dates as due items where a policy sets them").

The org's people started on 8 January 2024. Knowsley (K §6: "Annual appraisal and mid-year review
are in addition to monthly supervision") has a mid-year review due on 8 July; Southwark (W §18:
"mid-way appraisals in September and end of year appraisal in March") an appraisal by the end of
September; Haringey, whose 'My Conversation' review comes "at the appropriate interval" (H §1),
none.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from typing import Any

import pytest
from click.testing import CliRunner

from docgen.main import cli
from kernel import clock
from kernel.config import Config
from tests.e2e.test_web_pages import HTML, sign_in, text
from workflows.profiles import PROFILE_DIR

MID_YEAR = "Mid-year review due 8 July 2025"
MID_WAY = "Mid-way performance appraisal due 30 September 2025"
ON = {"knowsley": dt.datetime(2025, 7, 8, 9, 0), "southwark": dt.datetime(2025, 9, 15, 9, 0),
      "haringey": dt.datetime(2025, 7, 8, 9, 0)}
SHOWN = {"knowsley": [("mid_year_review", "due", MID_YEAR)],
         "southwark": [("mid_year_appraisal", "upcoming", MID_WAY)],
         "haringey": []}
APPRAISALS = {"mid_year_review", "appraisal", "mid_year_appraisal"}
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(params=sorted(ON))
def council(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def config(config: Config, council: str) -> Config:
    return dataclasses.replace(config, profile=council)


def test_the_supervisors_due_list_shows_the_councils_own_appraisals(client: Any, org: Any, council: str) -> None:
    clock.set_clock(lambda: ON[council])
    sign_in(client, "manager")

    page = " ".join(html.unescape(TAG.sub(" ", text(client.get("/supervision", headers=HTML)))).split())
    answer = client.get("/api/v1/due", headers=org.auth("manager"))

    assert answer.status_code == 200, answer.json
    items = [(i["supervisee_name"], i["kind"], i["state"], i["label"]) for i in answer.json["items"]
             if i["kind"] in APPRAISALS]
    # the social worker's, the ASYE's, and the team manager's own (their head of service supervises them)
    assert items == [(name, *item) for name in ("Alex Morgan", "Priya Patel", "Sam Whitfield")
                     for item in SHOWN[council]]
    for wording in (MID_YEAR, MID_WAY):
        assert (wording in page) is any(label == wording for _, _, label in SHOWN[council]), wording


def test_the_policy_page_shows_each_roles_appraisal_or_why_there_is_none(client: Any, org: Any,
                                                                         council: str) -> None:
    sign_in(client, "admin")

    page = " ".join(html.unescape(TAG.sub(" ", text(client.get("/admin/policy", headers=HTML)))).split())

    shown = {
        "knowsley": "Mid-year review at 6 months, then every 1 year Source: K §6 (docgen's reading: the mid-year "
                    "review six months after the start, the appraisal a year after it, then each yearly): Annual "
                    "appraisal and mid-year review are in addition to monthly supervision.",
        "southwark": "Mid-way performance appraisal by the end of September each year, the first at least 3 months "
                     "after the start Source: W §9; W §18",
        "haringey": "Nothing else due besides supervision Source: H §1 (docgen's reading: 'at the appropriate "
                    "interval' sets no interval, so no appraisal or review is due)",
    }[council]
    assert shown in page


@pytest.mark.parametrize("name,start,expected", [
    ("knowsley", dt.date(2026, 1, 5), [(dt.date(2026, 7, 5), "Mid-year review"),
                                       (dt.date(2027, 1, 5), "Annual appraisal")]),
    ("southwark", dt.date(2026, 6, 1), [(dt.date(2026, 9, 30), "Mid-way performance appraisal"),
                                        (dt.date(2027, 3, 31), "End of year performance appraisal")]),
])
def test_profile_check_prints_a_new_starters_appraisals_over_their_first_year(
        name: str, start: dt.date, expected: list[tuple[dt.date, str]]) -> None:
    checked = CliRunner().invoke(cli, ["profile", "check", str(PROFILE_DIR / f"{name}.yaml"),
                                       "--start", start.isoformat()])

    assert checked.exit_code == 0, checked.output
    roles = re.split(r"\n  (?=\S)", checked.output[checked.output.index("Due over the first year"):])
    [social_worker] = [lines for lines in roles if "(social_worker):" in lines.splitlines()[0]]
    for on, what in expected:
        assert f"    {on:%a %-d %b %Y}  {what}\n" in social_worker + "\n"
