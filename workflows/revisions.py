"""Edit revisions: a change to a record, an agreement, a person or a supervision relationship names
the revision it was made from, and is refused if someone else changed the thing first (issue 13).

The API takes the revision from If-Match (the ETag of the caller's last read), the pages from a
hidden field in the form. `expect` compares it with the row as read inside the unit of work; the
row's version counter (`storage.models._revision`) then makes the UPDATE itself a compare-and-set,
so of two changes made from the same read exactly one lands, and the other is PreconditionFailed
(412) with nothing written: the same answer on SQLite, where transactions are serialised, and on
PostgreSQL, where the second UPDATE finds the revision moved (`storage.db.RevisionCheckedSession`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import Field

from kernel.errors import PreconditionFailed, PreconditionRequired

# How every answer that carries them describes a row's edit revision and a document's sent version.
Revision = Annotated[int, Field(description="edit revision: the ETag; send it back in If-Match to change this")]
SentVersion = Annotated[int, Field(description="the version sent for sign-off (a revision after a disagreement is "
                                               "the next)")]


class Revisioned(Protocol):
    revision: int


@dataclass(frozen=True)
class ReadAlone:
    """A row's revision read on its own (the column, not the row the session holds)."""

    revision: int


def expect(row: Revisioned, revision: int | None, what: str) -> None:
    """Refuse a change made from `revision` unless it is still the row's current one, and a change
    that does not say which revision it was made from (it could overwrite one its author never saw)."""
    if revision is None:
        raise PreconditionRequired(f"say which revision of the {what} you are changing: send If-Match with the "
                                   "ETag of your last read (or reload the page)", "revision")
    if row.revision != revision:
        raise PreconditionFailed(f"someone else changed this {what} since you read it (you read revision "
                                 f"{revision}, it is now revision {row.revision}); read it again, then make "
                                 "your change", "revision")
