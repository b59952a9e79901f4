"""What is due, compliance reports and planned sessions over JSON.

Who sees what: hr, admin, auditor and senior_manager see everyone; anyone else sees the people
they supervise and everyone below them in the management chain (K: "relevant line managers").
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g, request
from pydantic import BaseModel, ConfigDict

from docgen import oversight
from docgen.api.routing import commit, int_arg, json_body, route
from docgen.api.schemas import parse
from docgen.auth import login_required
from storage.models import PlannedSession
from storage import clock
from workflows import compliance, people, planning, schedule
from storage.errors import Forbidden, InvalidInput



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


class ReportOut(BaseModel):
    scope: str
    start: dt.date
    end: dt.date
    as_at: dt.date
    measures: list[MeasureOut]
    overdue: list[DueItemOut]
    agreements_out_of_date: list[DueItemOut]
    table: list[dict[str, str]]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(_In):
    supervisee_id: int
    supervisor_id: int | None = None  # default: the supervisee's current supervisor
    starts_at: dt.datetime  # UTC unless an offset is given
    minutes: int = 60
    location: str = ""


class SessionRebook(_In):
    starts_at: dt.datetime
    minutes: int | None = None
    location: str | None = None


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    supervisee_id: int
    supervisor_id: int
    starts_at: dt.datetime
    minutes: int
    location: str
    status: str
    cancelled_on: dt.date | None
    cancelled_by_id: int | None
    rebooked_as_id: int | None
    ics_sequence: int
    uid: str


def _services() -> Any:
    return current_app.extensions["docgen"]






def _date_arg(name: str) -> dt.date:
    raw = request.args.get(name)
    if not raw:
        raise InvalidInput(f"{name} is required, as a date like 2026-04-01", name)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-04-01, not '{raw}'", name) from None


def _utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, as stored; an offset in the request is honoured."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _item(item: schedule.DueItem) -> dict[str, Any]:
    return DueItemOut.model_validate(item._asdict()).model_dump(mode="json")


@route("GET", "/due", "What is due or overdue for the supervisees the caller may see (filters: team_id, "
       "supervisor_id, state)", response=DueListOut)
@login_required
def due() -> Any:
    today = clock.today()
    state = request.args.get("state")
    if state and state not in ("upcoming", "due", "overdue"):
        raise InvalidInput("state must be upcoming, due or overdue", "state")
    items = schedule.due_list(g.db, _services().profile, today, team_id=int_arg("team_id"),
                              supervisor_id=int_arg("supervisor_id"), supervisee_ids=oversight.visible(self_included=True),
                              states=(state,) if state else None)
    return {"as_at": today.isoformat(), "items": [_item(i) for i in items]}


@route("GET", "/reports/compliance", "Compliance for a team (team_id), a service (service) or the organisation "
       "over a period (from, to); format=csv for CSV", response=ReportOut)
@login_required
def compliance_report() -> Any:
    start, end = _date_arg("from"), _date_arg("to")
    team_id, service = int_arg("team_id"), request.args.get("service") or None
    if team_id is not None and service is not None:
        raise InvalidInput("give team_id or service, not both", "service")
    visible = oversight.report_scope()
    report = compliance.team_report(g.db, _services().profile, start=start, end=end, team_id=team_id,
                                    service=service, supervisee_ids=visible)
    if request.args.get("format") == "csv":
        return Response(compliance.report_csv(report), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="compliance-{start}-{end}.csv"'})
    return {"scope": report.scope, "start": start.isoformat(), "end": end.isoformat(),
            "as_at": report.as_at.isoformat(),
            "measures": [{"key": m.key, "label": m.label, "count": m.count, "total": m.total,
                          "percent": m.percent} for m in report.measures],
            "overdue": [_item(i) for i in report.overdue],
            "agreements_out_of_date": [_item(i) for i in report.agreements_out_of_date],
            "table": compliance.report_table(report)}








def _out(session: PlannedSession) -> dict[str, Any]:
    return SessionOut.model_validate(session).model_dump(mode="json")


@route("POST", "/sessions", "Plan a supervision session and send the invitations", request_model=SessionCreate,
       response=SessionOut, status=201)
@login_required
def plan_session() -> Any:
    body = parse(SessionCreate, json_body())
    today = clock.today()
    supervisee = people.get_person_field(g.db, body.supervisee_id, "supervisee_id")
    if body.supervisor_id is not None:
        supervisor = people.get_person_field(g.db, body.supervisor_id, "supervisor_id")
    else:
        supervisor = people.current_supervisor(g.db, supervisee.id, today)
        if supervisor is None:
            raise InvalidInput(f"{supervisee.name} has no supervisor today; give supervisor_id", "supervisor_id")
    if not oversight.may_arrange(supervisee.id, supervisor.id):
        raise Forbidden("only the supervisor, the supervisee, their line managers, hr or admin may plan this session")
    session = planning.plan_session(g.db, _services().profile, supervisee, supervisor, _utc(body.starts_at), today,
                                    minutes=body.minutes, location=body.location)
    oversight.audit_session("session.plan", session)
    commit()
    return _out(session), 201


@route("GET", "/sessions/<int:session_id>/ics", "The session's calendar invitation (.ics)",
       content_type="text/calendar")
@login_required
def session_ics(session_id: int) -> Any:
    session = oversight.session_for_caller(session_id, read=True)
    organiser = people.get_person(g.db, session.supervisor_id)
    attendee = people.get_person(g.db, session.supervisee_id)
    method = "CANCEL" if session.status == "cancelled" else "REQUEST"
    return Response(planning.ics_for(session, organiser, attendee), mimetype="text/calendar",
                    headers={"Content-Type": f"text/calendar; charset=utf-8; method={method}",
                             "Content-Disposition": 'attachment; filename="supervision.ics"'})


@route("POST", "/sessions/<int:session_id>/cancel", "Cancel a planned session (it must be rebooked)",
       response=SessionOut)
@login_required
def cancel_session(session_id: int) -> Any:
    session = oversight.session_for_caller(session_id)
    planning.cancel(g.db, session, people.get_person(g.db, g.account.person_id), clock.today())
    oversight.audit_session("session.cancel", session)
    commit()
    return _out(session)


@route("POST", "/sessions/<int:session_id>/rebook", "Move a planned session, or rebook a cancelled one",
       request_model=SessionRebook, response=SessionOut)
@login_required
def rebook_session(session_id: int) -> Any:
    body = parse(SessionRebook, json_body())
    session = oversight.session_for_caller(session_id)
    new = planning.rebook(g.db, _services().profile, session, _utc(body.starts_at), clock.today(),
                          minutes=body.minutes, location=body.location)
    oversight.audit_session("session.rebook", new)
    commit()
    return _out(new)
