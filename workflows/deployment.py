"""What a use case needs of the deployment it runs in: profile, settings, store, keyring, task
queue, the audit chain's head log, the base URL of its links, and who hears of each event.

Built once per process by the composition root (`docgen.bootstrap.build`); nothing here is made
at import time. A use case receives it through its unit of work (`uow.deployment`), so its
signature stays `(uow, caller, ...)` and a test can hand it any deployment it likes.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kernel.config import Config
from documents.pdf import Converter, WarmConverter
from storage.audit_head import HeadLog
from storage.backends import open_keyring
from storage.backends.base import DocumentStore
from storage.backends.local import Keyring
from kernel.errors import NotFound
from storage.models import Organisation
from storage.uow import Handler, UnitOfWork
from workflows.profiles import Profile


def _no_queue(task: str, *args: Any) -> None:
    raise RuntimeError(f"no task queue is wired into this deployment to run {task}{args}")


@dataclass
class Deployment:
    """One deployment's parts, each held once. `enqueue(task, *ids)` hands background work to the
    task queue the composition root wired; use cases call it through `uow.on_commit`, never
    directly. `keyring` seals what the database must not hold readable (an e-mailed link, a
    webhook secret); `audit_heads` is where each commit's audit head is kept outside the database
    (none: not kept); `base_url` is where links point (by default the configured one);
    `handlers` are who hears of each domain event (`subscribe`). `converter()` is this process's
    warm LibreOffice, started by the first conversion."""

    config: Config
    engine: Engine
    session_maker: sessionmaker[Session]
    profile: Profile
    store: DocumentStore
    keyring: Keyring | None = None
    audit_heads: HeadLog | None = None
    base_url: str = ""
    enqueue: Callable[..., None] = field(default=_no_queue)
    converter: Callable[[], Converter] = field(default_factory=WarmConverter)
    handlers: dict[type, list[Handler]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keyring = self.keyring or open_keyring(self.config.instance_path, self.config.storage_key)
        self.base_url = (self.base_url or self.config.base_url).rstrip("/")

    def subscribe(self, event_type: type, handler: Handler) -> None:
        """Have `handler(uow, event)` hear of each `event_type` just before the commit of the
        unit of work that recorded it (`storage.uow`)."""
        self.handlers.setdefault(event_type, []).append(handler)

    def unit_of_work(self) -> Work:
        """A fresh unit of work over this deployment's database and store."""
        return UnitOfWork(self.session_maker, self.store, self, audit_heads=self.audit_heads, handlers=self.handlers)

    @property
    def sessions(self) -> Sessions:
        """Sessions for a tool or a test that wants only a session: each still belongs to a unit
        of work of its own, so filing, the outbox, the audit head and events behave as in a use case."""
        return Sessions(self)

    def organisation(self, db: Session) -> Organisation:
        """The organisation this deployment serves (made by `docgen init`)."""
        org = db.scalar(select(Organisation).order_by(Organisation.id).limit(1))
        if org is None:
            raise NotFound("no organisation yet: run `docgen init`", "organisation")
        return org


Work = UnitOfWork[Deployment]


@dataclass(frozen=True)
class Sessions:
    """`deployment.sessions()` and `deployment.sessions.begin()`, as on a sessionmaker, but each
    session is a fresh unit of work's: committed through it, so what waits for the commit runs."""

    deployment: Deployment

    def __call__(self) -> Session:
        return self.deployment.unit_of_work().session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session committed when the block ends and rolled back if it raises, then closed."""
        unit = self.deployment.unit_of_work()
        try:
            with unit:
                yield unit.session
        finally:
            unit.close()
