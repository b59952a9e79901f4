"""Appraisals as due items (issue 23, item 11: "appraisal / PDR cycles (K §6, S App C 7, W §18)").

Each council's appraisal is its own rule with its own words: Knowsley's mid-year review and annual
appraisal (K §6), Southwark's appraisals in September and March (W §18, a profile's `months:`), and
none for Haringey, whose 'My Conversation' review has no interval (H §1). Stockport's formal
appraisal (S App C 7) is tested in test_left_out_rules. A council that extends Knowsley never
carries K §6's words on a rule of its own.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kernel.errors import ProfileError
from tests.e2e.test_small_profile import EASTVALE
from tests.unit.test_profile_quotes import _policy
from workflows import profile_sources
from workflows.due_dates import first_year, recurrence, recurring_on
from workflows.due_list import due_list
from workflows.profiles import Profile, Recurring, load_profile, load_profile_file

D = dt.date
START = D(2026, 1, 5)
K6 = "Annual appraisal and mid-year review are in addition to monthly supervision."
W18 = "mid-way appraisals in September and end of year appraisal in March"
H1 = ("A discussion in line with the ‘My Conversation’ guidance will be arranged with your manager at the "
      "appropriate interval.")
KNOWSLEY_APPRAISED = ["social_worker", "asye", "personal_advisor", "family_support_worker", "early_help_practitioner",
                      "family_first_case_manager", "team_manager", "service_manager", "head_of_service"]
MID_WAY, END_OF_YEAR = "Mid-way performance appraisal", "End of year performance appraisal"
APPRAISALS = {"mid_year_review", "appraisal", "mid_year_appraisal"}  # the `also_due` keys of K §6 and W §18


def _year(profile: Profile, role: str, start: dt.date, *labels: str) -> list[tuple[str, dt.date]]:
    """What someone starting in `role` on `start` has due over their first year, of `labels`."""
    return [(due.what, due.on) for due in first_year(profile, role, start) if due.what in labels]


@pytest.mark.parametrize("role", KNOWSLEY_APPRAISED)
def test_knowsleys_mid_year_review_falls_six_months_in_and_the_annual_appraisal_a_year_in(role: str) -> None:
    """K §6: "Annual appraisal and mid-year review are in addition to monthly supervision."."""
    knowsley = load_profile("knowsley")

    assert _year(knowsley, role, START, "Mid-year review", "Annual appraisal") == [
        ("Mid-year review", D(2026, 7, 5)), ("Annual appraisal", D(2027, 1, 5))]
    assert knowsley.quote(f"roles.{role}.also_due") == K6
    assert knowsley.source(f"roles.{role}.also_due").startswith("K §6 (docgen's reading: ")


def test_a_knowsley_student_has_no_appraisal_on_placement() -> None:
    """K §6: "Student Social Workers must have weekly supervision for the first six weeks and
    fortnightly for the remainder of their placement": the appraisal is "in addition to monthly
    supervision", which a student on placement does not have."""
    assert load_profile("knowsley").roles["student"].also_due == []


@pytest.mark.parametrize("council", ["stockport", "southwark", "haringey"])
def test_a_council_extending_knowsley_cites_its_own_policy_for_what_each_role_has_due(council: str) -> None:
    """K §6's "Annual appraisal and mid-year review are in addition to monthly supervision" is
    Knowsley's rule: Stockport's appraisal is S App C 7's ("a formal appraisal at, 6 months
    (Probationary Appraisal) and every year after this"), Southwark's W §18's, Haringey's none (H §1)."""
    profile = load_profile(council)
    policy = _policy(profile.policy_ref)

    for role, rules in profile.roles.items():
        key = f"roles.{role}.also_due"
        assert K6 not in (profile.quote(key) or ""), key
        assert profile_sources.policy_named(profile.source(key)) in (profile.policy_ref, None), key
        if rules.also_due:  # its own citation, found in its own policy
            assert profile_sources.citing(profile.sources, key) == key
            assert profile_sources.quoted_in(profile.quote(key) or "", policy), key


@pytest.mark.parametrize("role", ["social_worker", "asye", "team_manager", "practice_coordinator"])
@pytest.mark.parametrize("start,expected", [
    (D(2026, 6, 1), [(MID_WAY, D(2026, 9, 30)), (END_OF_YEAR, D(2027, 3, 31))]),
    # 31 March 2027 is under three months in, before "A work plan should be completed within 3
    # months of joining the service": the first appraisal is September's
    (D(2027, 1, 4), [(MID_WAY, D(2027, 9, 30))]),
])
def test_southwarks_appraisals_fall_in_september_and_march_once_the_work_plan_is_in_place(
        role: str, start: dt.date, expected: list[tuple[str, dt.date]]) -> None:
    """W §18: "feedback should also be structured into a 6-monthly formal cycle of performance
    appraisal via mid-way appraisals in September and end of year appraisal in March"."""
    southwark = load_profile("southwark")

    assert _year(southwark, role, start, MID_WAY, END_OF_YEAR) == expected
    assert W18 in (southwark.quote(f"roles.{role}.also_due") or "")
    assert [item.months for item in southwark.roles[role].also_due if item.months] == [(9,), (3,)]


def test_a_southwark_student_has_no_appraisal() -> None:
    """W §18's appraisals are the performance management of the service's staff ("incremental
    progression is dependent on positive appraisal"), not of a student's placement."""
    assert load_profile("southwark").roles["student"].also_due == []


def test_haringey_sets_no_interval_for_my_conversation_so_no_appraisal_is_due() -> None:
    """H §1: "there will be an individual performance development review using the 'My
    Conversation' framework. This will be instead of an appraisal … arranged with your manager at
    the appropriate interval"."""
    haringey = load_profile("haringey")

    for role, rules in haringey.roles.items():
        assert rules.also_due == [], role
        year = first_year(haringey, role, START)
        assert {due.what for due in year} == {"supervision", "agreement review"}, role
    assert haringey.quote("roles.social_worker.also_due").endswith(H1)
    assert haringey.source("roles.social_worker.also_due").startswith("H §1 (docgen's reading: ")


@pytest.mark.parametrize("council,today,expected", [
    # the worker started on 8 January 2024 (the `team` fixture)
    ("knowsley", D(2025, 7, 8), [("mid_year_review", "due", "Mid-year review due 8 July 2025")]),
    ("knowsley", D(2025, 1, 2), [("appraisal", "upcoming", "Annual appraisal due 8 January 2025")]),
    ("southwark", D(2025, 9, 15), [("mid_year_appraisal", "upcoming", f"{MID_WAY} due 30 September 2025")]),
    ("southwark", D(2025, 10, 20), [("mid_year_appraisal", "due", f"{MID_WAY} due 30 September 2025")]),
    ("southwark", D(2025, 11, 5), []),  # a month past: docgen keeps no record of it, so it drops off
    ("southwark", D(2026, 3, 31), [("appraisal", "due", f"{END_OF_YEAR} due 31 March 2026")]),
    ("haringey", D(2025, 7, 8), []),
])
def test_the_due_list_shows_each_councils_own_appraisal(uow: Any, team: dict[str, int], council: str,
                                                       today: dt.date, expected: list[tuple[str, str, str]]) -> None:
    """K §6: "Annual appraisal and mid-year review are in addition to monthly supervision"; W §18:
    "mid-way appraisals in September and end of year appraisal in March"; H §1: "at the
    appropriate interval", none."""
    items = due_list(uow.session, load_profile(council), today, supervisee_ids=frozenset({team["worker"]}))

    assert [(i.kind, i.state, i.label) for i in items if i.kind in APPRAISALS] == expected


def test_an_item_due_in_given_months_is_not_due_the_day_someone_starts() -> None:
    """Someone who starts on 30 September has no September appraisal; their first is a year on."""
    item = Recurring.model_validate({"key": "appraisal", "label": "Appraisal", "months": [9]})
    start, window = D(2026, 9, 30), dt.timedelta(days=30)

    assert recurring_on(start, recurrence(item), None, start, window) is None
    assert recurring_on(start, recurrence(item), None, D(2027, 9, 1), window) == D(2027, 9, 30)


def _with_also_due(tmp_path: Path, also_due: str) -> Path:
    path = tmp_path / "eastvale.yaml"
    path.write_text(EASTVALE.replace("    frequency: [{every: 4 weeks}]\n",
                                     f"    frequency: [{{every: 4 weeks}}]\n    also_due: [{also_due}]\n", 1)
                    + '  roles.practitioner.also_due: {section: "E 9", quote: "Appraisals are in September and March."}\n')
    return path


def test_a_profile_may_set_an_item_in_several_months_each_year(tmp_path: Path) -> None:
    profile = load_profile_file(_with_also_due(tmp_path, "{key: appraisal, label: Appraisal, months: [9, 3]}"))
    [item] = profile.roles["practitioner"].also_due

    assert item.schedule == "by the end of September and March each year"
    assert _year(profile, "practitioner", D(2027, 1, 4), "Appraisal") == [("Appraisal", D(2027, 3, 31)),
                                                                          ("Appraisal", D(2027, 9, 30))]


@pytest.mark.parametrize("months", ["[13]", "[0]", "[September]", "[9, 9]", "[]", "9"])
def test_a_bad_month_is_refused_at_load_in_one_line_naming_the_key(tmp_path: Path, months: str) -> None:
    with pytest.raises(ProfileError) as refused:
        load_profile_file(_with_also_due(tmp_path, f"{{key: appraisal, label: Appraisal, months: {months}}}"))

    [line] = str(refused.value.message).splitlines()[1:]
    assert line.strip().startswith("roles.practitioner.also_due.0.months: ")
    assert "is not a list of month numbers from 1 (January) to 12 (December), each once" in line


@pytest.mark.parametrize("schedule_keys", ["every: 1 year, months: [9]", ""])
def test_an_item_needs_a_period_or_months_not_both(tmp_path: Path, schedule_keys: str) -> None:
    with pytest.raises(ProfileError) as refused:
        load_profile_file(_with_also_due(tmp_path, f"{{key: appraisal, label: Appraisal, {schedule_keys}}}"))

    [line] = str(refused.value.message).splitlines()[1:]
    assert line.strip() == ("roles.practitioner.also_due.0: Value error, give one of `every` (a period: '1 year') "
                            "and `months` (month numbers each year: [9, 3])")
