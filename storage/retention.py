"""What is due for a leaver's records, and doing it: freeze, forward to HR, destroy (S 12.4).

"Forwarded to the Human Resources Section after 6 months and placed on the employee's file. The
records will then be held for seven years": from the leave date, records freeze at once, go to HR
after the profile's `hr_forward_after`, and are destroyed `keep_for` after that. Destruction
removes every stored object and blanks the content kept in the database, and leaves a
`DestructionLog` row per object saying what went, when, with which SHA-256, under which rule.

A legal hold (on a person, or on one record) stops destruction of what it covers until lifted; the
plan reports it as held. Each step re-reads its row and does nothing already done, so a retried
or doubled daily run is harmless.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import (
    Account,
    Action,
    ActionEntry,
    Agreement,
    DestructionLog,
    DocumentVersion,
    LegalHold,
    Person,
    Record,
    SignoffEvent,
)
from storage import audit
from storage.backends.base import DocumentStore, ObjectMissing, StorageError
from storage import clock
from workflows import movers, notifications, signoff
from storage.errors import Conflict, DomainError, InvalidInput, NotFound
from workflows.profiles import Profile

if TYPE_CHECKING:
    from workflows.deployment import Deployment

log = logging.getLogger(__name__)

STEPS = ("freeze", "forward_to_hr", "destroy")
# Object-level retention is applied where the store enforces it itself (S3 Object Lock). On local
# disk a retention date would guard nothing that the database's own rules do not.
OBJECT_LOCK_STORES = ("s3",)


@dataclass(frozen=True)
class Due:
    """One step due for one leaver, and why. `record_id` narrows a destruction to one record
    (held apart from the rest); `held_by` lists the legal holds stopping it."""

    step: str
    person_id: int
    person_name: str
    due_on: dt.date
    rule: str
    record_id: int | None = None
    held_by: tuple[int, ...] = ()

    @property
    def held(self) -> bool:
        return bool(self.held_by)

    def describe(self) -> str:
        what = {"freeze": "freeze records", "forward_to_hr": "forward records to HR", "destroy": "destroy records"}[
            self.step] if self.record_id is None else f"destroy record R-{self.record_id:06d}"
        held = f" [held by legal hold {', '.join(map(str, self.held_by))}]" if self.held else ""
        return f"{what} of {self.person_name} (person {self.person_id}), due {self.due_on}: {self.rule}{held}"


@dataclass(frozen=True)
class Outcome:
    """What `run` did with one due step: done, held, dry-run or refused (by the store)."""

    due: Due
    result: str
    detail: str = ""

    def describe(self) -> str:
        return f"{self.result}: {self.due.describe()}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Protection:
    """How to file a new object for a person: `file_document(..., retain_until=, legal_hold=)`."""

    retain_until: dt.date | None = None
    legal_hold: bool = False


@dataclass
class _Destroyed:
    objects: int = 0
    refused: list[str] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    agreements: list[int] = field(default_factory=list)


def forward_date(profile: Profile, leave_date: dt.date) -> dt.date:
    """The day records go to HR: the leave date plus the HR delay."""
    return profile.retention.hr_forward_after.after(leave_date)


def destruction_date(profile: Profile, leave_date: dt.date) -> dt.date:
    """The day records are destroyed: the HR delay, then the retention period, from the leave date."""
    return profile.retention.keep_for.after(forward_date(profile, leave_date))


def _rules(profile: Profile, leave: dt.date) -> dict[str, str]:
    hr, keep = profile.retention.hr_forward_after.text, profile.retention.keep_for.text
    return {"freeze": f"S 12.4: leave date {leave}: records frozen from the leave date",
            "forward_to_hr": f"S 12.4: leave date {leave} + {hr}: forwarded to HR",
            "destroy": f"S 12.4: leave date {leave} + {hr} + {keep}"}


# --- What is due --------------------------------------------------------------------------------


def plan(db: Session, profile: Profile, today: dt.date) -> list[Due]:
    """Every step due on `today` for people whose leave date has come, in the order to do them."""
    due: list[Due] = []
    leavers = db.scalars(select(Person).where(Person.leave_date.is_not(None), Person.leave_date <= today)
                         .order_by(Person.leave_date, Person.id))
    for person in leavers:
        due += _due_for(db, profile, person, today)
    return due


def _due_for(db: Session, profile: Profile, person: Person, today: dt.date) -> list[Due]:
    leave = person.leave_date
    assert leave is not None  # plan selects leavers only
    rules = _rules(profile, leave)

    def step(name: str, on: dt.date, record_id: int | None = None, held_by: tuple[int, ...] = ()) -> Due:
        return Due(name, person.id, person.name, on, rules[name], record_id, held_by)

    due = []
    if person.records_frozen_on is None:
        due.append(step("freeze", leave))
    if person.forwarded_to_hr_on is None and today >= forward_date(profile, leave):
        due.append(step("forward_to_hr", forward_date(profile, leave)))
    destroy_on = destruction_date(profile, leave)
    if today < destroy_on:
        return due
    records, agreements = _undestroyed(db, person)
    if not records and not agreements:
        return due
    person_holds = _holds(db, person_id=person.id)
    if person_holds:
        return due + [step("destroy", destroy_on, held_by=person_holds)]
    held_records = {r.id: _holds(db, record_id=r.id) for r in records}
    held_records = {rid: holds for rid, holds in held_records.items() if holds}
    if agreements or len(held_records) < len(records):
        due.append(step("destroy", destroy_on))
    return due + [step("destroy", destroy_on, rid, holds) for rid, holds in held_records.items()]


def _holds(db: Session, *, person_id: int | None = None, record_id: int | None = None) -> tuple[int, ...]:
    target = LegalHold.person_id == person_id if person_id is not None else LegalHold.record_id == record_id
    return tuple(db.scalars(select(LegalHold.id).where(target, LegalHold.lifted_at.is_(None)).order_by(LegalHold.id)))


def _versions(db: Session, owner: Record | Agreement) -> list[DocumentVersion]:
    column = DocumentVersion.record_id if isinstance(owner, Record) else DocumentVersion.agreement_id
    return list(db.scalars(select(DocumentVersion).where(column == owner.id, DocumentVersion.destroyed_at.is_(None))
                           .order_by(DocumentVersion.id)))


def _undestroyed(db: Session, person: Person) -> tuple[list[Record], list[Agreement]]:
    """A person's records and agreements with content or stored objects left (a destroyed one has
    neither: a new record or agreement always starts with content)."""
    records = db.scalars(select(Record).where(Record.supervisee_id == person.id).order_by(Record.id))
    agreements = db.scalars(select(Agreement).where(Agreement.supervisee_id == person.id).order_by(Agreement.id))
    return ([r for r in records if r.sections or _versions(db, r)],
            [a for a in agreements if a.fields or _versions(db, a)])


# --- Doing it -----------------------------------------------------------------------------------


def run(db: Session, services: Deployment, today: dt.date, dry_run: bool = False) -> list[Outcome]:
    """Apply every due step; with `dry_run`, only say what would be done.

    Commits after each step: destroying an object cannot be undone, so the record of it must not
    wait for other people's steps. Safe to run twice, and callable from a task given nothing but
    the date (`run(db, services, clock.today())`).
    """
    due = plan(db, services.profile, today)
    if dry_run:
        db.rollback()
        return [Outcome(d, "held" if d.held else "would do") for d in due]
    outcomes = []
    for item in due:
        if item.held:
            outcomes.append(Outcome(item, "held"))
            continue
        person = db.get_one(Person, item.person_id, with_for_update=True, populate_existing=True)
        outcomes.append(_STEPS[item.step](db, services, person, item, today))
        db.commit()
    return outcomes


def _freeze(db: Session, services: Deployment, person: Person, item: Due, today: dt.date) -> Outcome:
    """Freeze the records, and lock their objects in the store until the destruction date.

    A leave date typed onto the person (not through `mark_leaver`) is completed here, so their
    relationships end on it as well.
    """
    if person.records_frozen_on is not None:
        return Outcome(item, "done", "already frozen")
    assert person.leave_date is not None  # plan() selects people with a leave date
    if person.status == "leaver":
        movers.freeze(db, person)
    else:
        try:
            movers.mark_leaver(db, person, person.leave_date, None)
        except DomainError as exc:
            return Outcome(item, "refused", exc.message)
    refused = _lock_until(db, services.store, person, destruction_date(services.profile, person.leave_date))
    return Outcome(item, "done", f"could not lock {len(refused)} object(s) in the store" if refused else "")


def _lock_until(db: Session, store: DocumentStore, person: Person, until: dt.date) -> list[str]:
    if store.name not in OBJECT_LOCK_STORES:
        return []
    refused = []
    for version in _person_versions(db, person):
        try:
            store.set_retention(version.storage_key, until)
        except StorageError:
            log.exception("could not set retention on %s", version.storage_key)
            refused.append(version.storage_key)
    return refused


def _forward(db: Session, services: Deployment, person: Person, item: Due, today: dt.date) -> Outcome:
    """Pass the records to HR: HR gains access and the supervisor and line managers lose it
    (`workflows.access` reads `forwarded_to_hr_on`); everyone holding the HR role is told."""
    if person.forwarded_to_hr_on is not None:
        return Outcome(item, "done", "already forwarded")
    person.forwarded_to_hr_on = today
    hr = [a.person for a in db.scalars(select(Account).where(Account.active.is_(True)).order_by(Account.id))
          if "hr" in (a.roles or [])]
    assert person.leave_date is not None
    destroy_on = destruction_date(services.profile, person.leave_date)
    base = services.config.base_url.rstrip("/")
    for member in hr:
        notifications.queue_email(
            db, to=member.email, subject=f"Supervision records of {person.name} forwarded to HR",
            text=(f"Dear {member.name},\n\n{person.name} left on {person.leave_date:%-d %B %Y}. Under the "
                  f"retention rule ({item.rule}) their supervision records now pass to HR for the employee's "
                  f"file, and will be destroyed on {destroy_on:%-d %B %Y}.\n\n"
                  f"Download them as one bundle: {base}/api/v1/people/{person.id}/export\n\n"
                  "Their supervisor and line managers no longer have access.\n"))
    audit.record(db, "retention.forward_to_hr", object_type="person", object_id=person.id,
                 detail={"rule": item.rule, "hr_told": [m.id for m in hr]})
    return Outcome(item, "done", f"{len(hr)} HR account(s) e-mailed" if hr else "no account holds the hr role")


def _destroy(db: Session, services: Deployment, person: Person, item: Due, today: dt.date) -> Outcome:
    """Destroy what the step covers that no legal hold protects: objects first, then content."""
    records, agreements = _undestroyed(db, person)
    if item.record_id is not None:
        records, agreements = [r for r in records if r.id == item.record_id], []
    if _holds(db, person_id=person.id):
        return Outcome(item, "held", "a legal hold was placed since the plan was made")
    records = [r for r in records if not _holds(db, record_id=r.id)]
    done = _Destroyed()
    for owner in [*records, *agreements]:
        _destroy_owner(db, services.store, person, owner, item.rule, done)
    if done.objects or done.records or done.agreements or done.refused:
        audit.record(db, "retention.destroy", object_type="person", object_id=person.id,
                     detail={"rule": item.rule, "objects": done.objects, "records": done.records,
                             "agreements": done.agreements, "refused_by_store": done.refused})
    if done.refused:
        return Outcome(item, "refused", f"the store refused {len(done.refused)} object(s); retried next run")
    return Outcome(item, "done", f"{done.objects} object(s), {len(done.records)} record(s), "
                                 f"{len(done.agreements)} agreement(s)")


def _destroy_owner(db: Session, store: DocumentStore, person: Person, owner: Record | Agreement, rule: str,
                   done: _Destroyed) -> None:
    number = f"{signoff.kind_of(owner)} {signoff.number(owner)}"
    for version in _versions(db, owner):
        try:
            store.destroy(version.storage_key)
        except ObjectMissing:
            pass  # gone already: still record that it is destroyed
        except StorageError as exc:
            log.warning("store refused to destroy %s: %s", version.storage_key, exc)
            done.refused.append(version.storage_key)
            continue
        version.destroyed_at = clock.now()
        db.add(DestructionLog(person_id=person.id, document_version_id=version.id, sha256=version.sha256, rule=rule,
                              description=f"{version.kind} v{version.version} of {number} ({version.size} bytes)",
                              destroyed_at=version.destroyed_at))
        done.objects += 1
    if _blank(db, owner):
        db.add(DestructionLog(person_id=person.id, rule=rule, destroyed_at=clock.now(),
                              description=f"content of {number} held in the database"))
        (done.records if isinstance(owner, Record) else done.agreements).append(owner.id)
    db.flush()


def _blank(db: Session, owner: Record | Agreement) -> bool:
    """Empty the content columns of a record (sections, actions, progress, comments) or of an
    agreement; False if there was nothing left to empty."""
    if isinstance(owner, Record):
        if not owner.sections:
            return False
        owner.sections = {}
        db.execute(update(Action).where(Action.raised_in_record_id == owner.id).values(text=""))
        db.execute(update(ActionEntry).where(ActionEntry.record_id == owner.id).values(progress=""))
        db.execute(update(SignoffEvent).where(SignoffEvent.record_id == owner.id).values(comment=""))
        return True
    if not owner.fields:
        return False
    owner.fields = {}
    db.execute(update(SignoffEvent).where(SignoffEvent.agreement_id == owner.id).values(comment=""))
    return True


_STEPS: dict[str, Callable[[Session, Deployment, Person, Due, dt.date], Outcome]] = {
    "freeze": _freeze, "forward_to_hr": _forward, "destroy": _destroy}


# --- Protection when filing, and legal holds ----------------------------------------------------


def _person_versions(db: Session, person: Person, record_id: int | None = None) -> list[DocumentVersion]:
    """Live objects of a person's records and agreements (or of one record)."""
    if record_id is not None:
        owner = select(DocumentVersion.id).where(DocumentVersion.record_id == record_id)
    else:
        records = select(Record.id).where(Record.supervisee_id == person.id)
        agreements = select(Agreement.id).where(Agreement.supervisee_id == person.id)
        owner = select(DocumentVersion.id).where(DocumentVersion.record_id.in_(records)
                                                 | DocumentVersion.agreement_id.in_(agreements))
    return list(db.scalars(select(DocumentVersion).where(DocumentVersion.id.in_(owner),
                                                         DocumentVersion.destroyed_at.is_(None))
                           .order_by(DocumentVersion.id)))


def protection_for(db: Session, profile: Profile, store: DocumentStore, person: Person,
                   record: Record | None = None) -> Protection:
    """How a new object of this person's should be filed: held if a legal hold covers it, and (on
    a store with Object Lock) retained until the destruction date once the leave date is known."""
    held = bool(_holds(db, person_id=person.id) or (record is not None and _holds(db, record_id=record.id)))
    until = (destruction_date(profile, person.leave_date)
             if person.leave_date is not None and store.name in OBJECT_LOCK_STORES else None)
    return Protection(until, held)


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
    """
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
    _set_store_hold(store, _person_versions(db, subject, record.id if record else None), True)
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
    still_held = set(_holds(db, person_id=subject.id))
    free = [v for v in _person_versions(db, subject, hold.record_id)
            if not still_held and not (v.record_id is not None and _holds(db, record_id=v.record_id))]
    _set_store_hold(store, free, False)
    audit.record(db, "legal_hold.lift", actor_id=by.id if by else None, object_type="legal_hold",
                 object_id=hold.id, reason=(reason or "").strip(),
                 detail={"person_id": hold.person_id, "record_id": hold.record_id})
    return hold


def _set_store_hold(store: DocumentStore, versions: Iterable[DocumentVersion], on: bool) -> None:
    for version in versions:
        try:
            store.set_legal_hold(version.storage_key, on)
        except ObjectMissing:
            log.warning("legal hold: %s is not in the store", version.storage_key)
