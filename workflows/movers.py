"""Transfers and leavers: staff who move within the organisation or leave it (S 12.4, H §10).

Records belong to the supervisee, so they follow a transfer without being touched; what changes
is the supervision relationship, and with it who may read them (`workflows.access` derives the
supervisor from the relationship current today, and line managers from the person's line
manager). A new supervisor means a new agreement (K: "at the start of the supervisory
relationship"). A leaver's relationships end on the leave date and their records are frozen
when it arrives; forwarding to HR and destruction follow in `workflows.retention`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from kernel import clock
from storage import audit
from kernel.errors import Conflict, InvalidInput
from storage.models import Agreement, AuditEvent, Person, SupervisionRelationship, Team
from workflows import access, agreements, people, revisions, signoff
from workflows.access import Caller
from workflows import events
from workflows.deployment import Work
from workflows.profiles import Profile

RECENT_DAYS = 90  # how far back a change of supervisor still counts as recent on HR's page
ALL = 200  # the most a select offers (here and on the administration pages); a bigger organisation needs a search


@dataclass(frozen=True)
class Transfer:
    """What a transfer changed: the relationship ended, and the one (with its draft) started."""

    person: Person
    ended: SupervisionRelationship | None
    started: SupervisionRelationship | None
    agreement: Agreement | None


@dataclass(frozen=True)
class Moved:
    """A transfer as the API and pages show it: the new agreement in its published form."""

    person: Person
    ended: SupervisionRelationship | None
    started: SupervisionRelationship | None
    agreement: dict[str, Any] | None


@dataclass(frozen=True)
class MoveForm:
    """What HR's move page shows: the person as they stand today (their team, line manager and
    `supervisor`), and the teams, supervisors and line managers a move can give them instead."""

    person: Person
    supervisor: Person | None
    teams: list[Team]
    supervisors: list[Person]
    line_managers: list[Person]


@dataclass(frozen=True)
class LeavingForm:
    """What HR's leaving-date page shows: the person (with any leaving date already recorded) and
    what follows it, in the council profile's words: the two retention periods (S 12.4, or
    docgen's default for a council whose policy sets none), where they come from (`source`) and
    the policy's own words for them (`quote`, None where they are docgen's default)."""

    person: Person
    council: str
    hr_forward_after: str
    keep_for: str
    source: str
    quote: str | None

    @property
    def may_change(self) -> bool:
        """The date can be recorded or corrected until the records freeze (`mark_leaver`)."""
        return self.person.records_frozen_on is None


@dataclass(frozen=True)
class Leaver:
    """A leaver, and the people they supervised who have no supervisor after the leave date."""

    person: Person
    unsupervised: list[Person]


def transfer(db: Session, profile: Profile, person: Person, *, on: dt.date, by: Person | None,
             supervisor_id: int | None = None, team_id: int | None = None,
             line_manager_id: int | None = None) -> Transfer:
    """Move a person to a new supervisor and/or team from `on`.

    The current relationship ends the day before and the new one starts with a draft agreement.
    A supervisor change may be dated ahead (relationships are dated); a team or line-manager
    change may not, because a person's team and line manager are not dated: record it on the day.
    """
    if person.status == "leaver" or person.records_frozen_on is not None:
        raise Conflict(f"{person.name} has left; a leaver cannot be transferred", "id")
    if supervisor_id is None and team_id is None and line_manager_id is None:
        raise InvalidInput("choose a new supervisor, team or line manager", "supervisor_id")
    if (team_id is not None or line_manager_id is not None) and on > clock.today():
        raise InvalidInput("a team or line-manager move cannot be dated ahead; record it on the day", "on")
    manager = db.get(Person, line_manager_id) if line_manager_id is not None else None
    if manager is not None:  # one that does not exist is named by `people.update_person`
        people.refuse_leaver(manager, on, "line_manager_id")
    ended = started = agreement = None
    if supervisor_id is not None:
        ended, started, agreement = _change_supervisor(db, profile, person, supervisor_id, on)
    moves = {name: value for name, value in (("team_id", team_id), ("line_manager_id", line_manager_id))
             if value is not None}
    if moves:
        people.update_person(db, person, profile, moves)
    audit.record(db, "person.transfer", actor_id=by.id if by else None, object_type="person", object_id=person.id,
                 detail={"on": on.isoformat(), "supervisor_id": supervisor_id, **moves,
                         "ended_relationship_id": ended.id if ended else None})
    return Transfer(person, ended, started, agreement)


def hand_over_after_start(current: SupervisionRelationship, on: dt.date, field: str) -> None:
    """Refuse, naming `field`, a new supervisor from `on` unless it is after the day `current`
    started: the old relationship ends the day before the new one starts, so it must have lasted a day."""
    if on <= current.starts_on:
        raise InvalidInput(f"the new supervisor must start after {current.starts_on:%-d %B %Y}, when "
                           f"{current.supervisor.name}’s supervision started", field)


def _change_supervisor(db: Session, profile: Profile, person: Person, supervisor_id: int, on: dt.date
                       ) -> tuple[SupervisionRelationship | None, SupervisionRelationship, Agreement]:
    current = people.relationship_on(db, person.id, on)
    if current is not None:
        if current.supervisor_id == supervisor_id:
            raise Conflict(f"{current.supervisor.name} already supervises {person.name} on {on}", "supervisor_id")
        hand_over_after_start(current, on, "on")
        current.ends_on = on - dt.timedelta(days=1)
        db.flush()
    started, agreement = agreements.start_relationship(db, profile, person.id, supervisor_id, on)
    return current, started, agreement


def mark_leaver(db: Session, person: Person, leave_date: dt.date, by: Person | None) -> Leaver:
    """Record that a person leaves (employee, agency or contract staff alike, S 12.4).

    Every relationship they are part of, as supervisee or supervisor, ends on the leave date; a
    date corrected to a later day carries on the ones the earlier date ended (`_ended_by_leaving`),
    so no one is left unsupervised between the two dates, and an earlier day ends them sooner. Their
    records freeze at once if the date has come, else when the retention run reaches it.
    Safe to repeat; the date can change until the records are frozen.
    """
    if leave_date < person.employment_start:
        raise InvalidInput(f"leave_date must be on or after {person.name}’s employment start, "
                           f"{person.employment_start:%-d %B %Y}", "leave_date")
    if person.records_frozen_on is not None and leave_date != person.leave_date:
        raise Conflict(f"{person.name}’s records were frozen on {person.records_frozen_on:%-d %B %Y}: "
                       "the leave date can no longer change", "leave_date")
    involved = list(db.scalars(select(SupervisionRelationship).where(
        (SupervisionRelationship.supervisee_id == person.id) | (SupervisionRelationship.supervisor_id == person.id),
        SupervisionRelationship.ends_on.is_(None) | (SupervisionRelationship.ends_on > leave_date))))
    reopened = _ended_by_leaving(db, person) if person.leave_date and leave_date > person.leave_date else []
    involved += [rel for rel in reopened if rel not in involved]
    if any(rel.starts_on > leave_date for rel in involved):
        raise Conflict("a supervision relationship starts after the leave date; end or remove it first",
                       "leave_date")
    previous, person.status, person.leave_date = person.leave_date, "leaver", leave_date
    for rel in involved:
        rel.ends_on = _until_handed_over(db, rel, leave_date) if rel in reopened else leave_date
    unsupervised = [rel.supervisee for rel in involved if rel.supervisor_id == person.id]
    if leave_date <= clock.today():
        freeze(db, person)
    audit.record(db, "person.leaver", actor_id=by.id if by else None, object_type="person", object_id=person.id,
                 detail={"leave_date": leave_date.isoformat(), "ended_relationships": [r.id for r in involved],
                         "previous_leave_date": previous.isoformat() if previous else None})
    events.record(db, events.PersonLeft(person.id))
    db.flush()
    return Leaver(person, unsupervised)


def leave_on(db: Session, person: Person, leave_date: dt.date | None, by: Person | None) -> Leaver:
    """A leaving date given with other changes to a person (the API's PATCH, the administrators'
    person form): recorded as `mark_leaver` records it, so it ends their supervision and is audited
    the same way. Taking a recorded date away is refused: what the leaving ended stays ended."""
    if leave_date is None:
        raise InvalidInput(f"leave_date cannot be removed once recorded; correct it with "
                           f"POST /api/v1/people/{person.id}/leaver or HR’s page /hr/people/{person.id}/leaving",
                           "leave_date")
    return mark_leaver(db, person, leave_date, by)


def _ended_by_leaving(db: Session, person: Person) -> list[SupervisionRelationship]:
    """The relationships the person's recorded leaving ended and nothing has changed since: those the
    last `person.leaver` audit lists that still end on the recorded leave date. A relationship
    ended that day for another reason (a move) is not listed there, so a later date leaves it be."""
    last = db.scalar(select(AuditEvent).where(
        AuditEvent.action == "person.leaver", AuditEvent.object_type == "person",
        AuditEvent.object_id == str(person.id)).order_by(AuditEvent.id.desc()).limit(1))
    ids = last.detail.get("ended_relationships", []) if last is not None else []
    return list(db.scalars(select(SupervisionRelationship).where(
        SupervisionRelationship.id.in_(ids), SupervisionRelationship.ends_on == person.leave_date)))


def _until_handed_over(db: Session, rel: SupervisionRelationship, leave_date: dt.date) -> dt.date:
    """The new end of a relationship a later leave date carries on: the leave date, or the day before
    the supervisee's next supervision starts if they were handed over in between (never two at once)."""
    next_start = db.scalar(select(SupervisionRelationship.starts_on).where(
        SupervisionRelationship.supervisee_id == rel.supervisee_id, SupervisionRelationship.id != rel.id,
        SupervisionRelationship.starts_on > rel.starts_on).order_by(SupervisionRelationship.starts_on).limit(1))
    return leave_date if next_start is None else min(leave_date, next_start - dt.timedelta(days=1))


def freeze(db: Session, person: Person) -> bool:
    """Freeze a leaver's records from today (`access.edit_access` then refuses every change, and
    any sign-off link still open dies).

    Returns False if they were already frozen, so a repeated run does nothing twice.
    """
    if person.records_frozen_on is not None:
        return False
    person.status = "leaver"
    person.records_frozen_on = clock.today()
    withdrawn = signoff.withdraw_links(db, person.id)
    audit.record(db, "person.freeze", object_type="person", object_id=person.id,
                 detail={"leave_date": person.leave_date.isoformat() if person.leave_date else None,
                         "sign_off_links_withdrawn": withdrawn})
    db.flush()
    return True


def leavers(db: Session) -> list[Person]:
    """People with a leaving date (past or coming) or marked as leavers, latest leaving first."""
    return list(db.scalars(select(Person).where(or_(Person.leave_date.is_not(None), Person.status == "leaver"))
                           .order_by(Person.leave_date.desc().nulls_last(), Person.name)))


def relationship_changes(db: Session, since: dt.date) -> list[SupervisionRelationship]:
    """Supervision relationships started or ended on or after `since`: transfers between supervisors."""
    return list(db.scalars(select(SupervisionRelationship)
                           .options(selectinload(SupervisionRelationship.supervisee),
                                    selectinload(SupervisionRelationship.supervisor))  # HR's page names both
                           .where(or_(SupervisionRelationship.starts_on >= since, SupervisionRelationship.ends_on >= since))
                           .order_by(SupervisionRelationship.starts_on.desc(), SupervisionRelationship.id.desc())))


def still_here(db: Session) -> list[Person]:
    """Everyone active, by name: whom a select may offer as someone's supervisor or line manager."""
    return people.list_people(db, status="active", per_page=ALL)[0]


def candidates(db: Session, besides: Collection[int | None], among: list[Person] | None = None) -> list[Person]:
    """The staff still here who could take a mover on, as supervisor or line manager: everyone
    active (`among`, when the caller has read them already: `still_here`) but `besides` (the mover,
    and whoever has them now, so a change is a change)."""
    return [p for p in (still_here(db) if among is None else among) if p.id not in besides]


# --- Use cases ----------------------------------------------------------------------------------


def move_form(uow: Work, caller: Caller, person_id: int) -> MoveForm:
    """The person as they stand today and where a move can take them, for those who may move
    people (`access.PEOPLE_MANAGERS`, as for `move`)."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    db = uow.session
    person = people.get_person(db, person_id)
    supervisor = people.current_supervisor(db, person.id, clock.today())
    teams, _ = people.list_teams(db, per_page=ALL)
    here = still_here(db)  # one read for both lists
    return MoveForm(person, supervisor, [t for t in teams if t.id != person.team_id],
                    candidates(db, (person.id, supervisor.id if supervisor else None), here),
                    candidates(db, (person.id, person.line_manager_id), here))


def leaving_form(uow: Work, caller: Caller, person_id: int) -> LeavingForm:
    """The person whose leaving date is to be recorded, and what happens after it, for those who
    may record it (`access.PEOPLE_MANAGERS`, as `retention.record_leaver` requires)."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    person = people.get_person(uow.session, person_id)
    profile = uow.deployment.profile
    periods = profile.retention
    return LeavingForm(person, profile.council, periods.hr_forward_after.text, periods.keep_for.text,
                       profile.source("retention"), profile.quote("retention"))


def _unchanged_since(db: Session, person: Person, revision: int | None) -> None:
    """A move refused for what another move made since the caller's read (on SQLite the second of
    two moves can see the first's new supervision before its own compare-and-set) is refused as
    that change (412, read again), not as a mistake in what the caller asked."""
    with db.no_autoflush:
        now = db.scalar(select(Person.revision).where(Person.id == person.id))
    revisions.expect(revisions.ReadAlone(now), revision, "person")


def move(uow: Work, caller: Caller, person_id: int, revision: int | None, *, on: dt.date,
         supervisor_id: int | None = None, team_id: int | None = None,
         line_manager_id: int | None = None) -> Moved:
    """An administrator or HR moves a person to a new supervisor and/or team from a date, from the
    person's `revision` the caller read (If-Match): two moves made from one read cannot both land
    (`workflows.revisions`), so a person is never given two new supervisors or teams at once."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    with uow:
        db = uow.session
        person = people.get_person(db, person_id)
        revisions.expect(person, revision, "person")
        if supervisor_id is not None:
            people.get_person_field(db, supervisor_id, "supervisor_id")
        try:
            done = transfer(db, uow.deployment.profile, person, on=on, by=caller.person,
                            supervisor_id=supervisor_id, team_id=team_id, line_manager_id=line_manager_id)
        except (InvalidInput, Conflict):
            _unchanged_since(db, person, revision)
            raise
        # The claim: the person's row is written (its revision checked and raised) even when only
        # their supervisor changes, which is a relationship's row; else two moves from one read of
        # someone with no supervision to end could both start one.
        flag_modified(person, "status")
    return Moved(person, done.ended, done.started,
                 agreements.agreement_json(done.agreement) if done.agreement else None)

