"""docgen's one period arithmetic (`workflows.periods`) never fails as a 500 at the calendar's end:
a day whose months-later falls past 9999 is refused as input out of range (422), naming a field."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.errors import InvalidInput
from workflows.periods import Months, step


def test_twelve_months_after_june_9999_is_refused_as_input_out_of_range() -> None:
    with pytest.raises(InvalidInput) as refused:
        dt.date(9999, 6, 1) + step("12 months")
    assert refused.value.status == 422 and refused.value.field == "date"
    assert "1 June 9999 is too far ahead" in refused.value.message


def test_a_day_well_inside_the_calendar_still_adds_months_as_dateutil_does() -> None:
    assert dt.date(2026, 1, 31) + Months(1) == dt.date(2026, 2, 28)
    assert dt.date(9998, 6, 1) + Months(12) == dt.date(9999, 6, 1)
