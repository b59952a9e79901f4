"""What is due for a leaver's records, and doing it: freeze, forward to HR, destroy (S 12.4).

"Forwarded to the Human Resources Section after 6 months and placed on the employee's file. The
records will then be held for seven years": from the leave date, records freeze at once, go to HR
after the profile's `hr_forward_after`, and are destroyed `keep_for` after that. Destruction
removes every stored object and blanks the content kept in the database, and leaves a
`DestructionLog` row per object saying what went, when, with which SHA-256, under which rule.

A legal hold (on a person, or on one record: `workflows.holds`) stops destruction of what it
covers until lifted; the plan reports it as held. A group session's record is in the file of its
recorder and of everyone present (issue 23), so it is destroyed with the last of them to fall due,
and a hold on any of them keeps it (`_kept_for_another`). A subject access export holds copies of the
person's records, so it goes with the person's step; a filed one stays, reported held, while a hold
stands on the person, on any record it copies, or on another holder of a group record it copies
(`holds.keeping_exports_of`), and one asked for and not yet made is marked not made. Each step
re-reads its row and does nothing already done, so a retried or doubled daily run is harmless.
The decisions are made here; the store's locks and the destruction itself are carried out by
`storage.filing` and `storage.destruction`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kernel import clock
from storage import (audit, destruction, filing, legal_holds, page_texts, subject_access_exports,
                     superseded_copies)
from storage.backends.base import DocumentStore
from kernel.errors import Conflict, DomainError, InvalidInput
from storage.models import Agreement, AsyeSupportEntry, Person, Record, SupervisionRelationship
from workflows import access, group_records, holds, movers, people, signoff
from workflows.access import Caller
from workflows import events
from workflows.deployment import Work
from workflows.profiles import Profile

STEPS = ("freeze", "forward_to_hr", "destroy")


@dataclass(frozen=True)
class Due:
    """One step due for one leaver, and why. `record_id` narrows a destruction to one record, and
    `request_id` to the filed subject access export of one request, each held apart from the rest;
    `held_by` lists the legal holds stopping it, and `held_on` what each is on, for the report."""

    step: str
    person_id: int
    person_name: str
    due_on: dt.date
    rule: str
    record_id: int | None = None
    held_by: tuple[int, ...] = ()
    request_id: int | None = None
    held_on: tuple[str, ...] = ()

    @property
    def held(self) -> bool:
        return bool(self.held_by)

    def describe(self) -> str:
        held = f" [held by {'; '.join(self.held_on)}]" if self.held else ""
        return f"{self._what()} of {self.person_name} (person {self.person_id}), due {self.due_on}: {self.rule}{held}"

    def _what(self) -> str:
        if self.record_id is not None:
            return f"destroy record R-{self.record_id:06d}"
        if self.request_id is not None:
            return f"destroy the subject access export (request {self.request_id})"
        return {"freeze": "freeze records", "forward_to_hr": "forward records to HR", "destroy": "destroy records"}[
            self.step]


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


@dataclass(frozen=True)
class Leaving:
    """A leaver recorded, with the dates their records pass to HR and are destroyed, and the people
    they supervised who have no supervisor after the leave date."""

    person: Person
    forward_to_hr_on: dt.date
    destroy_on: dt.date
    unsupervised: list[Person]


@dataclass(frozen=True)
class Schedule:
    """A person with a leaving date and what happens to their records when, as HR reads it: the
    dates done (frozen, forwarded) or due, from the profile's periods. `forward_on` is the day
    they went to HR, else the day they will; `forward_due_on` is the day the rule sends them,
    from which `destroy_on` counts even after an early forward; both None without a leave date."""

    person: Person
    freeze_on: dt.date | None
    forward_on: dt.date | None
    destroy_on: dt.date | None
    today: dt.date
    forward_due_on: dt.date | None = None

    @property
    def forwarded_early(self) -> bool:
        """Forwarded by HR before the day the rule sends the records (issue 27: HR is told the
        destruction date still counts from that day)."""
        return (self.person.forwarded_to_hr_on is not None and self.forward_due_on is not None
                and self.person.forwarded_to_hr_on < self.forward_due_on)

    @property
    def frozen(self) -> bool:
        return self.person.records_frozen_on is not None

    @property
    def forwarded(self) -> bool:
        return self.person.forwarded_to_hr_on is not None

    @property
    def may_forward_early(self) -> bool:
        """HR may forward early once the person has left: before that they are still at work
        and their supervision goes on."""
        return not self.forwarded and self.freeze_on is not None and self.freeze_on <= self.today


@dataclass(frozen=True)
class Periods:
    """The profile's two retention periods, as words for HR's page."""

    council: str
    hr_forward_after: str
    keep_for: str


@dataclass(frozen=True)
class Leavers:
    """HR's page: everyone with a leaving date and their schedule, the periods behind the dates,
    and the changes of supervisor since `since`."""

    leavers: list[Schedule]
    periods: Periods
    changes: list[SupervisionRelationship]
    since: dt.date
    today: dt.date


@dataclass(frozen=True)
class Forwarded:
    """What forwarding early did: the schedule as it now stands, and whether this call did it
    (False when the records had already gone, by the nightly run or an earlier request)."""

    schedule: Schedule
    done_now: bool


@dataclass
class _Destroyed:
    objects: int = 0
    refused: list[str] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    agreements: list[int] = field(default_factory=list)
    asye_entries: int = 0  # issue 25: the ASYE record of support's observations and reviews


def forward_date(profile: Profile, leave_date: dt.date) -> dt.date:
    """The day records go to HR: the leave date plus the HR delay."""
    return profile.retention.hr_forward_after.after(leave_date)


def destruction_date(profile: Profile, leave_date: dt.date) -> dt.date:
    """The day records are destroyed: the HR delay, then the retention period, from the leave date.
    It counts from the day the rule sends them to HR even when HR forwards them early: an early
    forward, made for a tribunal or a file request, never shortens how long they are kept (S 12.4:
    "held for seven years"); HR's pages and e-mail say so (issue 27)."""
    return profile.retention.keep_for.after(forward_date(profile, leave_date))


def _rules(profile: Profile, leave: dt.date) -> dict[str, str]:
    """Each step's rule as the log keeps it, citing the profile's own source for its retention
    (S 12.4 for Stockport; docgen's labelled default where the council's policy sets none)."""
    hr, keep = profile.retention.hr_forward_after.text, profile.retention.keep_for.text
    forward, destroy = _cited(profile, "retention.hr_forward_after"), _cited(profile, "retention.keep_for")
    return {"freeze": f"{destroy}: leave date {leave}: records frozen from the leave date",
            "forward_to_hr": f"{forward}: leave date {leave} + {hr}: forwarded to HR",
            "destroy": f"{destroy}: leave date {leave} + {hr} + {keep}"}


def _cited(profile: Profile, key: str) -> str:
    """The profile's citation for a retention period, to its first ';' (the destruction log's rule
    holds 200 characters: the rest of a default's reason is on the policy page)."""
    return profile.source(key).split(";")[0][:140]


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

    def step(name: str, on: dt.date) -> Due:
        return Due(name, person.id, person.name, on, rules[name])

    due = []
    if person.records_frozen_on is None:
        due.append(step("freeze", leave))
    if person.forwarded_to_hr_on is None and today >= forward_date(profile, leave):
        due.append(step("forward_to_hr", forward_date(profile, leave)))
    destroy_on = destruction_date(profile, leave)
    return due if today < destroy_on else due + _destruction(db, profile, person, today, step("destroy", destroy_on))


def _destruction(db: Session, profile: Profile, person: Person, today: dt.date, destroy: Due) -> list[Due]:
    """The person's destroy step while anything of theirs is left, and beside it each record, and
    each filed subject access export, that a legal hold keeps (the whole step is held by a hold on
    them). An export asked for and not made goes with the person's step even so: it is marked not
    made, so nothing builds it from what retention leaves."""
    records, agreements = _undestroyed(db, profile, person, today)
    exports = subject_access_exports.pending_requests(db, person.id)
    exports_held = holds.keeping_exports_of(db, person.id) if exports.filed else ()
    # what else the person's step does: ASYE entries, exports not made, and the filed ones no hold keeps
    entries = _asye_entries(db, person.id) + len(exports.unmade) + (0 if exports_held else len(exports.filed))
    if not records and not agreements and not entries and not exports.filed:
        return []
    person_holds = holds.held_by(db, person_id=person.id)
    if person_holds:
        return [_held(db, destroy, person_holds)]
    held_records = {r.id: holds.held_by(db, record_id=r.id) for r in records}
    held_records = {rid: held for rid, held in held_records.items() if held}
    due = [destroy] if agreements or entries or len(held_records) < len(records) else []
    due += [_held(db, destroy, held, record_id=rid) for rid, held in held_records.items()]
    return due + [_held(db, destroy, exports_held, request_id=request_id)
                  for request_id in exports.filed if exports_held]


def _held(db: Session, destroy: Due, hold_ids: tuple[int, ...], **apart: int) -> Due:
    """The destroy step (or the part of it `apart` names) held by these holds, saying what each is on."""
    return dataclasses.replace(destroy, held_by=hold_ids, held_on=holds.described(db, hold_ids), **apart)


def _undestroyed(db: Session, profile: Profile, person: Person,
                 today: dt.date) -> tuple[list[Record], list[Agreement]]:
    """A person's records and agreements with content or stored objects left (a destroyed one has
    neither: a new record or agreement always starts with content), less the group records another
    of their holders still keeps (`_kept_for_another`)."""
    records = db.scalars(select(Record).where(group_records.belongs_to(person.id)).order_by(Record.id))
    agreements = db.scalars(select(Agreement).where(Agreement.supervisee_id == person.id).order_by(Agreement.id))
    return ([r for r in records if (r.sections or filing.live_versions(db, r))
             and not _kept_for_another(db, profile, r, person, today)],
            [a for a in agreements if a.fields or filing.live_versions(db, a)])


def _asye_entries(db: Session, person_id: int) -> int:
    """How many entries of an ASYE record of support (issue 25) the person still has: they are part of
    the person's supervision file, so they go with it at the end of retention."""
    return db.scalar(select(func.count()).select_from(AsyeSupportEntry)
                     .where(AsyeSupportEntry.person_id == person_id)) or 0


def _kept_for_another(db: Session, profile: Profile, record: Record, person: Person, today: dt.date) -> bool:
    """Whether a group record is still kept for someone other than `person`: it is in the file of
    its recorder and of each attendee (issue 23), so it is kept on the longest of their schedules.
    It goes only once every holder has left and their destruction date (the profile's two periods
    from their leave date) has come, and while a legal hold stands on any of them it stays."""
    if not group_records.is_group_record(record):
        return False
    return any(holder.leave_date is None or today < destruction_date(profile, holder.leave_date)
               or holds.held_by(db, person_id=holder.id)
               for holder in group_records.holders(db, record) if holder.id != person.id)


# --- Doing it -----------------------------------------------------------------------------------


def run(uow: Work, today: dt.date, dry_run: bool = False) -> list[Outcome]:
    """Apply every due step; with `dry_run`, only say what would be done.

    Commits after each step: destroying an object cannot be undone, so the record of it must not
    wait for other people's steps. Safe to run twice, and callable from a task given nothing but
    the date (`run(uow, clock.today())`). Last, it destroys objects that no document row refers to
    (a process killed between filing an object and committing its row: `storage.filing`), and any
    text a redaction schedule view kept for a draft while it was being destroyed.
    """
    db = uow.session
    due = plan(db, uow.deployment.profile, today)
    if dry_run:
        uow.rollback()
        return [Outcome(d, "held" if d.held else "would do") for d in due]
    outcomes = []
    for item in due:
        if item.held:
            outcomes.append(Outcome(item, "held"))
            continue
        # FOR NO KEY UPDATE: it waits for a renewal filing (`workflows.timestamp_renewal`), not for an
        # audit row naming the person, which takes the audit lock first (deadlock otherwise)
        person = db.get_one(Person, item.person_id, with_for_update={"key_share": True}, populate_existing=True)
        outcomes.append(_STEPS[item.step](uow, person, item, today))
        uow.commit()
    filing.destroy_orphans(db, uow.store, clock.now())
    page_texts.forget_drafts_of_destroyed(db)  # one a schedule view kept while its draft was being destroyed
    uow.commit()
    return outcomes


def _freeze(uow: Work, person: Person, item: Due, today: dt.date) -> Outcome:
    """Freeze the records, and lock their objects in the store until the destruction date.

    A leave date typed onto the person (not through `mark_leaver`) is completed here, so their
    relationships end on it as well.
    """
    db = uow.session
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
    refused = filing.retain_until(uow.store, filing.live_versions_of(db, person.id),
                                  destruction_date(uow.deployment.profile, person.leave_date))
    return Outcome(item, "done", f"could not lock {len(refused)} object(s) in the store" if refused else "")


def _forward(uow: Work, person: Person, item: Due, today: dt.date, by: Caller = access.SYSTEM) -> Outcome:
    """Pass the records to HR: HR gains access and the supervisor and line managers lose it
    (`workflows.access` reads `forwarded_to_hr_on`); everyone holding the HR role is told, with
    the link to the bundle on this deployment's own address (`RecordsForwarded`, heard by
    `workflows.notices_retention`). `by` is HR forwarding early, whose name and reason go in the
    audit entry the e-mail is written from; the nightly run is the system."""
    db = uow.session
    if person.forwarded_to_hr_on is not None:
        return Outcome(item, "done", "already forwarded")
    person.forwarded_to_hr_on = today
    hr = access.hr_staff(db)
    entry = audit.record(db, "retention.forward_to_hr", actor_id=by.person_id, object_type="person",
                         object_id=person.id, reason=by.reason, ip=by.ip,
                         detail={"rule": item.rule, "hr_told": [m.id for m in hr], "early": by.account is not None})
    events.record(db, events.RecordsForwarded(person.id, entry.id))
    return Outcome(item, "done", f"{len(hr)} HR account(s) e-mailed" if hr else "no account holds the hr role")


def _destroy(uow: Work, person: Person, item: Due, today: dt.date) -> Outcome:
    """Destroy what the person's step covers that no legal hold protects: objects first, then content.

    Only the person's own step runs (a step held apart is planned only while held, and `run` skips
    held steps). It takes the holds lock before re-checking the holds, so a hold placed since the
    plan was made is seen here, or waits until this step has committed (`storage.legal_holds`).
    """
    db = uow.session
    legal_holds.lock(db)
    if holds.held_by(db, person_id=person.id):
        return Outcome(item, "held", "a legal hold was placed since the plan was made")
    records, agreements = _undestroyed(db, uow.deployment.profile, person, today)
    records = [r for r in records if not holds.held_by(db, record_id=r.id)]
    done = _Destroyed()
    for owner in [*records, *agreements]:
        _destroy_owner(db, uow.store, person, owner, item.rule, done)
    _destroy_exports_and_entries(uow, person, item, done)
    if done.objects or done.records or done.agreements or done.refused or done.asye_entries:
        audit.record(db, "retention.destroy", object_type="person", object_id=person.id,
                     detail={"rule": item.rule, "objects": done.objects, "records": done.records,
                             "agreements": done.agreements, "refused_by_store": done.refused,
                             "asye_entries": done.asye_entries})
        events.record(db, events.RecordsDestroyed(person.id, tuple(done.records), tuple(done.agreements)))
    if done.refused:
        return Outcome(item, "refused", f"the store refused {len(done.refused)} object(s); retried next run")
    return Outcome(item, "done", f"{done.objects} object(s), {len(done.records)} record(s), "
                                 f"{len(done.agreements)} agreement(s), {done.asye_entries} ASYE entry(ies)")


def _destroy_exports_and_entries(uow: Work, person: Person, item: Due, done: _Destroyed) -> None:
    """What goes with the person's step besides their records: their ASYE observations and reviews,
    and the subject access exports that copy their records. A filed export stays while a legal hold
    covers anything it copies (`holds.keeping_exports_of`: it goes at the first run after the hold
    is lifted); one asked for and not made is marked not made even so, as nothing must build it from
    what is destroyed here."""
    db = uow.session
    done.asye_entries = db.execute(delete(AsyeSupportEntry).where(AsyeSupportEntry.person_id == person.id)
                                   ).rowcount or 0
    kept = bool(holds.keeping_exports_of(db, person.id))
    exports = subject_access_exports.destroy_of(db, uow.store, person.id, item.rule, keep_filed=kept)
    done.objects += exports.objects
    done.refused += exports.refused  # still filed: the next run tries again


def _destroy_owner(db: Session, store: DocumentStore, person: Person, owner: Record | Agreement, rule: str,
                   done: _Destroyed) -> None:
    of = f"{signoff.kind_of(owner)} {signoff.number(owner)}"
    for version in filing.live_versions(db, owner):
        earlier, refused = superseded_copies.destroy_of(db, store, version, person_id=person.id, rule=rule, of=of)
        done.objects += len(earlier)
        page_texts.forget(db, earlier)
        if refused:  # the version stays live, so the next run comes back for its earlier copies
            done.refused += refused
            continue
        if destruction.destroy_object(db, store, version, person_id=person.id, rule=rule, of=of):
            done.objects += 1
            page_texts.forget(db, [version.sha256])  # its text kept for the redaction schedule goes with it
        else:
            done.refused.append(version.storage_key)
    if destruction.destroy_content(db, owner, person_id=person.id, rule=rule, of=of):
        (done.records if isinstance(owner, Record) else done.agreements).append(owner.id)
    page_texts.forget_draft(db, signoff.kind_of(owner), owner.id)  # a draft's text kept for the schedule too
    db.flush()


_STEPS: dict[str, Callable[[Work, Person, Due, dt.date], Outcome]] = {
    "freeze": _freeze, "forward_to_hr": _forward, "destroy": _destroy}


# --- Protection when filing ---------------------------------------------------------------------


def protection_for(db: Session, profile: Profile, store: DocumentStore, person: Person,
                   record: Record | None = None) -> Protection:
    """How a new object of this person's should be filed: held if a legal hold covers it, and (on
    a store with Object Lock) retained until the destruction date once the leave date is known."""
    held = bool(holds.held_by(db, person_id=person.id) or (record is not None and holds.held_by(db, record_id=record.id)))
    until = (destruction_date(profile, person.leave_date)
             if person.leave_date is not None and filing.locks_objects(store) else None)
    return Protection(until, held)


# --- Use cases ----------------------------------------------------------------------------------


def due_on(uow: Work, caller: Caller, today: dt.date) -> list[Due]:
    """What the run would do on `today`, and why, for an administrator or HR to check."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    return plan(uow.session, uow.deployment.profile, today)


def record_leaver(uow: Work, caller: Caller, person_id: int, leave_date: dt.date) -> Leaving:
    """An administrator or HR records that a person leaves on a date; the answer carries the dates
    this module will forward and destroy their records on (S 12.4)."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    with uow:
        person = people.get_person(uow.session, person_id)
        left = movers.mark_leaver(uow.session, person, leave_date, caller.person)
    profile = uow.deployment.profile
    return Leaving(person, forward_date(profile, leave_date), destruction_date(profile, leave_date), left.unsupervised)


def schedule(profile: Profile, person: Person, today: dt.date) -> Schedule:
    """What happens to this person's records when: done dates where done, due dates otherwise."""
    leave = person.leave_date
    if leave is None:
        return Schedule(person, person.records_frozen_on, person.forwarded_to_hr_on, None, today)
    due = forward_date(profile, leave)
    return Schedule(person, person.records_frozen_on or leave, person.forwarded_to_hr_on or due,
                    destruction_date(profile, leave), today, due)


def leavers_page(uow: Work, caller: Caller) -> Leavers:
    """HR's page: each leaver as soon as a leaving date is set, with what happens when."""
    access.require_role(caller, access.HR)
    db, profile, today = uow.session, uow.deployment.profile, clock.today()
    since = today - dt.timedelta(days=movers.RECENT_DAYS)
    periods = Periods(profile.council, profile.retention.hr_forward_after.text, profile.retention.keep_for.text)
    return Leavers([schedule(profile, p, today) for p in movers.leavers(db)], periods,
                   movers.relationship_changes(db, since), since, today)


def leaver_schedule(uow: Work, caller: Caller, person_id: int) -> Schedule:
    """One leaver's schedule, for HR's forward-early form."""
    access.require_role(caller, access.HR)
    return schedule(uow.deployment.profile, people.get_person(uow.session, person_id), clock.today())


def forward_early(uow: Work, caller: Caller, person_id: int, reason: str) -> Forwarded:
    """HR forwards a leaver's records today, with a reason, when the council needs them before the
    nightly run would (S 12.4 sets the latest day, not the earliest).

    Does what the run does for this person (freeze if not yet frozen, then forward and tell HR),
    audited with HR's name and reason. Safe to repeat: records already forwarded stay as they
    are and nothing is written. Refused before the leaving date: the person is still at work.
    """
    access.require_role(caller, access.HR)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Enter why the records must go to HR now", "reason")
    db, profile, today = uow.session, uow.deployment.profile, clock.today()
    people.get_person(db, person_id)
    person = db.get_one(Person, person_id, with_for_update={"key_share": True}, populate_existing=True)  # as `run`
    if person.forwarded_to_hr_on is not None:
        uow.rollback()
        return Forwarded(schedule(profile, person, today), False)
    leave = person.leave_date
    if leave is None:
        raise Conflict(f"{person.name} has no leaving date; record one before forwarding their records", "id")
    if leave > today:
        raise Conflict(f"{person.name} leaves on {leave:%-d %B %Y}; their records can be forwarded from that day",
                       "id")
    rules = _rules(profile, leave)
    if person.records_frozen_on is None:
        frozen = _freeze(uow, person, Due("freeze", person.id, person.name, leave, rules["freeze"]), today)
        if frozen.result == "refused":
            raise Conflict(f"{person.name}'s records could not be frozen: {frozen.detail}", "id")
    _forward(uow, person, Due("forward_to_hr", person.id, person.name, today, rules["forward_to_hr"]), today,
             dataclasses.replace(caller, reason=reason))
    uow.commit()
    return Forwarded(schedule(profile, person, today), True)
