"""Group supervision's rules as each council's policy states them (K's list before §6, S §5,
W §5/§8 and App C, H §1, L), the case-ID rule of the group records, and when a group is due and overdue."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.errors import InvalidInput
from storage.models import SupervisionGroup
from workflows import group_forms, groups
from workflows.profiles import load_profile

# council -> (every, overdue_after, form, recorder role, signer role)
RULES = {
    "knowsley": (None, None, "group_plain", None, None),
    "stockport": (None, None, "group_plain", None, None),
    "southwark": ("1 week", None, "southwark_group", "practice_coordinator", "advanced_practitioner"),
    "haringey": ("6 weeks", "8 weeks", "group_plain", None, None),
    "lancashire": (None, None, "group_plain", None, None),
}


@pytest.mark.parametrize("council", sorted(RULES))
def test_each_council_has_its_policys_group_rule_with_its_source(council: str) -> None:
    profile = load_profile(council)
    rule = profile.groups
    every, overdue, form, recorder, signer = RULES[council]
    assert (rule.every.text if rule.every else None, rule.overdue_after.text if rule.overdue_after else None,
            rule.record_form, rule.recorder_role, rule.signer_role) == (every, overdue, form, recorder, signer)
    assert profile.source("groups")
    for role in filter(None, (rule.recorder_role, rule.signer_role)):
        assert role in profile.roles, f"{council}: groups name the role '{role}' the profile lacks"


def test_the_southwark_group_record_has_w_app_c_headings_in_the_seeds_order() -> None:
    headings = [part.heading.split(".", 1)[0] for part in group_forms.SOUTHWARK_GROUP.parts if part.kind == "fields"]
    assert headings[:12] == [str(n) for n in range(1, 13)]
    assert group_forms.SOUTHWARK_GROUP.parts[-1].kind == "signatures"


@pytest.mark.parametrize("typed,kept", [("104233", "104233"), ("104233; LL-104240\nCP/2291", "104233, LL-104240, CP/2291"),
                                        ("", "")])
def test_case_ids_are_kept_as_ids(typed: str, kept: str) -> None:
    assert groups._case_ids(typed) == kept


@pytest.mark.parametrize("typed", ["Jane Smith", "104233, Jane", "Baby J", "the Smith family"])
def test_a_childs_name_is_refused_naming_the_cases_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        groups._case_ids(typed)
    assert refused.value.field == "cases"


def _group(frequency: str = "") -> SupervisionGroup:
    return SupervisionGroup(name="G", facilitator_id=1, frequency=frequency, created_at=dt.datetime(2026, 1, 5, 9))


def test_a_haringey_group_is_due_at_six_weeks_and_overdue_after_eight() -> None:
    profile, last = load_profile("haringey"), dt.date(2026, 1, 5)
    states = {days: groups._due(profile, _group(), last, last + dt.timedelta(days=days)).state
              for days in (41, 42, 56, 57)}
    assert states == {41: "upcoming", 42: "due", 56: "due", 57: "overdue"}


def test_where_the_policy_sets_no_frequency_only_a_group_that_sets_its_own_falls_due() -> None:
    profile, last = load_profile("knowsley"), dt.date(2026, 1, 5)
    assert groups._due(profile, _group(), last, dt.date(2027, 1, 1)) is None
    assert groups._due(profile, _group("4 weeks"), last, dt.date(2026, 2, 3)).state == "overdue"
