"""Migration 0006 (group supervision) goes up from 0005 and back down on both databases, leaving
the records that were there untouched."""
from __future__ import annotations

from sqlalchemy import inspect, text

from storage.db import downgrade, make_engine, upgrade

GROUP_TABLES = {"supervision_group", "group_member", "group_session", "group_attendance"}


def _record_columns(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {column["name"] for column in inspect(engine).get_columns("record")}


def test_group_tables_and_the_records_session_column_come_and_go_with_0006(empty_database: str) -> None:
    upgrade(empty_database, "0005")
    engine = make_engine(empty_database)
    assert not GROUP_TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (name, profile, created_at) VALUES ('Southwark Council', "
                          "'southwark', '2025-01-01')"))
    upgrade(empty_database, "0006")
    engine.dispose()
    engine = make_engine(empty_database)
    assert GROUP_TABLES <= set(inspect(engine).get_table_names())
    assert "group_session_id" in _record_columns(engine)
    downgrade(empty_database, "0005")
    engine.dispose()
    engine = make_engine(empty_database)
    assert not GROUP_TABLES & set(inspect(engine).get_table_names())
    assert "group_session_id" not in _record_columns(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM organisation")).scalar_one() == "Southwark Council"
    engine.dispose()
