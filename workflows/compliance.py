"""Supervision compliance for a team, a service or the whole organisation over a period.

The figures a manager is asked for (S §8 audits, H §12 monthly audits): were supervisions held on
time, were records signed in time, who is overdue now, whose agreement is out of date. Each figure
is defined in `team_report`; `report_csv`, `report_svg` and `report_table` present the same report.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from docgen.models import Person, PlannedSession, Record, SupervisionRelationship, Team
from workflows import clock
from workflows.errors import InvalidInput, NotFound
from workflows.profiles import Profile
from workflows.schedule import DueItem, Scope, due_list, profile_due

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


@dataclass(frozen=True)
class _Supervisee:
    role: str
    employment_start: dt.date
    supervised_since: dt.date


def _scope_label(db: Session, scope: Scope) -> str:
    if scope.team_id is not None:
        team = db.get(Team, scope.team_id)
        if team is None:
            raise NotFound(f"no team with id {scope.team_id}", "team_id")
        return f"Team: {team.name}"
    if scope.service is not None:
        return f"Service: {scope.service}"
    return "Whole organisation"


def _population(db: Session, profile: Profile, scope: Scope, start: dt.date, end: dt.date) -> dict[int, _Supervisee]:
    """Everyone in scope with a supervisor at some time in the period, leavers included."""
    rel = SupervisionRelationship
    first = (select(rel.supervisee_id.label("sid"), func.min(rel.starts_on).label("since"))
             .group_by(rel.supervisee_id).subquery())
    overlapping = select(rel.id).where(rel.supervisee_id == Person.id, rel.starts_on <= end,
                                       or_(rel.ends_on.is_(None), rel.ends_on >= start)).exists()
    query = (select(Person.id, Person.role, Person.employment_start, first.c.since)
             .join(first, first.c.sid == Person.id).where(overlapping))
    return {pid: _Supervisee(role, started, max(started, since))
            for pid, role, started, since in db.execute(scope.where(query, Person)) if role in profile.roles}


def _held_dates(db: Session, ids: set[int], scope: Scope, start: dt.date, end: dt.date) -> dict[int, list[dt.date]]:
    """Each supervisee's held sessions in the period, preceded by the last one before it."""
    before = dt.datetime.combine(start, dt.time())
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    in_scope = (lambda col: true()) if scope.whole_organisation else (lambda col: col.in_(sorted(ids)))
    held = PlannedSession.status == "held"
    queries = [
        select(Record.supervisee_id, Record.session_date)
        .where(Record.session_date.between(start, end), in_scope(Record.supervisee_id)),
        select(Record.supervisee_id, func.max(Record.session_date))
        .where(Record.session_date < start, in_scope(Record.supervisee_id)).group_by(Record.supervisee_id),
        select(PlannedSession.supervisee_id, PlannedSession.starts_at)
        .where(held, PlannedSession.starts_at >= before, PlannedSession.starts_at < after,
               in_scope(PlannedSession.supervisee_id)),
        select(PlannedSession.supervisee_id, func.max(PlannedSession.starts_at))
        .where(held, PlannedSession.starts_at < before, in_scope(PlannedSession.supervisee_id))
        .group_by(PlannedSession.supervisee_id),
    ]
    dates: dict[int, set[dt.date]] = {}
    for query in queries:
        for sid, day in db.execute(query):
            if sid in ids:
                dates.setdefault(sid, set()).add(day.date() if isinstance(day, dt.datetime) else day)
    return {sid: sorted(days) for sid, days in dates.items()}


def _on_time(profile: Profile, people: dict[int, _Supervisee], held: dict[int, list[dt.date]],
             start: dt.date) -> Measure:
    on_time = total = 0
    for sid, days in held.items():
        person = people[sid]
        role = profile.role(person.role)
        previous = person.supervised_since
        for day in days:
            if day >= start:
                total += 1
                _, late = profile_due(role, person.employment_start, previous)
                on_time += day <= late
            previous = day
    return Measure("held_on_time", "Supervisions held on time", on_time, total)


def _records_signed(db: Session, profile: Profile, ids: set[int], scope: Scope, start: dt.date, end: dt.date,
                    today: dt.date) -> Measure:
    query = select(Record.supervisee_id, Record.due_date, Record.signed_at).where(
        Record.session_date.between(start, end))
    if not scope.whole_organisation:
        query = query.where(Record.supervisee_id.in_(sorted(ids)))
    signed = total = 0
    for sid, due, signed_at in db.execute(query):
        if sid not in ids or (signed_at is None and due >= today):
            continue
        total += 1
        signed += signed_at is not None and signed_at.date() <= due
    days = f"{profile.record_days} {'working ' if profile.record_day_kind == 'working' else ''}days"
    return Measure("records_signed", f"Records signed within {days}", signed, total)


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
      as signed in time when `signed_at`'s date is on or before its `due_date`. Unsigned records
      whose due date has not yet passed are left out: they are not late yet.
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
    ids = set(people)
    held = _on_time(profile, people, _held_dates(db, ids, scope, start, end), start)
    records = _records_signed(db, profile, ids, scope, start, end, today)
    items = due_list(db, profile, as_at, team_id=team_id, service=service, supervisee_ids=supervisee_ids)
    gaps = [i for i in items if i.kind in AGREEMENT_GAPS or (i.kind == "agreement_review" and i.state == "overdue")]
    supervisees = sum(1 for i in items if i.kind == "supervision")
    agreements = Measure("agreements_current", "Agreements up to date",
                         supervisees - len({i.supervisee_id for i in gaps}), supervisees)
    return Report(label, start, end, as_at, [held, records, agreements],
                  [i for i in items if i.state == "overdue"], gaps)


def _percent(measure: Measure) -> str:
    return "no data" if measure.percent is None else f"{measure.percent:g}%"


def report_table(report: Report) -> list[dict[str, str]]:
    """Rows of the data table shown beside the chart: the same figures as text."""
    return [{"measure": m.label, "count": str(m.count), "total": str(m.total), "percent": _percent(m)}
            for m in report.measures]


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: Report) -> str:
    """One table: the measures, then the overdue items, then the agreements out of date."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "item", "supervisee", "supervisor", "due_on", "count", "total", "percent"])
    writer.writerow(["scope", report.scope, "", "", "", "", "", ""])
    writer.writerow(["period", f"{report.start.isoformat()} to {report.end.isoformat()}", "", "",
                     report.as_at.isoformat(), "", "", ""])
    for m in report.measures:
        writer.writerow(["measure", m.label, "", "", "", m.count, m.total, "" if m.percent is None else m.percent])
    for section, items in (("overdue", report.overdue), ("agreement", report.agreements_out_of_date)):
        for i in items:
            writer.writerow([_cell(x) for x in (section, i.label, i.supervisee_name, i.supervisor_name,
                                                 i.due_on.isoformat(), "", "", "")])
    return out.getvalue()


def report_svg(report: Report) -> str:
    """A horizontal bar chart of the measures, readable without colour or the picture itself.

    Each bar carries its figures as text ("8 of 10, 80%"); the full track is outlined so the
    unfilled part is visible; the <title> and <desc> give screen readers the same facts.
    """
    width, left, bar_width, row = 640, 16, 480, 64
    height = 56 + row * len(report.measures)
    title = f"Supervision compliance, {report.scope}, {report.start:%-d %B %Y} to {report.end:%-d %B %Y}"
    desc = "; ".join(f"{m.label}: {m.count} of {m.total} ({_percent(m)})" for m in report.measures) + "."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="compliance-title compliance-desc" font-family="Arial, sans-serif">',
        f'<title id="compliance-title">{escape(title)}</title>',
        f'<desc id="compliance-desc">{escape(desc)}</desc>',
        f'<text x="{left}" y="28" font-size="18" font-weight="bold" fill="#0b0c0c">{escape(title)}</text>',
    ]
    for n, m in enumerate(report.measures):
        y = 56 + n * row
        filled = 0 if m.percent is None else round(bar_width * m.percent / 100)
        parts += [
            f'<text x="{left}" y="{y + 14}" font-size="16" fill="#0b0c0c">{escape(m.label)}</text>',
            f'<rect x="{left}" y="{y + 22}" width="{bar_width}" height="24" fill="#ffffff" stroke="#0b0c0c" '
            'stroke-width="1"/>',
            f'<rect x="{left}" y="{y + 22}" width="{filled}" height="24" fill="#1d70b8"/>',
            f'<text x="{left + bar_width + 8}" y="{y + 40}" font-size="16" fill="#0b0c0c">'
            f'{escape(f"{m.count} of {m.total}, {_percent(m)}")}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

