"""Bulk starts over JSON: a record for everyone in a team or service, made in the background.

The API's side of the "Start records for a team" page (`docgen.web.bulk_start`); both call
`workflows.bulk_start`, which decides who may and keeps the progress.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from docgen.api.routing import json_body, route
from docgen.api.schemas import UtcDateTime, parse
from docgen.auth import caller, login_required, uow
from workflows import bulk_start
from workflows.inputs.bulk_start import BeginBulkStart


class FailureOut(BaseModel):
    supervisee_id: int
    name: str
    reason: str


class BulkStartOut(BaseModel):
    id: int
    scope: str
    session_date: dt.date
    started_at: UtcDateTime
    total: int
    done: int
    failed: int
    pending: int
    finished: bool
    failures: list[FailureOut]


def _out(shown: bulk_start.Progress) -> dict[str, Any]:
    bulk = shown.bulk
    return BulkStartOut(id=bulk.id, scope=shown.scope, session_date=bulk.session_date, started_at=bulk.started_at,
                        total=bulk.total, done=shown.done, failed=len(shown.failures), pending=shown.pending,
                        finished=shown.finished,
                        failures=[FailureOut(**vars(f)) for f in shown.failures]).model_dump(mode="json")


@route("POST", "/bulk-starts", "Start a draft record on one date for everyone in a team or service whose "
       "supervision the caller may arrange, in the background (202; follow the Location for progress)",
       request_model=BeginBulkStart, response=BulkStartOut, status=202)
@login_required
def create_bulk_start() -> Any:
    body = parse(BeginBulkStart, json_body())
    shown = bulk_start.begin(uow(), caller(), body.session_date, team_id=body.team_id, service=body.service)
    return _out(shown), 202, {"Location": f"/api/v1/bulk-starts/{shown.bulk.id}"}


@route("GET", "/bulk-starts/<int:bulk_id>", "A bulk start's progress: done of total, failures named",
       response=BulkStartOut)
@login_required
def get_bulk_start(bulk_id: int) -> Any:
    return _out(bulk_start.progress(uow(), caller(), bulk_id))


@route("POST", "/bulk-starts/<int:bulk_id>/resume", "Hand a bulk start's pending records to the workers again "
       "(after a restart); records already made are not made twice", response=BulkStartOut, status=202)
@login_required
def resume_bulk_start(bulk_id: int) -> Any:
    return _out(bulk_start.resume(uow(), caller(), bulk_id)), 202
