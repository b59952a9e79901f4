"""The `docgen` command: the composition root of the command line.

It builds the app (and with it the deployment) for every command, starts processes (`docgen run`,
`docgen worker`), sets a deployment up (`docgen init`), and registers the domain commands, which
live in `docgen.cli` and each parse their options, call one use case and print the answer.
User-caused failures end with exit code 2 and readable lines (no traceback): one, or one per bad key of a profile.
"""
from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from docgen.cli.backup import backup_command, restore_command
from docgen.cli.people import user_group
from docgen.cli.quality_audits import audit_sample_command
from docgen.cli.records import generate_command, verify_command
from docgen.cli.report import report_command
from docgen.cli.storage import audit_group, export_command, hold_group, retention_group
from docgen.cli.tokens import token_group
from docgen.cli.work import unit_of_work
from docgen.config import ConfigError
from docgen.documents.seal import ensure_organisation_certificate
from docgen.worker import start_embedded_consumer, stop_converter, worker_command
from storage.db import upgrade
from storage.errors import DomainError
from workflows import demo, organisation, profile_confirmations


def _app_factory() -> Any:
    from docgen.app import create_app

    return create_app()


class DocgenGroup(FlaskGroup):
    """FlaskGroup that turns domain and configuration errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DomainError, ConfigError) as exc:
            message = str(getattr(exc, "message", exc))
            field = getattr(exc, "field", None)
            named = f" [{field}]" if field and field not in message else ""  # a profile's lines name theirs
            click.echo(f"docgen: {message}{named}", err=True)
            sys.exit(2)


@click.group(cls=DocgenGroup, create_app=_app_factory, add_default_commands=False, add_version_option=False)
def cli() -> None:
    """docgen: supervision agreements and records, sign-off, storage and retention."""


@cli.command("init")
@click.option("--demo", "with_demo", is_flag=True, help="Add a demo team with people and sign-ins.")
@with_appcontext
def init_command(with_demo: bool) -> None:
    """Create or upgrade the database and the organisation; safe to run twice."""
    deployment = current_app.extensions["docgen"]
    upgrade(deployment.config.resolved_database_url)
    with unit_of_work() as uow:
        established = demo.establish(uow) if with_demo else organisation.establish(uow)
    org = established.organisation
    click.echo(f"Organisation: {org.name} (policy profile {deployment.profile.name})")
    with unit_of_work() as uow:
        for default in profile_confirmations.awaiting_confirmation(uow):
            click.echo(f"Warning: {profile_confirmations.warning(default)}")
    p12 = ensure_organisation_certificate(deployment.config, org.name)
    click.echo(f"Organisation seal certificate: {p12}")
    if with_demo:
        click.echo(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
        for name, email, roles in established.demo_logins:
            click.echo(f"  {email:32} {name:16} {roles}")
        click.echo("Where to look first (after `docgen run`):")
        for who, path, what in demo.WHERE_TO_LOOK:
            click.echo(f"  {who}@demo.example.org  {deployment.config.base_url.rstrip('/')}{path}  {what}")


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    """SIGTERM ends serving as Ctrl-C does: the web server stops at a KeyboardInterrupt and returns."""
    raise KeyboardInterrupt


@cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at once.")
@with_appcontext
def run_command(host: str, port: int, threads: int) -> None:
    """Serve docgen (web, API) on HOST:PORT with the background worker in-process.

    The server is waitress, a production WSGI server in this one process: the embedded default
    keeps its task queue (a SQLite file), consumer threads and warm LibreOffice beside the web
    threads, and stops them in order. (gunicorn, which serves the stack, forks workers it may kill
    and restart on its own: each would start a consumer and a LibreOffice of its own.)

    SIGTERM or Ctrl-C stops serving, lets running tasks finish (`docgen.worker`), then stops
    LibreOffice; a second signal during that shutdown is ignored, so it cannot be cut short
    half-way and leave LibreOffice running.
    """
    from waitress import create_server

    server = create_server(current_app._get_current_object(), host=host, port=port, threads=threads,
                           ident="docgen")
    click.echo(f"docgen is running at http://{host}:{port}/  (health: http://{host}:{port}/health)")
    signal.signal(signal.SIGTERM, _interrupt)
    stop_worker = start_embedded_consumer(current_app.extensions["docgen.tasks"])
    try:
        server.run()  # returns at the KeyboardInterrupt, once waitress has stopped its threads
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.close()
        stop_worker()
        stop_converter(current_app.extensions["docgen"])


for command in (worker_command, user_group, token_group, generate_command, verify_command, report_command, retention_group,
                export_command, audit_group, hold_group, backup_command, restore_command, audit_sample_command):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="docgen")


if __name__ == "__main__":
    main()
