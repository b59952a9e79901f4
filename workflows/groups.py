"""Group supervision (K's list before §6, S §5, W §5/§8 and App C, H §1/§8): groups, their
sessions planned with calendar invitations, attendance, and each session's record.

A group meets in addition to 1:1 supervision, never instead of it, so nothing here counts towards
a person's 1:1 due dates. How often a group meets comes from the profile (H: every six to eight
weeks; W: weekly; K, S and L set none). A session's record is a `Record` row tied to the session
(`group_session_id`), so it is filed, sent, signed off, sealed and retained by the same pipeline as
every record: its recorder (W §8: the Practice Co-ordinator; elsewhere the facilitator) writes and
sends it, its signer (W §8: the Advanced Practitioner; elsewhere the facilitator) signs it off.
The record is filed under its recorder but belongs to every attendee (issue 23): each person
present finds it in their own file (`workflows.group_records.belongs_to`), and it is kept on the
longest retention schedule among them (`workflows.retention`). Who may read it is
`workflows.access.group_read_access`: those present at the session, and the usual management and
HR rules.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from documents.mailer import Attachment
from kernel import clock
from kernel.errors import Conflict, InvalidInput, NotFound
from storage import page_texts
from storage.models import (GroupAttendance, GroupMember, GroupSession, GroupSessionRebooking, Person, Record,
                            SupervisionGroup)
from workflows import access, emails, group_forms, group_records, people, periods, records
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work
from workflows.due_dates import State, due_state, group_session_due, record_due_date
from workflows.forms import Field
from workflows.profiles import Profile
from workflows.status import DRAFT, EDITABLE, words

ATTENDANCE = ("present", "apologies", "absent")
MAX_MINUTES = 8 * 60
# A case ID: letters, digits and the separators case systems use, with at least one digit, and no
# spaces, so "Jane Smith" or "Jane" is refused while "104233", "LL-104233" or "CP/2291" pass.
CASE_ID = re.compile(r"[A-Za-z]{0,4}[-/]?\d[\dA-Za-z\-/]*")


# --- groups and members ---------------------------------------------------------------------

def get_group(db: Session, group_id: int) -> SupervisionGroup:
    group = db.get(SupervisionGroup, group_id)
    if group is None:
        raise NotFound("no such group", "id")
    return group


def _holding(db: Session, profile: Profile, person_id: int | None, role: str | None, field: str) -> Person | None:
    """The person named for a group's recorder or signer, who must hold the profile's role for it
    (W §8: a Practice Co-ordinator records, an Advanced Practitioner signs off)."""
    if person_id is None:
        if role is not None:
            raise InvalidInput(f"this council's groups need a {profile.label(role).lower()} as {field[:-3]}", field)
        return None
    person = people.get_person_field(db, person_id, field)
    if role is not None and person.role != role:
        raise InvalidInput(f"{person.name} is not a {profile.label(role).lower()}", field)
    return person


def current_members(db: Session, group_id: int) -> list[Person]:
    return list(db.scalars(select(Person).join(GroupMember, GroupMember.person_id == Person.id)
                           .where(GroupMember.group_id == group_id, GroupMember.left_on.is_(None))
                           .order_by(Person.name)))


@transaction
def create_group(uow: Work, caller: Caller, name: str, facilitator_id: int, member_ids: list[int], *,
                 recorder_id: int | None = None, signer_id: int | None = None, frequency: str = "") -> SupervisionGroup:
    """Set up a group with its facilitator, members and (where the profile names the roles) its
    recorder and signer; audited as `group.create`. A group may set its own frequency ("4 weeks")
    where the policy sets none (K, S, L); where it sets one (H §1, W §5) the policy's applies."""
    db, profile = uow.session, uow.deployment.profile
    name = (name or "").strip()
    if not name:
        raise InvalidInput("give the group a name", "name")
    facilitator = people.get_person_field(db, facilitator_id, "facilitator_id")
    access.may_organise_group(db, caller, facilitator)
    recorder = _holding(db, profile, recorder_id, profile.groups.recorder_role, "recorder_id")
    signer = _holding(db, profile, signer_id, profile.groups.signer_role, "signer_id")
    if not member_ids:
        raise InvalidInput("a group needs at least one member", "member_ids")
    frequency = (frequency or "").strip()
    if frequency and profile.groups.every is not None:
        raise InvalidInput(f"this council's policy sets how often groups meet ({profile.groups.every.text})",
                           "frequency")
    if frequency:
        try:
            periods.parse_period(frequency)
        except ValueError:
            raise InvalidInput("give how often the group meets as a period, like '4 weeks' or '1 month'",
                               "frequency") from None
    if db.scalar(select(SupervisionGroup.id).where(SupervisionGroup.name == name)) is not None:
        raise Conflict(f"there is already a group called {name}", "name")
    members = [people.get_person_field(db, person_id, "member_ids") for person_id in dict.fromkeys(member_ids)]
    group = SupervisionGroup(name=name, facilitator_id=facilitator.id, recorder_id=recorder.id if recorder else None,
                             signer_id=signer.id if signer else None, team_id=facilitator.team_id,
                             frequency=frequency)
    db.add(group)
    db.flush()
    today = clock.today()
    db.add_all(GroupMember(group_id=group.id, person_id=member.id, joined_on=today) for member in members)
    access.audit_group(db, caller, "group.create", "group", group.id)
    return group


# --- sessions, invitations, attendance --------------------------------------------------------

def _ics(session: GroupSession, organiser: Person, invited: list[Person]) -> bytes:
    """One invitation for the whole group (RFC 5546 REQUEST, or CANCEL), with the stable UID and
    SEQUENCE rule of one-to-one sessions (`workflows.planning`)."""
    cal = Calendar()
    cal.add("prodid", "-//docgen//group supervision//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if session.status == "cancelled" else "REQUEST")
    event = Event()
    event.add("uid", session.uid)
    event.add("sequence", session.ics_sequence)
    event.add("dtstamp", clock.now().replace(tzinfo=dt.timezone.utc))
    event.add("dtstart", session.starts_at.replace(tzinfo=dt.timezone.utc))
    event.add("dtend", (session.starts_at + dt.timedelta(minutes=session.minutes)).replace(tzinfo=dt.timezone.utc))
    event.add("summary", f"Group supervision: {session.group.name}")
    if session.location:
        event.add("location", session.location)
    event.add("class", "CONFIDENTIAL")
    organizer = vCalAddress(f"mailto:{organiser.email}")
    organizer.params["CN"] = vText(organiser.name)
    event["organizer"] = organizer
    for person in invited:
        address = vCalAddress(f"mailto:{person.email}")
        address.params.update({"CN": vText(person.name), "ROLE": vText("REQ-PARTICIPANT"),
                               "PARTSTAT": vText("NEEDS-ACTION"), "RSVP": vText("TRUE")})
        event.add("attendee", address)
    cal.add_component(event)
    return cal.to_ical()


def _invite(db: Session, session: GroupSession) -> None:
    """E-mail everyone in the group the session's invitation, or its cancellation (delivered once committed)."""
    group = session.group
    invited = list({p.id: p for p in [group.facilitator, *filter(None, (group.recorder, group.signer)),
                                      *current_members(db, group.id)]}.values())
    when = f"{clock.uk(session.starts_at):%A %-d %B %Y at %H:%M} (UK time), {session.minutes} minutes"
    cancelled = session.status == "cancelled"
    invitation = Attachment("group-supervision.ics", f"text/calendar; method={'CANCEL' if cancelled else 'REQUEST'}",
                            _ics(session, group.facilitator, invited))
    subject = f"{'Cancelled: ' if cancelled else ''}Group supervision: {group.name}"
    for person in invited:
        emails.queue(db, "group_session_planned", to=person.email, subject=subject, attachments=[invitation],
                     group=group.name, when=when, location=session.location, cancelled=cancelled)


def _check_time(profile: Profile, starts_at: dt.datetime, minutes: int) -> None:
    """A session is planned from now to the profile's planning horizon, and lasts under a day."""
    if starts_at < clock.now():
        raise InvalidInput("starts_at is in the past", "starts_at")
    if starts_at.date() > profile.planning_horizon.after(clock.today()):
        raise InvalidInput(f"starts_at is beyond the planning horizon of {profile.planning_horizon.text}", "starts_at")
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"minutes must be between 1 and {MAX_MINUTES}", "minutes")


@transaction
def plan_session(uow: Work, caller: Caller, group_id: int, starts_at: dt.datetime, *, minutes: int | None = None,
                 location: str = "") -> GroupSession:
    """Plan a group's session (naive UTC `starts_at`, within the profile's planning horizon) and
    e-mail every member the invitation; audited as `group.session.plan`. Without `minutes` it lasts
    the profile's `groups.session_minutes` (docgen's labelled default: no policy sets one)."""
    db, profile = uow.session, uow.deployment.profile
    minutes = profile.groups.session_minutes if minutes is None else minutes
    group = access.group_for(db, caller, get_group(db, group_id), manage=True)
    _check_time(profile, starts_at, minutes)
    session = GroupSession(group_id=group.id, starts_at=starts_at, minutes=minutes, location=(location or "").strip(),
                           status="planned", ics_sequence=0, uid=f"{uuid.uuid4()}@docgen")
    db.add(session)
    db.flush()
    _invite(db, session)
    access.audit_group(db, caller, "group.session.plan", "group_session", session.id)
    return session


def get_session(db: Session, session_id: int) -> GroupSession:
    session = db.get(GroupSession, session_id)
    if session is None:
        raise NotFound("no such group session", "id")
    return session


def managed_session(uow: Work, caller: Caller, session_id: int) -> GroupSession:
    """A session, for those who run its group (the rebooking form is about it); NotFound otherwise."""
    session = get_session(uow.session, session_id)
    access.group_for(uow.session, caller, session.group, manage=True)
    return session


@transaction
def cancel_session(uow: Work, caller: Caller, session_id: int) -> GroupSession:
    """Cancel a planned session, as a one-to-one session is cancelled (`workflows.planning.cancel`):
    everyone invited is sent the CANCEL of its invitation (same UID, next SEQUENCE); audited as
    `group.session.cancel`. A session held cannot be cancelled, nor one cancelled already."""
    session = managed_session(uow, caller, session_id)
    if session.status != "planned":
        raise Conflict(f"the session is {session.status} and cannot be cancelled", "status")
    session.status = "cancelled"
    session.ics_sequence += 1
    uow.session.flush()
    _invite(uow.session, session)
    access.audit_group(uow.session, caller, "group.session.cancel", "group_session", session.id)
    return session


@transaction
def rebook_session(uow: Work, caller: Caller, session_id: int, starts_at: dt.datetime, *,
                   minutes: int | None = None, location: str | None = None) -> GroupSession:
    """Move a planned session, or rebook a cancelled one, and send everyone the new invitation;
    audited as `group.session.rebook`. A planned session keeps its UID and bumps SEQUENCE, so
    calendars move the meeting (`workflows.planning.rebook`). A cancelled one is planned again under
    a new UID, since calendars have deleted the cancelled meeting; the group has no rebooking due
    to settle (it is due by its frequency, `groups_due`), so the session itself is rebooked rather
    than a second one added beside it. Each rebooking of a cancelled session adds a
    `GroupSessionRebooking` keeping the UK day it was cancelled from, so the supervision log counts
    every cancellation and rebooking of a session cancelled and rebooked again (moving a planned
    session is neither), and the audit log keeps the cancellation."""
    session = managed_session(uow, caller, session_id)
    if session.status not in ("planned", "cancelled"):
        raise Conflict(f"the session is {session.status} and cannot be rebooked", "status")
    minutes = session.minutes if minutes is None else minutes
    _check_time(uow.deployment.profile, starts_at, minutes)
    if session.status == "cancelled":
        session.status, session.uid, session.ics_sequence = "planned", f"{uuid.uuid4()}@docgen", 0
        uow.session.add(GroupSessionRebooking(session_id=session.id, cancelled_from=clock.uk(session.starts_at).date(),
                                              rebooked_at=clock.now()))
    else:
        session.ics_sequence += 1
    session.starts_at, session.minutes = starts_at, minutes
    session.location = session.location if location is None else location.strip()
    uow.session.flush()
    _invite(uow.session, session)
    access.audit_group(uow.session, caller, "group.session.rebook", "group_session", session.id)
    return session


@transaction
def record_attendance(uow: Work, caller: Caller, session_id: int, marks: dict[int, str]) -> GroupSession:
    """Mark each member present, apologies or absent; the session is then held. Those who run the
    group mark it; a mark for someone who is not a member is refused, naming them."""
    db = uow.session
    session = get_session(db, session_id)
    access.group_for(db, caller, session.group, manage=True)
    if session.status == "cancelled":
        raise Conflict("the session was cancelled", "status")
    if session.starts_at.date() > clock.today():
        raise Conflict("attendance is marked once the session has taken place", "starts_at")
    members = {p.id for p in current_members(db, session.group_id)}
    if not marks:
        raise InvalidInput("mark at least one member", "attendance")
    for person_id, mark in marks.items():
        if person_id not in members:
            raise InvalidInput(f"person {person_id} is not a member of {session.group.name}", "attendance")
        if mark not in ATTENDANCE:
            raise InvalidInput(f"attendance must be one of {', '.join(ATTENDANCE)}", "attendance")
    existing = {row.person_id: row for row in db.scalars(select(GroupAttendance)
                                                         .where(GroupAttendance.session_id == session.id))}
    try:  # (session, person) is unique: of two first markings at once, one is saved, one told so
        with db.begin_nested():
            for person_id, mark in marks.items():
                if person_id in existing:
                    existing[person_id].attendance = mark
                else:
                    db.add(GroupAttendance(session_id=session.id, person_id=person_id, attendance=mark))
    except IntegrityError:
        raise Conflict("someone else saved this attendance meanwhile; reload it", "attendance") from None
    session.status = "held"
    access.audit_group(db, caller, "group.attendance", "group_session", session.id)
    return session


def attendance_of(db: Session, session_id: int) -> dict[int, str]:
    return dict(db.execute(select(GroupAttendance.person_id, GroupAttendance.attendance)
                           .where(GroupAttendance.session_id == session_id)).all())


# --- the session's record ---------------------------------------------------------------------

def start_record(uow: Work, caller: Caller, session_id: int) -> Record:
    """Start the record of a held session on the profile's group form (W App C, or docgen's plain
    group record): written by the recorder (else the facilitator), signed off by the signer (else
    the facilitator). One record per session."""
    db, profile = uow.session, uow.deployment.profile
    session = get_session(db, session_id)
    group = access.group_for(db, caller, session.group)
    recorder = access.group_recorder(caller, group)
    if session.status != "held":
        raise Conflict("mark attendance first: the record names those present", "status")
    day = session.starts_at.date()
    signer = group.signer or group.facilitator
    record = Record(kind=profile.groups.record_form, supervisee_id=recorder.id, supervisor_id=signer.id,
                    session_date=day, due_date=record_due_date(profile, day), status=DRAFT,
                    sections={}, version=1, group_session_id=session.id)
    try:  # the unique session id is the compare-and-set: of two starts at once, one records
        with db.begin_nested():
            db.add(record)
    except IntegrityError:
        raise Conflict("this session already has a record", "session_id") from None
    access.audit_group(db, caller, "record.create", "record", record.id)
    uow.commit()
    return record


def session_record(db: Session, session_id: int) -> Record | None:
    return db.scalar(select(Record).where(Record.group_session_id == session_id))


def _case_ids(value: str) -> str:
    """Case IDs only: each comma-separated entry must look like an ID, so a child's name is
    refused before it is stored (W App C: service users may see these records)."""
    entries = [entry.strip() for entry in re.split(r"[,;\n]", value or "") if entry.strip()]
    for entry in entries:
        if not CASE_ID.fullmatch(entry):
            raise InvalidInput(f"case IDs only, not names: '{entry}' is not a case ID (e.g. 104233)", "cases")
    return ", ".join(entries)


@transaction
def save_record(uow: Work, caller: Caller, record_id: int, values: dict[str, Any],
                expected_revision: int | None = None) -> Record:
    """Save what the recorder typed: only the form's own fields (any other is refused, named),
    case IDs only; a draft only, and not over a newer save (`expected_revision`)."""
    db = uow.session
    record = records.get_record(db, record_id)
    if not group_records.is_group_record(record):
        raise access.no_such_document()
    access.write(uow, caller, record.supervisee, "record", record.id, "record.update")
    if record.status not in EDITABLE:
        raise Conflict(f"the record is {words(record.status)} and cannot be changed", "status")
    if expected_revision is not None and expected_revision != record.revision:
        raise Conflict("the record was changed since you opened it; reload it", "revision")
    form = group_records.form_of(record)
    typed = {field.key: field for field in group_forms.typed_fields(form)}
    sections = dict(record.sections or {})
    for key, value in values.items():
        field = typed.get(key)
        if field is None:
            raise InvalidInput(f"'{key}' is not on the {form.source} group record", key)
        if field.type == "date":
            try:
                record.next_supervision = dt.date.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                raise InvalidInput("give the date as YYYY-MM-DD", key) from None
            continue
        text = str(value or "").strip()
        if field.type == "yes_no" and text not in ("", "Yes", "No"):
            raise InvalidInput("answer Yes or No", key)
        sections[key] = _case_ids(text) if key in group_forms.CASE_FIELDS else text
    record.sections = sections
    page_texts.forget_draft(db, "record", record.id)  # the schedule's copy of its words may be ones now gone
    return record


@dataclass(frozen=True)
class GroupRecordPage:
    """A group record as its reader sees it: the record, its template context, the reader's basis."""

    record: Record
    doc: dict[str, Any]
    basis: str
    typed: tuple[Field, ...]  # the fields the recorder fills in
    writes: bool  # the reader is its recorder and it can still change


def read_record(uow: Work, caller: Caller, record_id: int) -> GroupRecordPage:
    """A group record for a reader with a basis (audited as `record.read`); NotFound otherwise."""
    db, deployment = uow.session, uow.deployment
    record = records.get_record(db, record_id)
    if not group_records.is_group_record(record):
        raise access.no_such_document()
    granted = access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    doc = records.record_context(db, deployment.profile, deployment.organisation(db), record)
    writes = caller.person_id == access.writer_id(record) and record.status in EDITABLE
    return GroupRecordPage(record, doc, granted.basis, group_forms.typed_fields(group_records.form_of(record)), writes)


# --- what is due, and who came ----------------------------------------------------------------

@dataclass(frozen=True)
class GroupDue:
    """A group against its profile's frequency: the last session held, when the next is due and
    when it is overdue (H §1: due at six weeks, overdue after eight)."""

    group: SupervisionGroup
    last_held: dt.date | None
    due: dt.date
    overdue_from: dt.date
    state: State


def _due(profile: Profile, group: SupervisionGroup, last: dt.date | None, today: dt.date) -> GroupDue | None:
    deadlines = group_session_due(profile, group.frequency, last or group.created_at.date())
    if deadlines is None:
        return None
    due, late = deadlines
    return GroupDue(group, last, due, late, due_state(today, due, late))


def groups_due(uow: Work, caller: Caller) -> list[GroupDue]:
    """The groups the caller runs or oversees (everyone's for hr, admin, auditors and senior
    managers) that are due or overdue to meet, for the dashboard."""
    db, profile, today = uow.session, uow.deployment.profile, clock.today()
    scope = access.visible(db, caller, self_included=True)
    last = (select(GroupSession.group_id, func.max(GroupSession.starts_at).label("last"))
            .where(GroupSession.status == "held").group_by(GroupSession.group_id).subquery())
    query = (select(SupervisionGroup, last.c.last).outerjoin(last, last.c.group_id == SupervisionGroup.id)
             .where(SupervisionGroup.closed_on.is_(None)).order_by(SupervisionGroup.name))
    if scope is not None:
        query = query.where(SupervisionGroup.facilitator_id.in_(scope) | SupervisionGroup.recorder_id.in_(scope)
                            | SupervisionGroup.signer_id.in_(scope))
    found = [_due(profile, group, held.date() if held else None, today) for group, held in db.execute(query).all()]
    return [item for item in found if item is not None and item.state != "upcoming"]


@dataclass(frozen=True)
class AttendanceLine:
    """One person's group supervision in a period: sessions present, apologies, absent. Shown
    apart from 1:1 supervision, which group supervision does not replace (S §5, K)."""

    person_id: int
    name: str
    present: int
    apologies: int
    absent: int


def attendance_report(uow: Work, caller: Caller, start: dt.date, end: dt.date) -> list[AttendanceLine]:
    """Group attendance per person between two dates, for those whose compliance the caller may
    see (the compliance report's scope)."""
    if end < start:
        raise InvalidInput("the period ends before it starts", "end")
    return attendance_lines(uow.session, access.report_scope(uow.session, caller), start, end)


def attendance_lines(db: Session, scope: frozenset[int] | None, start: dt.date, end: dt.date,
                     team_id: int | None = None) -> list[AttendanceLine]:
    """Sessions present, apologies and absent per person in `scope` (None: everyone), one team's
    people if `team_id` is given: the compliance report shows these apart from its 1:1 measures."""
    query = (select(Person.id, Person.name, GroupAttendance.attendance, func.count())
             .join(GroupAttendance, GroupAttendance.person_id == Person.id)
             .join(GroupSession, GroupSession.id == GroupAttendance.session_id)
             .where(GroupSession.starts_at >= dt.datetime.combine(start, dt.time()),
                    GroupSession.starts_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
             .group_by(Person.id, Person.name, GroupAttendance.attendance).order_by(Person.name))
    if scope is not None:
        query = query.where(Person.id.in_(scope))
    if team_id is not None:
        query = query.where(Person.team_id == team_id)
    lines: dict[int, dict[str, Any]] = {}
    for person_id, name, mark, count in db.execute(query).all():
        line = lines.setdefault(person_id, {"person_id": person_id, "name": name, **dict.fromkeys(ATTENDANCE, 0)})
        line[mark] = count
    return [AttendanceLine(**line) for line in lines.values()]


# --- what the pages show ----------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    """The group supervision page: groups due or overdue to meet, and the caller's own groups."""

    due: list[GroupDue]
    mine: list[SupervisionGroup]


def overview(uow: Work, caller: Caller) -> Overview:
    """Groups due and overdue (`groups_due`), and those the caller runs or belongs to."""
    db = uow.session
    due = groups_due(uow, caller)
    me = caller.person_id
    member = select(GroupMember.group_id).where(GroupMember.person_id == me, GroupMember.left_on.is_(None))
    mine = list(db.scalars(select(SupervisionGroup).where(
        SupervisionGroup.closed_on.is_(None),
        SupervisionGroup.id.in_(member) | (SupervisionGroup.facilitator_id == me) | (SupervisionGroup.recorder_id == me)
        | (SupervisionGroup.signer_id == me)).order_by(SupervisionGroup.name)))
    return Overview(due, mine)


@dataclass(frozen=True)
class SessionRow:
    session: GroupSession
    marks: dict[int, str]
    record: Record | None


@dataclass(frozen=True)
class GroupPage:
    """A group as those who run it or belong to it see it: members, sessions (newest first) with
    attendance and record, whether the caller may plan sessions and mark attendance."""

    group: SupervisionGroup
    members: list[Person]
    sessions: list[SessionRow]
    manages: bool
    due: GroupDue | None
    session_minutes: int  # a new session's length unless changed: the profile's `groups.session_minutes`
    facilitator_title: str = "Facilitator"  # the profile's `groups.facilitator_title` (H §1: a Practice Lead)


def group_page(uow: Work, caller: Caller, group_id: int) -> GroupPage:
    db = uow.session
    group = access.group_for(db, caller, get_group(db, group_id))
    manages = access.manages_group(db, caller, group)
    sessions = list(db.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                               .order_by(GroupSession.starts_at.desc())))
    held = [s.starts_at.date() for s in sessions if s.status == "held"]
    rows = [SessionRow(s, attendance_of(db, s.id), session_record(db, s.id)) for s in sessions]
    profile = uow.deployment.profile
    return GroupPage(group, current_members(db, group.id), rows, manages,
                     _due(profile, group, max(held, default=None), clock.today()), profile.groups.session_minutes,
                     profile.groups.facilitator_title)


@dataclass(frozen=True)
class AttendancePage:
    session: GroupSession
    members: list[Person]
    marks: dict[int, str]


def attendance_page(uow: Work, caller: Caller, session_id: int) -> AttendancePage:
    """The attendance form of a session, for those who run the group."""
    db = uow.session
    session = get_session(db, session_id)
    access.group_for(db, caller, session.group, manage=True)
    return AttendancePage(session, current_members(db, session.group_id), attendance_of(db, session.id))


@dataclass(frozen=True)
class NewGroupForm:
    """Who may be picked on the new group form: the people the caller oversees (everyone for hr
    and admin), the caller included; and the roles the profile wants as recorder and signer."""

    people: list[Person]
    recorder_role: str | None
    signer_role: str | None
    policy_frequency: str | None  # how often the policy has groups meet; None: each group says
    facilitator_title: str = "Facilitator"  # the profile's `groups.facilitator_title` (H §1: a Practice Lead)


def new_group_form(uow: Work, caller: Caller) -> NewGroupForm:
    db, profile = uow.session, uow.deployment.profile
    access.may_organise_group(db, caller, caller.person)
    scope = None if access.GROUP_ORGANISERS & caller.roles else access.visible(db, caller, self_included=True)
    query = select(Person).where(Person.status == "active").order_by(Person.name)
    if scope is not None:
        query = query.where(Person.id.in_(scope))
    rule = profile.groups
    return NewGroupForm(list(db.scalars(query)), rule.recorder_role, rule.signer_role,
                        rule.every.text if rule.every is not None else None, rule.facilitator_title)
