"""The check in front of every document read: role basis, audit entry, break-glass notice."""
from __future__ import annotations

from flask import g, request

from docgen.models import Person
from storage import audit
from workflows import access, notifications


def reason() -> str:
    """A reason given by an auditor or senior manager (header or query)."""
    return request.headers.get("X-Docgen-Reason") or request.args.get("reason") or ""


def read(supervisee: Person, object_type: str, object_id: int | str, action: str) -> access.Access:
    """Allow or refuse a read; a granted one is audited (and the supervisee told on break-glass)."""
    granted = access.read_access(g.db, g.account, supervisee, reason())
    audit.record(g.db, action, actor_id=g.account.person_id, object_type=object_type, object_id=object_id,
                 reason=granted.reason, ip=request.remote_addr or "", detail={"basis": granted.basis})
    if granted.notify_supervisee:
        reader = g.account.person
        notifications.queue_email(
            g.db, to=supervisee.email, subject="Your supervision records were read under break-glass access",
            text=(f"{reader.name} ({reader.job_title}) read your supervision {object_type.replace('_', ' ')} "
                  f"{object_id} on a need-to-know basis.\n\nReason given: {granted.reason}\n\n"
                  "This read is recorded in the audit log. Speak to your supervisor or HR if you have concerns."))
    g.db.commit()  # the audit entry stands even if the rest of the request fails
    return granted


def write(supervisee: Person, object_type: str, object_id: int | str, action: str) -> None:
    """Allow only the current supervisor; the change is audited in the caller's transaction."""
    access.edit_access(g.db, g.account, supervisee)
    audit.record(g.db, action, actor_id=g.account.person_id, object_type=object_type, object_id=object_id,
                 ip=request.remote_addr or "")
