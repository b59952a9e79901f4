"""Movers, leavers, legal holds, retention and the HR bundle over JSON (HR and administrators)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ConfigDict, Field

from docgen.api.revisions import etag, if_match
from docgen.api.routing import json_body, route
from docgen.api.schemas import AgreementOut, PersonOut, RelationshipOut, UtcDateTime, parse
from docgen.auth import caller, login_required, uow
from kernel import clock
from workflows import export, holds, movers, retention
from workflows.inputs.reports import RetentionPlanQuery
from workflows.inputs.retention import ForwardEarly, LiftHold, PlaceHold, RecordLeaver, Transfer


class TransferOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    person: PersonOut
    ended: RelationshipOut | None
    started: RelationshipOut | None
    agreement: AgreementOut | None


class LeaverOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    person: PersonOut
    records_frozen_on: dt.date | None
    forward_to_hr_on: dt.date
    destroy_on: dt.date
    unsupervised: list[PersonOut]


class ForwardedOut(BaseModel):
    person: PersonOut
    records_frozen_on: dt.date | None
    forwarded_to_hr_on: dt.date
    destroy_on: dt.date | None
    forwarded_now: bool


class HoldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    person_id: int | None
    record_id: int | None
    reason: str
    placed_by_id: int | None
    placed_at: UtcDateTime
    lifted_at: UtcDateTime | None


class DueOut(BaseModel):
    step: str
    person_id: int
    person_name: str
    due_on: dt.date
    rule: str
    record_id: int | None
    request_id: int | None = Field(description="the subject access request whose filed export a legal hold keeps "
                                   "apart from the person's step (it copies something the hold covers); null "
                                   "otherwise")
    held: bool
    held_by: list[int]


class PlanOut(BaseModel):
    today: dt.date
    items: list[DueOut]


def _dump(model: type[BaseModel], data: Any) -> dict[str, Any]:
    return model.model_validate(data).model_dump(mode="json")


@route("GET", "/people/<int:person_id>/export", "Download a person's supervision file as one zip (HR)",
       response=None, content_type="application/zip")
@login_required
def export_person(person_id: int) -> Any:
    bundle = export.for_hr(uow(), caller(), person_id)  # audited and committed before the first byte leaves
    return Response(bundle.chunks, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{bundle.filename}"'})


@route("POST", "/people/<int:person_id>/transfer", "Move a person to a new supervisor and/or team from a date, "
       "from the person's revision in If-Match; the ETag answered is the person's new revision",
       request_model=Transfer, response=TransferOut, revisioned=True, conditional=True)
@login_required
def transfer(person_id: int) -> Any:
    body = parse(Transfer, json_body())
    moved = movers.move(uow(), caller(), person_id, if_match(), on=body.on, supervisor_id=body.supervisor_id,
                        team_id=body.team_id, line_manager_id=body.line_manager_id)
    return _dump(TransferOut, moved), 200, {"ETag": etag(moved.person.revision)}


@route("POST", "/people/<int:person_id>/leaver", "Record that a person leaves on a date, or correct it until their "
       "records freeze (HR and administrators; audited): not before their employment start nor more than 5 years "
       "ahead; HR's page /hr/people/{id}/leaving does the same", request_model=RecordLeaver, response=LeaverOut)
@login_required
def leaver(person_id: int) -> Any:
    body = parse(RecordLeaver, json_body())
    leaving = retention.record_leaver(uow(), caller(), person_id, body.leave_date)
    return _dump(LeaverOut, {"person": leaving.person, "records_frozen_on": leaving.person.records_frozen_on,
                             "forward_to_hr_on": leaving.forward_to_hr_on, "destroy_on": leaving.destroy_on,
                             "unsupervised": leaving.unsupervised})


@route("POST", "/people/<int:person_id>/forward-to-hr",
       "Forward a leaver's records to HR today, before the retention run would, with a reason (HR; audited; "
       "repeating it changes nothing)", request_model=ForwardEarly, response=ForwardedOut)
@login_required
def forward_to_hr(person_id: int) -> Any:
    body = parse(ForwardEarly, json_body())
    done = retention.forward_early(uow(), caller(), person_id, body.reason)
    person = done.schedule.person
    return _dump(ForwardedOut, {"person": person, "records_frozen_on": person.records_frozen_on,
                                "forwarded_to_hr_on": person.forwarded_to_hr_on,
                                "destroy_on": done.schedule.destroy_on, "forwarded_now": done.done_now})


@route("POST", "/legal-holds", "Place a legal hold on a person's records or on one record", request_model=PlaceHold,
       response=HoldOut, status=201)
@login_required
def place_hold() -> Any:
    body = parse(PlaceHold, json_body())
    return _dump(HoldOut, holds.place(uow(), caller(), body.reason, person_id=body.person_id,
                                      record_id=body.record_id)), 201


@route("POST", "/legal-holds/<int:hold_id>/lift", "Lift a legal hold", request_model=LiftHold, response=HoldOut)
@login_required
def lift_hold(hold_id: int) -> Any:
    body = parse(LiftHold, request.get_json(silent=True) or {})
    return _dump(HoldOut, holds.lift(uow(), caller(), hold_id, body.reason))


@route("GET", "/retention/plan", "What retention steps are due, and why (optional ?today=YYYY-MM-DD)",
       response=PlanOut, query=RetentionPlanQuery)
@login_required
def retention_plan(query: RetentionPlanQuery) -> Any:
    today = query.today or clock.today()
    due = retention.due_on(uow(), caller(), today)
    return _dump(PlanOut, {"today": today, "items": [
        {**d.__dict__, "held": d.held, "held_by": list(d.held_by)} for d in due]})
