"""Every docgen table as JSON lines, and back: a database dump that SQLite and PostgreSQL both read.

Written through SQLAlchemy's table definitions rather than a database's own tool (`pg_dump`,
`.backup`), so one format serves both databases and a restore needs nothing installed beside
docgen. Rows keep their ids (documents, links and audit entries refer to each other by id, and the
audit chain's heads name entry ids), so PostgreSQL's sequences are moved past them after loading.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Date, DateTime, Integer, Table, func, inspect, select, text, update

from storage.db import alembic_config
from storage.models import Base

_BATCH = 500


def schema_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None before its first migration)."""
    return MigrationContext.configure(conn).get_current_revision()


def code_revision() -> str:
    """The revision this docgen's models are written for (the newest migration)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the migrations have no head"
    return head


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows in each docgen table that exists (an unmigrated database has none)."""
    present = set(inspect(conn).get_table_names())
    return {table.name: conn.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables if table.name in present}


def dump_tables(conn: Connection, folder: Path) -> dict[str, int]:
    """Write each table to `<folder>/<table>.jsonl` in id order; return the rows written per table.
    Run it in one transaction that sees one snapshot (the caller's)."""
    folder.mkdir(mode=0o700)
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        with _private_file(folder / f"{table.name}.jsonl") as out:
            counts[table.name] = 0
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings():
                out.write(json.dumps({key: _encode(value) for key, value in row.items()}, sort_keys=True) + "\n")
                counts[table.name] += 1
    return counts


def load_tables(conn: Connection, folder: Path) -> dict[str, int]:
    """Insert every table's rows from `folder`, parents before children; return the rows per table.

    A column referring to its own table (a person's line manager, a superseding agreement) is
    filled in by an update once all its table's rows are in, so the order of ids never matters.
    """
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
        later: list[dict[str, Any]] = []
        batch: list[dict[str, Any]] = []
        counts[table.name] = 0
        for row in _rows(folder / f"{table.name}.jsonl", table):
            if any(row.get(name) is not None for name in own):
                later.append({"_id": row["id"], **{name: row[name] for name in own}})
                row = {**row, **{name: None for name in own}}
            batch.append(row)
            counts[table.name] += 1
            if len(batch) == _BATCH:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
        for values in later:
            conn.execute(update(table).where(table.c.id == values.pop("_id")).values(**values))
        _move_sequence_past(conn, table)
    return counts


def _rows(path: Path, table: Table) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            unknown = set(raw) - set(table.c.keys())
            if unknown:
                raise ValueError(f"{path.name} has columns this docgen does not know: {sorted(unknown)}")
            yield {name: _decode(table, name, value) for name, value in raw.items()}


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _decode(table: Table, name: str, value: Any) -> Any:
    if value is None:
        return None
    kind = table.c[name].type
    if isinstance(kind, DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value)
    return value


def _move_sequence_past(conn: Connection, table: Table) -> None:
    """PostgreSQL issues ids from a sequence that rows inserted with their ids do not move."""
    if conn.dialect.name != "postgresql" or "id" not in table.c or not isinstance(table.c.id.type, Integer):
        return  # SQLite takes the next id from the rows; a text id (an action's) or none has no sequence
    conn.execute(text(f"SELECT setval(CAST(pg_get_serial_sequence(:table, 'id') AS regclass), max(id)) "
                      f'FROM "{table.name}" HAVING max(id) IS NOT NULL'), {"table": table.name})


def _private_file(path: Path) -> TextIO:
    """A new file only its owner can read: the dump holds personal data."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8")
