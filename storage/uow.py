"""A unit of work: one database session and the document store, committed or rolled back as one.

Every state change in docgen happens inside one of these. A use case reads, checks, changes and
audits through `uow.session` inside `with uow:`, which commits when the block ends and rolls back
when anything raises, so no caller ever rolls back by hand.

What must wait for the transaction's end is handed to the unit of work, the one mechanism for it:
- `uow.on_commit(fn, *args)` runs after a successful commit (a task for the worker, locking a
  filed object, recording the audit chain's head), never after a rollback;
- `uow.on_rollback(fn, *args)` runs after a rollback, or a close without a commit (removing an
  object filed for a change that did not happen), never after a commit.
Both have one failure policy: the transaction has already ended, so a failing hook is logged and
the others still run; the sweeps find what it left undone.

What happened is recorded as events (`uow.record(event)`, plain objects the layer above defines).
Just before the commit each is handed to the handlers the layer above registered for its type,
inside the transaction, so what a handler writes (a webhook delivery row) commits with the change
or not at all, and what it sends waits for the commit through `on_commit`. Storage knows nothing
of what the events mean.

The session belongs to its unit of work (`UnitOfWork.of(session)`), so storage functions given
only a session (filing, the audit log) still reach the hooks, and a commit or rollback called on
the session itself is the unit of work's too.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from storage.audit_head import HeadLog
from storage.backends.base import DocumentStore

log = logging.getLogger(__name__)

D = TypeVar("D")
P = ParamSpec("P")
R = TypeVar("R")
U = TypeVar("U", bound="UnitOfWork[Any]")
Handler = Callable[["UnitOfWork[Any]", Any], None]
_OWNER = "docgen.unit_of_work"


class UnitOfWork(Generic[D]):
    """One session, what waits for its commit or rollback, and the events it records;
    `deployment` is whatever the layer above binds (profile, settings, task queue) so a use case
    needs only the unit of work and its caller."""

    def __init__(self, sessions: sessionmaker[Session], store: DocumentStore, deployment: D, *,
                 audit_heads: HeadLog | None = None,
                 handlers: Mapping[type, Sequence[Handler]] | None = None) -> None:
        self.session: Session = sessions(info={_OWNER: self})
        self.store = store
        self.deployment = deployment
        self.audit_heads = audit_heads
        self._handlers: Mapping[type, Sequence[Handler]] = handlers if handlers is not None else {}
        self._on_commit: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._on_rollback: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._events: list[object] = []

    @staticmethod
    def of(session: Session) -> UnitOfWork[Any] | None:
        """The unit of work `session` belongs to (None for a session made outside one)."""
        return session.info.get(_OWNER)

    def __enter__(self: U) -> U:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Commit when the block ends normally; roll back when it raises (the error goes on)."""
        if exc_type is None:
            self.commit()
        else:
            self.rollback()

    def on_commit(self, hook: Callable[..., Any], *args: Any) -> None:
        """Run `hook(*args)` once the transaction has committed (never if it rolls back)."""
        self._on_commit.append((hook, args))

    def on_rollback(self, hook: Callable[..., Any], *args: Any) -> None:
        """Run `hook(*args)` if the transaction ends without a commit (never if it commits)."""
        self._on_rollback.append((hook, args))

    def record(self, event: object) -> None:
        """Note that `event` happened in this transaction; its handlers run just before the commit."""
        self._events.append(event)

    def commit(self) -> None:
        """Make the change durable, then run what waited for it."""
        self.session.commit()

    def rollback(self) -> None:
        """Discard the change, and undo what was done outside the database for it."""
        self.session.rollback()

    def close(self) -> None:
        """End the unit: anything not committed is rolled back."""
        self.session.close()

    def _publish(self) -> None:
        """Hand each recorded event to its handlers, in the order they happened (a handler may
        record more). What the handlers leave for after the commit runs before what the use case
        left: a change is announced before the work that follows from it (a signature before the
        sealed PDF its commit asked for) is done."""
        waiting, self._on_commit = self._on_commit, []
        try:
            while self._events:
                event = self._events.pop(0)
                for handler in self._handlers.get(type(event), ()):
                    handler(self, event)
        finally:
            self._on_commit += waiting

    def _ended(self, committed: bool) -> None:
        hooks = self._on_commit if committed else self._on_rollback
        self._on_commit, self._on_rollback, self._events = [], [], []
        for hook, args in hooks:
            try:
                hook(*args)
            except Exception:
                # The transaction has ended either way: failing the caller now would report as
                # undone what was done (or the reverse). The sweeps find what this left.
                log.exception("could not %s%s after the %s; a sweep will recover it", getattr(hook, "__name__", hook),
                              args, "commit" if committed else "rollback")


def transaction(use_case: Callable[Concatenate[U, P], R]) -> Callable[Concatenate[U, P], R]:
    """Run a use case as `with uow:` around its whole body: committed when it returns, rolled back
    when it raises, so a page that catches its refusal shows the page again on a clean session."""

    @wraps(use_case)
    def run(uow: U, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with uow:
            return use_case(uow, *args, **kwargs)
    return run


class UnitSession(Session):
    """The session of a unit of work: its commit, rollback and close end the unit's transaction
    however they are called (`uow.commit()`, `session.commit()`, `with session:`), so no hook
    outlives its transaction. A session made outside a unit of work is a plain session."""

    def commit(self) -> None:
        owner = UnitOfWork.of(self)
        if owner is not None:
            owner._publish()
        super().commit()
        if owner is not None:
            owner._ended(committed=True)

    def rollback(self) -> None:
        super().rollback()
        owner = UnitOfWork.of(self)
        if owner is not None:
            owner._ended(committed=False)

    def close(self) -> None:
        super().close()
        owner = UnitOfWork.of(self)
        if owner is not None:
            owner._ended(committed=False)  # after a commit nothing is left waiting

    def begin(self, nested: bool = False) -> SessionTransaction:
        """A unit of work's own transaction is begun and ended by the unit of work (one committed
        apart from it would leave the unit's hooks waiting); SAVEPOINTs inside it are as ever."""
        if not nested and UnitOfWork.of(self) is not None:
            raise TypeError("this session belongs to a unit of work: use `with uow:`, not session.begin()")
        return super().begin(nested=nested)
