"""The append-only audit log: every read, download, export and state change, hash-chained.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting a row
breaks the chain from that row on; `verify_chain` names the first broken entry. Deleting the last
entries leaves a chain that still links, so each commit's head is also recorded outside the
database (`storage.audit_head`): the unit of work that appended records the head once it commits
(`uow.audit_heads`, the deployment's log), and `verify_chain` checks it.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage.audit_head import Head, HeadLog
from storage.models import AuditEvent
from storage.uow import UnitOfWork
from kernel import clock

GENESIS = "0" * 64
_PENDING_HEAD = "docgen.audit.pending_head"


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
    _head_after_commit(db, Head(event.id, event.hash))
    return event


def _head_after_commit(db: Session, head: Head) -> None:
    """Record `head` outside the database once the transaction commits: only the last of its
    appends, so one hook per transaction. A missed head (the log not writable) is logged by the
    unit of work and only narrows what verify can see until the next commit's head. A session
    outside a unit of work (a test's own, a tool's) has no head log to record in."""
    unit = UnitOfWork.of(db)
    if unit is None or unit.audit_heads is None:
        return
    if _PENDING_HEAD not in db.info:
        unit.on_commit(_record_head, db, unit.audit_heads)
        unit.on_rollback(db.info.pop, _PENDING_HEAD, None)
    db.info[_PENDING_HEAD] = head


def head_log(db: Session) -> HeadLog | None:
    """Where the unit of work of `db` records the chain's head (None outside one, or unwired)."""
    unit = UnitOfWork.of(db)
    return unit.audit_heads if unit is not None else None


def _record_head(db: Session, heads: HeadLog) -> None:
    heads.append(db.info.pop(_PENDING_HEAD))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    head: Head | None = None  # the latest head recorded outside the database, if one is wired
    missing: str = ""  # what the recorded head shows was lost or rewritten after the last entry

    def describe(self) -> str:
        """One line for the operator."""
        if self.first_bad_id is not None:
            return (f"audit log broken at entry {self.first_bad_id}: {self.reason} "
                    f"({self.checked} entries before it are intact)")
        if self.missing:
            return f"audit log truncated: {self.missing}"
        against = (f"; the latest head recorded outside the database (entry {self.head.entry_id}) is in it"
                   if self.head else "")
        return f"audit log intact: {self.checked} entries{against}"


def verify_chain(db: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in order and report the first entry whose hash or link does not hold; then
    check the latest head recorded outside the database is still in the chain, unchanged."""
    chain = _walk(db, batch)
    heads = head_log(db)
    if not chain.ok or heads is None:
        return chain
    head = heads.latest()
    missing = _missing_after(db, head) if head is not None else ""
    return ChainReport(not missing, chain.checked, head=head, missing=missing)


def _missing_after(db: Session, head: Head) -> str:
    """What the chain lacks that `head` shows it had (empty when the head is in the chain).

    Entry ids are issued in chain order under the append lock, so the ids after the last entry
    left, up to the recorded head, count what was removed (an id a rolled-back append used on
    PostgreSQL would count as one more).
    """
    found = db.scalar(select(AuditEvent.hash).where(AuditEvent.id == head.entry_id))
    if found == head.hash:
        return ""
    if found is not None:
        return (f"entry {head.entry_id} does not match the head recorded for it: "
                "the log's tail was removed and written again")
    last = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    after = f"entry {last}" if last is not None else "the start of the log"
    return (f"{head.entry_id - (last or 0)} entries missing after {after} "
            f"(the latest recorded head is entry {head.entry_id})")


def _walk(db: Session, batch: int) -> ChainReport:
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
