"""Builds the parts a process needs from its Config: database, profile, store, task queue.

Nothing is built at import time; the web app, the CLI and the worker each call `build` once, and
`connect_queue` once for the task queue.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.config import Config
from storage.audit_head import open_head_log
from storage.backends import open_store
from storage.db import make_engine, session_factory
from workflows import webhooks
from workflows.deployment import Deployment
from workflows.profiles import load_profile, profile_dirs

if TYPE_CHECKING:  # Huey is imported by the processes that queue work, not by `docgen verify`
    from docgen.tasks import TaskQueue


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
    webhooks.announce_in(deployment)
    return deployment


def connect_queue(deployment: Deployment) -> TaskQueue:
    """Build this process's task queue for the deployment and hand it the deployment's background
    work: everything a commit enqueues (tasks, e-mail, webhook deliveries) goes through
    `deployment.enqueue`, wired here once. Returns the queue, for a consumer to run."""
    from docgen.tasks import make_queue

    queue = make_queue(deployment)
    deployment.enqueue = queue.enqueue
    return queue
