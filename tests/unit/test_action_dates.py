"""An action's "By when" is free text, but a date written in it must exist."""
from __future__ import annotations

import datetime as dt

import pytest

from kernel.errors import InvalidInput
from workflows.actions import checked_due, due_date


@pytest.mark.parametrize("due", ["31/02/2026", "29-02-2025", "31 June 2026", "30 February 2026", "32.1.2026",
                                 "by 31/04/26"])
def test_a_by_when_date_that_does_not_exist_is_refused_naming_the_field(due: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_due(due)
    assert refused.value.field == "actions.due"
    assert "real date" in refused.value.message


@pytest.mark.parametrize("due", ["28/02/2026", "29/02/2028", "30 June 2026", "next supervision", "",
                                 "before the 3 reviews in 2026", "  1st March 2026 "])
def test_a_real_date_or_plain_words_are_kept(due: str) -> None:
    assert checked_due(due) == due.strip()


@pytest.mark.parametrize("due,by", [
    ("2027-03-05", "2027-03-05"), ("30 Sept 2027", "2027-09-30"), ("March 27, 2027", "2027-03-27"),
    ("1st of May 2027", "2027-05-01"), ("5.3.27", "2027-03-05"),
    ("Review the 12/01/2026 incident by 31/01/2027", "2027-01-31"),  # the last date is the one it is due by
    ("Friday", None), ("end of month", None)])
def test_the_date_an_action_is_due_by_is_read_in_the_ways_people_write_it(due: str, by: str | None) -> None:
    assert due_date(due) == (dt.date.fromisoformat(by) if by else None)


def test_only_the_date_it_is_due_by_must_follow_the_session() -> None:
    session = dt.date(2026, 11, 2)
    assert checked_due("Review the 12/01/2026 incident by 31/01/2027", session).endswith("31/01/2027")
    with pytest.raises(InvalidInput, match="on or after the session"):
        checked_due("2026-10-30", session)
    with pytest.raises(InvalidInput, match="real date"):
        checked_due("31 Sept 2027", session)
