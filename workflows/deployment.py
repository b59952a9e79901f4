"""What a use case needs of the deployment it runs in: profile, settings, store, task queue.

Built once per process by the composition root (`docgen.bootstrap.build`); nothing here is made
at import time. A use case receives it through its unit of work (`uow.deployment`), so its
signature stays `(uow, caller, ...)` and a test can hand it any deployment it likes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kernel.config import Config
from documents.pdf import Converter, WarmConverter
from storage.backends.base import DocumentStore
from kernel.errors import NotFound
from storage.models import Organisation
from storage.uow import UnitOfWork
from workflows.profiles import Profile


def _no_queue(task: str, *args: Any) -> None:
    raise RuntimeError(f"no task queue is wired into this deployment to run {task}{args}")


@dataclass
class Deployment:
    """One deployment's parts. `enqueue(task, *ids)` hands background work to the task queue the
    composition root wired; use cases call it through `uow.after_commit`, never directly.
    `converter()` is this process's warm LibreOffice, started by the first conversion."""

    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    profile: Profile
    store: DocumentStore
    enqueue: Callable[..., None] = field(default=_no_queue)
    converter: Callable[[], Converter] = field(default_factory=WarmConverter)

    def unit_of_work(self) -> Work:
        """A fresh unit of work over this deployment's database and store."""
        return UnitOfWork(self.sessions, self.store, self)

    def organisation(self, db: Session) -> Organisation:
        """The organisation this deployment serves (made by `docgen init`)."""
        org = db.scalar(select(Organisation).order_by(Organisation.id).limit(1))
        if org is None:
            raise NotFound("no organisation yet: run `docgen init`", "organisation")
        return org


Work = UnitOfWork[Deployment]
