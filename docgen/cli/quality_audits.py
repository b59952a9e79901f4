"""`docgen audit-sample`: draw a team's quality audit sample and print its report (or CSV)."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from workflows import quality_audits


@click.command("audit-sample")
@click.option("--team", required=True, help="Team name.")
@click.option("--by", "auditor", required=True, help="E-mail of the auditor or manager drawing it (their access applies).")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), help="First day, YYYY-MM-DD (default: the policy's period up to --to).")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day, YYYY-MM-DD (default: today).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), help="Draw a recorded sample again from its seed.")
@click.option("--per-supervisor", type=click.IntRange(1, 50), help="Records per supervisor (default: the policy's).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the report as CSV.")
@with_appcontext
def audit_sample_command(team: str, auditor: str, start: dt.datetime | None, end: dt.datetime | None,
                         seed: int | None, per_supervisor: int | None, as_csv: bool) -> None:
    """Draw a random, reproducible sample of a team's signed records for a quality audit (K §11, S §8, H §12)."""
    with unit_of_work() as uow:
        report = quality_audits.draw_for_team_named(uow, auditor, team, start.date() if start else None,
                                                    end.date() if end else None, seed, per_supervisor)
        if as_csv:
            click.echo(report.csv, nl=False)
            return
        audit = report.audit
        click.echo(f"{report.number} {report.team}: {audit.period_start:%-d %B %Y} to {audit.period_end:%-d %B %Y}, "
                   f"{audit.per_supervisor} per supervisor, seed {audit.seed}")
        for item in report.items:
            computed = ", ".join(f"{k.replace('_', ' ')}: {item.criteria.get(k) or '?'}" for k in quality_audits.COMPUTED)
            click.echo(f"  {report.numbers[item.record_id]}  {report.names[item.supervisor_id]}  ({computed})")
