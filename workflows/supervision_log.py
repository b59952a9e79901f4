"""How much supervision each person had (issue 25 item 3): per person and per team, month by month,
the one-to-one sessions held and group sessions attended, their hours, the sessions cancelled and
rebooked, and the frequency the profile asks against what happened.

What counts, and from where (a read model: nothing here writes, except `record_read`'s audit entry):

- A one-to-one held is a day with a record of a one-to-one session (its `session_date`, whatever the
  record's status), or a planned session marked held (its day in UK time); two on one day count
  once. This is the compliance report's "held" (`workflows.compliance`), so the two never disagree
  over the days that have passed. Only those count here: a draft dated ahead is a session not yet
  held, and counting it would end an overdue spell that has not ended (or mark this month missed
  before it is). docgen never marks a planned one-to-one held itself: a held session is one
  somebody wrote up.
- Its length: a record holds none. Where a session was planned for that day (not cancelled), its
  booked `minutes`, one booking a day as the day is one session held (the longest, where two were
  booked); otherwise the session length the council's policy states (`session_minutes`,
  e.g. K App A "Length of Sessions (e.g., 1 hour)"), counted apart as the policy's length; where the
  profile's length is only docgen's default, none: the session is counted without hours, never
  given an invented length.
- A group session attended is a `present` mark, with the group session's own `minutes`. A group
  session cancelled is counted for each member on the day it was to be held: one cancelled now, or
  one rebooked since (`workflows.groups.rebook_session` plans it again in the same row and keeps
  that day as a `group_session_rebooking`'s `cancelled_from`), which also counts as rebooked on that
  day, as a one-to-one's rebooking counts in the month it was cancelled from. Moving a planned
  session is neither. A session cancelled and rebooked again counts each time, on each day it was
  cancelled from, as a chain of one-to-one replacements does: each rebooking is a row of its own.
- A one-to-one cancelled is a planned session cancelled, in the month it was to be held; rebooked,
  one of those with its replacement booked (`rebooked_as_id`). A replacement cancelled and rebooked
  in turn is another of each; the session finally held counts once, as held.
- The frequency asked is the phase of the role's frequency in force in the month (the profile's,
  as in the compliance report: the profile is the policy's minimum, an agreement may promise more).
  A month is missed when on any day of it the person was overdue by the profile (`due_dates`,
  counting from the previous one-to-one held), met otherwise; no verdict where they had no
  supervisor, had left, or the month has not begun.

The same counting serves the compliance report (`period_figures`: the log's figures over its period,
any days) and the ASYE record of support (`held_and_overdue`: the days held and the spans overdue, which
`workflows.asye_support` reads phase by phase), so neither says again what "held" means.

Who may read a log: the people whose schedule the caller may see (`access.visible`), themselves
included; anyone else is told the person does not exist. Each log shown is audited by
`record_read`, which the edges call after the query.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import InvalidInput, NotFound, Unauthenticated
from storage import audit
from storage.models import (GroupAttendance, GroupMember, GroupSession, GroupSessionRebooking, Person, PlannedSession,
                            Record, SupervisionRelationship, Team)
from workflows import access, people, profile_sources
from workflows.access import Caller
from workflows.deployment import Work
from workflows.due_dates import RoleClock
from workflows.profiles import Profile, Role
from workflows.spreadsheets import safe_cell

MAX_MONTHS = 36  # three years a request: a longer log is asked for in parts
DEFAULT_MONTHS = 12

# A month's verdict on the frequency
MET, MISSED = "met", "missed"
NO_SUPERVISOR, LEFT, NOT_YET, NOT_SUPERVISED = "no supervisor", "left", "not yet", "role not supervised"


@dataclass(frozen=True)
class Months:
    """The months a log covers: `first` and `last` are the first days of its first and last month."""

    first: dt.date
    last: dt.date

    @property
    def end(self) -> dt.date:
        """The last day covered."""
        return self.last + relativedelta(months=1, days=-1)

    def each(self) -> list[dt.date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [self.first + relativedelta(months=n) for n in range(count)]


def months_of(first: dt.date | None, last: dt.date | None, today: dt.date) -> Months:
    """The months asked for: by default the twelve to this month (or to `last`, or from `first`)."""
    if last is None:
        last = (first + relativedelta(months=DEFAULT_MONTHS - 1)) if first else today.replace(day=1)
    first = first or last - relativedelta(months=DEFAULT_MONTHS - 1)
    if last < first:
        raise InvalidInput("to must be the month from is, or later", "to")
    if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
        raise InvalidInput(f"a log covers at most {MAX_MONTHS} months; ask for a shorter span", "to")
    return Months(first, last)


@dataclass(frozen=True)
class MonthLine:
    """One month of a person's supervision, or of a team's (the sum of its people's). `frequency` is
    a person's verdict; `met` and `missed` count the people (a person's line: 1 or 0)."""

    month: dt.date
    one_to_one_held: int = 0
    one_to_one_minutes: int = 0  # of the sessions whose length is known: booked, or the policy's
    one_to_one_policy_length: int = 0  # sessions given the policy's stated length (no booking)
    one_to_one_unmeasured: int = 0  # sessions with no length known: counted, not timed
    group_attended: int = 0
    group_minutes: int = 0
    group_cancelled: int = 0
    group_rebooked: int = 0  # of those cancelled
    cancelled: int = 0
    rebooked: int = 0
    frequency_asked: str = ""
    frequency: str = ""
    met: int = 0
    missed: int = 0

    @property
    def one_to_one_hours(self) -> float:
        return round(self.one_to_one_minutes / 60, 2)

    @property
    def group_hours(self) -> float:
        return round(self.group_minutes / 60, 2)


def added(month: dt.date, lines: Iterable[MonthLine]) -> MonthLine:
    """The lines summed (a team's month, or a person's whole span); the frequency asked is kept when
    every line asked the same."""
    lines = list(lines)
    summed = [f.name for f in fields(MonthLine) if f.type == "int"]
    asked = {line.frequency_asked for line in lines if line.frequency_asked}
    return MonthLine(month, **{name: sum(getattr(line, name) for line in lines) for name in summed},
                     frequency_asked=asked.pop() if len(asked) == 1 else "")


class SessionLength(NamedTuple):
    """The length a one-to-one with no booking is given: the policy's, with its citation; None
    where the profile's length is docgen's default, not the council's."""

    minutes: int
    source: str


def policy_length(profile: Profile) -> SessionLength | None:
    source = profile.source("session_minutes")
    if not source or profile_sources.is_default(source):
        return None
    return SessionLength(profile.session_minutes, source)


@dataclass(frozen=True)
class PersonLog:
    person_id: int
    name: str
    team: str
    months: Months
    as_at: dt.date
    lines: list[MonthLine]
    length: SessionLength | None

    @property
    def total(self) -> MonthLine:
        return replace(added(self.months.first, self.lines), frequency="")


@dataclass(frozen=True)
class TeamLog:
    team_id: int
    team: str
    months: Months
    as_at: dt.date
    lines: list[MonthLine]  # the team's months: its people's summed
    people: list[PersonLog]
    length: SessionLength | None


# --- what happened: read for many people at once -----------------------------------------------

class _Who(NamedTuple):
    id: int
    name: str
    team: str
    role: str
    employment_start: dt.date
    leave_date: dt.date | None


@dataclass
class _History:
    """One person's supervision as the tables hold it, up to the end of the log."""

    held: dict[dt.date, int | None] = field(default_factory=dict)  # one-to-one day -> booked minutes
    group: list[tuple[dt.date, int]] = field(default_factory=list)
    group_cancelled: list[dt.date] = field(default_factory=list)
    group_rebooked: list[dt.date] = field(default_factory=list)  # the days they were cancelled from
    cancelled: list[tuple[dt.date, bool]] = field(default_factory=list)  # (day, rebooked)
    supervised: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)


# The people a history is read for, as SQL sees them: their ids, or a SELECT of their ids (the
# population a report already filtered, so a statement's text does not grow with the organisation).
Population = list[int] | Select[Any]


def _window(months: Months) -> tuple[dt.datetime, dt.datetime]:
    """Stored (UTC) times that may fall in the log's months in UK time: a day either side."""
    return (dt.datetime.combine(months.first - dt.timedelta(days=1), dt.time()),
            dt.datetime.combine(months.end + dt.timedelta(days=2), dt.time()))


def _one_to_ones(db: Session, ids: Population, months: Months, today: dt.date, found: dict[int, _History],
                 counted_only: bool = False) -> None:
    """Held days (every one up to the end of the months or today, whichever is first: the frequency
    counts from the one before), the longest booking of each, and the sessions cancelled in the months.
    `counted_only`: the days of the months alone, for figures that judge no frequency (the compliance
    report's period), which then read a period's rows rather than everyone's whole history."""
    last = months.end  # worked out once: a relativedelta per session row cost more than the row
    held_to = min(last, today)
    since, until = _window(months)
    held_from = [Record.session_date >= months.first] if counted_only else []
    for sid, day in db.execute(select(Record.supervisee_id, Record.session_date).where(
            Record.supervisee_id.in_(ids), Record.group_session_id.is_(None), Record.session_date <= held_to,
            *held_from)):
        found[sid].held.setdefault(day, None)
    booked: dict[tuple[int, dt.date], int] = {}
    booked_from = [PlannedSession.starts_at >= since] if counted_only else []
    for sid, starts_at, minutes, status, rebooked_as in db.execute(select(
            PlannedSession.supervisee_id, PlannedSession.starts_at, PlannedSession.minutes, PlannedSession.status,
            PlannedSession.rebooked_as_id).where(PlannedSession.supervisee_id.in_(ids),
                                                 PlannedSession.starts_at < until, *booked_from)):
        day = clock.uk(starts_at).date()
        if day > last:
            continue
        if status == "cancelled":
            if day >= months.first:
                found[sid].cancelled.append((day, rebooked_as is not None))
            continue
        booked[sid, day] = max(booked.get((sid, day), 0), minutes)
        if status == "held" and day <= held_to:
            found[sid].held.setdefault(day, None)
    for sid, history in found.items():
        for day in history.held:
            history.held[day] = booked.get((sid, day))


def _member_days(db: Session, ids: Population, when: Any, day_of: Callable[[Any], dt.date],
                 *where: Any) -> Iterable[tuple[int, dt.date]]:
    """(person, day) for each of `ids` who was a member of the group on the day (`when`, read by
    `day_of`) of each of its sessions matching `where` (which may link a session's own rows, such as
    its rebookings, one day each)."""
    for pid, moment, joined, left in db.execute(
            select(GroupMember.person_id, when, GroupMember.joined_on, GroupMember.left_on)
            .join(GroupSession, GroupSession.group_id == GroupMember.group_id)
            .where(GroupMember.person_id.in_(ids), *where)):
        day = day_of(moment)
        if joined <= day and (left is None or day <= left):
            yield pid, day


def _groups(db: Session, ids: Population, months: Months, found: dict[int, _History]) -> None:
    """Group sessions attended (present), and those cancelled (now, or before each rebooking) on a
    day the person was a member."""
    since, until = _window(months)
    in_window = (GroupSession.starts_at >= since, GroupSession.starts_at < until)
    for pid, starts_at, minutes in db.execute(
            select(GroupAttendance.person_id, GroupSession.starts_at, GroupSession.minutes)
            .join(GroupSession, GroupSession.id == GroupAttendance.session_id)
            .where(GroupAttendance.person_id.in_(ids), GroupAttendance.attendance == "present",
                   GroupSession.status != "cancelled", *in_window)):
        found[pid].group.append((clock.uk(starts_at).date(), minutes))
    for pid, day in _member_days(db, ids, GroupSession.starts_at, lambda at: clock.uk(at).date(),
                                 GroupSession.status == "cancelled", *in_window):
        found[pid].group_cancelled.append(day)
    for pid, day in _member_days(db, ids, GroupSessionRebooking.cancelled_from, lambda day: day,
                                 GroupSessionRebooking.session_id == GroupSession.id,
                                 GroupSessionRebooking.cancelled_from.between(months.first, months.end)):
        found[pid].group_rebooked.append(day)


def _histories(db: Session, ids: list[int], months: Months, today: dt.date, counted_only: bool = False,
               among: Population | None = None) -> dict[int, _History]:
    """The histories of `ids`, read through `among` (the same people as a SELECT of their ids) where
    given: each statement then names the population rather than listing it, whose compiling grew
    with the organisation (issue 26: a third of the compliance report's time, a list of 3,000 ids
    five times). A person who joined the population between two statements gets a history too."""
    found: dict[int, _History] = defaultdict(_History)  # a person with nothing read: an empty history
    if not ids:
        return found
    among = ids if among is None else among
    _one_to_ones(db, among, months, today, found, counted_only)
    _groups(db, among, months, found)
    if counted_only:
        return found  # the supervisors' spans only judge a frequency
    rel = SupervisionRelationship
    for sid, starts, ends in db.execute(select(rel.supervisee_id, rel.starts_on, rel.ends_on)
                                        .where(rel.supervisee_id.in_(among))):
        found[sid].supervised.append((starts, ends))
    return found


# --- the frequency asked against what happened -------------------------------------------------

def phase_asked(role: Role, employment_start: dt.date, day: dt.date) -> str:
    """The frequency of the role's phase in force on `day`, as the profile words it."""
    for phase in role.frequency:
        if phase.until is None or day < phase.until.after(employment_start):
            late = f", overdue after {phase.overdue_after.text}" if phase.overdue_after else ""
            return f"every {phase.every.text}{late}"
    return ""


def _overdue(role_clock: RoleClock, who: _Who, since: dt.date, held: list[dt.date],
             watched_to: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The spans of days the person was overdue by the profile, up to `watched_to`: from the day
    after the last on time to the session that ended it (held late, so not on time) or to the end."""
    spans, previous = [], since
    for day in held:
        if day <= previous:
            continue
        late = role_clock.deadlines(who.employment_start, previous)[1]
        if day > late:
            spans.append((late + dt.timedelta(days=1), day))
        previous = day
    late = role_clock.deadlines(who.employment_start, previous)[1]
    if watched_to > late:
        spans.append((late + dt.timedelta(days=1), watched_to))
    return spans


def _supervised_since(who: _Who, history: _History) -> dt.date | None:
    """The day the frequency counts from: the later of the start and the first supervisor's."""
    starts = [s for s, _ in history.supervised]
    return max(who.employment_start, min(starts)) if starts else None


def _overdue_spans(role: Role, who: _Who, history: _History, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The spans overdue by the profile from the first supervisor to `until` (or the leaving day)."""
    since = _supervised_since(who, history)
    ended = min(until, who.leave_date or until)
    return _overdue(RoleClock(role), who, since, sorted(history.held), ended) if since else []


def _verdicts(profile: Profile, who: _Who, history: _History, months: Months,
              today: dt.date) -> dict[dt.date, tuple[str, str]]:
    """Each month's (frequency asked, verdict)."""
    role = profile.roles.get(who.role)
    if role is None:
        return {m: ("", NOT_SUPERVISED) for m in months.each()}
    since = _supervised_since(who, history)
    spans = _overdue_spans(role, who, history, min(today, months.end))
    found = {}
    for month in months.each():
        last = month + relativedelta(months=1, days=-1)
        covered = any(s <= last and (e is None or e >= month) for s, e in history.supervised)
        verdict = frequency_verdict(month, last, today, who.leave_date,
                                    covered and since is not None and since <= last, spans)
        shown = since is not None and verdict in (NOT_YET, MET, MISSED)
        found[month] = (phase_asked(role, who.employment_start, max(month, since)) if shown else "", verdict)
    return found


def frequency_verdict(first: dt.date, last: dt.date, today: dt.date, leave_date: dt.date | None,
                      supervised: bool, overdue: list[tuple[dt.date, dt.date]]) -> str:
    """The verdict on the frequency for the days `first` to `last` (a month of the log, a phase of
    an ASYE's record of support): not yet before they begin; left once the person left before them
    (no verdict, nothing overdue); no supervisor where none covered them; missed where an overdue
    span touches them; met otherwise. One rule for the log and the ASYE's record alike."""
    if first > today:
        return NOT_YET
    if leave_date is not None and leave_date < first:
        return LEFT
    if not supervised:
        return NO_SUPERVISOR
    return MISSED if any(a <= last and b >= first for a, b in overdue) else MET


# --- a person's months ------------------------------------------------------------------------

def _month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _counted(histories: Iterable[_History], first: dt.date, last: dt.date, length: SessionLength | None,
             bucket: Callable[[dt.date], dt.date] = _month_of) -> dict[dt.date, dict[str, int]]:
    """What happened from `first` to `last` in the histories together (a person's, or everyone's in
    the compliance report's period: one pass, no count per person), counted in buckets (a month
    each, by default): one counting for the log's months and the compliance report's period."""
    counts: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for history in histories:
        _count(history, first, last, length, bucket, counts)
    return counts


def _count(history: _History, first: dt.date, last: dt.date, length: SessionLength | None,
           bucket: Callable[[dt.date], dt.date], counts: dict[dt.date, dict[str, int]]) -> None:
    """Add one history's days from `first` to `last` to `counts`."""
    for day, minutes in history.held.items():
        if not first <= day <= last:
            continue
        month = counts[bucket(day)]
        month["one_to_one_held"] += 1
        if minutes is None and length is not None:
            month["one_to_one_policy_length"] += 1
            minutes = length.minutes
        month["one_to_one_minutes"] += minutes or 0
        month["one_to_one_unmeasured"] += minutes is None
    for day, minutes in history.group:
        if first <= day <= last:
            counts[bucket(day)]["group_attended"] += 1
            counts[bucket(day)]["group_minutes"] += minutes
    for day in history.group_cancelled:
        if first <= day <= last:
            counts[bucket(day)]["group_cancelled"] += 1
    for day in history.group_rebooked:
        if first <= day <= last:
            counts[bucket(day)]["group_cancelled"] += 1
            counts[bucket(day)]["group_rebooked"] += 1
    for day, rebooked in history.cancelled:
        if first <= day <= last:
            counts[bucket(day)]["cancelled"] += 1
            counts[bucket(day)]["rebooked"] += rebooked


def _lines(profile: Profile, who: _Who, history: _History, months: Months, today: dt.date) -> list[MonthLine]:
    counts = _counted([history], months.first, months.end, policy_length(profile))
    verdicts = _verdicts(profile, who, history, months, today)
    return [MonthLine(month, **counts.get(month, {}), frequency_asked=verdicts[month][0],
                      frequency=verdicts[month][1], met=int(verdicts[month][1] == MET),
                      missed=int(verdicts[month][1] == MISSED))
            for month in months.each()]


def _people(db: Session, query: Any) -> list[_Who]:
    """`query`'s people (a select of Person) by name, as columns: a team's log reads hundreds."""
    return [_Who(pid, name, team or "", role, started, left) for pid, name, role, started, left, team in db.execute(
        query.with_only_columns(Person.id, Person.name, Person.role, Person.employment_start, Person.leave_date,
                                Team.name).outerjoin(Team, Team.id == Person.team_id).order_by(Person.name, Person.id))]


def _logs(uow: Work, who: list[_Who], months: Months, today: dt.date) -> list[PersonLog]:
    profile = uow.deployment.profile
    histories = _histories(uow.session, [w.id for w in who], months, today)
    return [PersonLog(w.id, w.name, w.team, months, today, _lines(profile, w, histories[w.id], months, today),
                      policy_length(profile)) for w in who]


# --- the use cases: queries, and the audit of a read -------------------------------------------

def person_log(uow: Work, caller: Caller, person_id: int, first: dt.date | None = None,
               last: dt.date | None = None) -> PersonLog:
    """A person's log over the months asked (by default the last twelve), for a caller who may see
    their schedule (`access.visible`, themselves included); NotFound for anyone else, whether the
    person exists or not."""
    db, today = uow.session, clock.today()
    visible = access.visible(db, caller, self_included=True)
    if visible is not None and person_id not in visible:
        raise NotFound(f"no person with id {person_id}", "id")
    months = months_of(first, last, today)
    who = _people(db, select(Person).where(Person.id == person_id))
    if not who:
        raise NotFound(f"no person with id {person_id}", "id")
    return _logs(uow, who, months, today)[0]


def _supervised_between(uow: Work, query: Any, first: dt.date, last: dt.date) -> Any:
    """`query`'s people in a supervised role, employed by `last` and not gone before `first`."""
    return query.where(Person.role.in_(list(uow.deployment.profile.roles)), Person.employment_start <= last,
                       (Person.leave_date.is_(None)) | (Person.leave_date >= first))


def team_log(uow: Work, caller: Caller, team_id: int, first: dt.date | None = None,
             last: dt.date | None = None) -> TeamLog:
    """A team's log: each of its people the caller may see (its current members, docgen keeps no
    history of team moves; those in a supervised role, employed and not gone before the months) and
    their months summed. Forbidden for someone who oversees nobody, as the compliance report."""
    db, today = uow.session, clock.today()
    visible = access.report_scope(db, caller)
    team = people.get_team(db, team_id)
    months = months_of(first, last, today)
    query = select(Person).where(Person.team_id == team.id)
    if visible is not None:
        query = query.where(Person.id.in_(visible))
    logs = _logs(uow, _people(db, _supervised_between(uow, query, months.first, months.end)), months, today)
    lines = [added(month, (log.lines[n] for log in logs)) for n, month in enumerate(months.each())]
    return TeamLog(team.id, team.name, months, today, lines, logs, policy_length(uow.deployment.profile))


def period_figures(uow: Work, query: Any, start: dt.date, end: dt.date) -> MonthLine:
    """The log's figures from `start` to `end` (any days, not whole months) summed over `query`'s
    people (a select of Person, already narrowed to those the reader may see): what the compliance
    report shows of the log for its period, counted as the log counts its months. The line is dated
    `start`; its frequency fields are empty (the report measures the frequency itself)."""
    today, length = clock.today(), policy_length(uow.deployment.profile)
    months = Months(_month_of(start), _month_of(end))
    population = _supervised_between(uow, query, start, end).with_only_columns(Person.id)
    ids = list(uow.session.scalars(population))  # ids alone: the figures are summed, nobody is named
    histories = _histories(uow.session, ids, months, today, counted_only=True, among=population)
    counted = set(ids)  # not someone who joined the population after the first statement
    return MonthLine(start, **_counted((history for pid, history in histories.items() if pid in counted),
                                       start, end, length, lambda _: start).get(start, {}))


class HeldAndOverdue(NamedTuple):
    """A person's one-to-ones held (the log's days) and the spans of days they were overdue by the
    profile's frequency, from `since` (the later of their start and their first supervisor's; None:
    never supervised) up to a day: what the ASYE record of support reads per phase."""

    since: dt.date | None
    held: list[dt.date]
    overdue: list[tuple[dt.date, dt.date]]


def held_and_overdue(uow: Work, person: Person, until: dt.date, role: Role | None = None) -> HeldAndOverdue:
    """`HeldAndOverdue` for a person up to `until` or today, whichever is first, by `role`'s
    frequency (default: the role they hold now; an ASYE's record of support passes the ASYE role, which
    a former ASYE no longer holds). A query for a use case that has already checked the caller may
    read the person."""
    today = clock.today()
    upto = min(until, today)
    who = _people(uow.session, select(Person).where(Person.id == person.id))[0]
    months = Months(_month_of(min(who.employment_start, upto)), _month_of(upto))
    history = _histories(uow.session, [who.id], months, today)[who.id]
    role = role or uow.deployment.profile.role(who.role)
    return HeldAndOverdue(_supervised_since(who, history), sorted(d for d in history.held if d <= upto),
                          _overdue_spans(role, who, history, upto))


def teams_to_choose(uow: Work, caller: Caller, shown: int = 200) -> list[Team]:
    """The teams a reader of team logs chooses from; Forbidden for someone who oversees nobody."""
    access.report_scope(uow.session, caller)
    return people.list_teams(uow.session, per_page=shown)[0]


def record_read(uow: Work, caller: Caller, log: PersonLog | TeamLog, shown_as: str) -> None:
    """Audit a log just read (`supervision_log.read`), as a page, CSV or JSON: a read of someone's
    supervision is in the audit log like every other. Committed at once, so it stands whatever the
    rest of the request does. The query runs first, so only a read that was allowed is recorded."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    kind, object_id = ("person", log.person_id) if isinstance(log, PersonLog) else ("team", log.team_id)
    audit.record(uow.session, "supervision_log.read", actor_id=caller.person_id, object_type=kind,
                 object_id=object_id, reason=caller.reason, ip=caller.ip,
                 detail={"from": log.months.first.isoformat()[:7], "to": log.months.last.isoformat()[:7],
                         "as": shown_as})
    uow.commit()


# --- the log as CSV and as JSON ----------------------------------------------------------------

COLUMNS = ["month", "person_id", "person", "team", "one_to_one_held", "one_to_one_hours",
           "one_to_one_policy_length", "one_to_one_without_length", "group_attended", "group_hours",
           "group_cancelled", "group_rebooked", "one_to_one_cancelled", "one_to_one_rebooked", "frequency_asked", "frequency",
           "people_met", "people_missed"]



def _row(line: MonthLine, person_id: object, name: str, team: str) -> list[object]:
    return [line.month.isoformat()[:7], person_id, safe_cell(name), safe_cell(team), line.one_to_one_held,
            line.one_to_one_hours, line.one_to_one_policy_length, line.one_to_one_unmeasured, line.group_attended,
            line.group_hours, line.group_cancelled, line.group_rebooked, line.cancelled, line.rebooked,
            line.frequency_asked, line.frequency, line.met, line.missed]


def log_csv(log: PersonLog | TeamLog) -> str:
    """One row per person and month (a team's log adds its totals, person `Team total`), in the
    columns `COLUMNS`; hours are decimal hours of the sessions whose length is known."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    logs = [log] if isinstance(log, PersonLog) else log.people
    for person in logs:
        for line in person.lines:
            writer.writerow(_row(line, person.person_id, person.name, person.team))
    if isinstance(log, TeamLog):
        for line in log.lines:
            writer.writerow(_row(line, "", "Team total", log.team))
    return out.getvalue()


class SessionLengthOut(BaseModel):
    minutes: int
    source: str


class MonthOut(BaseModel):
    month: str  # 2026-04
    one_to_one_held: int
    one_to_one_hours: float
    one_to_one_policy_length: int
    one_to_one_without_length: int
    group_attended: int
    group_hours: float
    group_cancelled: int
    group_rebooked: int  # of those cancelled
    one_to_one_cancelled: int
    one_to_one_rebooked: int
    frequency_asked: str
    frequency: str


class SupervisionLogOut(BaseModel):
    """A person's supervision month by month (issue 25): see `workflows.supervision_log`."""

    person_id: int
    name: str
    team: str
    start: str  # the first month, 2026-04
    end: str
    as_at: dt.date
    policy_session_length: SessionLengthOut | None  # given to a held one-to-one with no booking
    months: list[MonthOut]


class TeamMonthOut(MonthOut):
    """A team's month: its people's summed, and how many of them met or missed the frequency."""

    people_met: int
    people_missed: int


class TeamSupervisionLogOut(BaseModel):
    """A team's supervision month by month (issue 25), and each of its people's log: see
    `workflows.supervision_log.team_log` for who is in it."""

    team_id: int
    team: str
    start: str
    end: str
    as_at: dt.date
    policy_session_length: SessionLengthOut | None
    months: list[TeamMonthOut]
    people: list[SupervisionLogOut]


def _month_json(line: MonthLine) -> dict[str, Any]:
    return {"month": line.month.isoformat()[:7], "one_to_one_held": line.one_to_one_held,
            "one_to_one_hours": line.one_to_one_hours, "one_to_one_policy_length": line.one_to_one_policy_length,
            "one_to_one_without_length": line.one_to_one_unmeasured, "group_attended": line.group_attended,
            "group_hours": line.group_hours, "group_cancelled": line.group_cancelled,
            "group_rebooked": line.group_rebooked,
            "one_to_one_cancelled": line.cancelled, "one_to_one_rebooked": line.rebooked,
            "frequency_asked": line.frequency_asked, "frequency": line.frequency}


def _span_json(log: PersonLog | TeamLog) -> dict[str, Any]:
    return {"start": log.months.first.isoformat()[:7], "end": log.months.last.isoformat()[:7],
            "as_at": log.as_at.isoformat(), "policy_session_length": log.length._asdict() if log.length else None}


def log_json(log: PersonLog) -> dict[str, Any]:
    """The log as `SupervisionLogOut` publishes it."""
    return {"person_id": log.person_id, "name": log.name, "team": log.team, **_span_json(log),
            "months": [_month_json(line) for line in log.lines]}


def team_json(log: TeamLog) -> dict[str, Any]:
    """A team's log as `TeamSupervisionLogOut` publishes it."""
    return {"team_id": log.team_id, "team": log.team, **_span_json(log),
            "months": [_month_json(line) | {"people_met": line.met, "people_missed": line.missed} for line in log.lines],
            "people": [log_json(person) for person in log.people]}
