"""When supervision falls due: every profile's phases across their boundaries, agreed frequencies,
and working days across England's bank holidays."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from dateutil.relativedelta import relativedelta

from workflows.profiles import Role, load_profile
from workflows.due_dates import next_due, parse_frequency, profile_due
from workflows.due_dates import record_due_date as due_date
from workflows.working_days import add_working_days, is_working_day, working_days_between

START = dt.date(2026, 1, 5)  # a Monday
D = dt.date


@dataclass
class Staff:
    role: str
    employment_start: dt.date = START


def day(n: int) -> dt.date:
    """Day n of employment, counted as the policies count weeks (day 42 = six weeks in)."""
    return START + dt.timedelta(days=n)


def month(n: int) -> dt.date:
    return START + relativedelta(months=n)


PHASES = [
    # profile, role, last session, next due: (why)
    ("knowsley", "asye", None, day(7)),                 # first session a week after starting
    ("knowsley", "asye", day(41), day(48)),             # still weekly on day 41
    ("knowsley", "asye", day(42), day(56)),             # fortnightly from six weeks
    ("knowsley", "asye", day(43), day(57)),
    ("knowsley", "asye", month(6) - dt.timedelta(days=1), month(6) + dt.timedelta(days=13)),  # last fortnight
    ("knowsley", "asye", month(6), month(7)),           # monthly from six months
    ("knowsley", "social_worker", D(2026, 1, 31), D(2026, 2, 28)),  # calendar month, short February
    ("knowsley", "student", day(41), day(48)),
    ("knowsley", "student", day(42), day(56)),
    ("knowsley", "student", day(400), day(414)),        # fortnightly for the rest of the placement
    ("stockport", "student", day(400), day(407)),       # S App E: weekly throughout
    ("stockport", "asye", day(41), day(48)),
    ("stockport", "asye", day(42), day(42) + relativedelta(months=1)),  # NQSW: monthly after six weeks
    ("haringey", "social_worker", D(2026, 3, 2), D(2026, 3, 30)),       # every four weeks, not monthly
    ("haringey", "asye", day(41), day(48)),
    ("haringey", "asye", day(42), day(56)),
    ("haringey", "asye", day(132), day(146)),           # fortnightly until 19 weeks (day 133)
    ("haringey", "asye", day(133), day(133) + relativedelta(months=1)),
    ("southwark", "social_worker", D(2026, 3, 2), D(2026, 4, 2)),
    ("southwark", "asye", day(42), day(56)),
    ("southwark", "asye", month(6), month(7)),
]


@pytest.mark.parametrize("profile,role,last,due", PHASES)
def test_next_supervision_follows_the_phase_in_force_on_the_last_session(profile: str, role: str,
                                                                         last: dt.date | None, due: dt.date) -> None:
    status = next_due(load_profile(profile), Staff(role), last, None, today=START)
    assert status.due_on == due
    assert status.basis == "profile"


def test_move_to_more_frequent_phase_takes_effect_from_its_first_day() -> None:
    role = Role.model_validate({"label": "Returner", "record_kind": "practitioner",
                                "frequency": [{"every": "1 month", "until": "3 months"}, {"every": "1 week"}]})
    due, late = profile_due(role, START, day(80))  # monthly would give day 111; weekly starts on month 3
    assert due == late == month(3) + dt.timedelta(days=7)


SOUTHWARK_STATES = [
    (D(2026, 4, 1), "upcoming"),
    (D(2026, 4, 2), "due"),        # due monthly ...
    (D(2026, 4, 13), "due"),       # ... still not overdue at six weeks
    (D(2026, 4, 14), "overdue"),   # overdue after six weeks (W §17)
]


@pytest.mark.parametrize("today,state", SOUTHWARK_STATES)
def test_southwark_is_due_monthly_but_overdue_only_after_six_weeks(today: dt.date, state: str) -> None:
    status = next_due(load_profile("southwark"), Staff("social_worker"), D(2026, 3, 2), None, today)
    assert (status.due_on, status.late_after, status.state) == (D(2026, 4, 2), D(2026, 4, 13), state)


def test_without_overdue_after_a_supervision_is_overdue_the_day_after_it_is_due() -> None:
    profile = load_profile("knowsley")
    assert next_due(profile, Staff("social_worker"), D(2026, 3, 2), None, D(2026, 4, 2)).state == "due"
    assert next_due(profile, Staff("social_worker"), D(2026, 3, 2), None, D(2026, 4, 3)).state == "overdue"


def test_with_no_session_yet_the_first_falls_due_one_interval_after_supervision_began() -> None:
    profile = load_profile("knowsley")
    long_serving = Staff("social_worker", D(2015, 6, 1))
    status = next_due(profile, long_serving, None, None, START, supervised_since=D(2026, 1, 12))
    assert status.due_on == D(2026, 2, 12)


AGREED = [
    # role, agreed frequency, last session, due, basis
    ("social_worker", "fortnightly", D(2026, 3, 2), D(2026, 3, 16), "agreement"),   # more frequent wins
    ("social_worker", "Every 3 weeks.", D(2026, 3, 2), D(2026, 3, 23), "agreement"),
    ("social_worker", "every 6 weeks", D(2026, 3, 2), D(2026, 4, 2), "profile"),    # less frequent ignored
    ("social_worker", "monthly", D(2026, 3, 2), D(2026, 4, 2), "profile"),          # the same is no override
    ("social_worker", "as and when needed", D(2026, 3, 2), D(2026, 4, 2), "profile"),
    ("asye", "fortnightly", day(10), day(17), "profile"),                           # weekly phase stands
    ("asye", "weekly", month(7), month(7) + dt.timedelta(days=7), "agreement"),
]


@pytest.mark.parametrize("role,agreed,last,due,basis", AGREED)
def test_agreed_frequency_overrides_the_profile_only_when_more_frequent(role: str, agreed: str, last: dt.date,
                                                                       due: dt.date, basis: str) -> None:
    status = next_due(load_profile("knowsley"), Staff(role), last, agreed, today=last)
    assert (status.due_on, status.basis) == (due, basis)


def test_agreed_frequency_sets_the_overdue_date_too() -> None:
    status = next_due(load_profile("southwark"), Staff("social_worker"), D(2026, 3, 2), "weekly", D(2026, 3, 10))
    assert (status.due_on, status.late_after, status.state) == (D(2026, 3, 9), D(2026, 3, 9), "overdue")


@pytest.mark.parametrize("text,interval", [
    ("weekly", relativedelta(weeks=1)), ("Fortnightly", relativedelta(weeks=2)), ("monthly", relativedelta(months=1)),
    ("every 2 weeks", relativedelta(weeks=2)), ("once a month", relativedelta(months=1)),
    ("4-weekly", relativedelta(weeks=4)), ("at least monthly", relativedelta(months=1)),
    ("every 4-6 weeks", None), ("bi-weekly", None), ("", None),
    ("Every 1 week for the first 6 weeks; then every 1 month", None),  # the profile's own wording: phases apply
])
def test_agreement_frequency_text_is_read_in_its_common_forms(text: str, interval: relativedelta | None) -> None:
    assert parse_frequency(text) == interval


WORKING_DAYS = [
    # start, n, result: (why)
    (D(2026, 12, 24), 1, D(2026, 12, 29)),  # Christmas Friday, Boxing Day substitute Monday 28th
    (D(2026, 12, 23), 5, D(2027, 1, 4)),    # ... and New Year's Day
    (D(2027, 3, 25), 1, D(2027, 3, 30)),    # Good Friday 26th, Easter Monday 29th
    (D(2027, 3, 24), 5, D(2027, 4, 2)),
    (D(2026, 5, 21), 5, D(2026, 5, 29)),    # spring bank holiday Monday 25 May
    (D(2026, 5, 23), 1, D(2026, 5, 26)),    # a Saturday session: Monday is the holiday
    (D(2026, 3, 2), 5, D(2026, 3, 9)),      # an ordinary week
    (D(2026, 12, 29), -1, D(2026, 12, 24)),
]


@pytest.mark.parametrize("start,n,result", WORKING_DAYS)
def test_working_days_skip_weekends_and_bank_holidays(start: dt.date, n: int, result: dt.date) -> None:
    assert add_working_days(start, n) == result
    assert working_days_between(start, result) == n


def test_bank_holidays_are_not_working_days() -> None:
    for holiday in (D(2026, 12, 25), D(2026, 12, 28), D(2027, 3, 26), D(2027, 3, 29), D(2026, 5, 25)):
        assert not is_working_day(holiday)
    assert is_working_day(D(2026, 12, 24))


def test_record_due_date_follows_the_profile_day_kind() -> None:
    knowsley = load_profile("knowsley")
    assert due_date(knowsley, D(2026, 12, 23)) == D(2027, 1, 4)
    calendar = knowsley.model_copy(update={"record_day_kind": "calendar"})
    assert due_date(calendar, D(2026, 12, 23)) == D(2026, 12, 28)
