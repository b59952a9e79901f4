"""`docgen audit verify`: an intact log passes; an edited or deleted row is found and named."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from storage.models import AuditEvent
from docgen.cli.storage import audit_group
from storage import audit


def write_log(app: Any, entries: int = 5) -> list[int]:
    with app.extensions["docgen"].sessions.begin() as db:
        return [audit.record(db, "record.read", object_type="record", object_id=n, ip="127.0.0.1",
                             detail={"basis": "supervisor"}).id for n in range(entries)]


def verify(app: Any) -> Any:
    return app.test_cli_runner().invoke(audit_group, ["verify"])


def execute(app: Any, sql: str, **params: Any) -> None:
    with app.extensions["docgen"].engine.begin() as conn:
        conn.execute(text(sql), params)


def test_an_intact_log_passes(app: Any) -> None:
    write_log(app)

    result = verify(app)

    assert result.exit_code == 0
    assert result.output.strip() == "audit log intact: 5 entries"


def test_an_edited_entry_fails_and_is_named(app: Any) -> None:
    ids = write_log(app)
    execute(app, "UPDATE audit_event SET reason = 'nothing to see' WHERE id = :id", id=ids[2])

    result = verify(app)

    assert result.exit_code == 1
    assert f"audit log broken at entry {ids[2]}: its content does not match its hash" in result.output


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(app: Any) -> None:
    ids = write_log(app)
    with app.extensions["docgen"].sessions.begin() as db:
        event = db.get_one(AuditEvent, ids[1])
        event.object_id = "999"
        event.hash = audit._digest(event.prev_hash, event)

    result = verify(app)

    assert result.exit_code == 1
    assert f"audit log broken at entry {ids[2]}: does not link to the entry before it" in result.output


def test_a_deleted_entry_is_detected_at_the_entry_after_it(app: Any) -> None:
    ids = write_log(app)
    execute(app, "DELETE FROM audit_event WHERE id = :id", id=ids[3])

    result = verify(app)

    assert result.exit_code == 1
    assert f"audit log broken at entry {ids[4]}: does not link to the entry before it" in result.output
    with app.extensions["docgen"].sessions() as db:
        assert db.scalar(select(AuditEvent.id).where(AuditEvent.id == ids[3])) is None
