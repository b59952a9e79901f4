"""Whose supervision the signed-in caller may monitor or arrange (the API and the pages share it).

Supervisors and line managers see the people below them in the management chain; hr, admin,
auditors and senior managers see everyone's schedule and compliance (not record content: that is
`workflows.access`). Planning a session is for its two people, anyone overseeing the supervisee,
hr or admin.
"""
from __future__ import annotations

from flask import g, request

from storage.models import PlannedSession
from storage import audit
from storage import clock
from workflows import planning, schedule
from storage.errors import Forbidden, NotFound

SEE_ALL = frozenset({"hr", "admin", "auditor", "senior_manager"})
ARRANGE_ANY = frozenset({"hr", "admin"})


def visible(*, self_included: bool = False) -> frozenset[int] | None:
    """The supervisees the caller may see (and the caller, for their own due list), or None for all."""
    if SEE_ALL & set(g.account.roles or []):
        return None
    overseen = schedule.overseen_by(g.db, g.account.person_id, clock.today())
    return overseen | {g.account.person_id} if self_included else overseen


def report_scope() -> frozenset[int] | None:
    """The supervisees whose compliance the caller may see (None: everyone); Forbidden for nobody."""
    scope = visible()
    if scope is not None and not scope:
        raise Forbidden("compliance reports are for supervisors, line managers, hr, auditors and senior managers")
    return scope


def may_see_reports() -> bool:
    """Whether the navigation offers the compliance report (the same rule as `report_scope`)."""
    scope = visible()
    return scope is None or bool(scope)


def may_arrange(supervisee_id: int, supervisor_id: int) -> bool:
    """The session's supervisor or supervisee, someone overseeing the supervisee, hr or admin."""
    me = g.account.person_id
    if ARRANGE_ANY & set(g.account.roles or []) or me in (supervisee_id, supervisor_id):
        return True
    return supervisee_id in schedule.overseen_by(g.db, me, clock.today())


def session_for_caller(session_id: int, *, read: bool = False) -> PlannedSession:
    """The session, or NotFound when the caller may not see it (its existence is not revealed)."""
    session = planning.get_session(g.db, session_id)
    if read and SEE_ALL & set(g.account.roles or []):
        return session
    if not may_arrange(session.supervisee_id, session.supervisor_id):
        raise NotFound(f"no planned session with id {session_id}", "id")
    return session


def audit_session(action: str, session: PlannedSession) -> None:
    """Audit a change to a planned session in the caller's transaction."""
    audit.record(g.db, action, actor_id=g.account.person_id, object_type="planned_session",
                 object_id=session.id, ip=request.remote_addr or "")
