"""The `docgen` command: the composition root of the command line.

A command loads only what it uses. The domain commands (in `docgen.cli`), the worker and
Flask-Limiter's own command are named in COMMANDS and imported when run, so `docgen --help` lists
them with their short help without importing one; the app (and with it the deployment) is built
only by a command that needs it (`with_appcontext`). This module sets a deployment up
(`docgen init`) and serves it (`docgen run`), importing what they run when they run.
User-caused failures end with exit code 2 and readable lines (no traceback): one, or one per bad key of a profile.
"""
from __future__ import annotations

import faulthandler
import importlib
import logging
import signal
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from docgen.cli import work
from kernel.config import ConfigError
from kernel.errors import DomainError


@dataclass(frozen=True)
class Lazy:
    """A command named, not imported: `target` ("module:attribute") is imported when the command
    runs or shows its own help; until then `docgen --help` shows `short_help`, the first sentence
    of the command's own help (tests/e2e/test_cli.py checks the two agree)."""

    target: str
    short_help: str

    def load(self) -> click.Command:
        """Import the command."""
        module, _, attribute = self.target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


COMMANDS: dict[str, Lazy] = {
    "audit": Lazy("docgen.cli.storage:audit_group", "The hash-chained audit log."),
    "audit-sample": Lazy("docgen.cli.quality_audits:audit_sample_command",
                         "Draw a random, reproducible sample of a team's signed records for a quality audit "
                         "(K §11, S §8, H §12)."),
    "backup": Lazy("docgen.cli.backup:backup_command",
                   "Back up the database, the encrypted documents, the audit heads and their timestamp tokens "
                   "into TARGET, a new or empty folder, or a new file named *.tar."),
    "export": Lazy("docgen.cli.storage:export_command",
                   "Write a person's supervision file (HR bundle) to a zip; audited as an export from the CLI."),
    "generate": Lazy("docgen.cli.records:generate_command",
                     "Draft a pre-filled record for every supervisee in a team and write the Word files."),
    "hold": Lazy("docgen.cli.storage:hold_group",
                 "Legal holds: stop destruction of a person's records, or of one record."),
    # Flask-Limiter's plugin command (its `flask.commands` entry point), which FlaskGroup would find
    # by importing every plugin: named here, it costs nothing until used.
    "limiter": Lazy("flask_limiter.commands:cli", "Flask-Limiter maintenance & utility commands"),
    "profile": Lazy("docgen.cli.profile:profile_group",
                    "Policy profiles: check a council's own profile before anyone is supervised under it."),
    "report": Lazy("docgen.cli.report:report_command",
                   "Supervision compliance over a period: held on time, records signed in time, overdue, "
                   "agreements."),
    "renew-timestamps": Lazy("docgen.cli.timestamps:renew_timestamps_command",
                             "Give each sealed record whose last archive timestamp's authority certificate ends "
                             "soon a new archive timestamp (PAdES B-LTA), filed in place of the old copy and "
                             "audited."),
    "restore": Lazy("docgen.cli.backup:restore_command",
                    "Restore the backup in SOURCE (a folder or a *.tar file) into this deployment, which must "
                    "be empty (a new database and store) and configured with the backup's storage keys and "
                    "organisation certificate."),
    "retention": Lazy("docgen.cli.storage:retention_group",
                      "Freeze leavers' records, forward them to HR, destroy them when due (S 12.4)."),
    "sar": Lazy("docgen.cli.sar:sar_group", "Subject access requests (UK GDPR Article 15)."),
    "token": Lazy("docgen.cli.tokens:token_group", "Personal API tokens of people who have a sign-in."),
    "user": Lazy("docgen.cli.people:user_group", "Manage sign-ins."),
    "verify": Lazy("docgen.cli.records:verify_command",
                   "Say whether a PDF is a genuine, unaltered docgen record (exit 0), altered or not ours "
                   "(exit 1)."),
    "worker": Lazy("docgen.worker:worker_command",
                   "Run background tasks (e-mail delivery, PDFs, sweeps) until SIGTERM or Ctrl-C, then stop "
                   "LibreOffice."),
}

SERVICES = frozenset({"run", "worker"})
"""Commands that run until stopped, their stderr their log."""


def _app_factory() -> Any:
    from docgen.app import create_app

    return create_app()


def _route_library_warnings(command: str | None) -> None:
    """A library's warning (captured as a `py.warnings` log record by `main`) is a line of a
    service's log; at a one-shot command's terminal it is noise its user can do nothing about, so
    there the terminal shows the command's own lines only."""
    logging.getLogger("py.warnings").setLevel(logging.NOTSET if command in SERVICES else logging.ERROR)


class DocgenGroup(FlaskGroup):
    """FlaskGroup that imports a command only to run it (or show its help), and turns domain and
    configuration errors into one line and exit code 2.

    Unlike FlaskGroup it loads neither the app nor Flask's plugins to list or find a command:
    docgen's commands are this group's own and those in COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        lazy = COMMANDS.get(cmd_name)
        return lazy.load() if lazy else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command with its short help, importing none of those in COMMANDS."""
        described = {name: click.Command(name, help=lazy.short_help) for name, lazy in COMMANDS.items()}
        described.update(self.commands)
        limit = formatter.width - 6 - max(map(len, described))  # as click.Group lays it out
        with formatter.section("Commands"):
            formatter.write_dl([(name, described[name].get_short_help_str(limit)) for name in sorted(described)])

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        _route_library_warnings(args[0] if args else None)  # before the command's imports can warn
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:  # "did you mean" among all commands, not only the loaded
            raise click.exceptions.NoSuchCommand(exc.command_name, possibilities=self.list_commands(ctx),
                                                 ctx=ctx) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DomainError, ConfigError) as exc:
            message = str(getattr(exc, "message", exc))
            field = getattr(exc, "field", None)
            named = f" [{field}]" if field and field not in message else ""  # a profile's lines name theirs
            click.echo(f"docgen: {message}{named}", err=True)
            sys.exit(2)


def _deployment_factory() -> Any:
    """The deployment alone, without the web app or a task queue, for commands that only check."""
    from docgen.bootstrap import build
    from kernel.config import from_env

    return build(from_env())


@click.group(cls=DocgenGroup, create_app=_app_factory, add_default_commands=False, add_version_option=False)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """docgen: supervision agreements and records, sign-off, storage and retention."""
    ctx.meta[work.DEPLOYMENT] = _deployment_factory  # handed down, so docgen.cli never imports the root


@cli.command("init")
@click.option("--demo", "with_demo", is_flag=True, help="Add a demo team with people and sign-ins.")
@with_appcontext
def init_command(with_demo: bool) -> None:
    """Create or upgrade the database and the organisation; safe to run twice."""
    from docgen.cli.work import unit_of_work
    from documents.seal import ensure_organisation_certificate
    from storage.db import upgrade
    from workflows import demo, organisation, profile_confirmations

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
        for line in demo.map_roles(deployment.profile).unmapped:
            click.echo(f"Demo: {line}")
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

    SIGTERM or Ctrl-C stops serving, stops LibreOffice (a conversion under way is cut short and its
    task retried after the restart), then lets the other running tasks finish (`docgen.worker`); a
    second signal during that shutdown is ignored, so it cannot be cut short half-way and leave
    LibreOffice running.
    """
    from waitress import create_server

    from docgen.worker import start_embedded_consumer, stop_converter

    server = create_server(current_app._get_current_object(), host=host, port=port, threads=threads,
                           ident="docgen")
    port = server.effective_port  # the port bound: with --port 0, the one the system chose
    click.echo(f"docgen is running at http://{host}:{port}/  (health: http://{host}:{port}/health)")
    signal.signal(signal.SIGTERM, _interrupt)
    stop_worker = start_embedded_consumer(current_app.extensions["docgen.tasks"])
    try:
        server.run()  # returns at the KeyboardInterrupt, once waitress has stopped its threads
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.close()
        stop_converter(current_app.extensions["docgen"])
        stop_worker()


def main() -> None:
    """Run the `docgen` command. Warnings become log records first (`logging.captureWarnings`),
    before a library is imported that could raise one: the group routes them per command.
    `kill -USR1` prints every thread's stack to stderr, so a `docgen run` or `docgen worker` that
    will not stop says where it waits (tests/e2e/test_shutdown.py asks it when one hangs)."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    logging.captureWarnings(True)
    cli(prog_name="docgen")


if __name__ == "__main__":
    main()
