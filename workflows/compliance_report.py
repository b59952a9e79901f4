"""The compliance report as its readers get it: the figures they may see, as a table, a CSV file
and an SVG chart.

The figures are `workflows.compliance`'s, with the supervision log's for the period beside them
(`workflows.supervision_log.period_figures`: held, hours, group attended, cancelled, rebooked; `log_figures`);
who may read which is `workflows.access.report_scope`
(supervisors and line managers their own people, hr, auditors and senior managers everyone). The
API, the report page and `docgen report` at the terminal all take the report from here, so the
three show one set of figures in the same three forms.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from sqlalchemy import select

from kernel.errors import InvalidInput
from storage.models import Person, Team
from workflows import access, groups, people, supervision_log
from workflows.access import Caller
from workflows.compliance import Measure, Report, team_report
from workflows.deployment import Work
from workflows.due_list import Scope
from workflows.spreadsheets import safe_cell

TEAMS_OFFERED = 200  # as the admin pages: a bigger organisation needs a search instead of a list


def _percent(measure: Measure) -> str:
    return "no data" if measure.percent is None else f"{measure.percent:g}%"


def report_table(report: Report) -> list[dict[str, str]]:
    """Rows of the data table shown beside the chart: the same figures as text."""
    return [{"measure": m.label, "count": str(m.count), "total": str(m.total), "percent": _percent(m)}
            for m in report.measures]



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
            writer.writerow([safe_cell(x) for x in (section, i.label, i.supervisee_name, i.supervisor_name,
                                                 i.due_on.isoformat(), "", "", "")])
    return out.getvalue()


# The supervision log's figures for the period (issue 25 item 3), as the page and the CSV name them
LOG_FIGURES = (("one_to_one_held", "One-to-one sessions held"), ("one_to_one_hours", "One-to-one hours"),
               ("group_attended", "Group sessions attended"), ("group_hours", "Group hours"),
               ("cancelled", "One-to-one sessions cancelled"), ("rebooked", "Cancelled one-to-ones rebooked"),
               ("group_cancelled", "Group sessions cancelled"), ("group_rebooked", "Cancelled group sessions rebooked"))


def log_figures(line: supervision_log.MonthLine) -> list[tuple[str, str, int | float]]:
    """The log's figures for the report's period, (key, label, value): the one set the page, the CSV,
    the JSON and `docgen report` all show."""
    return [(key, label, getattr(line, key)) for key, label in LOG_FIGURES]


def log_rows(line: supervision_log.MonthLine) -> list[dict[str, str]]:
    """The log's figures as rows of the page's table and the CSV, written as the log's own CSV writes
    them (`str`: 3, 3.5), never rounded or put in exponent form."""
    return [{"key": key, "figure": label, "count": str(value)} for key, label, value in log_figures(line)]


def log_csv(line: supervision_log.MonthLine) -> str:
    """The log's figures as rows of the report's CSV (section `supervision_log`, the figure in `count`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in log_rows(line):
        writer.writerow(["supervision_log", row["figure"], "", "", "", row["count"], "", ""])
    return out.getvalue()


# The title is drawn in 18px bold Arial in a 640 wide picture: about 56 characters fit on a line
# (issue 27: "Supervision compliance, Whole organisation, 1 October 2026 to 7 December 2026" was cut
# at "to 7 Decem"), so the period has a line of its own and the words before it wrap, each line 24
# below the last.
TITLE_CHARACTERS, TITLE_LINE = 56, 24


def _title_lines(title: str) -> list[str]:
    """Words of the chart's title in lines that fit its width, broken between words."""
    return textwrap.wrap(title, TITLE_CHARACTERS, break_long_words=False)


def report_svg(report: Report) -> str:
    """A horizontal bar chart of the measures, readable without colour or the picture itself.

    Each bar carries its figures as text ("8 of 10, 80%"); the full track is outlined so the
    unfilled part is visible; the <title> and <desc> give screen readers the same facts.
    """
    width, left, bar_width, row = 640, 16, 480, 64
    period = f"{report.start:%-d %B %Y} to {report.end:%-d %B %Y}"
    title = f"Supervision compliance, {report.scope}, {period}"
    heading = [*_title_lines(f"Supervision compliance, {report.scope},"), period]
    top = 32 + TITLE_LINE * len(heading)  # the first bar's row starts below the last line of the title
    height = top + row * len(report.measures)
    desc = "; ".join(f"{m.label}: {m.count} of {m.total} ({_percent(m)})" for m in report.measures) + "."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="compliance-title compliance-desc" font-family="Arial, sans-serif">',
        f'<title id="compliance-title">{escape(title)}</title>',
        f'<desc id="compliance-desc">{escape(desc)}</desc>',
        *(f'<text x="{left}" y="{28 + TITLE_LINE * n}" font-size="18" font-weight="bold" fill="#0b0c0c">'
          f'{escape(line)}</text>' for n, line in enumerate(heading)),
    ]
    for n, m in enumerate(report.measures):
        y = top + n * row
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



@dataclass(frozen=True)
class ShownReport:
    """A report and its renderings, each made when it is asked for."""

    report: Report
    group_attendance: tuple[groups.AttendanceLine, ...] = ()  # issue 14: apart from the 1:1 measures
    log: supervision_log.MonthLine | None = None  # issue 25: the supervision log's figures for the period

    @property
    def table(self) -> list[dict[str, str]]:
        return report_table(self.report)

    @property
    def log_table(self) -> list[dict[str, str]]:
        return log_rows(self.log) if self.log is not None else []

    @property
    def log_figures(self) -> list[tuple[str, str, int | float]]:
        return log_figures(self.log) if self.log is not None else []

    @property
    def csv(self) -> str:
        return report_csv(self.report) + (log_csv(self.log) if self.log is not None else "")

    @property
    def svg(self) -> str:
        return report_svg(self.report)


@dataclass(frozen=True)
class Choices:
    """What a reader may report on: everyone they may see (`everyone` names it), a team or a service."""

    everyone: str
    teams: list[Team]
    services: list[str]


@dataclass(frozen=True)
class Reader:
    """The compliance report for one reader: `visible` is whom they may see (None: everyone)."""

    uow: Work
    visible: frozenset[int] | None

    def choices(self) -> Choices:
        """The teams and services to choose from (the first TEAMS_OFFERED teams)."""
        teams, _ = people.list_teams(self.uow.session, per_page=TEAMS_OFFERED)
        everyone = "Whole organisation" if self.visible is None else "Everyone you oversee"
        return Choices(everyone, teams, sorted({t.service for t in teams if t.service}))

    def report(self, *, start: dt.date, end: dt.date, team_id: int | None = None,
               service: str | None = None) -> ShownReport:
        """The report for a team, a service or everyone the reader may see, over a period."""
        if team_id is not None and service is not None:
            raise InvalidInput("give team_id or service, not both", "service")
        return ShownReport(team_report(self.uow.session, self.uow.deployment.profile, start=start, end=end,
                                       team_id=team_id, service=service, supervisee_ids=self.visible),
                           tuple(groups.attendance_lines(self.uow.session, self.visible, start, end, team_id)),
                           _log_figures(self.uow, Scope(team_id=team_id, service=service,
                                                        supervisee_ids=self.visible), start, end))


def _log_figures(uow: Work, scope: Scope, start: dt.date, end: dt.date) -> supervision_log.MonthLine:
    """The supervision log's figures for the report's people and period: the log's own counting."""
    return supervision_log.period_figures(uow, scope.where(select(Person), Person), start, end)


def reader(uow: Work, caller: Caller) -> Reader:
    """The compliance report as the caller may read it; Forbidden for someone who oversees nobody,
    before anything, even a team's name, is shown."""
    return Reader(uow, access.report_scope(uow.session, caller))


def organisation_report(uow: Work, *, start: dt.date, end: dt.date, team: str | None = None,
                        service: str | None = None) -> ShownReport:
    """The report at the terminal (`docgen report`): whoever runs the deployment's commands reads
    the whole organisation, or one team (by its name) or service of it."""
    team_id = people.team_by_name(uow.session, team).id if team else None
    return ShownReport(team_report(uow.session, uow.deployment.profile, start=start, end=end, team_id=team_id,
                                   service=service),
                       log=_log_figures(uow, Scope(team_id=team_id, service=service), start, end))
