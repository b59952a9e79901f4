"""Where a record's or an agreement's sign-off stands, and the one way it moves.

The words are `workflows.status` (the stored `storage.models.Status`, shared with agreements and
group records, which sign-off sits above), re-exported here so sign-off's callers name them once:
DRAFT -> AWAITING_SUPERVISEE -> AWAITING_SUPERVISOR -> SIGNED, and CHANGES_REQUESTED when the
supervisee disagrees. Every move goes through `move`: the table's check, then a compare-and-set.
Who signs a document is the profile's (`signers`): a profile may need only the supervisor (H
records), which skips the supervisee step.
"""
from __future__ import annotations

from typing import Any, Literal, Union

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kernel.errors import Conflict
from storage.db import next_revision
from storage.models import Agreement, Record
from workflows import agreements, records
from workflows.profiles import Profile
from workflows.status import (AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, CHANGES_REQUESTED, COUNTERSIGNABLE, DRAFT,
                              EDITABLE, SIGNED, SUPERSEDED, WAITING, check_move, words)

__all__ = ["AWAITING_SUPERVISEE", "AWAITING_SUPERVISOR", "CHANGES_REQUESTED", "COUNTERSIGNABLE", "DRAFT", "EDITABLE",
           "SENDABLE", "SIGNED", "SUPERSEDED", "WAITING", "Document", "Kind", "get_document", "kind_of", "move",
           "owner_ids", "signers", "words"]

Document = Union[Record, Agreement]
Kind = Literal["record", "agreement"]
SENDABLE = EDITABLE  # what its writer may still change may be sent (again)


def owner_ids(document: Document) -> dict[str, int]:
    """The owner column a sign-off row (event, link, filed version) of this document is written with."""
    return {"record_id": document.id} if isinstance(document, Record) else {"agreement_id": document.id}


def kind_of(document: Document) -> Kind:
    """'record' or 'agreement': the word tasks, storage keys and API paths use."""
    return "record" if isinstance(document, Record) else "agreement"


def get_document(db: Session, kind: str, document_id: int) -> Document:
    """The record or agreement of this kind and id; NotFound when there is none."""
    if kind == "record":
        return records.get_record(db, document_id)
    return agreements.get_agreement(db, document_id)


def signers(profile: Profile, document: Document) -> list[str]:
    """Who signs this document, in order: "supervisee" and/or "supervisor", as the profile says."""
    if isinstance(document, Record) and document.group_session_id is not None:
        return ["supervisor"]  # issue 14: a group record's signer alone signs it off (W §8)
    return list(profile.signoff.record_signers if isinstance(document, Record) else profile.signoff.agreement_signers)


def move(db: Session, document: Document, expected: str, new: str, **also: Any) -> None:
    """Move a document from `expected` to `new` as a compare-and-set on its state, version and edit
    revision as this request read them: a concurrent request that moved or edited it first makes
    this one a Conflict (409), nothing recorded. The move raises the revision, so an edit made
    from before it is refused too (`workflows.revisions`)."""
    check_move(expected, new)
    db.flush()  # the revision compared is the one in the database, not one a pending change will raise
    model = type(document)
    changed = {"status": new, "revision": next_revision(db, document), **also}
    result = db.execute(update(model)
                        .where(model.id == document.id, model.status == expected,
                               model.version == document.version, model.revision == document.revision)
                        .values(**changed).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("someone else changed it at the same time; reload it and try again", "status")
    for name, value in changed.items():
        set_committed_value(document, name, value)
