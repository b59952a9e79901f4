"""Due-date rules kept in `workflows.due_dates` and read by the due list, agreements, groups and
the escalation of late records alike."""
from __future__ import annotations

import datetime as dt

import pytest

from workflows import due_dates
from workflows.profiles import load_profile

TODAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize("days_ahead,state", [(31, None), (30, "upcoming"), (0, "due"), (-1, "overdue")])
def test_an_agreement_review_shows_from_thirty_days_ahead_and_is_overdue_after_its_day(
        days_ahead: int, state: str | None) -> None:
    assert due_dates.review_state(TODAY + dt.timedelta(days=days_ahead), TODAY) == state


@pytest.mark.parametrize("days_ahead,state", [(31, None), (30, "upcoming"), (0, "due"), (-30, "due"), (-31, None)])
def test_a_formal_review_shows_for_thirty_days_either_side_and_is_never_overdue(
        days_ahead: int, state: str | None) -> None:
    assert due_dates.reminder_state(TODAY + dt.timedelta(days=days_ahead), TODAY) == state


def test_late_records_escalate_only_where_the_profile_says_after_how_long() -> None:
    profile = load_profile("knowsley")
    after = profile.model_copy(update={"signoff": profile.signoff.model_copy(update={"escalate_after_days": 10})})
    never = profile.model_copy(update={"signoff": profile.signoff.model_copy(update={"escalate_after_days": None})})
    assert due_dates.escalation_cutoff(after, TODAY) == dt.date(2026, 2, 20)
    assert due_dates.escalation_cutoff(never, TODAY) is None


def test_a_group_falls_due_by_the_profiles_rule_else_by_its_own_frequency() -> None:
    since = dt.date(2026, 1, 5)
    haringey = load_profile("haringey")
    assert due_dates.group_session_due(haringey, "", since) == (dt.date(2026, 2, 16), dt.date(2026, 3, 2))
    assert due_dates.group_session_due(load_profile("knowsley"), "4 weeks", since) == (dt.date(2026, 2, 2),) * 2
    assert due_dates.group_session_due(load_profile("knowsley"), "", since) is None
