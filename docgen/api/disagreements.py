"""The route for a disagreement over JSON: the line manager's list, one disagreement, its outcome."""
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
    cause: str  # overdue | countersigned
    disagreement: str
    told_at: UtcDateTime
    outcome: str
    outcome_text: str
    meeting_on: dt.date | None
    outcomes: list[str]  # what the line manager may still record, under the profile's route
    events: list[SignoffEventOut]


class DisagreementList(BaseModel):
    items: list[DisagreementOut]


def _out(shown: disagreements.EscalationView) -> dict[str, Any]:
    row, document = shown.escalation, shown.document
    return DisagreementOut(
        id=row.id, document=shown.number, kind="record" if row.record_id else "agreement", document_id=document.id,
        status=document.status, cause=row.cause, disagreement=shown.disagreement, told_at=row.told_at,
        outcome=row.outcome, outcome_text=row.outcome_text, meeting_on=row.meeting_on, outcomes=shown.outcomes,
        events=[SignoffEventOut.model_validate(e, from_attributes=True) for e in shown.events]).model_dump(mode="json")


@route("GET", "/disagreements", "Disagreements the caller was told of as line manager", response=DisagreementList)
@login_required
def list_disagreements() -> Any:
    return {"items": [_out(d) for d in disagreements.for_line_manager(uow(), caller())]}


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
