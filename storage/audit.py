"""The append-only audit log: every read, download, export and state change, hash-chained.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting a row
breaks the chain from that row on; `verify_chain` names the first broken entry.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage.models import AuditEvent
from storage import clock

GENESIS = "0" * 64


def _digest(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps({
        "prev": prev_hash, "at": event.at.isoformat(timespec="microseconds"), "actor": event.actor_id,
        "action": event.action, "type": event.object_type, "id": event.object_id, "reason": event.reason,
        "ip": event.ip, "detail": event.detail,
    }, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def record(db: Session, action: str, *, actor_id: int | None = None, object_type: str = "",
           object_id: str | int = "", reason: str = "", ip: str = "", detail: dict[str, Any] | None = None) -> AuditEvent:
    """Append one entry in the caller's transaction (it commits with the change it describes)."""
    # Serialise appends so two transactions never chain onto the same predecessor: on PostgreSQL
    # an advisory lock held to the end of the transaction; on SQLite every transaction already
    # holds the write lock from its start (BEGIN IMMEDIATE, `storage.db.make_engine`).
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(734201)"))
    last = db.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(at=clock.now(), actor_id=actor_id, action=action, object_type=object_type,
                       object_id=str(object_id), reason=reason, ip=ip, detail=detail or {})
    event.prev_hash = last or GENESIS
    event.hash = _digest(event.prev_hash, event)
    db.add(event)
    db.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(db: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in order; report the first entry whose hash or link does not hold."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = list(db.scalars(select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)))
        if not rows:
            return ChainReport(True, checked)
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(False, checked, event.id, "does not link to the entry before it (a row was removed or reordered)")
            if _digest(prev, event) != event.hash:
                return ChainReport(False, checked, event.id, "its content does not match its hash (the row was edited)")
            prev = event.hash
            checked += 1
            last_id = event.id
