"""`docgen renew-timestamps`: give sealed records a new archive timestamp before their last one's
authority can no longer be checked (what the monthly task does, run now or with a wider window).

Attached to the `docgen` group in `docgen.main`; it parses its option, calls one use case
(`workflows.timestamp_renewal`) and prints what it did.
"""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work


@click.command("renew-timestamps")
@click.option("--within-days", type=click.IntRange(min=0), default=None,
              help="Renew records whose authority certificate ends within this many days "
                   "(default: docgen's 365).")
@with_appcontext
def renew_timestamps_command(within_days: int | None) -> None:
    """Give each sealed record whose last archive timestamp's authority certificate ends soon a new
    archive timestamp (PAdES B-LTA), filed in place of the old copy and audited. Exit 1 when a record
    due could not be renewed."""
    from kernel import clock
    from workflows import timestamp_renewal

    within = timestamp_renewal.RENEWAL_WINDOW if within_days is None else dt.timedelta(days=within_days)
    run = timestamp_renewal.renew_due(unit_of_work(), clock.now(), within)
    click.echo(f"{len(run.renewed)} record(s) given a new archive timestamp")
    for version_id, reason in run.refused.items():
        click.echo(f"document version {version_id} not renewed: {reason}")
    if run.stopped:
        click.echo(run.stopped)
    if run.refused or run.stopped:
        raise SystemExit(1)
