"""A subject-access export's zip in the document store: filed beside the final PDFs (the same
encrypted store, or S3), read back only whole and checked against its SHA-256, and destroyed.

As with `storage.filing`, the object is written and read back before its row records it, and
destroyed again if the transaction does not commit, so no copy of a person's records is left where
nothing names it. A replaced export's object is destroyed once the change that replaced it commits.
The zip holds copies of the person's records, so it goes when retention destroys theirs
(`destroy_of`, from `workflows.retention`). What is filed, when and why is `workflows.subject_access`'s.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.backends.base import DocumentStore, StorageError
from storage.filing import read_filed
from storage.models import SubjectAccessExport, SubjectAccessRequest
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


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
    key = f"subject-access/{request.person_id}/request-{request.id}/export-{secrets.token_hex(16)}.zip"
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


def destroy_of(db: Session, store: DocumentStore, person_id: int) -> int:
    """Destroy now the filed exports of a person's requests (retention destroys their records);
    how many went. One the store refuses to destroy is kept, for the next run."""
    exports = db.scalars(select(SubjectAccessExport).join(SubjectAccessRequest)
                         .where(SubjectAccessRequest.person_id == person_id,
                                SubjectAccessExport.storage_key.is_not(None)))
    destroyed = 0
    for export in exports:
        try:
            store.destroy(str(export.storage_key))
        except StorageError:
            log.exception("could not destroy the subject access export %s; retried next run", export.storage_key)
            continue
        _cleared(export)
        destroyed += 1
    return destroyed
