"""Whose supervision the signed-in person may monitor or arrange: the JSON API's rules, for the pages.

The rules are written once, in `docgen.api.schedule` (who sees a compliance report, who may plan
or cancel a session, how such a change is audited). They are private there today, so this module
is the one place the pages reach them; when they move to a public home, only these imports change.
"""
from __future__ import annotations

from docgen.api import schedule as schedule_api
from docgen.models import PlannedSession
from workflows.errors import Forbidden

SEE_ALL = schedule_api.SEE_ALL


def report_scope() -> frozenset[int] | None:
    """The supervisees whose compliance the caller may see (None: everyone); Forbidden for nobody.

    The Forbidden branch repeats the two lines of `GET /api/v1/reports/compliance` that are not
    in a function of their own yet.
    """
    visible = schedule_api._visible()
    if visible is not None and not visible:
        raise Forbidden("compliance reports are for supervisors, line managers, hr, auditors and senior managers")
    return visible


def may_see_reports() -> bool:
    """Whether the navigation offers the compliance report (the same rule as `report_scope`)."""
    visible = schedule_api._visible()
    return visible is None or bool(visible)


def may_arrange(supervisee_id: int, supervisor_id: int) -> bool:
    """The session's supervisor or supervisee, someone overseeing the supervisee, hr or admin."""
    return schedule_api._may_arrange(supervisee_id, supervisor_id)


def audit_session(action: str, session: PlannedSession) -> None:
    """Audit a change to a planned session as the API does (in the caller's transaction)."""
    schedule_api._audit(action, session)


def session_for_arranger(session_id: int) -> PlannedSession:
    """The session, if the caller may change it; NotFound otherwise, so ids cannot be probed."""
    return schedule_api._session_for_caller(session_id)
