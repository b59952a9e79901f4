"""A bulk start's task run ten times at once still makes each record once (issue 16): the step
from pending to done is a compare-and-set committed with the record, on SQLite and PostgreSQL.

The queue is held back, so the test runs the task itself, as ten consumers picking up the same
chunk would (a retry, the sweep and a "Continue" all racing the first run)."""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, BulkStartItem, Record

THREADS = 10


def test_ten_runs_of_one_chunk_at_once_make_each_record_once(app: Any, client: Any, org: Any, db: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    queue = app.extensions["docgen.tasks"]
    monkeypatch.setattr(queue.huey, "immediate", False)  # no consumer yet: the chunk waits
    started = client.post("/api/v1/bulk-starts", headers=org.auth("manager"),
                          json={"team_id": org.team.id, "session_date": clock.today().isoformat()})
    assert started.status_code == 202, started.json
    assert (started.json["total"], started.json["pending"]) == (2, 2)
    chunk = list(db.scalars(select(BulkStartItem.id).order_by(BulkStartItem.id)))

    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def consumer() -> None:
        barrier.wait()
        try:
            queue.tasks["start_bulk_records"].call_local(chunk)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    runs = [threading.Thread(target=consumer) for _ in range(THREADS)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)
    assert not errors, errors
    assert not any(run.is_alive() for run in runs)

    db.expire_all()
    made = Counter(db.scalars(select(Record.supervisee_id)))
    assert made == {org.ids["worker"]: 1, org.ids["asye"]: 1}
    items = db.execute(select(BulkStartItem.state, BulkStartItem.record_id)).all()
    assert sorted(state for state, _ in items) == ["done", "done"]
    assert {record_id for _, record_id in items} == set(db.scalars(select(Record.id)))
    assert len(list(db.scalars(select(AuditEvent.id).where(AuditEvent.action == "record.create")))) == 2
    shown = client.get(started.headers["Location"], headers=org.auth("manager")).json
    assert (shown["done"], shown["pending"], shown["finished"]) == (2, 0, True)
    assert dt.date.fromisoformat(shown["session_date"]) == clock.today()
