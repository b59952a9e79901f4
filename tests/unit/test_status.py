"""One vocabulary of states for records, agreements and group records, and one table of the moves
sign-off may make between them."""
from __future__ import annotations

import re

import pytest

from kernel.errors import Conflict
from storage.models import UNSIGNED_RECORD, Status
from workflows import signoff, status


def test_the_stored_words_are_unchanged() -> None:
    assert [s.value for s in Status] == ["draft", "awaiting_supervisee", "awaiting_supervisor", "changes_requested",
                                         "signed", "superseded"]


def test_the_unsigned_records_index_names_only_states_that_exist() -> None:
    named = set(re.findall(r"'([a-z_]+)'", UNSIGNED_RECORD))
    assert named and named <= {s.value for s in Status}


def test_every_state_has_its_moves_and_signed_and_superseded_are_final() -> None:
    assert set(status.TRANSITIONS) == set(Status)
    assert status.TRANSITIONS[Status.SIGNED] == status.TRANSITIONS[Status.SUPERSEDED] == frozenset()


@pytest.mark.parametrize("current,new", [("signed", "draft"), ("awaiting_supervisor", "changes_requested"),
                                         ("superseded", "awaiting_supervisee"), ("draft", "signed")])
def test_a_move_the_table_does_not_allow_is_a_conflict_naming_both_states(current: str, new: str) -> None:
    with pytest.raises(Conflict, match=f"{status.words(current)} cannot become {status.words(new)}"):
        status.check_move(current, new)


def test_a_superseded_agreement_reads_as_superseded_not_as_being_written() -> None:
    step = signoff.turn(Status.SUPERSEDED, "Alex Morgan", "Sam Whitfield", "supervisor")
    assert (step.who, step.text) == (None, "Superseded by a newer agreement")
