"""What is due, compliance reports and planned sessions over JSON.

Who sees what is `workflows.access`'s: hr, admin, auditor and senior_manager see everyone; anyone
else sees the people they supervise and everyone below them in the management chain (K: "relevant
line managers"). Each route parses, calls one use case and shapes its answer.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response
from pydantic import BaseModel, ConfigDict

from docgen.api.routing import json_body, route
from docgen.api.schemas import UtcDateTime, parse
from docgen.auth import caller, login_required, uow
from storage.models import PlannedSession
from workflows import compliance_report as reports
from workflows import due_list, planning
from workflows.inputs.planning import PlanSession, RebookSession
from workflows.inputs.reports import ComplianceQuery, DueQuery


class DueItemOut(BaseModel):
    kind: str
    state: str
    due_on: dt.date
    label: str
    supervisee_id: int
    supervisee_name: str
    supervisor_id: int | None
    supervisor_name: str
    team_id: int | None
    ref_id: int | None


class DueListOut(BaseModel):
    as_at: dt.date
    items: list[DueItemOut]


class MeasureOut(BaseModel):
    key: str
    label: str
    count: int
    total: int
    percent: float | None


class LogFigureOut(BaseModel):
    """One of the supervision log's figures for the report's period (issue 25 item 3)."""

    key: str
    figure: str
    count: int | float


class ReportOut(BaseModel):
    scope: str
    start: dt.date
    end: dt.date
    as_at: dt.date
    measures: list[MeasureOut]
    overdue: list[DueItemOut]
    agreements_out_of_date: list[DueItemOut]
    table: list[dict[str, str]]
    supervision_log: list[LogFigureOut]  # the page's and the CSV's "hours and attendance" figures


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    supervisee_id: int
    supervisor_id: int
    starts_at: UtcDateTime
    minutes: int
    location: str
    status: str
    cancelled_on: dt.date | None
    cancelled_by_id: int | None
    rebooked_as_id: int | None
    ics_sequence: int
    uid: str


def _item(item: due_list.DueItem) -> dict[str, Any]:
    return DueItemOut.model_validate(item._asdict()).model_dump(mode="json")


@route("GET", "/due", "What is due or overdue for the supervisees the caller may see (filters: team_id, "
       "supervisor_id, state)", response=DueListOut, query=DueQuery)
@login_required
def due(query: DueQuery) -> Any:
    due_now = due_list.due_for(uow(), caller(), team_id=query.team_id, supervisor_id=query.supervisor_id,
                               state=query.state)
    return {"as_at": due_now.as_at.isoformat(), "items": [_item(i) for i in due_now.items]}


@route("GET", "/reports/compliance", "Compliance for a team (team_id), a service (service) or the organisation "
       "over a period (from, to); format=csv for CSV", response=ReportOut, query=ComplianceQuery)
@login_required
def compliance_report(query: ComplianceQuery) -> Any:
    start, end = query.start, query.end
    shown = reports.reader(uow(), caller()).report(start=start, end=end, team_id=query.team_id,
                                                   service=query.service or None)
    if query.format == "csv":
        return Response(shown.csv, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="compliance-{start}-{end}.csv"'})
    report = shown.report
    return {"scope": report.scope, "start": start.isoformat(), "end": end.isoformat(),
            "as_at": report.as_at.isoformat(),
            "measures": [{"key": m.key, "label": m.label, "count": m.count, "total": m.total,
                          "percent": m.percent} for m in report.measures],
            "overdue": [_item(i) for i in report.overdue],
            "agreements_out_of_date": [_item(i) for i in report.agreements_out_of_date],
            "table": shown.table,
            "supervision_log": [{"key": key, "figure": figure, "count": count}
                                for key, figure, count in shown.log_figures]}


def _out(session: PlannedSession) -> dict[str, Any]:
    return SessionOut.model_validate(session).model_dump(mode="json")


@route("POST", "/sessions", "Plan a supervision session and send the invitations", request_model=PlanSession,
       response=SessionOut, status=201)
@login_required
def plan_session() -> Any:
    body = parse(PlanSession, json_body())
    planned = planning.arrange_session(uow(), caller(), body.supervisee_id, body.starts_at,
                                       supervisor_id=body.supervisor_id, minutes=body.minutes, location=body.location)
    return _out(planned.session), 201


@route("GET", "/sessions/<int:session_id>/ics", "The session's calendar invitation (.ics)",
       content_type="text/calendar")
@login_required
def session_ics(session_id: int) -> Any:
    invitation = planning.invitation(uow(), caller(), session_id)
    return Response(invitation.ics, mimetype="text/calendar",
                    headers={"Content-Type": f"text/calendar; charset=utf-8; method={invitation.method}",
                             "Content-Disposition": 'attachment; filename="supervision.ics"'})


@route("POST", "/sessions/<int:session_id>/cancel", "Cancel a planned session (it must be rebooked)",
       response=SessionOut)
@login_required
def cancel_session(session_id: int) -> Any:
    return _out(planning.cancel_session(uow(), caller(), session_id).session)


@route("POST", "/sessions/<int:session_id>/rebook", "Move a planned session, or rebook a cancelled one",
       request_model=RebookSession, response=SessionOut)
@login_required
def rebook_session(session_id: int) -> Any:
    body = parse(RebookSession, json_body())
    planned = planning.rebook_session(uow(), caller(), session_id, body.starts_at, minutes=body.minutes,
                                      location=body.location)
    return _out(planned.session)
