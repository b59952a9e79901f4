"""An ASYE's record of support (issue 25 item 3): what their assessed and supported year asks beside
the signed records, in one place their portfolio can take it from.

- **Frequency met, phase by phase.** The ASYE role's frequency in the profile comes in phases from
  the employment start (K §6: "Weekly for the first six weeks, fortnightly for six months, then
  monthly"; H §1, S §10 and W §5 as their profiles hold them). Each phase shows the one-to-ones held
  in it and whether the person was ever overdue in it: the supervision log's held days and its
  overdue spans, which are `workflows.due_dates`' deadlines counted from the previous session held
  (`supervision_log.held_and_overdue`). Nothing here says again what "held" means. The year is the
  ASYE programme's twelve months from the start (`ASYE_YEAR`), so the last, open-ended phase is
  shown up to its end.
- **Direct observations** of practice: the day, the observer and a short note. W §9 asks "4 per
  annum for ASYE"; where the profile has that as a role's `direct_observation` item, the page says so.
- **Reviews** at the profile's review points (`roles.asye.reviews`: only S §10 sets them, "a formal
  review of progress at three months and six months, with a final assessment at the end of one
  year"); a council whose policy sets none has none shown, and the page says so and cites where the
  points come from. A review not yet recorded has the due list's state for a formal review
  (`due_dates.reminder_state`: upcoming, then due, never called overdue), then is held on a day, by
  whom, with the outcome, and the due list no longer lists it (`due_list` reads the same entries).
  A review is known by its whole months from the start (`review_month`).
- **Leavers.** A phase or review after the leaving day is `left`: no verdict, nothing overdue (the
  supervision log's `frequency_verdict`, one rule for both).
- **Who.** The ASYE's current supervisor records (`access.edit_access`); no one else, an
  administrator included. Readers are those who read the person's records (`access.read`: the
  ASYE, their supervisor, their line managers, and the rest of its rules); anyone else is told
  there is no such record. Every read (`asye_support.read`, with how it was shown: page, CSV or
  printable page) and every entry is in the audit log.
- Which role is the ASYE's: the profiles all key it `asye` (`ASYE_ROLE`). Someone no longer in it
  (moved on after their year) keeps their record of support, read-only, once it has an entry.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select

from kernel import clock
from kernel.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from storage import audit
from storage.models import AsyeSupportEntry, Person
from storage.uow import transaction
from workflows import access, people, profile_sources, supervision_log
from workflows.access import Caller
from workflows.deployment import Work
from workflows.due_dates import RoleClock, reminder_state
from workflows.inputs.asye_support import SupportEntryInput
from workflows.periods import Months, Step, step
from workflows.profiles import Profile, Role
from workflows.spreadsheets import safe_cell

ASYE_ROLE = "asye"
ASYE_YEAR = "12 months"
OBSERVATION_KEY = "direct_observation"  # W §9's item in a profile's `also_due`

# A phase's verdict: the supervision log's, and "met so far" for the phase under way
MET, MISSED, NOT_YET, NO_SUPERVISOR, LEFT = (supervision_log.MET, supervision_log.MISSED, supervision_log.NOT_YET,
                                             supervision_log.NO_SUPERVISOR, supervision_log.LEFT)
UNDER_WAY = "met so far"
# A review's state besides the due list's (upcoming, due) and `LEFT`
HELD, NOT_YET_DUE, NOT_RECORDED = "held", "not yet due", "not recorded"


def no_such_record() -> NotFound:
    """The one answer for a person who is not an ASYE or whose record the caller may not read."""
    return NotFound("no ASYE record of support for this person", "id")


@dataclass(frozen=True)
class PhaseMet:
    """One phase of the ASYE's frequency: what it asks, its days, the one-to-ones held in it and the
    days the person was overdue in it, up to today."""

    asked: str
    first: dt.date
    last: dt.date
    held: int
    overdue_days: int
    verdict: str


@dataclass(frozen=True)
class Review:
    """A review at one of the profile's points (`wording`, like "3 months"; `month`: its whole months,
    None where the point is not in months, and then it cannot be recorded): due on `due_on`; `entry`
    once recorded (the latest, if twice)."""

    wording: str
    month: int | None
    due_on: dt.date
    state: str  # held | upcoming | due | not yet due | not recorded | left
    entry: AsyeSupportEntry | None


@dataclass(frozen=True)
class Sources:
    """Where the page's rules come from in the profile (`Profile.source`, `Profile.quote`)."""

    frequency: str
    frequency_is_default: bool  # docgen's default, not the council's policy
    as_agreed: bool  # the policy leaves the frequency to the agreement (L): the profile's stands until then
    reviews: str
    reviews_quote: str | None


@dataclass(frozen=True)
class RecordOfSupport:
    person: Person
    supervisor: Person | None
    start: dt.date
    ends: dt.date  # the last day of the ASYE year
    as_at: dt.date
    phases: list[PhaseMet]
    observations: list[AsyeSupportEntry]
    observations_asked: str | None  # the profile's, e.g. "every 3 months for the first 12 months"
    reviews: list[Review]
    may_record: bool
    sources: Sources
    current: bool  # still an ASYE; a former one's record is read-only


# --- the rules: phases, reviews -----------------------------------------------------------------

def year_end(start: dt.date) -> dt.date:
    """The last day of the ASYE year that began on `start`."""
    return start + step(ASYE_YEAR) - dt.timedelta(days=1)


def phases(role: Role, start: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The role's frequency phases within the ASYE year: (what it asks, first day, last day)."""
    found, first, ends = [], start, year_end(start)
    for phase in role.frequency:
        last = min(phase.until.after(start) - dt.timedelta(days=1), ends) if phase.until else ends
        if first <= last:
            found.append((supervision_log.phase_asked(role, start, first), first, last))
        first = last + dt.timedelta(days=1)
    return found


def phase_met(asked: str, first: dt.date, last: dt.date, kept: supervision_log.HeldAndOverdue,
              today: dt.date, left_on: dt.date | None = None) -> PhaseMet:
    """A phase's one-to-ones held and days overdue (up to today, or the leaving day), and its verdict
    by the supervision log's rule (`frequency_verdict`), met so far while it runs."""
    seen_to = min(last, today, left_on or last)
    held = sum(1 for day in kept.held if first <= day <= last)
    overdue = sum(max(0, (min(b, seen_to) - max(a, first)).days + 1) for a, b in kept.overdue)
    supervised = kept.since is not None and kept.since <= seen_to
    verdict = supervision_log.frequency_verdict(first, last, today, left_on, supervised, kept.overdue)
    if verdict == MET and last >= today and (left_on is None or left_on >= today):
        verdict = UNDER_WAY
    return PhaseMet(asked, first, last, held, overdue, verdict)


def review_month(point: Step) -> int | None:
    """A review point's whole months from the start, which an entry records it by; None otherwise."""
    return point.n if isinstance(point, Months) else None


def review_state(due_on: dt.date, entry: AsyeSupportEntry | None, today: dt.date, left_on: dt.date | None) -> str:
    """Held once recorded; left where the person left before it fell due; otherwise the due list's
    rule for a formal review (`due_dates.reminder_state`, never overdue), and outside its window not
    yet due, or not recorded once the window has passed."""
    if entry is not None:
        return HELD
    if left_on is not None and left_on < due_on:
        return LEFT
    return reminder_state(due_on, today) or (NOT_YET_DUE if today < due_on else NOT_RECORDED)


def reviews(role: Role, start: dt.date, entries: list[AsyeSupportEntry], today: dt.date,
            left_on: dt.date | None = None) -> list[Review]:
    """The reviews at the profile's points (`RoleClock.reviews`, as the due list reads them); none
    where the profile sets none."""
    found = []
    for wording, point in RoleClock(role).reviews:
        month, due_on = review_month(point), start + point
        held = [e for e in entries if e.kind == "review" and month is not None and e.review_month == month]
        entry = max(held, key=lambda e: (e.on_date, e.id)) if held else None
        found.append(Review(wording, month, due_on, review_state(due_on, entry, today, left_on), entry))
    return found


def sources(profile: Profile, role: Role) -> Sources:
    """Where the frequency and the review points come from in the profile."""
    frequency = profile.source(f"roles.{ASYE_ROLE}.frequency")
    return Sources(frequency, profile_sources.is_default(frequency), role.as_agreed,
                   profile.source(f"roles.{ASYE_ROLE}.reviews"), profile.quote(f"roles.{ASYE_ROLE}.reviews"))


# --- who: reading and recording -----------------------------------------------------------------

def _asye(uow: Work, person_id: int) -> Person:
    """An ASYE, or someone who was one and has entries (their record stays, read-only)."""
    person = uow.session.get(Person, person_id)
    if person is None or ASYE_ROLE not in uow.deployment.profile.roles:
        raise no_such_record()
    if person.role != ASYE_ROLE and uow.session.scalar(
            select(AsyeSupportEntry.id).where(AsyeSupportEntry.person_id == person.id).limit(1)) is None:
        raise no_such_record()
    return person


def _audited_read(uow: Work, caller: Caller, person: Person, shown_as: str) -> None:
    """The read allowed or refused by `access.read` and audited by it (`asye_support.read`, with how
    it was shown: page, csv or print), committed at once. access.read has no path for an
    administrator as such, so neither has this."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    try:
        access.read(uow, caller, person, "asye_support", person.id, "asye_support.read", {"as": shown_as})
    except NotFound:
        raise no_such_record() from None


def _may_record(uow: Work, caller: Caller, person: Person) -> bool:
    """Whether to offer the forms: `_require_recorder`'s rule, asked without refusing."""
    if person.role != ASYE_ROLE or person.forwarded_to_hr_on is not None or person.records_frozen_on is not None:
        return False
    supervisor = people.current_supervisor(uow.session, person.id, clock.today())
    return supervisor is not None and supervisor.id == caller.person_id


def _entries(uow: Work, person_id: int) -> list[AsyeSupportEntry]:
    return list(uow.session.scalars(select(AsyeSupportEntry).where(AsyeSupportEntry.person_id == person_id)
                                    .order_by(AsyeSupportEntry.on_date, AsyeSupportEntry.id)))


# --- the use cases ------------------------------------------------------------------------------

def record_of_support(uow: Work, caller: Caller, person_id: int, shown_as: str = "page") -> RecordOfSupport:
    """An ASYE's record of support for a caller who may read it (audited); NotFound otherwise."""
    person = _asye(uow, person_id)
    _audited_read(uow, caller, person, shown_as)
    profile, today, left_on = uow.deployment.profile, clock.today(), person.leave_date
    role = profile.role(ASYE_ROLE)
    start, ends = person.employment_start, year_end(person.employment_start)
    kept = supervision_log.held_and_overdue(uow, person, ends, role)
    entries = _entries(uow, person.id)
    asked = next((item.schedule for item in role.also_due if item.key == OBSERVATION_KEY), None)
    return RecordOfSupport(person, people.current_supervisor(uow.session, person.id, today), start, ends, today,
                           [phase_met(a, f, last, kept, today, left_on) for a, f, last in phases(role, start)],
                           [e for e in entries if e.kind == "observation"], asked,
                           reviews(role, start, entries, today, left_on), _may_record(uow, caller, person),
                           sources(profile, role), person.role == ASYE_ROLE)


def entry_form(uow: Work, caller: Caller, person_id: int, month: int | None = None) -> Person:
    """The ASYE an entry (an observation, or the review at `month` months) is about to be recorded
    for, for a caller who may record it."""
    person = _asye(uow, person_id)
    _require_recorder(uow, caller, person)
    if month is not None:
        _require_review_point(uow.deployment.profile.role(ASYE_ROLE), month)
    return person


def _require_review_point(role: Role, month: int) -> None:
    """A review is recorded at one of the profile's review points."""
    points = [m for m in (review_month(point) for _, point in RoleClock(role).reviews) if m is not None]
    if month not in points:
        allowed = ", ".join(map(str, points)) if points else "none: this council's policy sets no formal reviews"
        raise InvalidInput(f"review_month must be one of this council's review points ({allowed})", "review_month")


def _require_recorder(uow: Work, caller: Caller, person: Person) -> None:
    """Only the current supervisor records (`access.edit_access`: a stranger is told there is no
    such record, anyone else who reads it Forbidden, and no one once the records are frozen or
    forwarded to HR); a former ASYE's record is read-only."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    try:
        access.edit_access(uow.session, caller.account, person, break_glass=uow.deployment.profile.break_glass)
    except NotFound:
        raise no_such_record() from None
    if person.role != ASYE_ROLE:
        raise Forbidden(f"{person.name} is no longer an ASYE: their record of support is kept as it is", "person_id")


@transaction
def record_entry(uow: Work, caller: Caller, person_id: int, given: SupportEntryInput) -> AsyeSupportEntry:
    """Record a direct observation or a review (audited as `asye_support.recorded`, in one commit)."""
    person = entry_form(uow, caller, person_id, given.review_month)
    if given.on_date > clock.today():
        raise InvalidInput("on_date must be today or earlier: it is recorded once it has happened", "on_date")
    if given.on_date < person.employment_start:
        raise InvalidInput("on_date must be on or after the ASYE's start", "on_date")
    entry = AsyeSupportEntry(person_id=person.id, kind=given.kind, review_month=given.review_month,
                             on_date=given.on_date, recorded_by_id=caller.person.id, by_name=given.by_name,
                             note=given.note)
    uow.session.add(entry)
    uow.session.flush()
    audit.record(uow.session, "asye_support.recorded", actor_id=caller.person_id, object_type="asye_support",
                 object_id=person.id, ip=caller.ip,
                 detail={"entry_id": entry.id, "kind": entry.kind, "review_month": entry.review_month})
    return entry


# --- for the portfolio: CSV ---------------------------------------------------------------------

COLUMNS = ["section", "item", "from", "to", "due_on", "on", "by", "sessions_held", "days_overdue", "outcome", "note"]


def support_csv(shown: RecordOfSupport) -> str:
    """The record of support in one table: a row per phase, observation and review."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for p in shown.phases:
        writer.writerow(["frequency", p.asked, p.first.isoformat(), p.last.isoformat(), "", "", "", p.held,
                         p.overdue_days, p.verdict, ""])
    for o in shown.observations:
        writer.writerow(["observation", "Direct observation", "", "", "", o.on_date.isoformat(), safe_cell(o.by_name),
                         "", "", "", safe_cell(o.note)])
    for r in shown.reviews:
        entry = r.entry
        writer.writerow(["review", f"Review at {r.wording}", "", "", r.due_on.isoformat(),
                         entry.on_date.isoformat() if entry else "", safe_cell(entry.by_name) if entry else "",
                         "", "", r.state, safe_cell(entry.note) if entry else ""])
    return out.getvalue()
