"""`docgen retention`, `docgen export`, `docgen audit` and `docgen hold`: thin commands over storage.

Attached to the `docgen` group in `docgen.cli`; user-caused failures are DomainErrors, which the
group prints as one line with exit code 2.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from storage.models import Record
from storage import audit, export, retention
from storage import clock
from workflows import people
from storage.errors import InvalidInput


def _services() -> Any:
    return current_app.extensions["docgen"]


@click.group("retention")
def retention_group() -> None:
    """Freeze leavers' records, forward them to HR, destroy them when due (S 12.4)."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Say what is due and why; change nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as of this date (YYYY-MM-DD).")
@with_appcontext
def retention_run(dry_run: bool, today: dt.datetime | None) -> None:
    """Apply every retention step due today, printing each with its rule."""
    services = _services()
    day = today.date() if today else clock.today()
    with services.sessions() as db:
        outcomes = retention.run(db, services, day, dry_run=dry_run)
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
    services = _services()
    partial = out.with_name(out.name + ".part")
    with services.sessions() as db:
        person = people.person_by_email(db, email)
        stream = export.export_person(db, services.store, person, basis="cli")
        db.commit()
    # Written beside the target and renamed at the end, so a failed export leaves no half zip.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in stream:
                handle.write(chunk)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"Supervision file of {person.name} written to {out}")


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check every entry's hash and link; exit 1 naming the first broken entry."""
    with _services().sessions() as db:
        report = audit.verify_chain(db)
    if not report.ok:
        click.echo(f"audit log broken at entry {report.first_bad_id}: {report.reason} "
                   f"({report.checked} entries before it are intact)", err=True)
        raise SystemExit(1)
    click.echo(f"audit log intact: {report.checked} entries")


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
    services = _services()
    with services.sessions.begin() as db:
        person = people.person_by_email(db, email) if email else None
        record = db.get(Record, record_id) if record_id is not None else None
        if record_id is not None and record is None:
            raise InvalidInput(f"no record with id {record_id}", "record")
        hold = retention.place_hold(db, services.store, reason=reason, by=None, person=person, record=record)
        click.echo(f"Legal hold {hold.id} placed")


@hold_group.command("lift")
@click.argument("hold_id", type=int)
@click.option("--reason", default="", help="Why it is lifted.")
@with_appcontext
def hold_lift(hold_id: int, reason: str) -> None:
    """Lift a legal hold by its id."""
    services = _services()
    with services.sessions.begin() as db:
        hold = retention.get_hold(db, hold_id)
        retention.lift_hold(db, services.store, hold, by=None, reason=reason)
        click.echo(f"Legal hold {hold.id} lifted")
