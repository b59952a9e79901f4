"""Two administrators changing one supervisee's supervisor at once (issue 27): the change is a
compare-and-set on the relationship they both read, inside one unit of work with the new
relationship, its draft agreement and the audit entry. Of eight changes made from one read exactly
one lands; the others are refused (412) with nothing written: one ended relationship, one new one,
one new agreement, one audit entry, on SQLite and PostgreSQL.

Each thread has its own test client; a barrier releases them together.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from storage.models import Agreement, AuditEvent, SupervisionRelationship
from tests.integration.test_concurrency import _at_once

THREADS = 8


def test_parallel_changes_of_supervisor_from_one_read_land_exactly_once(app: Any, client: Any, org: Any) -> None:
    sessions = app.extensions["docgen"].sessions
    with sessions() as db:
        rel_id = db.scalar(select(SupervisionRelationship.id).where(
            SupervisionRelationship.supervisee_id == org.ids["worker"]))
    etag = client.get(f"/api/v1/relationships/{rel_id}", headers=org.auth("admin")).headers["ETag"]
    candidates = [org.ids[who] for who in ("head", "hr", "auditor", "asye")]

    answers = _at_once(app, THREADS, lambda c, n: c.post(
        f"/api/v1/relationships/{rel_id}/change-supervisor",
        json={"supervisor_id": candidates[n % len(candidates)], "starts_on": "2026-01-05"},
        headers={**org.auth("admin"), "If-Match": etag}))

    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 412: THREADS - 1}, codes
    winner = next(a.json for a in answers if a.status_code == 201)
    with sessions() as db:
        rels = list(db.scalars(select(SupervisionRelationship).where(
            SupervisionRelationship.supervisee_id == org.ids["worker"]).order_by(SupervisionRelationship.id)))
        assert [(r.supervisor_id, r.starts_on, r.ends_on) for r in rels] == [
            (org.ids["manager"], dt.date(2024, 1, 8), dt.date(2026, 1, 4)),
            (winner["supervisor_id"], dt.date(2026, 1, 5), None)]
        assert db.scalar(select(func.count()).select_from(Agreement).where(
            Agreement.supervisee_id == org.ids["worker"])) == 1
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.transfer")) == 1
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel changes of supervisor, "
          f"{dict(codes)}, 1 relationship ended and 1 started")


def test_parallel_changes_after_a_supervision_already_ended_also_land_once(app: Any, client: Any, org: Any) -> None:
    """The relationship ended the day before the change: ending it again changes nothing, so the
    change claims the row anyway, or two changes from one read would both start a supervision."""
    sessions = app.extensions["docgen"].sessions
    with sessions() as db:
        rel_id = db.scalar(select(SupervisionRelationship.id).where(
            SupervisionRelationship.supervisee_id == org.ids["worker"]))
    url = f"/api/v1/relationships/{rel_id}"
    ended = client.patch(url, json={"ends_on": "2026-01-04"},
                         headers={**org.auth("admin"), "If-Match": client.get(url, headers=org.auth("admin")).headers["ETag"]})
    assert ended.status_code == 200, ended.json
    candidates = [org.ids[who] for who in ("head", "hr", "auditor", "asye")]

    answers = _at_once(app, THREADS, lambda c, n: c.post(
        f"{url}/change-supervisor", json={"supervisor_id": candidates[n % len(candidates)], "starts_on": "2026-01-05"},
        headers={**org.auth("admin"), "If-Match": ended.headers["ETag"]}))

    codes = Counter(a.status_code for a in answers)
    assert codes[201] == 1 and codes[201] + codes[412] + codes[409] == THREADS, codes
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(SupervisionRelationship).where(
            SupervisionRelationship.supervisee_id == org.ids["worker"])) == 2
        assert db.scalar(select(func.count()).select_from(Agreement).where(
            Agreement.supervisee_id == org.ids["worker"])) == 1
