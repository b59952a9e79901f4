"""Filing a document: the object in the store and its `DocumentVersion` row, both or neither.

The store and the database cannot share a transaction, so the order is fixed: the object is
written and read back first (a row never points at bytes that are not there), then the row is
added in the caller's transaction. If that transaction does not commit (an error, a rollback, a
session closed without committing) the object is destroyed again, so no unreferenced copy of a
supervision record is left behind: personal data nobody could find to destroy.

Protection (retention date, legal hold) is applied only once the row has committed. Applied at
upload it would make an orphan undeletable: S3 Object Lock in COMPLIANCE mode keeps an object
for years whatever anyone asks. The cost is a window of milliseconds in which a committed object
is not yet locked; the database's legal holds and the retention run still govern it then.
Both wait on the unit of work that owns the session (`storage.uow`: `on_commit`, `on_rollback`),
so objects are tied to the outermost transaction: a SAVEPOINT rolled back on its own keeps them.

A store that does not answer while filing (S3 down) is Unavailable: nothing is filed, the caller's
transaction rolls back, and the same request may be tried again.

Two ways leave an object with no row: the process dies between writing the object and committing
(killed, power cut), or the store stops answering before the rollback could remove it. Such an
orphan holds personal data nobody can find through docgen, so `destroy_orphans` (run with the
daily retention run) looks for objects under filing's keys that no row names, old enough that no
transaction can still be filing them, and destroys them with an audit entry.

A filed document's bytes change only by `refile_document` (a sealed PDF given a new archive
timestamp, `workflows.timestamp_renewal`), in the same order: the new object first, the row after.
The old object stays, named as an earlier copy (`storage.superseded_copies`), until retention
destroys it with its version: a copy downloaded before is still recognised, and a backup or a
reader in flight still finds it.

Objects already filed are locked here too, as the layer above decides: a retention date (where the
store enforces one itself) and legal holds. Destroying them is `storage.destruction`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from storage import audit, page_texts, superseded_copies
from storage.backends.base import (
    DocumentStore,
    IntegrityError,
    InvalidKey,
    ObjectMissing,
    RetentionLocked,
    StorageError,
)
from kernel.errors import DomainError, InvalidInput, NotFound, Unavailable
from storage.models import Agreement, DocumentVersion, Record, SubjectAccessExport, SupersededCopy
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

KINDS = {"docx": "docx", "review_pdf": "pdf", "final_pdf": "pdf"}
# Object-level retention is applied where the store enforces it itself (S3 Object Lock). On local
# disk a retention date would guard nothing that the database's own rules do not.
OBJECT_LOCK_STORES = ("s3",)
FILED_PREFIX = "people/"
_FILED_KEY = re.compile(r"people/\d+/(record|agreement)-\d+/v\d+/(docx|review_pdf|final_pdf)-[0-9a-f]{32}\.(docx|pdf)")
EXPORT_PREFIX = "subject-access/"  # where `storage.subject_access_exports` files each export's zip
_EXPORT_KEY = re.compile(r"subject-access/\d+/request-\d+/export-[0-9a-f]{32}\.zip")
# Far longer than any filing transaction (a conversion and a seal take seconds), so an object whose
# transaction is still open is never taken for an orphan.
ORPHAN_AGE = dt.timedelta(hours=6)
_DAMAGED = ("{what} does not match what was filed (its SHA-256 differs), so it is not given out; "
            "an administrator must restore it from a backup")


class DamagedDocument(IntegrityError, DomainError):
    """A filed document whose stored bytes are not the bytes filed (flipped, truncated, swapped):
    it is never served or sealed. A DomainError as well as the store's IntegrityError, so an edge
    answers with this message rather than a bare 500, and callers of the store's error still see it."""

    status = 500
    code = "document_damaged"


@dataclass(frozen=True)
class _Filed:
    """An object written in a transaction that has not committed yet."""

    store: DocumentStore
    key: str
    retain_until: dt.date | None
    legal_hold: bool


def storage_key(owner: Record | Agreement, version: int, kind: str) -> str:
    """A key nobody can guess or derive from an id: ids are sequential, the suffix is random."""
    table = "record" if isinstance(owner, Record) else "agreement"
    return (f"people/{owner.supervisee_id}/{table}-{owner.id}/v{version}/"
            f"{kind}-{secrets.token_hex(16)}.{KINDS[kind]}")


def file_document(db: Session, store: DocumentStore, *, record: Record | None = None,
                  agreement: Agreement | None = None, version: int, kind: str, data: bytes,
                  retain_until: dt.date | None = None, legal_hold: bool = False) -> DocumentVersion:
    """Store `data` for a record or an agreement and add its row to the caller's transaction.

    The object is verified by reading it back before the row exists; it is destroyed again if
    the transaction ends without a commit, and protected as asked once it commits.
    """
    owner = _owner(record, agreement)
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", "kind")
    if version < 1:
        raise InvalidInput("version starts at 1", "version")
    key = storage_key(owner, version, kind)
    digest = _put_verified(db, _Filed(store, key, retain_until, legal_hold), data)
    row = DocumentVersion(record_id=record.id if record else None,
                          agreement_id=agreement.id if agreement else None, version=version, kind=kind,
                          storage_key=key, sha256=digest, size=len(data))
    db.add(row)
    db.flush()
    return row


def refile_document(db: Session, store: DocumentStore, row: DocumentVersion, data: bytes) -> None:
    """Put `data` in place of a filed document's bytes (a sealed PDF with a new archive timestamp
    appended), in the caller's transaction: the new object is written and read back under a new key
    with the old one's protection, the old bytes are kept as an earlier copy (`superseded_copies.keep`),
    then the row names the new object with its SHA-256 and size (the new object is destroyed if that
    does not commit). The page texts kept for the old bytes pass to the new ones: a renewal adds a
    timestamp, not a page."""
    owner = db.get(Record, row.record_id) if row.record_id else db.get(Agreement, row.agreement_id)
    lock = store.lock_state(row.storage_key)
    key = storage_key(owner, row.version, row.kind)  # type: ignore[arg-type]  # a row always has its owner
    digest = _put_verified(db, _Filed(store, key, lock.retain_until, lock.legal_hold), data)
    superseded_copies.keep(db, row)
    page_texts.carry_over(db, row.sha256, digest)
    row.storage_key, row.sha256, row.size = key, digest, len(data)
    db.flush()


def _put_verified(db: Session, filed: _Filed, data: bytes) -> str:
    """Write `data` under `filed.key`, tied to the caller's transaction (`_track`), and read it back;
    its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    with _store_answering(filed.key):
        stored = filed.store.put(filed.key, data)
        _track(db, filed)
        if stored.sha256 != digest or hashlib.sha256(filed.store.get(filed.key)).hexdigest() != digest:
            raise IntegrityError(f"{filed.key} did not read back as filed")  # the rollback removes it
    return digest


@contextmanager
def _store_answering(key: str) -> Iterator[None]:
    """A store that cannot be reached (or fails for a reason of its own) is Unavailable, "try
    again"; what the store says about the object itself (tampered, locked, missing) stays as it is."""
    try:
        yield
    except (IntegrityError, RetentionLocked, ObjectMissing, InvalidKey):
        raise
    except StorageError as exc:
        log.warning("document store failed on %s: %s", key, exc)
        raise Unavailable("the document store is not answering, nothing was changed; please try again later",
                          "store") from exc


def _owner(record: Record | None, agreement: Agreement | None) -> Record | Agreement:
    if record is not None and agreement is None:
        return record
    if agreement is not None and record is None:
        return agreement
    raise InvalidInput("a document belongs to exactly one record or agreement", "record_id")


def _track(db: Session, filed: _Filed) -> None:
    """Protect the object once its row commits; destroy it if the transaction ends without one.
    Either failure is logged by the unit of work: the orphan sweep (`destroy_orphans`) and the
    retention run find what it left."""
    unit = UnitOfWork.of(db)
    if unit is None:
        raise RuntimeError("filing needs a session of a unit of work: nothing else could remove the object "
                           "if the transaction rolled back")
    unit.on_commit(_protect, filed)
    unit.on_rollback(filed.store.destroy, filed.key)


def _protect(filed: _Filed) -> None:
    """The row is durable: lock the object as asked."""
    if filed.retain_until is not None:
        filed.store.set_retention(filed.key, filed.retain_until)
    if filed.legal_hold:
        filed.store.set_legal_hold(filed.key, True)


def _version(db: Session, version: DocumentVersion | int) -> DocumentVersion:
    row = db.get(DocumentVersion, version) if isinstance(version, int) else version
    if row is None:
        raise NotFound(f"no document version {version}", "id")
    if row.destroyed_at is not None:
        raise NotFound(f"document version {row.id} was destroyed on {row.destroyed_at:%Y-%m-%d}", "id")
    return row


def read_document(db: Session, store: DocumentStore, version: DocumentVersion | int) -> bytes:
    """The filed bytes, checked against the row's SHA-256 as well as the store's own check, so an
    object swapped onto another row's key is caught too. The one way to read a filed document:
    whatever is served or sealed goes through here (`DamagedDocument` otherwise)."""
    row = _version(db, version)
    return read_filed(store, row.storage_key, row.sha256, f"stored document {row.id}")


def read_filed(store: DocumentStore, key: str, sha256: str, what: str) -> bytes:
    """The bytes under `key`, whole, checked against `sha256` (recorded when they were filed) before
    any of them is handed on; `what` names them in the error. For a caller that holds the row's key
    and digest but no session (the HR bundle, streamed after its commit)."""
    try:
        with _store_answering(key):
            data = store.get(key)
    except IntegrityError as exc:
        log.error("%s failed the store's check: %s", what, exc)
        raise DamagedDocument(_DAMAGED.format(what=what), "id") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        log.error("%s does not match its recorded SHA-256", what)
        raise DamagedDocument(_DAMAGED.format(what=what), "id")
    return data


# --- Objects no row refers to ------------------------------------------------------------------


def orphans(db: Session, store: DocumentStore, now: dt.datetime, min_age: dt.timedelta = ORPHAN_AGE) -> list[str]:
    """Keys under filing's own key pattern that no row names, written at least `min_age` before
    `now` (naive UTC, `kernel.clock`). Other keys in the store (anything not filed here) are not
    looked at."""
    cutoff = now.replace(tzinfo=dt.timezone.utc) - min_age
    candidates = [key for key, written in store.list_keys(FILED_PREFIX)
                  if written <= cutoff and _FILED_KEY.fullmatch(key)]
    named: set[str] = set()
    for start in range(0, len(candidates), 500):
        batch = candidates[start:start + 500]
        named.update(db.scalars(select(DocumentVersion.storage_key).where(DocumentVersion.storage_key.in_(batch))))
        named.update(superseded_copies.named(db, batch))  # an earlier copy is kept until its version goes
    return sorted(set(candidates) - named)


def export_orphans(db: Session, store: DocumentStore, now: dt.datetime,
                   min_age: dt.timedelta = ORPHAN_AGE) -> list[str]:
    """Subject access exports' zips (`EXPORT_PREFIX`) that no `SubjectAccessExport` row names,
    written at least `min_age` before `now`: a process killed between filing one and committing."""
    cutoff = now.replace(tzinfo=dt.timezone.utc) - min_age
    candidates = [key for key, written in store.list_keys(EXPORT_PREFIX)
                  if written <= cutoff and _EXPORT_KEY.fullmatch(key)]
    named = set(db.scalars(select(SubjectAccessExport.storage_key).where(SubjectAccessExport.storage_key.is_not(None))))
    return sorted(set(candidates) - named)


def destroy_orphans(db: Session, store: DocumentStore, now: dt.datetime,
                    min_age: dt.timedelta = ORPHAN_AGE) -> list[str]:
    """Destroy the orphans (`orphans`, and the exports' `export_orphans`) and add one audit entry
    naming them to the caller's transaction; returns the keys destroyed. Safe to run again: what is
    gone is not found twice, and an object the store refuses to destroy is logged and tried at the
    next run."""
    destroyed = []
    for key in [*orphans(db, store, now, min_age), *export_orphans(db, store, now, min_age)]:
        try:
            store.destroy(key)
        except StorageError:
            log.exception("could not destroy %s, an object no document row refers to", key)
            continue
        destroyed.append(key)
    if destroyed:
        audit.record(db, "storage.orphans_destroyed", object_type="store",
                     detail={"keys": destroyed, "reason": "no document row refers to them"})
    return destroyed


# --- Objects already filed ----------------------------------------------------------------------


def locks_objects(store: DocumentStore) -> bool:
    """Whether the store enforces a retention date on an object itself (S3 Object Lock)."""
    return store.name in OBJECT_LOCK_STORES


def live_versions(db: Session, owner: Record | Agreement) -> list[DocumentVersion]:
    """The objects of a record or an agreement still in the store, oldest first."""
    column = DocumentVersion.record_id if isinstance(owner, Record) else DocumentVersion.agreement_id
    return list(db.scalars(select(DocumentVersion).where(column == owner.id, DocumentVersion.destroyed_at.is_(None))
                           .order_by(DocumentVersion.id)))


def live_versions_of(db: Session, supervisee_id: int, record_id: int | None = None) -> list[DocumentVersion]:
    """The objects still in the store of a supervisee's records and agreements (or of one record)."""
    if record_id is not None:
        owner = select(DocumentVersion.id).where(DocumentVersion.record_id == record_id)
    else:
        records = select(Record.id).where(Record.supervisee_id == supervisee_id)
        agreements = select(Agreement.id).where(Agreement.supervisee_id == supervisee_id)
        owner = select(DocumentVersion.id).where(DocumentVersion.record_id.in_(records)
                                                 | DocumentVersion.agreement_id.in_(agreements))
    return list(db.scalars(select(DocumentVersion).where(DocumentVersion.id.in_(owner),
                                                         DocumentVersion.destroyed_at.is_(None))
                           .order_by(DocumentVersion.id)))


def retain_until(store: DocumentStore, versions: Iterable[DocumentVersion], until: dt.date) -> list[str]:
    """Lock each object in the store until `until` where the store can; the keys it refused."""
    if not locks_objects(store):
        return []
    refused = []
    for key in _stored_keys(versions):
        try:
            store.set_retention(key, until)
        except StorageError:
            log.exception("could not set retention on %s", key)
            refused.append(key)
    return refused


def set_legal_hold(store: DocumentStore, versions: Iterable[DocumentVersion], on: bool) -> None:
    """Place or release the store's own legal hold on each object (one missing is logged)."""
    for key in _stored_keys(versions):
        try:
            store.set_legal_hold(key, on)
        except ObjectMissing:
            log.warning("legal hold: %s is not in the store", key)


def _stored_keys(versions: Iterable[DocumentVersion]) -> Iterator[str]:
    """Each version's object and the earlier copies of it still kept (`storage.superseded_copies`),
    so a hold or a retention date also covers the bytes a renewal filed anew."""
    for version in versions:
        yield version.storage_key
        db = object_session(version)
        if db is not None:
            yield from db.scalars(select(SupersededCopy.storage_key).where(
                SupersededCopy.document_version_id == version.id, SupersededCopy.destroyed_at.is_(None)))
