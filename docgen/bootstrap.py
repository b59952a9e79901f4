"""Builds the parts a process needs from its Config: database, profile, store, task queue, and
who hears of each domain event (webhooks, e-mailed notices, the worker).

Nothing is built at import time; the web app, the CLI and the worker each call `build` once, and
`connect_queue` once for the task queue.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from kernel.config import Config
from storage.audit_head import open_head_log
from storage.backends import open_store
from storage.db import make_engine, session_factory
from storage.uow import Handler
from workflows import events, notices, notices_access, notices_retention, webhooks
from workflows.deployment import Deployment, Work
from workflows.profiles import load_profile, profile_dirs

if TYPE_CHECKING:  # Huey is imported by the processes that queue work, not by `docgen verify`
    from docgen.tasks import TaskQueue

# The worker's task each event of a document's sign-off asks for, with the event's kind, id and
# version. Each task does nothing once its file is made, and a sweep enqueues again what a lost
# task left undone (`docgen.tasks`).
WORKER_TASKS: Mapping[type, str] = {
    events.DocumentSent: "make_review_pdf",  # what its signers may download from their link
    events.LinkResent: "make_review_pdf",  # remade if its task was lost
    events.DocumentSigned: "finalise_document",  # the sealed PDF
}


def build(config: Config) -> Deployment:
    """The deployment's parts, each built once: database, store, keyring, audit-head log, profile,
    and who hears of each domain event."""
    config.check()
    config.instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(config.resolved_database_url)
    store = open_store(config.storage_url, instance_path=config.instance_path, key=config.storage_key)
    deployment = Deployment(config=config, engine=engine, session_maker=session_factory(engine),
                            profile=load_profile(config.profile, profile_dirs(config.profile_dir)), store=store,
                            audit_heads=open_head_log(store, config.instance_path))
    subscribe(deployment)
    return deployment


def subscribe(deployment: Deployment) -> None:
    """Who hears of each domain event, in this order: the webhooks (a delivery row written with
    the change), the e-mails that tell people what happened, written to the outbox with the change
    (`workflows.notices`: sign-off's decisions, signatures, sealed records and a disagreement's
    outcome; `workflows.notices_access`: consent answered or overridden, a break-glass read;
    `workflows.notices_retention`: a leaver's records forwarded to HR), then the worker (its task
    enqueued once the change has committed, never after a rollback). So a signature is announced
    before the work that follows from it is asked for. Once per deployment: subscribed twice,
    every delivery and e-mail would be written and every task asked for twice."""
    if deployment.handlers:
        raise RuntimeError("this deployment's events are subscribed already")
    webhooks.announce_in(deployment)
    notices.tell_in(deployment)
    notices_access.tell_in(deployment)
    notices_retention.tell_in(deployment)
    for event_type, task in WORKER_TASKS.items():
        deployment.subscribe(event_type, _enqueue_after_commit(task))


def _enqueue_after_commit(task: str) -> Handler:
    def ask_the_worker(uow: Work, event: events.DocumentSent | events.LinkResent | events.DocumentSigned) -> None:
        uow.on_commit(uow.deployment.enqueue, task, event.kind, event.document_id, event.version)
    return ask_the_worker


def connect_queue(deployment: Deployment) -> TaskQueue:
    """Build this process's task queue for the deployment and hand it the deployment's background
    work: everything a commit enqueues (tasks, e-mail, webhook deliveries) goes through
    `deployment.enqueue`, wired here once. Returns the queue, for a consumer to run."""
    from docgen.tasks import make_queue

    queue = make_queue(deployment)
    deployment.enqueue = queue.enqueue
    return queue
