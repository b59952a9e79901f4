"""The one place docgen asks what time it is.

Retention runs over years and sign-off links expire over days; tests move time instead of waiting
for it, so every workflow reads the clock through here and tests swap it with `set_clock`.
Times are naive UTC throughout (the same on SQLite and PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
from typing import Callable
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")  # times are stored in UTC; people read them in UK time

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def now() -> dt.datetime:
    """Current time, naive UTC."""
    return _now()


def today() -> dt.date:
    """Today's date in the UK, where the policies' days fall: the UTC date is a day behind between
    midnight and 1 a.m. in summer, when a record due "today" would still read as due tomorrow."""
    return uk(_now()).date()


def set_clock(fn: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (tests); None restores the real one."""
    global _now
    _now = fn or (lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def uk(moment: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as people read it, in UK time."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(UK)
