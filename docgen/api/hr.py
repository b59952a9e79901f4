"""Movers, leavers, legal holds, retention and the HR bundle over JSON (HR and administrators)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g, request
from pydantic import BaseModel, ConfigDict

from docgen.api import guard
from docgen.api.routing import commit, json_body, route
from docgen.api.schemas import AgreementOut, PersonOut, RelationshipOut, parse
from docgen.auth import login_required, roles_required
from storage.models import LegalHold, Record
from storage import export, retention
from storage import clock
from workflows import agreements, movers, people
from storage.errors import InvalidInput


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransferIn(_In):
    on: dt.date
    supervisor_id: int | None = None
    team_id: int | None = None
    line_manager_id: int | None = None


class TransferOut(BaseModel):
    person: PersonOut
    ended: RelationshipOut | None
    started: RelationshipOut | None
    agreement: AgreementOut | None


class LeaverIn(_In):
    leave_date: dt.date


class LeaverOut(BaseModel):
    person: PersonOut
    records_frozen_on: dt.date | None
    forward_to_hr_on: dt.date
    destroy_on: dt.date
    unsupervised: list[PersonOut]


class HoldIn(_In):
    reason: str
    person_id: int | None = None
    record_id: int | None = None


class LiftIn(_In):
    reason: str = ""


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    person_id: int | None
    record_id: int | None
    reason: str
    placed_by_id: int | None
    placed_at: dt.datetime
    lifted_at: dt.datetime | None


class DueOut(BaseModel):
    step: str
    person_id: int
    person_name: str
    due_on: dt.date
    rule: str
    record_id: int | None
    held: bool
    held_by: list[int]


class PlanOut(BaseModel):
    today: dt.date
    items: list[DueOut]


def _services() -> Any:
    return current_app.extensions["docgen"]


def _dump(model: type[BaseModel], data: Any) -> dict[str, Any]:
    return model.model_validate(data).model_dump(mode="json")


@route("GET", "/people/<int:person_id>/export", "Download a person's supervision file as one zip (HR)",
       response=None, content_type="application/zip")
@login_required
def export_person(person_id: int) -> Any:
    person = people.get_person(g.db, person_id)
    basis = export.check_export(g.db, g.account, person, guard.reason())
    stream = export.export_person(g.db, _services().store, person, actor_id=g.account.person_id, basis=basis,
                                  reason=guard.reason(), ip=request.remote_addr or "")
    commit()  # the audit entry stands before the first byte leaves
    filename = f"supervision-file-{person.id}-{clock.today():%Y%m%d}.zip"
    return Response(stream, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@route("POST", "/people/<int:person_id>/transfer", "Move a person to a new supervisor and/or team from a date",
       request_model=TransferIn, response=TransferOut)
@roles_required("admin", "hr")
def transfer(person_id: int) -> Any:
    body = parse(TransferIn, json_body())
    person = people.get_person(g.db, person_id)
    if body.supervisor_id is not None:
        people.get_person_field(g.db, body.supervisor_id, "supervisor_id")
    done = movers.transfer(g.db, _services().profile, person, on=body.on, by=g.account.person,
                           supervisor_id=body.supervisor_id, team_id=body.team_id,
                           line_manager_id=body.line_manager_id)
    commit()
    return _dump(TransferOut, {
        "person": PersonOut.model_validate(person), "ended": done.ended, "started": done.started,
        "agreement": agreements.agreement_json(done.agreement) if done.agreement else None})


@route("POST", "/people/<int:person_id>/leaver", "Record that a person leaves on a date", request_model=LeaverIn,
       response=LeaverOut)
@roles_required("admin", "hr")
def leaver(person_id: int) -> Any:
    body = parse(LeaverIn, json_body())
    person = people.get_person(g.db, person_id)
    done = movers.mark_leaver(g.db, person, body.leave_date, g.account.person)
    commit()
    profile = _services().profile
    return _dump(LeaverOut, {
        "person": PersonOut.model_validate(person), "records_frozen_on": person.records_frozen_on,
        "forward_to_hr_on": retention.forward_date(profile, body.leave_date),
        "destroy_on": retention.destruction_date(profile, body.leave_date),
        "unsupervised": [PersonOut.model_validate(p) for p in done.unsupervised]})


@route("POST", "/legal-holds", "Place a legal hold on a person's records or on one record", request_model=HoldIn,
       response=HoldOut, status=201)
@roles_required("admin", "hr")
def place_hold() -> Any:
    body = parse(HoldIn, json_body())
    person = people.get_person_field(g.db, body.person_id, "person_id") if body.person_id is not None else None
    record = _record_field(body.record_id) if body.record_id is not None else None
    hold = retention.place_hold(g.db, _services().store, reason=body.reason, by=g.account.person, person=person,
                                record=record)
    commit()
    return _dump(HoldOut, hold), 201


def _record_field(record_id: int) -> Record:
    record = g.db.get(Record, record_id)
    if record is None:
        raise InvalidInput(f"no record with id {record_id}", "record_id")
    return record


@route("POST", "/legal-holds/<int:hold_id>/lift", "Lift a legal hold", request_model=LiftIn, response=HoldOut)
@roles_required("admin", "hr")
def lift_hold(hold_id: int) -> Any:
    body = parse(LiftIn, request.get_json(silent=True) or {})
    hold: LegalHold = retention.get_hold(g.db, hold_id)
    retention.lift_hold(g.db, _services().store, hold, by=g.account.person, reason=body.reason)
    commit()
    return _dump(HoldOut, hold)


@route("GET", "/retention/plan", "What retention steps are due, and why (optional ?today=YYYY-MM-DD)",
       response=PlanOut)
@roles_required("admin", "hr")
def retention_plan() -> Any:
    raw = request.args.get("today")
    try:
        today = dt.date.fromisoformat(raw) if raw else clock.today()
    except ValueError:
        raise InvalidInput("today must be a date, YYYY-MM-DD", "today") from None
    due = retention.plan(g.db, _services().profile, today)
    return _dump(PlanOut, {"today": today, "items": [
        {**d.__dict__, "held": d.held, "held_by": list(d.held_by)} for d in due]})
