"""The check in front of every document read: role basis, audit entry, break-glass notice."""
from __future__ import annotations

import datetime as dt

from flask import g, request
from sqlalchemy import select

from storage.models import OutboxMessage, Person
from storage import audit
from storage import clock
from workflows import access, notifications

BREAK_GLASS_SUBJECT = "Your supervision records were read under break-glass access"
BREAK_GLASS_NOTICE_EVERY = dt.timedelta(hours=1)


def reason() -> str:
    """A reason given by an auditor or senior manager (header or query)."""
    return request.headers.get("X-Docgen-Reason") or request.args.get("reason") or ""


def _told_recently(supervisee: Person, reader: Person, reason: str) -> bool:
    """One notice per reader and reason an hour: a break-glass reader opening several pages of the
    same file should not flood the supervisee, but a new reason or a later visit is told again."""
    since = clock.now() - BREAK_GLASS_NOTICE_EVERY
    return g.db.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to_address == supervisee.email, OutboxMessage.subject == BREAK_GLASS_SUBJECT,
        OutboxMessage.created_at >= since, OutboxMessage.text_body.contains(reader.name),
        OutboxMessage.text_body.contains(reason)).limit(1)) is not None


def read(supervisee: Person, object_type: str, object_id: int | str, action: str) -> access.Access:
    """Allow or refuse a read; a granted one is audited (and the supervisee told on break-glass)."""
    granted = access.read_access(g.db, g.account, supervisee, reason())
    audit.record(g.db, action, actor_id=g.account.person_id, object_type=object_type, object_id=object_id,
                 reason=granted.reason, ip=request.remote_addr or "", detail={"basis": granted.basis})
    if granted.notify_supervisee and not _told_recently(supervisee, g.account.person, granted.reason):
        reader = g.account.person
        notifications.queue_email(
            g.db, to=supervisee.email, subject=BREAK_GLASS_SUBJECT,
            text=(f"{reader.name} ({reader.job_title}) is reading your supervision records on a need-to-know "
                  f"basis, starting with {object_type.replace('_', ' ')} {object_id}.\n\nReason given: "
                  f"{granted.reason}\n\nEvery read is recorded in the audit log. Speak to your supervisor or HR "
                  "if you have concerns."))
    g.db.commit()  # the audit entry stands even if the rest of the request fails
    return granted


def write(supervisee: Person, object_type: str, object_id: int | str, action: str) -> None:
    """Allow only the current supervisor; the change is audited in the caller's transaction."""
    access.edit_access(g.db, g.account, supervisee)
    audit.record(g.db, action, actor_id=g.account.person_id, object_type=object_type, object_id=object_id,
                 ip=request.remote_addr or "")
