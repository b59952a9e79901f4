"""Running Huey consumers: in their own process (`docgen worker`) or beside the web server
(`docgen run`, the embedded default). Both use threads: tasks wait on SMTP and the database, not
on the CPU.

Both stop the same way on SIGTERM (what service managers send) and SIGINT (Ctrl-C): the consumer
first, then this process's warm LibreOffice (`stop_converter`). unoserver and soffice run in a
process group of their own, so no signal sent to docgen reaches them: unless docgen kills them
they outlive it, holding memory and a private copy of the last document converted.
"""
from __future__ import annotations

import fcntl
import os
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from huey.consumer import Consumer

from kernel.config import ConfigError
from documents.pdf import WarmConverter
from docgen.tasks import TaskQueue
from workflows.deployment import Deployment

# Long enough for an SMTP conversation at its timeout to finish, so a stop does not cut a delivery
# between "250 OK" and marking it sent (which would send it again).
SHUTDOWN_TIMEOUT_SECONDS = 30.0


class EmbeddedConsumer(Consumer):
    """A consumer that leaves signal handling to its host process (the web server): Huey's own
    handlers would swallow the Ctrl-C meant to stop `docgen run`, and may only be installed from
    the main thread."""

    def _set_signal_handlers(self) -> None:
        """The host process owns the signals; it calls `stop` instead."""


def _to_consume(queue: TaskQueue) -> TaskQueue:
    if queue.huey.immediate:
        raise ConfigError("DOCGEN_TASKS_URL=memory runs tasks inline, so there is no queue to consume; "
                          "use sqlite:///path or redis://...")
    return queue


def run_worker(queue: TaskQueue, workers: int = 2, periodic: bool = True) -> None:
    """Consume the tasks of this process's queue (`bootstrap.connect_queue`) until stopped; with
    `periodic`, also enqueue the periodic sweeps when due (one consumer of a deployment is enough).

    SIGTERM (what service managers send) stops gracefully: running tasks finish first, up to
    SHUTDOWN_TIMEOUT_SECONDS. SIGINT (Ctrl-C) stops at once; an interrupted delivery is sent again
    later (at-least-once, see workflows.notifications).
    """
    _to_consume(queue).huey.create_consumer(workers=workers, worker_type="thread", graceful_signal="TERM",
                                            periodic=periodic, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS).run()


def stop_converter(deployment: Deployment) -> None:
    """Stop the deployment's warm LibreOffice, if this process started one: the last step of every
    shutdown, once no task can convert any more. (A test may wire a converter of its own, which it
    stops itself.)"""
    converter = getattr(deployment.converter, "wrapped", deployment.converter)  # under metrics' timing
    if isinstance(converter, WarmConverter):
        converter.stop()


def start_embedded_consumer(queue: TaskQueue, workers: int = 2) -> Callable[[], None]:
    """Start consumer threads in this process and return the function that stops them gracefully.

    With DOCGEN_TASKS_URL=memory tasks already run inline, so nothing is started.
    """
    if queue.huey.immediate:
        return lambda: None
    consumer = EmbeddedConsumer(queue.huey, workers=workers, worker_type="thread",
                                shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS)
    consumer.start()
    return lambda: consumer.stop(graceful=True)


def wait_for_migration() -> None:
    """In the stack, scripts/stack.sh holds the lock file DOCGEN_STACK_LOCK names while `docgen init`
    migrates the database: a consumer imports meanwhile, then takes the lock shared before it runs
    a task, so no task meets an old schema."""
    path = os.environ.get("DOCGEN_STACK_LOCK")
    if path:
        with open(path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads in this process.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also schedule the periodic sweeps; run them in one consumer per deployment.")
@with_appcontext
def worker_command(workers: int, periodic: bool) -> None:
    """Run background tasks (e-mail delivery, PDFs, sweeps) until SIGTERM or Ctrl-C, then stop LibreOffice."""
    wait_for_migration()
    click.echo(f"docgen worker: {workers} threads; stop with SIGTERM (graceful) or Ctrl-C")
    try:
        run_worker(current_app.extensions["docgen.tasks"], workers=workers, periodic=periodic)
    finally:
        stop_converter(current_app.extensions["docgen"])
