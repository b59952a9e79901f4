"""Where a record, an agreement or a group record stands, and which moves sign-off may make.

The words are `storage.models.Status` (stored as they are); this module is the one table of moves
between them, so that "who may move a document where" is read in one place rather than inferred
from the checks scattered over the steps that make the moves:

- a draft, or a version the supervisee disagreed with, is sent to its first signer;
- a signer waiting may be sent a new link (the state stays, the revision moves);
- the supervisee agrees (to the supervisor, or signed where the profile needs only them) or
  disagrees (changes requested);
- the supervisor countersigns after the supervisee agreed, or over a disagreement;
- after a disagreement the supervisor starts the next version (the state stays);
- an agreement still being written is superseded when a newer one is started (agreements only).

Signed and superseded are final.
"""
from __future__ import annotations

from collections.abc import Mapping

from kernel.errors import Conflict
from storage.models import Status

DRAFT = Status.DRAFT
AWAITING_SUPERVISEE = Status.AWAITING_SUPERVISEE
AWAITING_SUPERVISOR = Status.AWAITING_SUPERVISOR
CHANGES_REQUESTED = Status.CHANGES_REQUESTED
SIGNED = Status.SIGNED
SUPERSEDED = Status.SUPERSEDED

EDITABLE = (DRAFT, CHANGES_REQUESTED)  # its writer may still change it, and send it (again)
WAITING = (AWAITING_SUPERVISEE, AWAITING_SUPERVISOR)  # a link is out; the signer may be sent a new one
COUNTERSIGNABLE = (AWAITING_SUPERVISOR, CHANGES_REQUESTED)

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    DRAFT: frozenset({AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, SUPERSEDED}),
    AWAITING_SUPERVISEE: frozenset({AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, CHANGES_REQUESTED, SIGNED}),
    AWAITING_SUPERVISOR: frozenset({AWAITING_SUPERVISOR, SIGNED}),
    CHANGES_REQUESTED: frozenset({CHANGES_REQUESTED, AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, SIGNED,
                                  SUPERSEDED}),
    SIGNED: frozenset(),
    SUPERSEDED: frozenset(),
}


def words(status: str) -> str:
    """A status as a sentence reads it ("changes requested")."""
    return status.replace("_", " ")


def may_move(current: str, new: Status) -> bool:
    """Whether the table allows a document that is `current` to become `new`."""
    return new in TRANSITIONS[Status(current)]


def check_move(current: str, new: str) -> None:
    """Refuse (Conflict, naming both states) a move the table does not allow."""
    if not may_move(current, Status(new)):
        raise Conflict(f"a document that is {words(current)} cannot become {words(new)}", "status")
