"""Legal holds: a person's records, or one record, kept from destruction until the hold is lifted.

A hold is placed for a claim, a subject access request or a grievance, and stops the retention run
destroying what it covers (`workflows.retention` reports it as held); the stored objects are also
held in the store itself, so nothing can destroy them behind the database's back. A subject access
export holding a copy of what a hold covers is kept by retention too (`keeping_exports_of`), by the
database's hold alone: held in the store, an export HR replaces could not be destroyed when replaced.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from storage import audit, filing, legal_holds
from storage.backends.base import DocumentStore
from kernel.errors import Conflict, InvalidInput, NotFound
from storage.models import LegalHold, Person, Record
from workflows import access, group_records, people, records
from workflows.access import Caller
from workflows.deployment import Work


def held_by(db: Session, *, person_id: int | None = None, record_id: int | None = None) -> tuple[int, ...]:
    """The holds standing on a person's records, or on one record (not those on its person)."""
    target = LegalHold.person_id == person_id if person_id is not None else LegalHold.record_id == record_id
    return tuple(db.scalars(select(LegalHold.id).where(target, LegalHold.lifted_at.is_(None)).order_by(LegalHold.id)))


def keeping_exports_of(db: Session, person_id: int) -> tuple[int, ...]:
    """The holds that keep a person's subject access exports from destruction. An export holds a copy
    of every record in the person's file (their own, and the group records of the sessions they were
    present at: `group_records.belongs_to`) and of their agreements (`workflows.subject_access_export`),
    so a hold on the person, on one of those records, or on anyone else whose file holds one of those
    group records (a hold on any holder keeps a group record: `workflows.retention`) keeps the copy too."""
    records = list(db.scalars(select(Record).where(group_records.belongs_to(person_id))))
    holders = {person_id} | {holder.id for record in records if group_records.is_group_record(record)
                             for holder in group_records.holders(db, record)}
    covers = LegalHold.person_id.in_(holders) | LegalHold.record_id.in_([record.id for record in records])
    return tuple(db.scalars(select(LegalHold.id).where(covers, LegalHold.lifted_at.is_(None)).order_by(LegalHold.id)))


def described(db: Session, hold_ids: tuple[int, ...]) -> tuple[str, ...]:
    """Each hold and what it is on, as the retention report names it: "legal hold 9, on Tam Worker"
    or "legal hold 9, on R-000123" (a hold keeping an export is often on someone or something else)."""
    return tuple(f"legal hold {hold.id}, on {_on(db, hold)}" for hold in (get_hold(db, i) for i in hold_ids))


def _on(db: Session, hold: LegalHold) -> str:
    if hold.person_id is not None:
        return db.get_one(Person, hold.person_id).name
    return records.record_number(db.get_one(Record, hold.record_id))


def get_hold(db: Session, hold_id: int) -> LegalHold:
    hold = db.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold with id {hold_id}", "id")
    return hold


def place_hold(db: Session, store: DocumentStore, *, reason: str, by: Person | None, person: Person | None = None,
               record: Record | None = None) -> LegalHold:
    """Stop destruction of a person's records, or of one record, and hold their stored objects.

    The store is told first: if the transaction then fails, an object is held with no hold row,
    which errs on the side of keeping evidence (lifting a hold on it is an administrator's fix).
    The holds lock comes first, so a retention step running now either sees this hold or has
    committed before it (`storage.legal_holds`).
    """
    legal_holds.lock(db)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a legal hold needs a reason", "reason")
    if (person is None) == (record is None):
        raise InvalidInput("a legal hold covers either a person or one record", "person_id")
    subject = person if person is not None else record.supervisee  # type: ignore[union-attr]
    hold = LegalHold(person_id=person.id if person else None, record_id=record.id if record else None,
                     reason=reason, placed_by_id=by.id if by else None, placed_at=clock.now())
    db.add(hold)
    db.flush()
    filing.set_legal_hold(store, filing.live_versions_of(db, subject.id, record.id if record else None), True)
    audit.record(db, "legal_hold.place", actor_id=by.id if by else None, object_type="legal_hold",
                 object_id=hold.id, reason=reason,
                 detail={"person_id": hold.person_id, "record_id": hold.record_id})
    return hold


def lift_hold(db: Session, store: DocumentStore, hold: LegalHold, *, by: Person | None, reason: str = "") -> LegalHold:
    """Lift a hold; objects still covered by another hold stay held in the store."""
    if hold.lifted_at is not None:
        raise Conflict(f"legal hold {hold.id} was lifted on {hold.lifted_at:%Y-%m-%d}", "id")
    hold.lifted_at = clock.now()
    db.flush()
    subject = db.get_one(Person, hold.person_id) if hold.person_id else db.get_one(Record, hold.record_id).supervisee
    still_held = set(held_by(db, person_id=subject.id))
    free = [v for v in filing.live_versions_of(db, subject.id, hold.record_id)
            if not still_held and not (v.record_id is not None and held_by(db, record_id=v.record_id))]
    filing.set_legal_hold(store, free, False)
    audit.record(db, "legal_hold.lift", actor_id=by.id if by else None, object_type="legal_hold",
                 object_id=hold.id, reason=(reason or "").strip(),
                 detail={"person_id": hold.person_id, "record_id": hold.record_id})
    return hold


def _record(db: Session, record_id: int, field: str) -> Record:
    record = db.get(Record, record_id)
    if record is None:
        raise InvalidInput(f"no record with id {record_id}", field)
    return record


# --- Use cases ----------------------------------------------------------------------------------


def place(uow: Work, caller: Caller, reason: str, *, person_id: int | None = None,
         record_id: int | None = None) -> LegalHold:
    """An administrator or HR places a hold on a person's records or on one record."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    db = uow.session
    person = people.get_person_field(db, person_id, "person_id") if person_id is not None else None
    record = _record(db, record_id, "record_id") if record_id is not None else None
    placed = place_hold(db, uow.store, reason=reason, by=caller.person, person=person, record=record)
    uow.commit()
    return placed


def lift(uow: Work, caller: Caller, hold_id: int, reason: str = "") -> LegalHold:
    """An administrator or HR lifts a hold."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    lifted = lift_hold(uow.session, uow.store, get_hold(uow.session, hold_id), by=caller.person, reason=reason)
    uow.commit()
    return lifted


def place_by_operator(uow: Work, reason: str, *, email: str | None = None, record_id: int | None = None) -> LegalHold:
    """The operator at the server's command line places a hold (no sign-in: audited without an
    actor), naming the person by e-mail address."""
    db = uow.session
    person = people.person_by_email(db, email) if email else None
    record = _record(db, record_id, "record") if record_id is not None else None
    placed = place_hold(db, uow.store, reason=reason, by=None, person=person, record=record)
    uow.commit()
    return placed


def lift_by_operator(uow: Work, hold_id: int, reason: str = "") -> LegalHold:
    """The operator at the server's command line lifts a hold."""
    lifted = lift_hold(uow.session, uow.store, get_hold(uow.session, hold_id), by=None, reason=reason)
    uow.commit()
    return lifted
