"""The lock that puts placing a legal hold and a retention step's destruction one after the other.

A subject access export is kept by the database's holds alone (it is not held in the store:
`workflows.holds`), so a hold committed while a retention step runs must either be seen by the
step's re-check or wait until the step has committed. Both take this lock first, held to the end of
the transaction: on PostgreSQL an advisory lock; on SQLite every transaction already holds the write
lock from its start (BEGIN IMMEDIATE, `storage.db.make_engine`), as `storage.audit.record` relies on.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_HOLDS_LOCK = 734202  # `storage.audit` takes 734201


def lock(db: Session) -> None:
    """Wait for, then hold to the end of the transaction, the lock on placing and honouring holds."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"SELECT pg_advisory_xact_lock({_HOLDS_LOCK})"))
