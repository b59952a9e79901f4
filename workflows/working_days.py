"""Working days: weekends and England's bank holidays skipped.

Records are due "within 5 working days" (K) and a cancelled session is rebooked "within the next
five working days" (H); `workflows.due_dates` counts both here, with the numbers the profile
holds. England's bank holidays (which Wales shares) come from the `holidays` package (docgen's
choice); they are looked up once per year and cached.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    """One year's bank holidays in England (substitute days included)."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a bank holiday in England."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (before it when n is negative); n=0 gives `start`.

    `start` itself need not be a working day: a session held on a Saturday still has five
    working days, counted from the Monday.
    """
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days after `a` up to and including `b` (negative when b is before a).

    The inverse of `add_working_days`: working_days_between(d, add_working_days(d, n)) == n.
    """
    if b < a:
        return -working_days_between(b, a)
    return sum(1 for i in range(1, (b - a).days + 1) if is_working_day(a + dt.timedelta(days=i)))

