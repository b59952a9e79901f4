"""A subject-access export's zip in the document store: filed beside the final PDFs (the same
encrypted store, or S3), read back only whole and checked against its SHA-256, and destroyed.

As with `storage.filing`, the object is written and read back before its row records it, and
destroyed again if the transaction does not commit, so no copy of a person's records is left where
nothing names it (a process killed in between leaves an object under `filing.EXPORT_PREFIX` that
the orphan sweep, `filing.destroy_orphans`, takes). A replaced export's object is destroyed once the
change that replaced it commits. The zip holds copies of the person's records, so it goes when
retention destroys theirs (`destroy_of`, from `workflows.retention`), logged in `DestructionLog`
as any destroyed object is. A filed export stays while a legal hold stands on the person, on any
record it copies, or on another holder of a group record it copies (retention asks
`workflows.holds.keeping_exports_of`). What is filed, when and why is `workflows.subject_access`'s.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from kernel import clock
from storage import destruction
from storage.backends.base import DocumentStore
from storage.filing import EXPORT_PREFIX, read_filed
from storage.models import DestructionLog, SubjectAccessExport, SubjectAccessRequest
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Filed:
    key: str
    sha256: str
    size: int


def _unit(db: Session) -> UnitOfWork:
    unit = UnitOfWork.of(db)
    if unit is None:
        raise RuntimeError("filing an export needs a session of a unit of work: nothing else could remove "
                           "the object if the transaction rolled back")
    return unit


def file_export(db: Session, store: DocumentStore, request: SubjectAccessRequest, data: bytes) -> Filed:
    """Store the zip under a key nobody can guess, read it back checked against its SHA-256
    (`filing.DamagedDocument` otherwise), and have it destroyed if the caller's transaction does not
    commit."""
    key = f"{EXPORT_PREFIX}{request.person_id}/request-{request.id}/export-{secrets.token_hex(16)}.zip"
    digest = hashlib.sha256(data).hexdigest()
    store.put(key, data)
    _unit(db).on_rollback(store.destroy, key)
    read_filed(store, key, digest, "the export just filed")
    return Filed(key, digest, len(data))


def read_export(store: DocumentStore, export: SubjectAccessExport) -> bytes:
    """The filed zip, whole, checked against the SHA-256 recorded when it was filed
    (`filing.DamagedDocument` when it differs: it is never served)."""
    if export.storage_key is None or export.sha256 is None:
        raise ValueError("this export has not been filed")
    return read_filed(store, export.storage_key, export.sha256, "the filed subject access export")


def forget(db: Session, store: DocumentStore, export: SubjectAccessExport) -> None:
    """Drop the filed zip from the row, and destroy its object once the transaction commits (a
    store that fails then is logged by the unit of work)."""
    if export.storage_key is not None:
        _unit(db).on_commit(store.destroy, export.storage_key)
    _cleared(export)


def _cleared(export: SubjectAccessExport) -> None:
    export.storage_key = export.sha256 = export.size = export.filed_at = export.withheld = None


@dataclass
class Destroyed:
    """What `destroy_of` did: how many filed exports went, and the keys the store refused."""

    objects: int = 0
    refused: list[str] = field(default_factory=list)


def _unsettled_of(person_id: int) -> ColumnElement[bool]:
    """The exports of a person's requests that are filed, or asked for and neither made nor refused."""
    return and_(SubjectAccessExport.request_id.in_(select(SubjectAccessRequest.id)
                                                   .where(SubjectAccessRequest.person_id == person_id)),
                or_(SubjectAccessExport.storage_key.is_not(None), SubjectAccessExport.problem == ""))


@dataclass(frozen=True)
class Pending:
    """A person's requests whose exports are unsettled: `filed` (a legal hold may keep those) and
    `unmade` (asked for and neither made nor refused: nothing to keep, only to stop being made)."""

    filed: list[int]
    unmade: list[int]


def pending_requests(db: Session, person_id: int) -> Pending:
    """The person's requests whose exports are filed or still being prepared: while any is, the
    person's retention step stays due (one the store refused to destroy is tried again next run), or
    a filed one is reported held while a legal hold keeps it (`workflows.holds.keeping_exports_of`)."""
    rows = db.execute(select(SubjectAccessExport.request_id, SubjectAccessExport.storage_key)
                      .where(_unsettled_of(person_id)).order_by(SubjectAccessExport.request_id)).all()
    return Pending([request for request, key in rows if key is not None],
                   [request for request, key in rows if key is None])


def destroy_of(db: Session, store: DocumentStore, person_id: int, rule: str, *, keep_filed: bool = False) -> Destroyed:
    """Destroy now the filed exports of a person's requests (retention destroys their records under
    `rule`), each logged in `DestructionLog` (one already gone from the store counts as destroyed).
    The row keeps its `filed_at` and says in `problem` when and why it went, and an export asked for
    and not yet filed is marked as not made: neither the sweep nor the worker then builds one from what
    retention left (HR may still ask again). With `keep_filed` (a legal hold keeps the filed copies)
    only that marking is done. An export the store refuses to destroy stays filed, its key returned,
    so the retention step reports it refused and the next run tries again."""
    today = clock.today()
    done = Destroyed()
    unsettled = select(SubjectAccessExport).where(_unsettled_of(person_id)).order_by(SubjectAccessExport.id)
    for export in db.scalars(unsettled):
        if export.storage_key is None:
            export.problem = (f"the records it would copy were destroyed on {today:%-d %B %Y} under the retention "
                              "schedule before it was made")
            continue
        if keep_filed:
            continue
        if not destruction.gone(store, export.storage_key, ", a subject access export"):
            done.refused.append(export.storage_key)
            continue
        db.add(DestructionLog(person_id=person_id, sha256=export.sha256 or "", rule=rule, destroyed_at=clock.now(),
                              description=f"subject access export of request {export.request_id} "
                                          f"({export.size} bytes)"))
        export.storage_key = export.sha256 = export.size = export.withheld = None
        export.problem = f"destroyed on {today:%-d %B %Y} under the retention schedule, with the records it copied"
        done.objects += 1
    return done
