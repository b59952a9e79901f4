"""CPD evidence for Social Work England (issue 25 item 2): a supervisee marks a reflection from one
of their signed records (an area's text, or the record as a whole) as a piece of CPD, in their own
words, and, if on SWE's register, reads the year's pieces against its minimum.

The rules, and where they come from:

- SWE asks each registered social worker for "at least two pieces of CPD" a year, "at least one"
  of them with peer reflection; each piece is recorded as its type, a description, the date, what
  was learnt and its impact (`MINIMUM_PIECES`, `MINIMUM_PEER_REFLECTED`, `COLUMNS`).
- "Supervision with a manager and group supervision count as peer reflection" (issue 25, from SWE's
  guidance on peer reflection): every record docgen keeps is one or the other, a one-to-one with
  the supervisor or a group session's record, so a piece drawn from a record is peer reflection,
  set from the record's kind, never typed (`drawn_from`).
- Renewal runs from 1 September to 30 November. docgen's CPD year runs from 1 December to
  30 November, so the year a renewal closes holds every piece recorded since the last one closed
  (`cpd_year`). The reminder opens the renewal window (`remind_renewal`), for people on SWE's
  register only: those in a role the profile marks `swe_registered` (a social work student, a
  personal advisor or a family support worker is not; `Role.swe_registered`).
- SWE's minimum is a rule for its register, so only those same people are judged against it: anyone
  else still records and exports their CPD, and is told their role is not marked as registered in
  docgen's settings for the council (a built-in profile's marking is docgen's default: docs/PROFILES.md),
  so no minimum is shown (`CpdSummary.swe_registered`).
- A piece is the supervisee's own: only they add, change or remove it, and only from a record that
  is theirs (their one-to-ones, and the group records of sessions they were present at:
  `group_records.belongs_to`). Anyone else is told the record or piece does not exist. A piece
  points at its record and never changes it: the signed record stays as it was signed.
- Only a signed record is drawn from: its text is what both signed, and will not change under the
  piece.

The page (`docgen.web.cpd`) and the JSON API (`docgen.api.cpd`) call these same use cases with the
same input models (`workflows.inputs.cpd`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import InvalidInput, NotFound
from storage import audit
from storage.models import AuditEvent, CpdPiece, Person, Record, Status, SupervisionRelationship
from storage.uow import transaction
from workflows import access, emails, group_records, people, records
from workflows.access import Caller
from workflows.deployment import Work
from workflows.inputs.cpd import ChangeCpdPiece, CpdPieceInput
from workflows.profiles import Profile
from workflows.spreadsheets import safe_cell

MINIMUM_PIECES = 2
MINIMUM_PEER_REFLECTED = 1
YEAR_ENDS = (11, 30)  # 30 November: the last day of renewal, and of docgen's CPD year
RENEWAL_OPENS = (9, 1)  # 1 September
ONE_TO_ONE_TYPE = "Supervision with my supervisor"
GROUP_TYPE = "Group supervision"
COLUMNS = ["Title", "Type", "Description", "Date", "What was learnt", "Impact", "Peer reflection"]
REMINDER_SUBJECT = "Social Work England renewal is open: your CPD in docgen"


def no_such_piece() -> NotFound:
    """The one answer for a piece or record the caller may not use, whether it exists or not."""
    return NotFound("no such record or CPD piece", "id")


@dataclass(frozen=True)
class CpdYear:
    """A CPD year, named by the year it ends in: 1 December the year before to 30 November."""

    ends: int

    @property
    def first(self) -> dt.date:
        return dt.date(self.ends - 1, 12, 1)

    @property
    def last(self) -> dt.date:
        return dt.date(self.ends, *YEAR_ENDS)

    @property
    def renewal_opens(self) -> dt.date:
        return dt.date(self.ends, *RENEWAL_OPENS)

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def cpd_year(day: dt.date) -> CpdYear:
    """The CPD year `day` falls in: 1 December starts the next one."""
    return CpdYear(day.year + 1 if (day.month, day.day) > YEAR_ENDS else day.year)


@dataclass(frozen=True)
class Reflection:
    """What a piece may be drawn from: an area or text field of a record (`key`), or the whole
    record (`key` None), with the title and text it has in the record."""

    key: str | None
    title: str
    text: str


def reflections(profile: Profile, record: Record) -> list[Reflection]:
    """The reflections of a record: the record as a whole, then each area with its discussion and
    each text field of its form that holds text, in the order they print."""
    form = records.form_of(profile, record)
    sections = record.sections or {}
    found = [Reflection(None, "The record as a whole", "")]
    found += [Reflection(a["key"], a["title"], a.get("discussion", "")) for a in sections.get("areas", [])]
    found += [Reflection(f.key, f.label.rstrip(":;"), str(sections.get(f.key) or "")) for f in form.fields
              if f.type == "text" and f.key in form.text_keys and str(sections.get(f.key) or "").strip()]
    return found


def drawn_from(record: Record) -> tuple[str, bool]:
    """The type of CPD a record is, and whether it is peer reflection: both kinds of supervision
    docgen records count (a one-to-one with the supervisor, and group supervision)."""
    return (GROUP_TYPE if group_records.is_group_record(record) else ONE_TO_ONE_TYPE), True


def _own_record(db: Session, caller: Caller, record_id: int) -> Record:
    """A signed record of the caller's own (theirs, or a group session's they were present at)."""
    record = db.scalar(select(Record).where(Record.id == record_id, group_records.belongs_to(caller.person.id)))
    if record is None:
        raise no_such_piece()
    if record.status != Status.SIGNED:
        raise InvalidInput("only a signed record can be marked as CPD: its text will not change", "record_id")
    return record


def _own_piece(db: Session, caller: Caller, piece_id: int) -> CpdPiece:
    piece = db.get(CpdPiece, piece_id)
    if piece is None or piece.person_id != caller.person.id:
        raise no_such_piece()
    return piece


def _reflection(uow: Work, record: Record, key: str | None) -> Reflection:
    found = {r.key: r for r in reflections(uow.deployment.profile, record)}
    if key not in found:
        raise InvalidInput("this record has no such area to reflect on", "area_key")
    return found[key]


@dataclass(frozen=True)
class MarkForm:
    """What the page to mark a reflection shows: the record, its reflections, the one chosen, and
    the boxes' first values (the type and peer reflection from the record, the session's date)."""

    record: Record
    reflections: list[Reflection]
    chosen: Reflection
    type: str
    peer_reflection: bool
    description: str


def _mark_form(uow: Work, record: Record, key: str | None) -> MarkForm:
    chosen = _reflection(uow, record, key)
    kind, peer = drawn_from(record)
    about = "the record as a whole" if chosen.key is None else f"“{chosen.title}”"
    return MarkForm(record, reflections(uow.deployment.profile, record), chosen, kind, peer,
                    f"Reflection on {about} in {kind.lower()} on {record.session_date.day} "
                    f"{record.session_date:%B %Y}")


def mark_form(uow: Work, caller: Caller, record_id: int, key: str | None) -> MarkForm:
    """The page to mark a reflection of a record: an audited read of the supervisee's own record."""
    record = _own_record(uow.session, caller, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    return _mark_form(uow, record, key)


def mark_form_again(uow: Work, caller: Caller, record_id: int, key: str | None) -> MarkForm:
    """The same page shown again after a refused save (the read was audited when it was opened);
    a key the record lacks falls back to the record as a whole."""
    record = _own_record(uow.session, caller, record_id)
    known = {r.key for r in reflections(uow.deployment.profile, record)}
    return _mark_form(uow, record, key if key in known else None)


def _not_ahead(day: dt.date) -> None:
    if day > clock.today():
        raise InvalidInput("date must be today or earlier: CPD is recorded once it is done", "date")


@transaction
def add_piece(uow: Work, caller: Caller, given: CpdPieceInput) -> CpdPiece:
    """Mark a reflection as a piece of CPD (audited); its record is left as it is."""
    db = uow.session
    record = _own_record(db, caller, given.record_id)
    chosen = _reflection(uow, record, given.area_key)
    _not_ahead(given.done_on)
    _, peer = drawn_from(record)
    piece = CpdPiece(person_id=caller.person.id, record_id=record.id, area_key=chosen.key, title=given.title,
                     type=given.type, description=given.description, done_on=given.done_on, learning=given.learning,
                     impact=given.impact, peer_reflection=peer)
    db.add(piece)
    db.flush()
    audit.record(db, "cpd.added", actor_id=caller.person_id, object_type="cpd_piece", object_id=piece.id,
                 ip=caller.ip, detail={"record_id": record.id, "area_key": chosen.key})
    return piece


def piece_for_edit(uow: Work, caller: Caller, piece_id: int) -> CpdPiece:
    """A piece of the caller's own, to change or remove."""
    return _own_piece(uow.session, caller, piece_id)


@transaction
def change_piece(uow: Work, caller: Caller, piece_id: int, given: ChangeCpdPiece) -> CpdPiece:
    """Change a piece's own words, the fields given (audited, naming them); what it is drawn from,
    and peer reflection, stay."""
    piece = _own_piece(uow.session, caller, piece_id)
    changes = given.changes()
    if "done_on" in changes:
        _not_ahead(changes["done_on"])
    for name, value in changes.items():
        setattr(piece, name, value)
    audit.record(uow.session, "cpd.changed", actor_id=caller.person_id, object_type="cpd_piece", object_id=piece.id,
                 ip=caller.ip, detail={"fields": sorted(changes)})
    return piece


@transaction
def remove_piece(uow: Work, caller: Caller, piece_id: int) -> CpdPiece:
    """Remove a piece (audited); the record it was drawn from is untouched. Answers the piece as it
    was, so the page can say which one went."""
    piece = _own_piece(uow.session, caller, piece_id)
    uow.session.delete(piece)
    audit.record(uow.session, "cpd.removed", actor_id=caller.person_id, object_type="cpd_piece", object_id=piece_id,
                 ip=caller.ip, detail={"record_id": piece.record_id})
    return piece


@dataclass(frozen=True)
class CpdSummary:
    """A person's pieces in a CPD year and, for someone on SWE's register, whether its minimum is
    met. `role` and `council` name the role's label and the council whose settings in docgen say
    whether the role is registered, for the page to tell someone off the register why no minimum is
    shown."""

    person: Person
    year: CpdYear
    pieces: list[CpdPiece]
    swe_registered: bool
    role: str
    council: str

    @property
    def peer_reflected(self) -> int:
        return sum(1 for piece in self.pieces if piece.peer_reflection)

    @property
    def minimum_met(self) -> bool | None:
        """Whether SWE's minimum is met; None off the register, where it is no rule of theirs."""
        if not self.swe_registered:
            return None
        return len(self.pieces) >= MINIMUM_PIECES and self.peer_reflected >= MINIMUM_PEER_REFLECTED

    @property
    def still_needed(self) -> list[str] | None:
        """What is missing for the minimum, in words ([] when it is met; None off the register)."""
        if not self.swe_registered:
            return None
        needed = []
        if len(self.pieces) < MINIMUM_PIECES:
            short = MINIMUM_PIECES - len(self.pieces)
            needed.append(f"{short} more piece{'s' if short > 1 else ''} of CPD")
        if self.peer_reflected < MINIMUM_PEER_REFLECTED:
            needed.append("a piece with peer reflection")
        return needed


def _pieces(db: Session, person_id: int, year: CpdYear) -> list[CpdPiece]:
    return list(db.scalars(select(CpdPiece).where(CpdPiece.person_id == person_id,
                                                  CpdPiece.done_on.between(year.first, year.last))
                           .order_by(CpdPiece.done_on, CpdPiece.id)))


def _summary(db: Session, profile: Profile, person: Person, year: CpdYear) -> CpdSummary:
    """A person's year, judged against SWE's minimum only if the profile marks their role
    `swe_registered` (a role the profile does not mark, supervised or not, is not registered)."""
    return CpdSummary(person, year, _pieces(db, person.id, year), swe_registered=_registered(profile, person),
                      role=profile.label(person.role), council=profile.council)


def _registered(profile: Profile, person: Person) -> bool:
    return person.role in profile.swe_registered_roles


def on_register(uow: Work, caller: Caller) -> bool:
    """Whether the caller's role is marked as on SWE's register, for pages that speak of its minimum
    (the CPD pages' heading, My records' pointer to them) to say so only to those it applies to."""
    return _registered(uow.deployment.profile, caller.person)


def summary(uow: Work, caller: Caller, year_ending: int | None = None) -> CpdSummary:
    """The caller's own pieces of a CPD year (by default the one today is in)."""
    year = CpdYear(year_ending) if year_ending is not None else cpd_year(clock.today())
    if not 2 <= year.ends <= dt.MAXYEAR:
        raise InvalidInput("year must be a year like 2026", "year")
    return _summary(uow.session, uow.deployment.profile, caller.person, year)


def pieces_csv(shown: CpdSummary) -> str:
    """The pieces in SWE's fields, one row each, to copy into the online account."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for piece in shown.pieces:
        writer.writerow([safe_cell(text) for text in (piece.title, piece.type, piece.description,
                         piece.done_on.isoformat(), piece.learning, piece.impact)]
                        + ["yes" if piece.peer_reflection else "no"])
    return out.getvalue()


def _supervised(db: Session, profile: Profile, today: dt.date) -> list[Person]:
    """Everyone supervised today who has not left and whose role is on SWE's register
    (`Profile.swe_registered_roles`): the supervisees docgen reminds. SWE's CPD requirement, and
    the renewal it is checked at, are for social workers on its register; a student joins it only
    once qualified, and a family support worker or a personal advisor is not on it at all, so none
    has a renewal to be told of."""
    found = db.scalars(select(Person).join(SupervisionRelationship, SupervisionRelationship.supervisee_id == Person.id)
                       .where(SupervisionRelationship.covering(today),
                              Person.role.in_(sorted(profile.swe_registered_roles)))
                       .order_by(Person.id))
    return [person for person in dict.fromkeys(found) if not people.has_left(person, today)]


def _reminded(db: Session, person_id: int, year: CpdYear) -> bool:
    return db.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "cpd.renewal_reminder", AuditEvent.object_type == "person",
        AuditEvent.object_id == str(person_id), AuditEvent.at >= dt.datetime.combine(year.first, dt.time()))
        .limit(1)) is not None


@transaction
def remind_renewal(uow: Work, today: dt.date) -> int:
    """From 1 September to 30 November, e-mail each supervisee on SWE's register (`_supervised`) whose
    pieces this CPD year are below SWE's minimum, once a year (audited, so a second run, or a run on
    a later day of the window after a worker was down on the first, tells nobody twice). Answers how
    many were told."""
    year = cpd_year(today)
    if not year.renewal_opens <= today <= year.last:
        return 0
    db, profile, told = uow.session, uow.deployment.profile, 0
    for person in _supervised(db, profile, today):
        shown = _summary(db, profile, person, year)
        if shown.minimum_met or _reminded(db, person.id, year):
            continue
        emails.queue(db, "cpd_renewal", to=person.email, subject=REMINDER_SUBJECT, person=person.name,
                     pieces=len(shown.pieces), needed=shown.still_needed, closes=f"{year.last.day} {year.last:%B %Y}",
                     url=emails.link(db, "/my-records/cpd"))
        audit.record(db, "cpd.renewal_reminder", object_type="person", object_id=person.id,
                     detail={"year": year.ends, "pieces": len(shown.pieces)})
        told += 1
    return told
