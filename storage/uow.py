"""A unit of work: one database session and the document store, committed or rolled back as one.

Every state change in docgen happens inside one of these: a use case reads, checks, changes and
audits through `uow.session`, then calls `uow.commit()`. Work that must only happen once the
change is durable (a task for the worker, an e-mail) is handed to `uow.after_commit`: it runs
after a successful commit and is dropped on rollback, so a refused request never enqueues
anything. Storage knows nothing of what the hooks do; the layer above wires them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from storage.backends.base import DocumentStore

D = TypeVar("D")


class UnitOfWork(Generic[D]):
    """One session and its after-commit hooks; `deployment` is whatever the layer above binds
    (profile, base URL, task queue) so a use case needs only the unit of work and its caller."""

    def __init__(self, sessions: sessionmaker[Session], store: DocumentStore, deployment: D) -> None:
        self.session: Session = sessions()
        self.store = store
        self.deployment = deployment
        self._after_commit: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def __enter__(self) -> UnitOfWork[D]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def after_commit(self, hook: Callable[..., Any], *args: Any) -> None:
        """Run `hook(*args)` once the next commit has succeeded (never if it rolls back)."""
        self._after_commit.append((hook, args))

    def commit(self) -> None:
        """Make the change durable, then run what waited for it."""
        self.session.commit()
        hooks, self._after_commit = self._after_commit, []
        for hook, args in hooks:
            hook(*args)

    def rollback(self) -> None:
        """Discard the change and what was waiting for it."""
        self._after_commit.clear()
        self.session.rollback()

    def close(self) -> None:
        """End the unit: anything not committed is rolled back."""
        self._after_commit.clear()
        self.session.rollback()
        self.session.close()
