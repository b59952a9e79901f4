"""Periods as the profiles write them ('6 weeks', '1 month', '7 years'), and adding one to a day.

docgen's one period arithmetic: months and years are calendar months, added as dateutil's
relativedelta adds them (31 January + 1 month = 28 February); days and weeks are plain days.
`Period.after` in the profiles, every due date (`workflows.due_dates`), the planning horizon and
the retention periods all add periods here. The due list and the compliance report add tens of
thousands of them in one call and a relativedelta costs ten times a timedelta, so each period is
turned once into the cheapest step that gives the same day (`step`, `cheapest`).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from kernel.errors import InvalidInput

_PERIOD = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$")


def parse_period(text: str) -> relativedelta:
    """'6 weeks' / '1 month' / '7 years' -> relativedelta (calendar arithmetic from dateutil)."""
    m = _PERIOD.match(text)
    if not m:
        raise ValueError(f"'{text}' is not a period like '6 weeks' or '1 month'")
    n, unit = int(m.group(1)), m.group(2)
    return relativedelta(**{unit + "s": n})


@dataclass(frozen=True)
class Months:
    """Whole calendar months, added as relativedelta adds them, only faster."""

    n: int

    def __radd__(self, day: dt.date) -> dt.date:
        return _plus_months(day, self.n)


@lru_cache(maxsize=16384)
def _plus_months(day: dt.date, n: int) -> dt.date:
    """Remembered: an organisation's sessions and agreements fall on a few hundred distinct days.
    A day the inputs let through (`workflows.inputs.dates`) never leaves the calendar here; one that
    would (a stored date years ahead) is refused as input out of range, a 422, never a 500."""
    years, month0 = divmod(day.month - 1 + n, 12)
    year, month = day.year + years, month0 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise InvalidInput(f"{day:%-d %B %Y} is too far ahead: {n} months after it is past the end of the "
                           "calendar (check the year)", "date")
    if day.day <= 28:
        return day.replace(year=year, month=month)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


Step = dt.timedelta | Months | relativedelta  # what `day + step` accepts, cheapest first


def cheapest(delta: relativedelta) -> Step:
    """The cheapest step equal to `delta`: days as a timedelta, whole months as `Months`."""
    if not (delta.years or delta.months):
        return dt.timedelta(days=delta.days)
    if not (delta.days or delta.hours or delta.minutes or delta.seconds or delta.microseconds):
        return Months(delta.years * 12 + delta.months)
    return delta


@lru_cache(maxsize=256)
def step(text: str) -> Step:
    """The period `text` as the cheapest step to add to a day ('6 weeks' -> 42 days, '1 year' -> 12 months)."""
    return cheapest(parse_period(text))
