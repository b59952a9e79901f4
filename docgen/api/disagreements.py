"""The route for a disagreement over JSON: the line manager's list (an index: who, what, when,
where the route stands), one disagreement with what was said (an audited read), its outcome."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from docgen.api.routing import json_body, route
from docgen.api.schemas import SignoffEventOut, UtcDateTime, parse
from docgen.auth import caller, login_required, uow
from workflows import disagreements
from workflows.inputs.disagreements import RecordOutcome


class DisagreementOut(BaseModel):
    id: int
    document: str  # R-000042 / AG-000007
    kind: str
    document_id: int
    status: str
    cause: str  # overdue | countersigned | requested
    disagreement: str
    told_at: UtcDateTime
    outcome: str
    outcome_text: str
    meeting_on: dt.date | None
    outcomes: list[str]  # what the line manager may still record, under the profile's route
    events: list[SignoffEventOut]


class RouteStepOut(BaseModel):
    event: str  # line_manager_told | three_way_meeting | passed_to_hr
    version: int
    person_id: int | None
    at: UtcDateTime


class DisagreementListed(BaseModel):
    """A row of the list: who disagreed with which document, when the line manager was told and
    where the route stands. What was said is on GET /disagreements/{id}, an audited read."""

    id: int
    document: str  # R-000042 / AG-000007
    kind: str
    document_id: int
    status: str
    supervisee_id: int
    supervisee_name: str
    supervisor_id: int
    supervisor_name: str
    cause: str  # overdue | countersigned | requested
    told_at: UtcDateTime
    outcome: str  # "" while open | three_way | hr
    meeting_on: dt.date | None
    outcomes: list[str]  # what the line manager may still record, under the profile's route
    events: list[RouteStepOut]  # the route's steps on the certificate, without their comments


class DisagreementList(BaseModel):
    items: list[DisagreementListed]


def _out(shown: disagreements.EscalationView) -> dict[str, Any]:
    row, document = shown.escalation, shown.document
    return DisagreementOut(
        id=row.id, document=shown.number, kind="record" if row.record_id else "agreement", document_id=document.id,
        status=document.status, cause=row.cause, disagreement=shown.disagreement, told_at=row.told_at,
        outcome=row.outcome, outcome_text=row.outcome_text, meeting_on=row.meeting_on, outcomes=shown.outcomes,
        events=[SignoffEventOut.model_validate(e, from_attributes=True) for e in shown.events]).model_dump(mode="json")


def _listed(row: disagreements.ListedDisagreement) -> dict[str, Any]:
    return DisagreementListed(
        id=row.id, document=row.number, kind=row.kind, document_id=row.document_id, status=row.status,
        supervisee_id=row.supervisee.id, supervisee_name=row.supervisee.name, supervisor_id=row.supervisor.id,
        supervisor_name=row.supervisor.name, cause=row.cause, told_at=row.told_at, outcome=row.outcome,
        meeting_on=row.meeting_on, outcomes=row.outcomes,
        events=[RouteStepOut.model_validate(step, from_attributes=True) for step in row.steps]).model_dump(mode="json")


@route("GET", "/disagreements", "Disagreements the caller was told of as line manager, or HR was passed: an index",
       response=DisagreementList)
@login_required
def list_disagreements() -> Any:
    return {"items": [_listed(d) for d in disagreements.for_line_manager(uow(), caller())]}


@route("GET", "/disagreements/<int:escalation_id>", "One disagreement (its line manager only)",
       response=DisagreementOut)
@login_required
def get_disagreement(escalation_id: int) -> Any:
    return _out(disagreements.view(uow(), caller(), escalation_id))


@route("POST", "/disagreements/<int:escalation_id>/outcome",
       "Record the three-way meeting's outcome, or pass it to HR where the policy's route goes there",
       request_model=RecordOutcome, response=DisagreementOut)
@login_required
def record_outcome(escalation_id: int) -> Any:
    body = parse(RecordOutcome, json_body())
    return _out(disagreements.record_outcome(uow(), caller(), escalation_id, body.outcome, body.outcome_text,
                                             body.meeting_on))
