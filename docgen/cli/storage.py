"""`docgen retention`, `docgen export`, `docgen audit` and `docgen hold`: the operator's commands
over retention, the HR bundle, the audit chain and legal holds.

Attached to the `docgen` group in `docgen.main`; each parses its options, calls one use case and
prints the answer. User-caused failures are DomainErrors, which the group prints as one line with
exit code 2.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from kernel import clock
from documents import seal
from storage import audit, audit_head
from workflows import export, holds, retention

if TYPE_CHECKING:
    from workflows.deployment import Work


@click.group("retention")
def retention_group() -> None:
    """Freeze leavers' records, forward them to HR, destroy them when due (S 12.4)."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Say what is due and why; change nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as of this date (YYYY-MM-DD).")
@with_appcontext
def retention_run(dry_run: bool, today: dt.datetime | None) -> None:
    """Apply every retention step due today, printing each with its rule."""
    day = today.date() if today else clock.today()
    with unit_of_work() as uow:
        outcomes = retention.run(uow, day, dry_run=dry_run)
    for outcome in outcomes:
        click.echo(outcome.describe())
    click.echo(f"{len(outcomes)} step(s) due on {day}" + (" (dry run: nothing changed)" if dry_run else ""))


@click.command("export")
@click.option("--person", "email", required=True, help="The person's e-mail address.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the zip.")
@with_appcontext
def export_command(email: str, out: Path) -> None:
    """Write a person's supervision file (HR bundle) to a zip; audited as an export from the CLI."""
    partial = out.with_name(out.name + ".part")
    with unit_of_work() as uow:
        bundle = export.by_operator(uow, email)
    # Written beside the target and renamed at the end, so a failed export leaves no half zip.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in bundle.chunks:
                handle.write(chunk)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Supervision file of {bundle.person.name} written to {out}")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check every entry's hash and link, and that the latest head recorded outside the database
    is still in the chain; then every timestamp token kept for a head (the authority's signature
    against DOCGEN_TIMESTAMP_CA, its imprint against the head, the head still in the chain), naming
    the last entry so dated. Exit 1 naming the first broken entry, what is missing, or a token that
    does not hold (the chain is storage's own integrity, with no rule above it to apply)."""
    with unit_of_work() as uow:
        report = audit.verify_chain(uow.session)
        dating = _check_timestamps(uow)
    if not report.ok:
        click.echo(report.describe(), err=True)
        raise SystemExit(1)
    click.echo(report.describe())
    if dating is not None:
        click.echo(dating.describe(), err=bool(dating.problems))
        if dating.problems:
            raise SystemExit(1)


def _check_timestamps(uow: Work) -> audit_head.DatingReport | None:
    """The kept timestamp tokens checked; None where no head log is wired, or where no authority is
    configured and none was ever kept."""
    heads, config = uow.audit_heads, uow.deployment.config
    if heads is None or not (config.timestamp_url or heads.tokens()):
        return None
    authorities = seal.timestamp_authorities(config)
    return audit_head.check_tokens(uow.session, heads,
                                   lambda token, message: seal.timestamp_time(token, message, authorities))


@click.group("hold")
def hold_group() -> None:
    """Legal holds: stop destruction of a person's records, or of one record."""


@hold_group.command("place")
@click.option("--person", "email", help="Hold all of this person's records (e-mail address).")
@click.option("--record", "record_id", type=int, help="Hold one record (its id).")
@click.option("--reason", required=True, help="Why (e.g. the claim or request it is for).")
@with_appcontext
def hold_place(email: str | None, record_id: int | None, reason: str) -> None:
    """Place a legal hold."""
    with unit_of_work() as uow:
        hold = holds.place_by_operator(uow, reason, email=email, record_id=record_id)
    click.echo(f"Legal hold {hold.id} placed")


@hold_group.command("lift")
@click.argument("hold_id", type=int)
@click.option("--reason", default="", help="Why it is lifted.")
@with_appcontext
def hold_lift(hold_id: int, reason: str) -> None:
    """Lift a legal hold by its id."""
    with unit_of_work() as uow:
        hold = holds.lift_by_operator(uow, hold_id, reason)
    click.echo(f"Legal hold {hold.id} lifted")
