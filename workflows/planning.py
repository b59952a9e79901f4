"""Planning supervision sessions ahead, with calendar invitations that land in Outlook.

H plans sessions up to six months ahead and has a cancelled session rescheduled "within the next
five working days" by whoever cancelled it; the profile holds both numbers. An invitation is an
iCalendar REQUEST (RFC 5546) with a stable UID: a moved session keeps its UID and bumps SEQUENCE
so calendars update the meeting rather than add a second; a cancellation is a CANCEL with the same
UID. Invitations go through the outbox in the same transaction as the change they report, written
by the command rather than by a subscriber of an event (issue 24): each is the change as a calendar
applies it, numbered by the SEQUENCE that command bumps, so it is written with that row.

The use cases at the end are the API's and the pages' alike: one rule for who may arrange a
supervisee's sessions (`access.may_arrange`) and which supervisor a session is with.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import NamedTuple

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.mailer import Attachment
from storage.models import Person, PlannedSession
from kernel import clock
from kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflows import access, emails, people
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work
from workflows.due_dates import rebook_deadline
from workflows.profiles import Profile

MAX_MINUTES = 8 * 60
SHOWN = 50  # the newest sessions a supervisee's page lists; older ones are in the supervision history


def get_session(db: Session, session_id: int) -> PlannedSession:
    session = db.get(PlannedSession, session_id)
    if session is None:
        raise NotFound(f"no planned session with id {session_id}", "id")
    return session


def _check_time(profile: Profile, starts_at: dt.datetime, minutes: int, today: dt.date) -> None:
    """Sessions are planned from now up to the profile's planning horizon (H: six months)."""
    if starts_at < clock.now():
        raise InvalidInput("starts_at is in the past", "starts_at")
    horizon = profile.planning_horizon.after(today)
    if starts_at.date() > horizon:
        raise InvalidInput(f"starts_at is beyond the planning horizon of {profile.planning_horizon.text} "
                           f"(latest {horizon:%-d %B %Y})", "starts_at")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"minutes must be between 1 and {MAX_MINUTES}", "minutes")


def plan_session(db: Session, profile: Profile, supervisee: Person, supervisor: Person, starts_at: dt.datetime,
                 today: dt.date, *, minutes: int | None = None, location: str = "") -> PlannedSession:
    """Plan a session (naive UTC `starts_at`) and send both people the invitation.

    Without `minutes` it lasts the profile's `session_minutes`: the length the council's policy
    gives a session (K App A "Length of Sessions (e.g., 1 hour)"; S §7 "one and a half hours are
    likely to offer adequate time").

    The supervisor need not be the current one: H §9 has cover arranged when the supervisor is
    absent.
    """
    if supervisee.id == supervisor.id:
        raise InvalidInput("a person cannot supervise themselves", "supervisor_id")
    if people.has_left(supervisee, clock.uk(starts_at).date()):  # sessions during their notice still happen
        raise Conflict(f"{supervisee.name} has left", "supervisee_id")
    minutes = profile.session_minutes if minutes is None else minutes
    _check_time(profile, starts_at, minutes, today)
    session = PlannedSession(supervisee_id=supervisee.id, supervisor_id=supervisor.id, starts_at=starts_at,
                             minutes=minutes, location=location.strip(), status="planned", ics_sequence=0,
                             uid=f"{uuid.uuid4()}@docgen")
    db.add(session)
    db.flush()
    _invite(db, session, supervisee, supervisor)
    return session


def cancel(db: Session, session: PlannedSession, by: Person, today: dt.date) -> PlannedSession:
    """Cancel a planned session; it must be rebooked within the profile's working days."""
    if session.status != "planned":
        raise Conflict(f"the session is {session.status} and cannot be cancelled", "status")
    session.status = "cancelled"
    session.cancelled_on = today
    session.cancelled_by_id = by.id
    session.ics_sequence += 1
    db.flush()
    _invite(db, session, people.get_person(db, session.supervisee_id), people.get_person(db, session.supervisor_id))
    return session


def rebook(db: Session, profile: Profile, session: PlannedSession, starts_at: dt.datetime, today: dt.date, *,
           minutes: int | None = None, location: str | None = None) -> PlannedSession:
    """Move a planned session, or book the replacement of a cancelled one.

    A planned session keeps its UID and bumps SEQUENCE (the calendar entry moves). A cancelled
    one gets a new session, linked from the old by `rebooked_as_id`, which settles the rebooking.
    """
    minutes = session.minutes if minutes is None else minutes
    location = session.location if location is None else location.strip()
    _check_time(profile, starts_at, minutes, today)
    supervisee, supervisor = people.get_person(db, session.supervisee_id), people.get_person(db, session.supervisor_id)
    if session.status == "planned":
        session.starts_at, session.minutes, session.location = starts_at, minutes, location
        session.ics_sequence += 1
        db.flush()
        _invite(db, session, supervisee, supervisor)
        return session
    if session.status != "cancelled" or session.rebooked_as_id is not None:
        state = "already rebooked" if session.rebooked_as_id else session.status
        raise Conflict(f"the session is {state} and cannot be rebooked", "status")
    new = plan_session(db, profile, supervisee, supervisor, starts_at, today, minutes=minutes, location=location)
    session.rebooked_as_id = new.id
    db.flush()
    return new


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc)


def _address(person: Person, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def ics_for(session: PlannedSession, organiser: Person, attendee: Person) -> bytes:
    """The session as an iCalendar invitation: METHOD:REQUEST, or METHOD:CANCEL once cancelled."""
    cancelled = session.status == "cancelled"
    supervisee_name = attendee.name if attendee.id == session.supervisee_id else "your supervisee"
    cal = Calendar()
    cal.add("prodid", "-//docgen//supervision//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", session.uid)
    event.add("sequence", session.ics_sequence)
    event.add("dtstamp", _utc(clock.now()))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.starts_at + dt.timedelta(minutes=session.minutes)))
    event.add("summary", f"Supervision: {organiser.name} with {supervisee_name}")
    if session.location:
        event.add("location", session.location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "CONFIDENTIAL")
    event["organizer"] = _address(organiser)
    event.add("attendee", _address(attendee, "REQ-PARTICIPANT"))
    cal.add_component(event)
    return cal.to_ical()


def _when(session: PlannedSession) -> str:
    local = clock.uk(session.starts_at)
    return f"{local:%A %-d %B %Y at %H:%M} (UK time), {session.minutes} minutes"


def _invite(db: Session, session: PlannedSession, supervisee: Person, supervisor: Person) -> None:
    """E-mail the .ics to each of the two people, organised by the supervisor (delivered once committed)."""
    cancelled = session.status == "cancelled"
    method = "CANCEL" if cancelled else "REQUEST"
    for attendee, other in ((supervisee, supervisor), (supervisor, supervisee)):
        subject = ("Cancelled: " if cancelled else "Supervision: ") + f"{supervisee.name} and {supervisor.name}"
        invitation = Attachment("supervision.ics", f"text/calendar; method={method}", ics_for(session, supervisor, attendee))
        emails.queue(db, "session_planned", to=attendee.email, subject=subject, attachments=[invitation],
                     cancelled=cancelled, other=other.name, when=_when(session), location=session.location)


# --- use cases -------------------------------------------------------------------------------

class Planned(NamedTuple):
    """A session just planned (or moved), the two people invited to it, and when it starts (UK time)."""

    session: PlannedSession
    supervisee: Person
    supervisor: Person
    starts: dt.datetime


@transaction
def arrange_session(uow: Work, caller: Caller, supervisee_id: int, starts_at: dt.datetime, *,
                    supervisor_id: int | None = None, minutes: int | None = None, location: str = "") -> Planned:
    """Plan a supervisee's session (naive UTC `starts_at`) and send the invitations, audited as
    `session.plan`: the one rule for the API and the pages.

    The session is with the supervisee's current supervisor unless another is named (H §9: cover
    while the supervisor is absent); with neither it is refused. Only its two people, someone
    overseeing the supervisee, hr or admin may plan it; whether the caller may is asked first, so
    a stranger learns nothing about the supervisee.
    """
    db = uow.session
    today = clock.today()
    supervisee = people.get_person_field(db, supervisee_id, "supervisee_id")
    supervisor = (people.get_person_field(db, supervisor_id, "supervisor_id") if supervisor_id is not None
                  else people.current_supervisor(db, supervisee.id, today))
    if not access.may_arrange(db, caller, supervisee.id, supervisor.id if supervisor else supervisee.id):
        raise Forbidden("only the supervisor, the supervisee, their line managers, hr or admin may plan this session")
    if supervisor is None:
        raise InvalidInput(f"{supervisee.name} has no supervisor today; give supervisor_id", "supervisor_id")
    session = plan_session(db, uow.deployment.profile, supervisee, supervisor, starts_at, today,
                           minutes=minutes, location=location)
    access.audit_session(db, caller, "session.plan", session)
    return Planned(session, supervisee, supervisor, clock.uk(session.starts_at))


@dataclass(frozen=True)
class SessionRow:
    """One planned or cancelled session as a supervisee's page lists it."""

    session: PlannedSession
    starts: dt.datetime  # UK time
    rebook_by: dt.date | None  # a cancelled session not yet rebooked must be rebooked by then
    rebook_overdue: bool


class Sessions(NamedTuple):
    """A supervisee's sessions, newest first, and their supervisor today (None: nobody)."""

    supervisee: Person
    supervisor: Person | None
    rows: list[SessionRow]
    minutes: int  # a new session's length unless changed: the profile's `session_minutes`


def sessions_of(uow: Work, caller: Caller, supervisee_id: int) -> Sessions:
    """The supervisee's newest sessions (SHOWN of them) with the rebooking each cancelled one
    still needs. NotFound for a caller who may not arrange them: the page does not exist for them."""
    db, profile = uow.session, uow.deployment.profile
    today = clock.today()
    supervisee = people.get_person(db, supervisee_id)
    supervisor = people.current_supervisor(db, supervisee.id, today)
    if not access.may_arrange(db, caller, supervisee.id, supervisor.id if supervisor else supervisee.id):
        raise NotFound(f"no person with id {supervisee_id}", "id")
    rows = []
    for s in db.scalars(select(PlannedSession).where(PlannedSession.supervisee_id == supervisee.id)
                        .order_by(PlannedSession.starts_at.desc()).limit(SHOWN)):
        due = (rebook_deadline(profile, s.cancelled_on)
               if s.status == "cancelled" and s.rebooked_as_id is None and s.cancelled_on else None)
        rows.append(SessionRow(s, clock.uk(s.starts_at), due, due is not None and due < today))
    return Sessions(supervisee, supervisor, rows, profile.session_minutes)


class Invitation(NamedTuple):
    """A session's calendar invitation: the .ics and its iTIP method (REQUEST, or CANCEL)."""

    ics: bytes
    method: str


def invitation(uow: Work, caller: Caller, session_id: int) -> Invitation:
    """The session's invitation, for anyone who may arrange it or see everyone's schedule."""
    db = uow.session
    session = access.session_for(db, caller, get_session(db, session_id), read=True)
    organiser, attendee = people.get_person(db, session.supervisor_id), people.get_person(db, session.supervisee_id)
    return Invitation(ics_for(session, organiser, attendee), "CANCEL" if session.status == "cancelled" else "REQUEST")


class Cancellation(NamedTuple):
    """A session just cancelled, when it was to start (UK time), and the last day to rebook it."""

    session: PlannedSession
    starts: dt.datetime
    rebook_by: dt.date


def cancel_session(uow: Work, caller: Caller, session_id: int) -> Cancellation:
    """Cancel a planned session on the caller's behalf, audited as `session.cancel`; both people
    get the cancellation, and it must be rebooked within the profile's working days."""
    db = uow.session
    session = access.session_for(db, caller, get_session(db, session_id))
    cancel(db, session, caller.person, clock.today())
    access.audit_session(db, caller, "session.cancel", session)
    uow.commit()
    return Cancellation(session, clock.uk(session.starts_at),
                        rebook_deadline(uow.deployment.profile, session.cancelled_on))


class Rebooking(NamedTuple):
    """A session to move or rebook, its supervisee, and when it was to start (UK time)."""

    session: PlannedSession
    supervisee: Person
    starts: dt.datetime


def rebooking(uow: Work, caller: Caller, session_id: int) -> Rebooking:
    """The session the rebooking form is about, for someone who may arrange it."""
    db = uow.session
    session = access.session_for(db, caller, get_session(db, session_id))
    return Rebooking(session, people.get_person(db, session.supervisee_id), clock.uk(session.starts_at))


@transaction
def rebook_session(uow: Work, caller: Caller, session_id: int, starts_at: dt.datetime, *,
                   minutes: int | None = None, location: str | None = None) -> Planned:
    """Move a planned session or book the replacement of a cancelled one (`rebook`), audited as
    `session.rebook` on the session now planned."""
    db = uow.session
    session = access.session_for(db, caller, get_session(db, session_id))
    new = rebook(db, uow.deployment.profile, session, starts_at, clock.today(), minutes=minutes, location=location)
    access.audit_session(db, caller, "session.rebook", new)
    return Planned(new, people.get_person(db, new.supervisee_id), people.get_person(db, new.supervisor_id), clock.uk(new.starts_at))
