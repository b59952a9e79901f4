"""A deployment's data in one folder, and back into an empty deployment.

    manifest.json        what is inside: format, schema revision, rows per table, objects, audit
                         head, the ids of the storage keys (never the keys)
    database/<t>.jsonl   every table (`storage.table_dump`), one snapshot
    objects/<key>        each live object's file as the local store keeps it: still encrypted
    objects.jsonl        each live object's key and protection (legal hold, retention date)
    audit-head.log       the audit heads recorded up to the snapshot's last entry
    audit-head-timestamps.log  the time-stamping authority's tokens over those heads, so the
                         restored deployment's `docgen audit verify` still shows when they existed

A target named `*.tar` gets the same folder as one tar file (to move or hand to a backup system).

Objects in S3 are not copied (the bucket returns them decrypted, and its versioning and Object
Lock keep them); the manifest lists them and a restore checks the bucket still holds each one.
The dump holds personal data as the database does, so every file is readable by its owner only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from storage.audit_head import TOKEN_FILE_NAME, DatedHead, Head, HeadLog, read_token_lines, token_line
from storage.backends.base import DocumentStore, IntegrityError, LockState, check_key
from storage.backends.local import LocalStore
from storage.db import upgrade
from kernel.errors import Conflict, InvalidInput
from storage.models import AuditEvent, DocumentVersion
from storage.table_dump import code_revision, dump_tables, load_tables, row_counts, schema_revision

FORMAT = "docgen-backup/1"
MANIFEST = "manifest.json"
_OBJECTS = "objects"
_OBJECT_INDEX = "objects.jsonl"
_HEADS = "audit-head.log"


@dataclass(frozen=True)
class Manifest:
    """What a backup holds (read from, and written as, manifest.json)."""

    revision: str
    rows: dict[str, int]
    objects: int
    objects_copied: bool
    head: Head | None
    key_ids: list[str]
    organisation_certificate_sha256: str | None

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of the backup in `folder`; InvalidInput if it is not a docgen backup."""
        try:
            raw = json.loads((folder / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{folder} is not a docgen backup: no readable {MANIFEST}", "source") from exc
        if raw.get("format") != FORMAT:
            raise InvalidInput(f"{folder} is a backup of another format ({raw.get('format')!r}), "
                               f"not {FORMAT}", "source")
        head = raw["audit"]["head"]
        return cls(revision=raw["database"]["revision"], rows=raw["database"]["rows"],
                   objects=raw["objects"]["count"], objects_copied=raw["objects"]["copied"],
                   head=Head(head["entry_id"], head["hash"]) if head else None, key_ids=raw["keys"],
                   organisation_certificate_sha256=raw["organisation_certificate_sha256"])

    def write(self, folder: Path, dialect: str) -> None:
        head = {"entry_id": self.head.entry_id, "hash": self.head.hash} if self.head else None
        _write_private(folder / MANIFEST, json.dumps({
            "format": FORMAT, "made_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "database": {"dialect": dialect, "revision": self.revision, "rows": self.rows},
            "objects": {"count": self.objects, "copied": self.objects_copied},
            "audit": {"entries": self.rows.get(AuditEvent.__tablename__, 0), "head": head},
            "keys": self.key_ids, "organisation_certificate_sha256": self.organisation_certificate_sha256,
        }, indent=2).encode())


def write_backup(engine: Engine, store: DocumentStore, heads: HeadLog, target: Path, *,
                 key_ids: list[str], organisation_certificate_sha256: str | None) -> Manifest:
    """Back up into `target` (a new or empty folder): written beside it and renamed at the end, so
    a failed backup leaves no half backup under the name.

    One transaction sees one snapshot: on PostgreSQL REPEATABLE READ; on SQLite the transaction
    holds the write lock (BEGIN IMMEDIATE), so writers wait for the backup to end.
    """
    as_tar = target.suffix == ".tar"
    if target.exists() and (as_tar or not target.is_dir() or any(target.iterdir())):
        raise Conflict(f"{target} already exists: back up into a new {'file' if as_tar else 'or empty folder'}",
                       "target")
    partial = target.with_name(target.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700, parents=True)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                manifest = _snapshot(conn, store, heads, partial, key_ids, organisation_certificate_sha256)
        manifest.write(partial, engine.dialect.name)
        if as_tar:
            _pack(partial, target)
        else:
            if target.exists():
                target.rmdir()
            partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return manifest


def _pack(folder: Path, target: Path) -> None:
    packing = target.with_name(target.name + ".packing")
    os.close(os.open(packing, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with tarfile.open(packing, "w") as archive:
            archive.add(folder, arcname=".")
        packing.rename(target)
    finally:
        packing.unlink(missing_ok=True)


@contextmanager
def unpacked(source: Path) -> Iterator[Path]:
    """The backup folder `source` is, or a private copy of the one its tar file holds (members are
    extracted with tarfile's "data" filter: no absolute or `..` names, no links out, no devices)."""
    if source.is_dir():
        yield source
        return
    with tempfile.TemporaryDirectory(prefix="docgen-restore-") as folder:
        try:
            with tarfile.open(source) as archive:
                archive.extractall(folder, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise InvalidInput(f"{source} is not a readable backup tar file: {exc}", "source") from exc
        yield Path(folder)


def _snapshot(conn: Connection, store: DocumentStore, heads: HeadLog, folder: Path, key_ids: list[str],
              certificate: str | None) -> Manifest:
    revision = schema_revision(conn)
    if revision is None:
        raise Conflict("the database has no docgen schema: nothing to back up", "database")
    rows = dump_tables(conn, folder / "database")
    keys = list(conn.scalars(select(DocumentVersion.storage_key).where(DocumentVersion.destroyed_at.is_(None))
                             .order_by(DocumentVersion.id)))
    copied = _copy_objects(store, keys, folder)
    # Heads of commits after the snapshot would name entries the dump does not hold.
    last = conn.scalar(select(func.max(AuditEvent.id))) or 0
    recorded = sorted(head for head in heads.recorded() if head.entry_id <= last)
    _write_private(folder / _HEADS, "".join(f"{h.entry_id} {h.hash}\n" for h in recorded).encode())
    dated = sorted((each for each in heads.tokens() if each.head.entry_id <= last), key=lambda each: each.head)
    _write_private(folder / TOKEN_FILE_NAME, "".join(token_line(each) + "\n" for each in dated).encode())
    return Manifest(revision, rows, len(keys), copied, recorded[-1] if recorded else None, key_ids, certificate)


def _copy_objects(store: DocumentStore, keys: list[str], folder: Path) -> bool:
    index = []
    copied = isinstance(store, LocalStore)
    for key in keys:
        entry: dict[str, Any] = {"key": key}
        if isinstance(store, LocalStore):
            path = folder / _OBJECTS / key
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_private(path, store.read_sealed(key))
            lock = store.lock_state(key)
            entry |= {"legal_hold": lock.legal_hold,
                      "retain_until": lock.retain_until.isoformat() if lock.retain_until else None}
        index.append(json.dumps(entry) + "\n")
    _write_private(folder / _OBJECT_INDEX, "".join(index).encode())
    return copied


@dataclass(frozen=True)
class Restored:
    """What a restore put back; every object opened with the configured keys and matched its row."""

    rows: dict[str, int]
    objects: int
    heads: int
    tokens: int


def refuse_unless_empty(engine: Engine, store: DocumentStore, heads: HeadLog) -> None:
    """A restore goes only into an empty deployment: no rows, no objects, no audit heads."""
    with engine.connect() as conn:
        filled = {name: count for name, count in row_counts(conn).items() if count}
    if filled:
        raise Conflict(f"the target database is not empty ({sum(filled.values())} rows, e.g. in "
                       f"{', '.join(sorted(filled)[:3])}): restore into a new, empty one", "database")
    if isinstance(store, LocalStore) and store.holds_objects():
        raise Conflict(f"the target store {store.root} holds documents: restore into a new, empty one", "store")
    if isinstance(store, LocalStore) and (heads.recorded() or heads.tokens()):
        raise Conflict(f"the target already records audit heads in {heads.where}: restore into a new, "
                       "empty deployment", "store")


def restore_backup(engine: Engine, store: DocumentStore, heads: HeadLog, source: Path,
                   manifest: Manifest) -> Restored:
    """Put the backup in `source` into the empty deployment behind `engine`, `store` and `heads`.

    The schema is made at the backup's revision, which must be this docgen's. The tables load in
    one transaction; then the objects go back still encrypted (or, in S3, are checked to be there)
    and are each opened and compared with their row's SHA-256, which also proves the configured
    keys are the right ones. A restore that fails part-way leaves a target to throw away.
    """
    if manifest.revision != code_revision():
        raise Conflict(f"the backup is of schema revision {manifest.revision}, this docgen's is "
                       f"{code_revision()}: restore with the docgen that made it, then upgrade", "source")
    with engine.connect() as conn:
        current = schema_revision(conn)
    if current not in (None, manifest.revision):
        raise Conflict(f"the target database is at schema revision {current}, the backup at "
                       f"{manifest.revision}: restore into a new, empty database", "database")
    refuse_unless_empty(engine, store, heads)
    index = [json.loads(line) for line in (source / _OBJECT_INDEX).read_text().splitlines()]
    upgrade(engine.url.render_as_string(hide_password=False), manifest.revision)
    with engine.begin() as conn:
        rows = load_tables(conn, source / "database")
    for entry in index:
        _restore_object(store, source, entry, manifest.objects_copied)
    recorded = [Head(int(i), h) for i, h in (line.split() for line in (source / _HEADS).read_text().splitlines())]
    tokens = _backed_up_tokens(source)
    heads.restore(recorded, tokens)
    _check_objects(engine, store)
    return Restored(rows, len(index), len(recorded), len(tokens))


def _backed_up_tokens(source: Path) -> list[DatedHead]:
    """The tokens a backup holds; none in a backup made before docgen kept them."""
    try:
        return read_token_lines((source / TOKEN_FILE_NAME).read_text())
    except FileNotFoundError:
        return []


def _restore_object(store: DocumentStore, source: Path, entry: dict[str, Any], copied: bool) -> None:
    key = check_key(entry["key"])
    if not copied:
        if not store.exists(key):
            raise IntegrityError(f"the store no longer holds {key}, which the backup lists")
        return
    if not isinstance(store, LocalStore):
        raise Conflict(f"the backup holds encrypted files for a local store, not for {store.name}", "store")
    until = entry["retain_until"]
    lock = LockState(entry["legal_hold"], dt.date.fromisoformat(until) if until else None)
    store.write_sealed(key, (source / _OBJECTS / key).read_bytes(), lock)


def _check_objects(engine: Engine, store: DocumentStore) -> None:
    with engine.connect() as conn:
        live = conn.execute(select(DocumentVersion.storage_key, DocumentVersion.sha256)
                            .where(DocumentVersion.destroyed_at.is_(None))).all()
    for key, sha256 in live:
        if hashlib.sha256(store.get(key)).hexdigest() != sha256:
            raise IntegrityError(f"restored {key} does not match its recorded SHA-256")


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
