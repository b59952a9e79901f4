"""Running Huey consumers: in their own process (`docgen worker`) or beside the web server
(`docgen run`, the embedded default). Both use threads: tasks wait on SMTP and the database, not
on the CPU.

Both stop the same way on SIGTERM (what service managers send) and SIGINT (Ctrl-C): this process's
warm LibreOffice first (`stop_converter`), then the consumer. unoserver and soffice run in a
process group of their own, so no signal sent to docgen reaches them: unless docgen kills them
they outlive it, holding memory and a private copy of the last document converted. Stopping
LibreOffice first cuts short a conversion under way (its task fails and is retried after the
restart, as tasks are safe to run twice) instead of waiting for LibreOffice to start, convert and
the PDF to be sealed: that wait was most of the 20 s a stop took, and over a minute on a busy machine.
"""
from __future__ import annotations

import fcntl
import os
from typing import Any, Callable

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


class StoppingConsumer(Consumer):
    """A consumer that calls `before_stop` (stop LibreOffice) as soon as it is told to stop, before
    it waits for running tasks."""

    def __init__(self, huey: Any, before_stop: Callable[[], None] = lambda: None, **options: Any) -> None:
        super().__init__(huey, **options)
        self._before_stop = before_stop

    def stop(self, graceful: bool = False) -> None:
        self._before_stop()
        super().stop(graceful=graceful)


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


def run_worker(queue: TaskQueue, workers: int = 2, periodic: bool = True,
               before_stop: Callable[[], None] = lambda: None) -> None:
    """Consume the tasks of this process's queue (`bootstrap.connect_queue`) until stopped; with
    `periodic`, also enqueue the periodic sweeps when due (one consumer of a deployment is enough).

    SIGTERM (what service managers send) stops gracefully: running tasks finish first, up to
    SHUTDOWN_TIMEOUT_SECONDS. SIGINT (Ctrl-C) stops at once; an interrupted delivery is sent again
    later (at-least-once, see workflows.notifications). Either way `before_stop` runs first.
    """
    StoppingConsumer(_to_consume(queue).huey, before_stop, workers=workers, worker_type="thread",
                     graceful_signal="TERM", periodic=periodic, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS).run()


def stop_converter(deployment: Deployment) -> None:
    """Stop the deployment's warm LibreOffice for good, if this process started one: the first step
    of every shutdown, so that no running task waits for LibreOffice and none starts it again
    (`WarmConverter.close`). (A test may wire a converter of its own, which it stops itself.)"""
    converter = getattr(deployment.converter, "wrapped", deployment.converter)  # under metrics' timing
    if isinstance(converter, WarmConverter):
        converter.close()


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
    deployment = current_app.extensions["docgen"]
    try:
        run_worker(current_app.extensions["docgen.tasks"], workers=workers, periodic=periodic,
                   before_stop=lambda: stop_converter(deployment))
    finally:
        stop_converter(deployment)
