"""The HR bundle: one zip per person with every final document, a manifest and how to verify.

When a leaver's records pass to HR (S 12.4: "placed on the employee's file") HR takes them as one
file. The zip is streamed: it is written into a small buffer that is emptied after every piece,
and documents are read from the store chunk by chunk, so memory stays at about one document
however large the bundle (the local store opens one whole object at a time to authenticate it).
Everything the manifest says is read from the database before the first byte is produced, so the
stream needs no database session while it runs.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, Agreement, DocumentVersion, Person, Record, SignoffEvent, SupervisionRelationship
from storage import audit
from storage.backends.base import DocumentStore, IntegrityError
from storage import clock
from workflows import access
from workflows.agreements import agreement_number
from workflows.records import record_number
from storage.errors import Forbidden

SIGNING_EVENTS = ("agreed", "countersigned", "signed")
MANIFEST_FIELDS = ("document_number", "kind", "date", "status", "file", "document_kind", "version", "sha256",
                   "size", "signed_by")
VERIFY_TEXT = """How to check these documents
=============================

Each final PDF is sealed with the organisation's certificate. To check one is genuine and
unaltered, upload it to the /verify page of docgen, or run:

    docgen verify FILE

Every file in this bundle is listed in manifest.csv and manifest.json with its SHA-256. To check
a file has not changed since it was filed, compute its SHA-256 and compare, e.g.:

    sha256sum AG-000001-agreement.pdf        (Linux)
    shasum -a 256 AG-000001-agreement.pdf    (macOS)
    certutil -hashfile AG-000001-agreement.pdf SHA256    (Windows)

A document listed with no file had no final version when the bundle was made (for example a
draft never signed); its content is in docgen, not in this bundle.
"""


@dataclass(frozen=True)
class Entry:
    """One manifest line: a record or agreement, and the stored document exported for it."""

    document_number: str
    kind: str
    date: str
    status: str
    file: str
    document_kind: str
    version: int | None
    sha256: str
    size: int | None
    signed_by: str


@dataclass(frozen=True)
class _Source:
    """Where an entry's bytes come from (kept apart from the manifest, which never shows keys)."""

    name: str
    key: str
    sha256: str
    size: int


def check_export(db: Session, account: Account, person: Person, reason: str = "") -> str:
    """HR exports a person's file once it is forwarded, or for a leaver or a transfer underway.

    Anyone else gets what `workflows.access` would give them (NotFound for a stranger, so ids
    cannot be probed) or, if they may read the records, Forbidden: the bundle is HR's.
    """
    if "hr" in (account.roles or []) and (person.forwarded_to_hr_on is not None or person.status == "leaver"
                                          or _transfer_underway(db, person)):
        return "hr"
    access.read_access(db, account, person, reason)
    raise Forbidden("only HR exports a person's supervision file, once it is forwarded or for a leaver or a "
                    "transfer", "id")


def _transfer_underway(db: Session, person: Person) -> bool:
    """A transfer recorded with a future date: a relationship that has not started yet."""
    return db.scalar(select(SupervisionRelationship.id).where(
        SupervisionRelationship.supervisee_id == person.id,
        SupervisionRelationship.starts_on > clock.today()).limit(1)) is not None


def export_person(db: Session, store: DocumentStore, person: Person, *, actor_id: int | None = None,
                  basis: str = "", reason: str = "", ip: str = "") -> Iterator[bytes]:
    """The zip for one person as a stream of bytes; the export is audited in the caller's
    transaction (commit it before sending the stream)."""
    entries, sources = _contents(db, person)
    audit.record(db, "person.export", actor_id=actor_id, object_type="person", object_id=person.id, reason=reason,
                 ip=ip, detail={"basis": basis, "documents": len(sources),
                                "sha256": [source.sha256 for source in sources]})
    folder = "".join(ch if ch.isalnum() else "-" for ch in person.name).strip("-") + f"-{person.id}"
    return _zip(store, folder, _summary(person, entries), entries, sources)


def _contents(db: Session, person: Person) -> tuple[list[Entry], list[_Source]]:
    entries: list[Entry] = []
    sources: list[_Source] = []
    records = db.scalars(select(Record).where(Record.supervisee_id == person.id)
                         .order_by(Record.session_date, Record.id))
    for record in records:
        number = record_number(record)
        chosen = _latest(db, DocumentVersion.record_id == record.id, ("final_pdf",))
        entries.append(_entry(db, number, record.kind, record.session_date, record.status, chosen,
                               SignoffEvent.record_id == record.id, sources))
    agreements = db.scalars(select(Agreement).where(Agreement.supervisee_id == person.id)
                            .order_by(Agreement.started_on, Agreement.id))
    for agreement in agreements:
        owner = DocumentVersion.agreement_id == agreement.id
        chosen = _latest(db, owner, ("final_pdf",)) or _latest(db, owner, ("docx",))
        entries.append(_entry(db, agreement_number(agreement), "agreement", agreement.started_on, agreement.status,
                              chosen, SignoffEvent.agreement_id == agreement.id, sources))
    return entries, sources


def _latest(db: Session, owner: object, kinds: tuple[str, ...]) -> DocumentVersion | None:
    return db.scalar(select(DocumentVersion).where(owner, DocumentVersion.kind.in_(kinds),  # type: ignore[arg-type]
                                                   DocumentVersion.destroyed_at.is_(None))
                     .order_by(DocumentVersion.version.desc(), DocumentVersion.id.desc()).limit(1))


def _entry(db: Session, number: str, kind: str, day: dt.date, status: str, version: DocumentVersion | None,
           owner: object, sources: list[_Source]) -> Entry:
    if version is None:
        return Entry(number, kind, day.isoformat(), status, "", "", None, "", None, _signers(db, owner, None))
    name = f"{number}-{kind.replace('_', '-')}.{'pdf' if version.kind == 'final_pdf' else 'docx'}"
    sources.append(_Source(name, version.storage_key, version.sha256, version.size))
    return Entry(number, kind, day.isoformat(), status, name, version.kind, version.version, version.sha256,
                 version.size, _signers(db, owner, version.version))


def _signers(db: Session, owner: object, version: int | None) -> str:
    """Who signed and when, e.g. "Alex Morgan agreed 2026-01-06T10:02:00Z; Sam Whitfield countersigned ..."."""
    query = (select(SignoffEvent, Person).outerjoin(Person, Person.id == SignoffEvent.person_id)
             .where(owner, SignoffEvent.event.in_(SIGNING_EVENTS))  # type: ignore[arg-type]
             .order_by(SignoffEvent.at, SignoffEvent.id))
    if version is not None:
        query = query.where(SignoffEvent.version == version)
    return "; ".join(f"{who.name if who else 'unknown'} {event.event} {event.at:%Y-%m-%dT%H:%M:%SZ}"
                     for event, who in db.execute(query))


class _Spool(io.RawIOBase):
    """A write-only stream that keeps what was written until drained: ZipFile writes here and the
    generator hands each piece on, so nothing larger than one chunk piles up."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _summary(person: Person, entries: list[Entry]) -> dict[str, object]:
    return {"person": {"id": person.id, "name": person.name, "email": person.email,
                       "leave_date": person.leave_date.isoformat() if person.leave_date else None,
                       "forwarded_to_hr_on": (person.forwarded_to_hr_on.isoformat()
                                              if person.forwarded_to_hr_on else None)},
            "generated_at": clock.now().isoformat(timespec="seconds") + "Z",
            "documents": [asdict(entry) for entry in entries]}


def _zip(store: DocumentStore, folder: str, summary: dict[str, object], entries: list[Entry],
         sources: list[_Source]) -> Iterator[bytes]:
    spool = _Spool()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for source in sources:
            info = zipfile.ZipInfo(f"{folder}/{source.name}", date_time=clock.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = source.size
            digest = hashlib.sha256()
            with archive.open(info, "w") as member:
                for chunk in store.iter_chunks(source.key):
                    digest.update(chunk)
                    member.write(chunk)
                    yield from _pending(spool)
            if digest.hexdigest() != source.sha256:
                raise IntegrityError(f"{source.name} does not match its recorded SHA-256; the export is aborted")
        archive.writestr(f"{folder}/manifest.csv", _csv(entries))
        archive.writestr(f"{folder}/manifest.json", json.dumps(summary, indent=2))
        archive.writestr(f"{folder}/VERIFY.txt", VERIFY_TEXT)
    yield from _pending(spool)


def _pending(spool: _Spool) -> Iterator[bytes]:
    """What the zip has written since last asked, if anything (deflate holds some back)."""
    data = spool.drain()
    if data:
        yield data


def _csv(entries: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    for entry in entries:
        writer.writerow(asdict(entry))
    return out.getvalue()
