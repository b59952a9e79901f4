"""Engine and sessions over SQLAlchemy; no Flask here so the CLI, tasks and tests share it."""
from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from kernel.errors import PreconditionFailed, Unavailable
from storage.uow import UnitSession

# The repository's migrations/, installed as this package (pyproject.toml's package-dir), so the same
# lookup finds them in the wheel and in a checkout.
MIGRATIONS = Path(str(resources.files("storage.migrations")))
# Connections a PostgreSQL engine keeps open for reuse (SQLAlchemy's defaults, said here because the
# stack depends on them): each thread of a gthread web worker or a consumer holds one for its unit
# of work, so scripts/stack.sh allows no more threads per web worker than POOL_SIZE. Past it, up to
# POOL_OVERFLOW more are opened and closed for each use; past both, a request waits for one.
POOL_SIZE = 5
POOL_OVERFLOW = 10


def make_engine(url: str) -> Engine:
    """An engine for SQLite (foreign keys on, WAL for a web and a worker process) or PostgreSQL.

    On SQLite every transaction starts with BEGIN IMMEDIATE, taking the write lock at its start
    (pysqlite's own deferred BEGIN is turned off): transactions that read and then write, such as
    appending to the audit chain ("read the last hash, insert the next"), are serialised, so two
    never build on the same read. A transaction waits up to 30 s for the lock, so keep them short.
    PostgreSQL serialises audit appends with an advisory lock instead (`storage.audit.record`).

    A connection lost while idle (the server restarted between requests) is replaced unseen:
    pool_pre_ping tests each one as it leaves the pool. One lost inside a transaction cannot be
    retried for the caller, whose earlier statements died with it, so it becomes Unavailable
    (503, "try again") instead of a 500 (`_lost_connection`).
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:  # type: ignore[no-untyped-def]
            conn.isolation_level = None  # no implicit BEGIN from pysqlite: "begin" below issues it
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    event.listen(engine, "handle_error", _lost_connection)
    return engine


def _lost_connection(context: ExceptionContext) -> None:
    """The database went away mid-transaction: SQLAlchemy still invalidates the pool (so every
    next checkout reconnects), and the caller gets Unavailable; the transaction is gone, so nothing
    of it was written. A failed pre-ping is left alone: the pool recovers from that itself."""
    if context.is_disconnect and not context.is_pre_ping:
        raise Unavailable("the database connection was lost, so nothing was saved; please try again")


class RevisionCheckedSession(UnitSession):
    """A session that moves a row's edit revision once per transaction, and reports a lost race
    on it as the user's error it is.

    Flushing a change to a revisioned row (`storage.models._revision`) updates it only where its
    revision is still the one read; when another transaction changed it first, SQLAlchemy raises
    StaleDataError, from an explicit flush, an autoflush or the commit alike. That becomes
    PreconditionFailed (412): read it again, then redo the change. Never a 500, never a lost update.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._revised_in: SessionTransaction | None = None
        self._revised: set[object] = set()

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        self._revise_once()
        try:
            super().flush(objects)
        except StaleDataError:
            raise PreconditionFailed("someone else changed it at the same time; read it again, then make your "
                                     "change", "revision") from None

    def next_revision(self, row: Any) -> int:
        """The revision `row` has once this transaction's change to it is written: one more than
        it was read at, the first time in the transaction, and the same after that. For a
        compare-and-set written as a plain UPDATE (`workflows.signoff.states.move`), which the ORM's
        flush would not count."""
        transaction = self.get_transaction()
        if transaction is not self._revised_in:
            self._revised_in, self._revised = transaction, set()
        state = inspect(row)
        if state.key in self._revised:
            return int(row.revision)
        self._revised.add(state.key)
        return int(row.revision) + 1

    def _revise_once(self) -> None:
        """Raise the revision of each changed revisioned row by one, the first time it changes in
        this transaction. A later flush of the same row (an autoflush before a query, then the
        commit) still checks the revision in its WHERE clause but leaves it as it is, so one edit
        is one revision whatever the order of its queries (the mappers' version_id_generator is
        off: this is the generator)."""
        for row in list(self.dirty):
            if inspect(row).mapper.version_id_col is None or not self.is_modified(row, include_collections=False):
                continue
            revision = self.next_revision(row)
            if revision != row.revision:
                row.revision = revision


def next_revision(db: Session, row: Any) -> int:
    """The revision `row` takes in `db`'s transaction: raised once per transaction on docgen's
    sessions (`RevisionCheckedSession.next_revision`), by one on any other."""
    return db.next_revision(row) if isinstance(db, RevisionCheckedSession) else int(row.revision) + 1


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, class_=RevisionCheckedSession, expire_on_commit=False)


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    """Alembic configuration pointed at our migrations and the given database."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (docgen init, tests, deployment)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
