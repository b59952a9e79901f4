"""`docgen report`: the compliance report for a team, a service or the organisation, at the terminal."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from kernel.errors import InvalidInput
from workflows import compliance_report


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} must be a date like 2026-04-01, not '{value}'", option) from None


def _print_table(shown: compliance_report.ShownReport) -> None:
    report = shown.report
    click.echo(f"{report.scope}: {report.start:%-d %B %Y} to {report.end:%-d %B %Y} (as at {report.as_at:%-d %B %Y})")
    click.echo("")
    width = max(len(m.label) for m in report.measures)
    click.echo(f"{'Measure':<{width}}  {'Met':>5}  {'Of':>5}  {'Percent':>8}")
    for row in shown.table:
        click.echo(f"{row['measure']:<{width}}  {row['count']:>5}  {row['total']:>5}  {row['percent']:>8}")
    if shown.log_table:  # the supervision log's figures, as the page and the CSV have them
        click.echo("")
        click.echo("Supervision hours and attendance in the period")
        figure_width = max(len(row["figure"]) for row in shown.log_table)
        for row in shown.log_table:
            click.echo(f"{row['figure']:<{figure_width}}  {row['count']:>8}")
    for title, items in (("Overdue", report.overdue), ("Agreements out of date", report.agreements_out_of_date)):
        click.echo("")
        click.echo(f"{title}: {len(items)}")
        for item in items:
            click.echo(f"  {format(item.due_on, '%-d %B %Y'):<17}  {item.supervisee_name} (supervisor {item.supervisor_name}): {item.label}")


@click.command("report")
@click.option("--team", help="Team name; without --team or --service, the whole organisation.")
@click.option("--service", help="Service name (all its teams).")
@click.option("--from", "start", required=True, help="First day of the period, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day of the period, YYYY-MM-DD.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@with_appcontext
def report_command(team: str | None, service: str | None, start: str, end: str, as_csv: bool) -> None:
    """Supervision compliance over a period: held on time, records signed in time, overdue, agreements."""
    if team and service:
        raise InvalidInput("give --team or --service, not both", "--service")
    with unit_of_work() as uow:
        shown = compliance_report.organisation_report(uow, start=_date(start, "--from"), end=_date(end, "--to"),
                                                      team=team, service=service)
        if as_csv:
            click.echo(shown.csv, nl=False)
        else:
            _print_table(shown)
