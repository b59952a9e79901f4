"""A person's supervision file for HR: who may export it, what goes in it, and the audit of it.

When a leaver's records pass to HR (S 12.4: "placed on the employee's file") HR takes them as one
file: every record and agreement, the latest final document of each, who signed it and when. The
records include those of the group sessions the person was present at: a group record belongs to
every attendee (issue 23; `workflows.group_records.belongs_to`).
Everything the manifest says is read from the database before the first byte is produced, so the
stream (`documents.bundle`) needs no database session while it runs.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.bundle import Entry, Member, zip_stream
from kernel import clock
from storage import audit
from storage.backends.base import DocumentStore
from storage.filing import read_filed
from kernel.errors import Conflict, Unauthenticated
from storage.models import Agreement, DocumentVersion, Person, Record, SignoffEvent
from workflows import access, group_records, people
from workflows.access import Caller
from workflows.agreements import agreement_number
from workflows.deployment import Work
from workflows.records import record_number

SIGNING_EVENTS = ("agreed", "countersigned")  # the events that are a signature (workflows.signoff)
BUNDLE_CHUNK = 1 << 16  # bytes of a document handed to the zip at a time


@dataclass(frozen=True)
class Bundle:
    """An export ready to send: whose it is, the file name to offer, and the zip as a stream."""

    person: Person
    filename: str
    chunks: Iterator[bytes]


def export_person(db: Session, store: DocumentStore, person: Person, *, actor_id: int | None = None,
                  basis: str = "", reason: str = "", ip: str = "") -> Iterator[bytes]:
    """The zip for one person as a stream of bytes; the export is audited in the caller's
    transaction (commit it before sending the stream)."""
    entries, members = _contents(db, store, person)
    audit.record(db, "person.export", actor_id=actor_id, object_type="person", object_id=person.id, reason=reason,
                 ip=ip, detail={"basis": basis, "documents": len(members),
                                "sha256": [member.sha256 for member in members]})
    folder = "".join(ch if ch.isalnum() else "-" for ch in person.name).strip("-") + f"-{person.id}"
    return zip_stream(folder, _summary(person, entries), entries, members)


def _contents(db: Session, store: DocumentStore, person: Person) -> tuple[list[Entry], list[Member]]:
    entries: list[Entry] = []
    members: list[Member] = []
    records = db.scalars(select(Record).where(group_records.belongs_to(person.id))  # and groups attended
                         .order_by(Record.session_date, Record.id))
    for record in records:
        number = record_number(record)
        chosen = _latest(db, DocumentVersion.record_id == record.id, ("final_pdf",))
        entries.append(_entry(db, store, number, record.kind, record.session_date, record.status, chosen,
                              SignoffEvent.record_id == record.id, members))
    agreements = db.scalars(select(Agreement).where(Agreement.supervisee_id == person.id)
                            .order_by(Agreement.started_on, Agreement.id))
    for agreement in agreements:
        owner = DocumentVersion.agreement_id == agreement.id
        chosen = _latest(db, owner, ("final_pdf",)) or _latest(db, owner, ("docx",))
        entries.append(_entry(db, store, agreement_number(agreement), "agreement", agreement.started_on,
                              agreement.status, chosen, SignoffEvent.agreement_id == agreement.id, members))
    return entries, members


def _has_documents(db: Session, person: Person) -> bool:
    return (db.scalar(select(Record.id).where(group_records.belongs_to(person.id)).limit(1)) is not None
            or db.scalar(select(Agreement.id).where(Agreement.supervisee_id == person.id).limit(1)) is not None)


def _latest(db: Session, owner: object, kinds: tuple[str, ...]) -> DocumentVersion | None:
    return db.scalar(select(DocumentVersion).where(owner, DocumentVersion.kind.in_(kinds),  # type: ignore[arg-type]
                                                   DocumentVersion.destroyed_at.is_(None))
                     .order_by(DocumentVersion.version.desc(), DocumentVersion.id.desc()).limit(1))


def _checked(store: DocumentStore, key: str, sha256: str, name: str) -> Iterator[bytes]:
    """A filed document checked whole against its recorded SHA-256 before any of it enters the
    bundle, so a damaged one stops the export before a byte of it is sent (`filing.DamagedDocument`);
    handed on in chunks, so the zip holds back no more than one chunk's deflate at a time. The
    bundle holds one document at a time, never the whole file."""
    data = read_filed(store, key, sha256, name)
    for start in range(0, len(data), BUNDLE_CHUNK):
        yield data[start:start + BUNDLE_CHUNK]


def _entry(db: Session, store: DocumentStore, number: str, kind: str, day: dt.date, status: str,
           version: DocumentVersion | None, owner: object, members: list[Member]) -> Entry:
    if version is None:
        return Entry(number, kind, day.isoformat(), status, "", "", None, "", None, _signers(db, owner, None))
    name = f"{number}-{kind.replace('_', '-')}.{'pdf' if version.kind == 'final_pdf' else 'docx'}"
    members.append(Member(name, version.sha256, version.size,
                          partial(_checked, store, version.storage_key, version.sha256, name)))
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


def _summary(person: Person, entries: list[Entry]) -> dict[str, object]:
    return {"person": {"id": person.id, "name": person.name, "email": person.email,
                       "leave_date": person.leave_date.isoformat() if person.leave_date else None,
                       "forwarded_to_hr_on": (person.forwarded_to_hr_on.isoformat()
                                              if person.forwarded_to_hr_on else None)},
            "generated_at": clock.now().isoformat(timespec="seconds") + "Z",
            "documents": [asdict(entry) for entry in entries]}


# --- Use cases ----------------------------------------------------------------------------------


def for_hr(uow: Work, caller: Caller, person_id: int) -> Bundle:
    """HR downloads a person's file (see `access.export_basis`); the export is audited and committed
    before the first byte leaves."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    person = people.get_person(uow.session, person_id)
    basis = access.export_basis(uow.session, caller.account, person, caller.reason,
                                break_glass=uow.deployment.profile.break_glass)
    if not _has_documents(uow.session, person):
        raise Conflict(f"There is nothing to export: {person.name} has no supervision records or agreements.", "id")
    stream = export_person(uow.session, uow.store, person, actor_id=caller.person_id, basis=basis,
                           reason=caller.reason, ip=caller.ip)
    uow.commit()
    return _bundle(person, stream)


def by_operator(uow: Work, email: str) -> Bundle:
    """The operator at the server's command line exports a person's file, audited as such."""
    person = people.person_by_email(uow.session, email)
    stream = export_person(uow.session, uow.store, person, basis="cli")
    uow.commit()
    return _bundle(person, stream)


def _bundle(person: Person, stream: Iterator[bytes]) -> Bundle:
    return Bundle(person, f"supervision-file-{person.id}-{clock.today():%Y%m%d}.zip", stream)
