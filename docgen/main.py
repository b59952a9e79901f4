"""The `docgen` command: a thin edge that parses options, calls one service, prints one line.

User-caused failures end with exit code 2 and one readable line (no traceback).
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Callable

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from docgen.config import ConfigError
from storage.db import upgrade
from docgen.finalisation import ensure_organisation_certificate
from storage.models import Organisation
from docgen.cli.report import report_command
from docgen.cli.storage import audit_group, export_command, hold_group, retention_group
from docgen.worker import start_embedded_consumer, worker_command
from workflows import accounts, people
from storage.errors import DomainError


def _services() -> Any:
    return current_app.extensions["docgen"]


def _app_factory() -> Any:
    from docgen.app import create_app

    return create_app()


class DocgenGroup(FlaskGroup):
    """FlaskGroup that turns domain and configuration errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DomainError, ConfigError) as exc:
            field = f" [{exc.field}]" if getattr(exc, "field", None) else ""
            click.echo(f"docgen: {getattr(exc, 'message', exc)}{field}", err=True)
            sys.exit(2)


@click.group(cls=DocgenGroup, create_app=_app_factory, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """docgen: supervision agreements and records, sign-off, storage and retention."""


def in_transaction(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command body in one session, committed only if the whole body succeeds."""
    @with_appcontext
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with _services().sessions.begin() as db:
            return fn(db, *args, **kwargs)
    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


@cli.command("init")
@click.option("--demo", is_flag=True, help="Add a demo team with people and sign-ins.")
@with_appcontext
def init_command(demo: bool) -> None:
    """Create or upgrade the database and the organisation; safe to run twice."""
    services = _services()
    upgrade(services.config.resolved_database_url)
    with services.sessions.begin() as db:
        org = db.scalar(select(Organisation).limit(1))
        if org is None:
            org = Organisation(name=services.config.organisation or services.profile.council,
                               profile=services.profile.name)
            db.add(org)
            db.flush()
        click.echo(f"Organisation: {org.name} (policy profile {services.profile.name})")
        p12 = ensure_organisation_certificate(services.config, org.name)
        click.echo(f"Organisation seal certificate: {p12}")
        if demo:
            from workflows.demo import DEMO_PASSWORD, seed_demo

            logins = seed_demo(db, org, services.profile)
            click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
            for name, email, roles in logins:
                click.echo(f"  {email:32} {name:16} {roles}")


@cli.group("user")
def user_group() -> None:
    """Manage sign-ins."""


@user_group.command("add")
@click.option("--email", required=True)
@click.option("--name", help="Create the person too, with this name.")
@click.option("--role", "job_role", default="social_worker", show_default=True, help="Profile role for a new person.")
@click.option("--grant", multiple=True, help="Granted role: hr, auditor, admin, senior_manager.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--token", is_flag=True, help="Also print an API bearer token (shown once).")
@in_transaction
def user_add(db: Any, email: str, name: str | None, job_role: str, grant: tuple[str, ...], password: str,
             token: bool) -> None:
    """Give a person (new or existing) a sign-in."""
    services = _services()
    if name:
        person = people.create_person(db, services.organisation(db), services.profile, {
            "name": name, "email": email, "role": job_role, "employment_start": dt.date.today()})
    else:
        person = people.person_by_email(db, email)
    account = accounts.create_account(db, person, password, list(grant))
    click.echo(f"Account created for {person.email} ({', '.join(account.roles) or 'staff'})")
    if token:
        click.echo(f"API token: {accounts.issue_api_token(db, account, 'cli')}")


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve docgen (web, API) on HOST:PORT with the background worker in-process."""
    from werkzeug.serving import run_simple

    click.echo(f"docgen is running at http://{host}:{port}/  (health: http://{host}:{port}/health)")
    stop_worker = start_embedded_consumer(_services())
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)
    finally:
        stop_worker()


@cli.command("generate")
@click.option("--team", "team_name", required=True, help="Team name.")
@click.option("--date", "session_date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Session date, YYYY-MM-DD.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@in_transaction
def generate_command(db: Any, team_name: str, session_date: dt.datetime, out_dir: Path) -> None:
    """Draft a pre-filled record for every supervisee in a team and write the Word files."""
    from workflows.pipeline import docx_filename, record_docx
    from workflows import records

    services = _services()
    team = people.team_by_name(db, team_name)
    day = session_date.date()
    supervisees = [p for p in people.list_people(db, team_id=team.id, status="active", per_page=200)[0]
                   if people.current_supervisor(db, p.id, day) is not None]
    files: list[tuple[Path, bytes]] = []
    with click.progressbar(supervisees, label=f"Drafting records for {team.name}", show_pos=True) as bar:
        for person in bar:
            record = records.create_record(db, services.profile, person, day)
            name = docx_filename(records.record_number(record), person.name)
            files.append((out_dir / name, record_docx(services, db, record)))
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, data in files:  # written only once every draft was made: all or nothing
        path.write_bytes(data)
    click.echo(f"{len(files)} draft record(s) written to {out_dir}")


@cli.command("verify")
@click.argument("pdf", type=click.File("rb"))
@with_appcontext
def verify_command(pdf: Any) -> None:
    """Say whether a PDF is a genuine, unaltered docgen record (exit 0), altered or not ours (exit 1)."""
    from docgen import finalisation

    services = _services()
    with services.sessions() as db:
        verdict = finalisation.verify(services, db, pdf.read())
    if verdict.status == "genuine":
        known = verdict.details.get("record") or {}
        signed = "; ".join(f"{s['name']} {s['at']}" for s in known.get("signatures", []))
        click.echo(f"genuine and unaltered: {verdict.record_id} (signed by {signed or verdict.signed_by})")
        return
    click.echo(f"{verdict.status.replace('_', ' ')}: {verdict.details.get('reason', '')}".rstrip(": "))
    sys.exit(1)


for command in (worker_command, report_command, retention_group, export_command, audit_group, hold_group):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="docgen")
if __name__ == "__main__":
    main()
