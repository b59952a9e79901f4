"""docgen's background tasks on Huey: each takes ids, opens a unit of work and calls one
workflows function; each re-reads its rows and is safe to run twice.

Nothing is built at import time. `make_queue(deployment)` builds the Huey for the deployment's
DOCGEN_TASKS_URL with the tasks registered on it; the composition root (`docgen.bootstrap`) builds
it once per process and wires `deployment.enqueue` to it, so use cases hand work over by name
(`uow.on_commit(uow.deployment.enqueue, "deliver_email", message_id)`). Each task's
`with deployment.unit_of_work() as uow:` commits when its use case returns and rolls back if it
raises.

DOCGEN_TASKS_URL:
- `memory`: tasks run inline when called (`immediate`), for tests.
- `sqlite:///path` (default: instance/tasks.db): the embedded queue, consumed by `docgen run`.
- `redis://host:port/db?queue=NAME`: at scale, consumed by `docgen worker` on any machine.
  NAME (default "docgen") must differ between deployments sharing one Redis database: a task
  carries only an outbox id, which means a different row in another deployment's database.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from huey import Huey, RetryTask, crontab
from huey.api import TaskWrapper
from huey.storage import BaseStorage, MemoryStorage, RedisStorage, SqliteStorage
from redis.exceptions import RedisError

from kernel.config import ConfigError
from documents import mailer, seal
from kernel import clock
from storage import audit_head
from workflows import bulk_start, cpd, deadlines, disagreements, notifications, pipeline, retention, webhook_delivery
from workflows import subject_access
from workflows import timestamp_renewal

if TYPE_CHECKING:
    from workflows.deployment import Deployment, Work

log = logging.getLogger(__name__)

QUEUE_NAME = "docgen"
# What Huey's storages raise when the queue itself cannot be reached (not a task's own failure:
# tasks run by the consumer, or inline under `memory`, where Huey logs their errors).
QUEUE_UNREACHABLE = (RedisError, sqlite3.Error)


def storage_for(tasks_url: str) -> tuple[type[BaseStorage], str, dict[str, Any]]:
    """Huey storage class, queue name and storage arguments for a DOCGEN_TASKS_URL.

    Creates the parent folder of a SQLite queue file, as `bootstrap.build` does for the instance.
    """
    if tasks_url == "memory":
        return MemoryStorage, QUEUE_NAME, {}
    if tasks_url.startswith("sqlite:///"):
        path = Path(tasks_url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return SqliteStorage, QUEUE_NAME, {"filename": str(path)}
    if tasks_url.startswith(("redis://", "rediss://")):
        parts = urlsplit(tasks_url)
        query = parse_qs(parts.query)
        name = query.pop("queue", [QUEUE_NAME])[-1]
        return RedisStorage, name, {"url": urlunsplit(parts._replace(query=urlencode(query, doseq=True)))}
    raise ConfigError(f"DOCGEN_TASKS_URL must be memory, sqlite:///path or redis://..., not '{tasks_url}'")


@dataclass(frozen=True)
class TaskQueue:
    """One process's Huey and docgen's tasks registered on it, by name."""

    huey: Huey
    tasks: Mapping[str, TaskWrapper]

    def enqueue(self, task: str, *args: Any) -> None:
        """Hand `task(*args)` to the queue (with `memory`, it runs now).

        Work is enqueued after the commit that asked for it, so a queue that cannot be reached
        (Redis down, the queue file locked) is logged, not raised: the change stands, and failing
        the request now would report as undone what was done. The periodic sweeps find the work
        again from the database (unsent e-mail, unsealed and unconverted documents).
        """
        try:
            self.tasks[task](*args)
        except QUEUE_UNREACHABLE:
            log.exception("task queue unreachable: %s%s not enqueued; a sweep will pick it up", task, args)


def make_queue(deployment: Deployment) -> TaskQueue:
    """The task queue for this deployment's DOCGEN_TASKS_URL, its tasks bound to the deployment.

    Call once per process (the consumer runs what this queue registered). results=False: outcomes
    live in our own rows (Huey's result store would keep a failed attempt's error even after a
    retry succeeded, and would only grow in Redis). `immediate_use_memory=False` keeps Huey's
    `immediate` setter (which tests use to hold tasks back) on this same storage.
    """
    storage_class, name, kwargs = storage_for(deployment.config.resolved_tasks_url)
    huey = Huey(name, results=False, immediate=storage_class is MemoryStorage, immediate_use_memory=False,
                storage_class=storage_class, **kwargs)
    registered = [*_mail_tasks(huey, deployment), *_document_tasks(huey, deployment),
                  *_sign_off_sweeps(huey, deployment), *_webhook_tasks(huey, deployment),
                  *_bulk_start_tasks(huey, deployment), *_audit_head_tasks(huey, deployment),
                  *_subject_access_tasks(huey, deployment), *_renewal_tasks(huey, deployment)]
    return TaskQueue(huey, {task.func.__name__: task for task in registered})


def _mail_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """Delivering the outbox: each message once its change commits, and the sweep for the rest."""

    @huey.task()
    def deliver_email(message_id: int) -> None:
        """Deliver one outbox message; does nothing if it is already sent (see notifications.deliver)."""
        with deployment.unit_of_work() as uow:
            outcome = notifications.deliver(uow.session, message_id,
                                            lambda letter: mailer.send(letter, deployment.config))
        if outcome == "failed":
            log.warning("outbox message %s not delivered this time; the outbox sweep will retry it", message_id)

    @huey.periodic_task(crontab())  # every minute
    def sweep_outbox() -> None:
        """Enqueue unsent messages whose next attempt is due: failed ones and any whose task was lost."""
        with deployment.unit_of_work() as uow:
            due = notifications.due_for_delivery(uow.session, clock.now())
        for message_id in due:
            deliver_email(message_id)

    return [deliver_email, sweep_outbox]


def _document_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """The PDFs the worker makes (never a request): review PDFs and sealed final PDFs, each with
    a sweep for tasks that were lost."""

    @huey.task(retries=3, retry_delay=30)
    def finalise_document(kind: str, document_id: int, version: int) -> None:
        """Seal and file the final PDF of a signed version (does nothing if it already exists)."""
        with deployment.unit_of_work() as uow:
            pipeline.finalise(uow, kind, document_id, version)

    @huey.task(retries=3, retry_delay=30)
    def make_review_pdf(kind: str, document_id: int, version: int) -> None:
        """The PDF a signer may download from their link (does nothing once made)."""
        with deployment.unit_of_work() as uow:
            pipeline.make_review_pdf(uow, kind, document_id, version)

    def enqueue_missing(find: Callable[[Work], list[tuple[str, int, int]]], task: Callable[..., Any]) -> None:
        """Enqueue `task` again for each document `find` says still lacks its file."""
        with deployment.unit_of_work() as uow:
            pending = find(uow)
        for kind, document_id, version in pending:
            task(kind, document_id, version)

    @huey.periodic_task(crontab(minute="*/5"))
    def sweep_finalisation() -> None:
        """Enqueue signed documents still without their final PDF (a lost task or a crash)."""
        enqueue_missing(pipeline.unfinalised, finalise_document)

    @huey.periodic_task(crontab(minute="*/5"))
    def sweep_review_pdfs() -> None:
        """Enqueue documents out for signature still without their review PDF (a lost task)."""
        enqueue_missing(pipeline.unconverted, make_review_pdf)

    return [finalise_document, make_review_pdf, sweep_finalisation, sweep_review_pdfs]


def _sign_off_sweeps(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """The clock's part in sign-off and retention: reminders, escalations, the disagreement route
    and the daily retention run."""

    @huey.periodic_task(crontab(minute="0"))
    def sign_off_deadlines() -> None:
        """Hourly: reminders to waiting signers, escalation of overdue records."""
        with deployment.unit_of_work() as uow:
            deadlines.chase(uow)

    @huey.periodic_task(crontab(minute="30"))
    def disagreement_route() -> None:
        """Hourly: tell line managers of disagreements left unsettled for the profile's period (once each)."""
        with deployment.unit_of_work() as uow:
            disagreements.sweep_overdue(uow)

    @huey.periodic_task(crontab(hour="2", minute="15"))
    def run_retention() -> None:
        """Daily: freeze leavers' records, forward to HR after the delay, destroy after retention."""
        with deployment.unit_of_work() as uow:
            retention.run(uow, clock.today())

    @huey.periodic_task(crontab(month="9-11", hour="8", minute="5"))
    def cpd_renewal_reminder() -> None:
        """Daily in SWE's renewal window (1 September to 30 November): remind each supervisee below
        the CPD minimum, once a year (issue 25); a day the worker missed is made up the next."""
        cpd.remind_renewal(deployment.unit_of_work(), clock.today())

    return [sign_off_deadlines, disagreement_route, run_retention, cpd_renewal_reminder]


def _webhook_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """Delivering webhooks, retried by Huey after each delivery's own backoff, and their sweep."""

    @huey.task()  # RetryTask below retries it; any other error is left to the sweep
    def deliver_webhook(key: str) -> None:
        """One attempt at a webhook delivery; a failed one is retried by Huey after the backoff its
        row records (does nothing once delivered, held or given up: see webhook_delivery.deliver)."""
        with deployment.unit_of_work() as uow:
            attempt = webhook_delivery.deliver(uow, key)
        if attempt.retry_in is not None:
            raise RetryTask(f"webhook delivery {key} failed", delay=int(attempt.retry_in.total_seconds()))

    @huey.periodic_task(crontab(minute="*/5"))
    def sweep_webhooks() -> None:
        """Enqueue webhook deliveries overdue for an attempt (a lost task or a worker that died)."""
        with deployment.unit_of_work() as uow:
            due = webhook_delivery.due_for_delivery(uow)
        for key in due:
            deliver_webhook(key)

    return [deliver_webhook, sweep_webhooks]


def _bulk_start_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """Records started for a whole team in the background, a chunk per task, and their sweep."""

    @huey.task(retries=3, retry_delay=30)
    def start_bulk_records(item_ids: list[int]) -> None:
        """Start the records of a chunk of a bulk start, each in its own transaction (an item
        already done is passed over, so a retry or a second run makes nothing twice)."""
        for item_id in item_ids:
            with deployment.unit_of_work() as uow:
                bulk_start.start_one(uow, item_id)

    @huey.periodic_task(crontab(minute="*/5"))
    def sweep_bulk_starts() -> None:
        """Enqueue the pending items of bulk starts that stopped moving (tasks lost in a restart)."""
        with deployment.unit_of_work() as uow:
            chunks = bulk_start.stalled(uow)
        for chunk in chunks:
            start_bulk_records(chunk)

    return [start_bulk_records, sweep_bulk_starts]


def _audit_head_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """Dating the audit chain's head by a time-stamping authority, where one is configured."""

    @huey.periodic_task(crontab(hour="3", minute="40"), retries=3, retry_delay=600)
    def date_audit_head() -> None:
        """Daily where DOCGEN_TIMESTAMP_URL is set: an RFC 3161 token over the audit chain's latest
        head, kept beside the heads (issue 25), so when an entry existed rests on the authority's
        word, not docgen's clock; nothing is asked when the latest head is dated already. A token
        is kept for a year (in Object Lock on S3), so one that does not validate against
        DOCGEN_TIMESTAMP_CA is refused before it is kept: the task fails and is retried."""
        config, heads = deployment.config, deployment.audit_heads
        if not config.timestamp_url or heads is None:
            return

        def trusted_token(message: bytes) -> bytes:
            token = seal.timestamp_token(config, message)
            seal.timestamp_time(token, message, seal.timestamp_authorities(config))  # raises ValueError
            return token

        audit_head.date_latest(heads, trusted_token)

    return [date_audit_head]


def _subject_access_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """A subject access request's export, built and filed by the worker (its redacted copies are
    LibreOffice conversions, which never hold up a web request), and its sweep."""

    @huey.task(retries=3, retry_delay=30)
    def make_subject_access_export(request_id: int) -> None:
        """Build the export HR asked for and file it (does nothing once filed or asked again)."""
        with deployment.unit_of_work() as uow:
            subject_access.make_export(uow, request_id)

    @huey.periodic_task(crontab(minute="*/5"))
    def sweep_subject_access_exports() -> None:
        """Enqueue exports asked for over ten minutes and under a day ago and still not filed (a lost
        task); older ones the page offers HR to prepare again."""
        with deployment.unit_of_work() as uow:
            lost = subject_access.unfiled_exports(uow)
        for request_id in lost:
            make_subject_access_export(request_id)

    return [make_subject_access_export, sweep_subject_access_exports]


def _renewal_tasks(huey: Huey, deployment: Deployment) -> list[TaskWrapper]:
    """Keeping sealed records checkable: their archive timestamps renewed, where an authority is configured."""

    @huey.periodic_task(crontab(day="1", hour="4", minute="10"), retries=3, retry_delay=3600)
    def renew_archive_timestamps() -> None:
        """Monthly where DOCGEN_TIMESTAMP_URL is set: a new archive timestamp on each sealed record whose
        last one's authority certificate ends within docgen's year (issue 25); a record renewed is no
        longer due, so a retry after the authority failed part-way renews only the rest."""
        if not deployment.config.timestamp_url:
            return
        timestamp_renewal.renew_due(deployment.unit_of_work(), clock.now())

    return [renew_archive_timestamps]
