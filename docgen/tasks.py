"""The one Huey instance and docgen's background tasks.

Huey registers tasks on an instance at import time, but which queue a process uses is only known
once it has its Config. So `huey` is built here with in-memory storage, and `configure_tasks`
re-points that same instance at the deployment's queue by setting what `Huey.create_storage()`
reads (`name`, `storage_class`, `storage_kwargs`) and building the storage again. The registry of
tasks is untouched, so the decorators below work with whichever queue is configured.
`immediate_use_memory=False` keeps Huey's `immediate` setter from building a storage of its own.

DOCGEN_TASKS_URL:
- `memory`: tasks run inline when called (`immediate`), for tests.
- `sqlite:///path` (default: instance/tasks.db): the embedded queue, consumed by `docgen run`.
- `redis://host:port/db?queue=NAME`: at scale, consumed by `docgen worker` on any machine.
  NAME (default "docgen") must differ between deployments sharing one Redis database: a task
  carries only an outbox id, which means a different row in another deployment's database.

Tasks take ids, re-read their rows and are safe to run twice (see `workflows.notifications`).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from huey import Huey, crontab
from huey.storage import BaseStorage, MemoryStorage, RedisStorage, SqliteStorage

from docgen.documents import mailer
from docgen.config import ConfigError
from storage import clock
from workflows import notifications

if TYPE_CHECKING:
    from workflows.deployment import Deployment

log = logging.getLogger(__name__)

QUEUE_NAME = "docgen"

# results=False: outcomes live in our own rows (Huey's result store would keep a failed attempt's
# error even after a retry succeeded, and would only grow in Redis).
huey = Huey(QUEUE_NAME, results=False, immediate=True, immediate_use_memory=False, storage_class=MemoryStorage)

_services: Deployment | None = None


class TasksNotConfigured(RuntimeError):
    """A task ran in a process that never called `configure_tasks`."""


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


def configure_tasks(services: Deployment) -> Huey:
    """Point `huey` at this deployment's queue and give tasks their services (database, config).

    Called once at start by the web app and by the worker; calling it again re-points the queue
    (tests do), which must not happen while a consumer of the old queue is running.
    """
    global _services
    storage_class, name, kwargs = storage_for(services.config.resolved_tasks_url)
    huey.name = name
    huey.storage_class = storage_class
    huey.storage_kwargs = kwargs
    huey.immediate = storage_class is MemoryStorage
    huey.storage = huey.create_storage()
    _services = services
    return huey


def services() -> Deployment:
    """The services `configure_tasks` was given: tasks open their database sessions from here."""
    if _services is None:
        raise TasksNotConfigured("docgen.tasks.configure_tasks(services) was not called in this process")
    return _services


@huey.task()
def deliver_email(message_id: int) -> None:
    """Deliver one outbox message; does nothing if it is already sent (see notifications.deliver)."""
    current = services()
    with current.sessions() as db:
        outcome = notifications.deliver(db, message_id, lambda message: mailer.send(message, current.config))
    if outcome == "failed":
        log.warning("outbox message %s not delivered this time; the outbox sweep will retry it", message_id)


@huey.periodic_task(crontab())  # every minute
def sweep_outbox() -> None:
    """Enqueue unsent messages whose next attempt is due: failed ones and any whose task was lost."""
    with services().sessions() as db:
        due = notifications.due_for_delivery(db, clock.now())
    for message_id in due:
        deliver_email(message_id)


@huey.task(retries=3, retry_delay=30)
def finalise_document(kind: str, document_id: int, version: int) -> None:
    """Seal and file the final PDF of a signed version (does nothing if it already exists)."""
    from docgen import finalisation

    finalisation.finalise(services(), kind, document_id, version)


@huey.task(retries=3, retry_delay=30)
def make_review_pdf(kind: str, document_id: int, version: int) -> None:
    """The PDF a signer may download from their link: the filed DOCX of that version, converted
    here because a conversion must never hold up a web request. Does nothing if that version
    already has one, or is no longer the version out for signature."""
    from docgen import finalisation, signing
    from storage.filing import file_document, read_document

    current = services()
    with current.sessions() as db:
        document = finalisation.load_document(db, kind, document_id)
        if document is None or document.version != version or signing.review_pdf(db, document) is not None:
            return
        docx = finalisation.filed_docx(db, document)
        if docx is None:
            return
        pdf = finalisation.converter().convert(read_document(db, current.store, docx))
        file_document(db, current.store, version=version, kind="review_pdf", data=pdf, **{kind: document})
        db.commit()


@huey.periodic_task(crontab(minute="*/5"))
def sweep_finalisation() -> None:
    """Enqueue signed documents still without their final PDF (a lost task or a crash)."""
    from docgen import finalisation

    with services().sessions() as db:
        pending = finalisation.unfinalised(db)
    for kind, document_id, version in pending:
        finalise_document(kind, document_id, version)


@huey.periodic_task(crontab(minute="0"))
def sign_off_deadlines() -> None:
    """Hourly: reminders to waiting signers, escalation of overdue records."""
    from workflows import deadlines

    current = services()
    with current.sessions.begin() as db:
        deadlines.remind(db, current.profile, current.config.base_url)
        deadlines.escalate(db, current.profile)


@huey.periodic_task(crontab(hour="2", minute="15"))
def run_retention() -> None:
    """Daily: freeze leavers' records, forward to HR after the delay, destroy after retention."""
    from storage import retention

    current = services()
    with current.sessions() as db:
        retention.run(db, current, clock.today())
