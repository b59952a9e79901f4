"""Engine and sessions over SQLAlchemy; no Flask here so the CLI, tasks and tests share it."""
from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from kernel.errors import PreconditionFailed, Unavailable

# The repository's migrations/, installed as this package (pyproject.toml's package-dir), so the same
# lookup finds them in the wheel and in a checkout.
MIGRATIONS = Path(str(resources.files("storage.migrations")))


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
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "handle_error", _lost_connection)
    return engine


def _lost_connection(context: ExceptionContext) -> None:
    """The database went away mid-transaction: SQLAlchemy still invalidates the pool (so every
    next checkout reconnects), and the caller gets Unavailable; the transaction is gone, so nothing
    of it was written. A failed pre-ping is left alone: the pool recovers from that itself."""
    if context.is_disconnect and not context.is_pre_ping:
        raise Unavailable("the database connection was lost, so nothing was saved; please try again")


class RevisionCheckedSession(Session):
    """A session that reports a lost race on a row's edit revision as the user's error it is.

    Flushing a change to a revisioned row (`storage.models._revision`) updates it only where its
    revision is still the one read; when another transaction changed it first, SQLAlchemy raises
    StaleDataError, from an explicit flush, an autoflush or the commit alike. That becomes
    PreconditionFailed (412): read it again, then redo the change. Never a 500, never a lost update.
    """

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        try:
            super().flush(objects)
        except StaleDataError:
            raise PreconditionFailed("someone else changed it at the same time; read it again, then make your "
                                     "change", "revision") from None


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
