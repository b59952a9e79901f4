"""An action's "By when" is free text, but a date written in it must exist."""
from __future__ import annotations

import pytest

from kernel.errors import InvalidInput
from workflows.actions import checked_due


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
