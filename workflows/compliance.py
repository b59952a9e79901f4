"""Supervision compliance for a team, a service or the whole organisation over a period.

The figures a manager is asked for (S §8 audits, H §12 monthly audits): were supervisions held on
time, were records signed in time, who is overdue now, whose agreement is out of date. Each figure
is defined in `team_report`; `workflows.compliance_report` shows the figures (a table, CSV, an SVG
chart) to the people allowed to read them.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Date, DateTime, Row, Select, bindparam, func, or_, select, true
from sqlalchemy.orm import Session

from storage.models import Person, PlannedSession, Record, SupervisionRelationship, Team
from kernel import clock
from kernel.errors import InvalidInput, NotFound
from workflows.profiles import Profile
from workflows.due_dates import role_clocks, signing_deadline
from workflows.due_list import DueItem, Scope, due_summary

AGREEMENT_GAPS = ("agreement_missing", "agreement_signoff")


@dataclass(frozen=True)
class Measure:
    """`count` of `total` met the standard; `percent` is None when there was nothing to measure."""

    key: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.count / self.total, 1) if self.total else None


@dataclass(frozen=True)
class Report:
    scope: str
    start: dt.date
    end: dt.date
    as_at: dt.date
    measures: list[Measure]
    overdue: list[DueItem]
    agreements_out_of_date: list[DueItem]


class _Supervisee(NamedTuple):
    role: str
    employment_start: dt.date
    supervised_since: dt.date
    last_before: dt.date | None  # the last session held before the period


def _scope_label(db: Session, scope: Scope) -> str:
    if scope.team_id is not None:
        team = db.get(Team, scope.team_id)
        if team is None:
            raise NotFound(f"no team with id {scope.team_id}", "team_id")
        return f"Team: {team.name}"
    if scope.service is not None:
        return f"Service: {scope.service}"
    if scope.supervisee_ids is not None:  # a supervisor's or line manager's own people
        return "Everyone you oversee"
    return "Whole organisation"


# Each query is built once per scope with the period as bound parameters (as in workflows.due_list):
# building them from the ORM entities cost as much as running them.
_START = bindparam("start", type_=Date)
_END = bindparam("end", type_=Date)
_FROM = bindparam("from_", type_=DateTime)  # UK midnight starting the period: planned sessions are timed
_UNTIL = bindparam("until", type_=DateTime)  # UK midnight after it


def _uk_midnight(day: dt.date) -> dt.datetime:
    """The stored (naive UTC) time at which `day` begins in the UK: a planned session's day is its
    UK day, as in the supervision log (`workflows.supervision_log`), so the two count the same."""
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.UK).astimezone(dt.timezone.utc).replace(tzinfo=None)


def _rows(db: Session, query: Select[Any], start: dt.date, end: dt.date) -> Sequence[Row[Any]]:
    """Column rows without the ORM's per-row work; pending changes flushed first, as the ORM would."""
    if db.autoflush:
        db.flush()
    return db.connection().execute(query, {
        "start": start, "end": end, "from_": _uk_midnight(start),
        "until": _uk_midnight(end + dt.timedelta(days=1))}).all()


def _in_scope(column: Any, scope: Scope) -> Any:
    """`column IN (people in scope)`, or no condition for the whole organisation."""
    return true() if scope.whole_organisation else column.in_(scope.where(select(Person.id), Person))


@lru_cache(maxsize=64)
def _population_query(scope: Scope) -> Select[Any]:
    rel = SupervisionRelationship
    first = (select(rel.supervisee_id.label("sid"), func.min(rel.starts_on).label("since"))
             .group_by(rel.supervisee_id).subquery())
    overlapping = select(rel.id).where(rel.supervisee_id == Person.id, rel.starts_on <= _END,
                                       or_(rel.ends_on.is_(None), rel.ends_on >= _START)).exists()
    last_record = (select(func.max(Record.session_date))
                   .where(Record.supervisee_id == Person.id, Record.session_date < _START,
                          Record.group_session_id.is_(None)).scalar_subquery())  # issue 14: 1:1 only
    last_held = (select(func.max(PlannedSession.starts_at))
                 .where(PlannedSession.supervisee_id == Person.id, PlannedSession.status == "held",
                        PlannedSession.starts_at < _FROM)
                 .scalar_subquery())
    query = (select(Person.id, Person.role, Person.employment_start, first.c.since, last_record, last_held)
             .join(first, first.c.sid == Person.id).where(overlapping))
    return scope.where(query, Person)


def _population(db: Session, profile: Profile, scope: Scope, start: dt.date, end: dt.date) -> dict[int, _Supervisee]:
    """Everyone in scope with a supervisor at some time in the period, leavers included, with the
    last session held before the period. That is a correlated MAX per person, answered from the
    (supervisee_id, session_date) index: a GROUP BY over every earlier record cost twice as much."""
    return {pid: _Supervisee(role, started, max(started, since), _later(record, held))
            for pid, role, started, since, record, held in _rows(db, _population_query(scope), start, end)
            if role in profile.roles}


def _later(record: dt.date | None, held: dt.datetime | None) -> dt.date | None:
    if held is None:
        return record
    day = clock.uk(held).date()
    return day if record is None else max(record, day)


@lru_cache(maxsize=64)
def _records_query(scope: Scope) -> Select[Any]:
    return (select(Record.supervisee_id, Record.session_date, Record.due_date, Record.signed_at,
                   Record.next_supervision)
            .where(Record.session_date.between(_START, _END), _in_scope(Record.supervisee_id, scope),
                   Record.group_session_id.is_(None))  # issue 14: group records are not 1:1 supervision
            .order_by(Record.supervisee_id, Record.session_date))


def _records_in(db: Session, people: dict[int, _Supervisee], scope: Scope, start: dt.date,
                end: dt.date) -> list[Row[Any]]:
    """(supervisee_id, session_date, due_date, signed_at, next_supervision) of the records of sessions in the period
    by `people`, in supervisee and date order: the held sessions and the records-signed measure
    both read them."""
    return [row for row in _rows(db, _records_query(scope), start, end) if row[0] in people]


@lru_cache(maxsize=64)
def _held_query(scope: Scope) -> Select[Any]:
    return (select(PlannedSession.supervisee_id, PlannedSession.starts_at)
            .where(PlannedSession.status == "held", PlannedSession.starts_at >= _FROM,
                   PlannedSession.starts_at < _UNTIL, _in_scope(PlannedSession.supervisee_id, scope)))


def _held_planned(db: Session, people: dict[int, _Supervisee], scope: Scope, start: dt.date,
                  end: dt.date) -> dict[int, set[dt.date]]:
    """The days in the period of planned sessions marked held, by supervisee."""
    days: dict[int, set[dt.date]] = {}
    for sid, starts_at in _rows(db, _held_query(scope), start, end):
        if sid in people:
            days.setdefault(sid, set()).add(clock.uk(starts_at).date())
    return days


def _held_dates(records: list[Row[Any]], planned: dict[int, set[dt.date]],
                as_at: dt.date) -> Iterator[tuple[int, list[dt.date]]]:
    """Each supervisee's held sessions in the period up to `as_at`, in date order, a day held twice
    once: a record started ahead of its session (up to a year, `records.create_record`) is no
    session held until its day comes, as in the supervision log."""
    planned = {sid: {day for day in days if day <= as_at} for sid, days in planned.items()}
    for sid, rows in groupby(records, itemgetter(0)):
        days = [row[1] for row in rows if row[1] <= as_at]
        extra = planned.pop(sid, None)
        yield sid, sorted(extra.union(days)) if extra else days
    for sid, extra in planned.items():
        yield sid, sorted(extra)


def _last_sessions(people: dict[int, _Supervisee], held: dict[int, list[dt.date]],
                   as_at: dt.date) -> dict[int, dt.date | None]:
    """Everyone's last held session on `as_at`, a day in the period: the due list needs it, and the
    period's sessions with the last one before them say it without asking the database again."""
    last: dict[int, dt.date | None] = {}
    for sid, person in people.items():
        days = held.get(sid)
        on_or_before = bisect_right(days, as_at) if days else 0
        last[sid] = days[on_or_before - 1] if on_or_before else person.last_before
    return last


def _on_time(profile: Profile, people: dict[int, _Supervisee], held: Iterable[tuple[int, list[dt.date]]]) -> Measure:
    clocks = role_clocks(profile)
    on_time = total = 0
    for sid, days in held:
        person = people[sid]
        deadlines, employed = clocks[person.role].deadlines, person.employment_start
        previous = person.last_before or person.supervised_since
        counted = None
        for day in days:
            if day != counted:
                total += 1
                on_time += day <= deadlines(employed, previous)[1]
                previous = counted = day
    return Measure("held_on_time", "Supervisions held on time", on_time, total)


def _records_signed(profile: Profile, records: list[Row[Any]], today: dt.date) -> Measure:
    signed = total = 0
    for _, _, due, signed_at, next_supervision in records:
        due = signing_deadline(profile, due, next_supervision)
        if due is None or (signed_at is None and due >= today):
            continue  # no deadline set (W, H, L), or not late yet
        total += 1
        signed += signed_at is not None and signed_at.date() <= due
    if profile.record_days is None:
        return Measure("records_signed", "Records signed in time (the policy sets no deadline)", signed, total)
    days = f"{profile.record_days} {'working ' if profile.record_day_kind == 'working' else ''}days"
    if profile.signoff.record_agreed == "at_next_supervision":
        return Measure("records_signed", f"Records written within {days} and agreed by the next supervision",
                       signed, total)
    return Measure("records_signed", f"Records signed within {days}", signed, total)


def _reported(kind: str, state: str) -> bool:
    """The due items the report shows: everything overdue, and every agreement gap."""
    return state == "overdue" or kind in AGREEMENT_GAPS


def team_report(db: Session, profile: Profile, *, start: dt.date, end: dt.date, team_id: int | None = None,
                service: str | None = None, supervisee_ids: frozenset[int] | None = None,
                today: dt.date | None = None) -> Report:
    """Compliance for a team (`team_id`), a service (`service`) or, with neither, the organisation.

    `supervisee_ids` narrows any of these to the people the reader may see. Team and service are
    the people's current ones (docgen keeps no history of team moves).

    - Supervisions held on time: every held session dated in the period (a record's session
      date, whatever its status, or a planned session marked held; two on the same day count
      once) by someone in scope who had a supervisor at some time in the period. It is on time
      when held on or before the overdue date the profile gives counting from the previous held
      session, of any date (for the first ever, from the later of employment start and the first
      supervision relationship). The profile, not the agreement, is the standard here: an agreed
      higher frequency is a promise, the profile is the policy's minimum.
    - Records signed in time: records of sessions in the period for the same people; one counts
      as signed in time when `signed_at`'s date is on or before its `due_date` (under S 13.1, its
      next supervision: `due_dates.signing_deadline`). Unsigned records whose due date has not
      yet passed are left out: they are not late yet; so is every record where the policy sets no
      deadline (W, H, L).
    - Agreements up to date: of the supervisees with a supervisor on `as_at` (the end of the
      period, or today if earlier), those whose agreement is neither missing since the current
      supervisor started (or unsigned) nor past its review date.
    - Overdue list: everything overdue on `as_at` in `due_list`. Record and agreement statuses are
      today's: docgen does not keep their history.
    """
    if end < start:
        raise InvalidInput("the period ends before it starts", "to")
    today = today or clock.today()
    as_at = min(end, today)
    scope = Scope(team_id=team_id, service=service, supervisee_ids=supervisee_ids)
    label = _scope_label(db, scope)
    people = _population(db, profile, scope, start, end)
    records = _records_in(db, people, scope, start, end)
    held_days = dict(_held_dates(records, _held_planned(db, people, scope, start, end), as_at))
    held = _on_time(profile, people, held_days.items())
    signed = _records_signed(profile, records, today)
    due = due_summary(db, profile, as_at, scope, wanted=_reported,
                      last_sessions=_last_sessions(people, held_days, as_at) if as_at >= start else None)
    gaps = [i for i in due.items
            if i.kind in AGREEMENT_GAPS or (i.kind == "agreement_review" and i.state == "overdue")]
    agreements = Measure("agreements_current", "Agreements up to date",
                         due.supervisees - len({i.supervisee_id for i in gaps}), due.supervisees)
    return Report(label, start, end, as_at, [held, signed, agreements],
                  [i for i in due.items if i.state == "overdue"], gaps)
