"""Migration 0022 (issue 25) keeps each group session's rebookings in a table of their own: a session
rebooked before it, whose row kept the day it was cancelled from (`rebooked_from`), becomes one
rebooking on that day, with no time of rebooking (nothing kept one); a session never rebooked
becomes none, and the attendance of a session held stays. On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from storage.db import make_engine, upgrade


def _sessions_at_0021(engine: Engine) -> None:
    """Southwark's reflective group, Sam Carter facilitating, with three sessions: 'held@test' on
    14 January, Sam present; 'rebooked@test', cancelled from 18 February 2026 and rebooked for
    4 March; 'planned@test', never cancelled."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, name, profile, created_at) "
                          "VALUES (1, 'Southwark Council', 'southwark', '2025-01-01')"))
        conn.execute(text("INSERT INTO person (id, organisation_id, name, email, role, job_title, employment_type, "
                          "employment_start, status, created_at, updated_at) VALUES (1, 1, 'Sam Carter', "
                          "'sam@southwark.test', 'team_manager', 'Team Manager', 'permanent', '2020-01-01', 'active', "
                          "'2025-01-01', '2025-01-01')"))
        conn.execute(text("INSERT INTO supervision_group (id, name, facilitator_id, frequency, created_at) "
                          "VALUES (1, 'Reflective group', 1, '', '2025-01-01')"))
        conn.execute(text("INSERT INTO group_session (group_id, starts_at, minutes, location, status, ics_sequence, "
                          "uid, rebooked_from) VALUES (1, '2026-03-04 10:00:00', 90, '', 'planned', 0, "
                          "'rebooked@test', '2026-02-18'), (1, '2026-03-11 10:00:00', 90, '', 'planned', 1, "
                          "'planned@test', NULL), (1, '2026-01-14 10:00:00', 90, '', 'held', 0, 'held@test', NULL)"))
        conn.execute(text("INSERT INTO group_attendance (session_id, person_id, attendance) SELECT id, 1, 'present' "
                          "FROM group_session WHERE uid = 'held@test'"))


def test_a_session_rebooked_before_0022_has_one_rebooking_on_the_day_its_row_kept_and_the_column_goes(
        empty_database: str) -> None:
    upgrade(empty_database, "0021")
    engine = make_engine(empty_database)
    _sessions_at_0021(engine)
    engine.dispose()

    upgrade(empty_database, "head")

    engine = make_engine(empty_database)
    with engine.connect() as conn:
        rebookings = conn.execute(text(
            "SELECT s.uid, r.cancelled_from, r.rebooked_at FROM group_session_rebooking r "
            "JOIN group_session s ON s.id = r.session_id")).all()
        attended = conn.execute(text("SELECT s.uid, a.attendance FROM group_attendance a "
                                     "JOIN group_session s ON s.id = a.session_id")).all()
    assert [(uid, str(day), at) for uid, day, at in rebookings] == [("rebooked@test", "2026-02-18", None)]
    assert [tuple(row) for row in attended] == [("held@test", "present")]
    assert "rebooked_from" not in {column["name"] for column in inspect(engine).get_columns("group_session")}
    engine.dispose()
