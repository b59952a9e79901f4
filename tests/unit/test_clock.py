"""The clock: stored times are UTC, but the days the policies count are the UK's."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest

from kernel import clock


@pytest.fixture
def at() -> Iterator[list[dt.datetime]]:
    """Set `at[0]` to a naive UTC time to hold the clock there for the test."""
    moment: list[dt.datetime] = []
    clock.set_clock(lambda: moment[0])
    yield moment
    clock.set_clock(None)


def test_today_at_half_past_midnight_in_summer_is_the_uk_date_not_the_utc_one(at: list[dt.datetime]) -> None:
    at.append(dt.datetime(2026, 7, 1, 23, 30))  # 00:30 BST on 2 July
    assert clock.today() == dt.date(2026, 7, 2)


def test_today_in_winter_is_the_utc_date_which_is_the_uk_one(at: list[dt.datetime]) -> None:
    at.append(dt.datetime(2026, 12, 31, 23, 30))  # 23:30 GMT
    assert clock.today() == dt.date(2026, 12, 31)
