"""Quality audits over JSON: draw a reproducible sample, read and score a sampled record, the report."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response
from pydantic import BaseModel

from docgen.api.routing import json_body, route
from docgen.api.schemas import parse
from docgen.auth import caller, login_required, uow
from workflows import quality_audits
from workflows.inputs.quality_audits import DrawSample, ScoreItem


class ItemOut(BaseModel):
    id: int
    record_id: int
    record: str
    supervisor: str
    criteria: dict[str, str]
    findings: str
    supervisor_actions: str
    scored: bool
    revision: int


class AuditOut(BaseModel):
    id: int
    number: str
    team: str
    period_start: dt.date
    period_end: dt.date
    seed: int
    per_supervisor: int
    items: list[ItemOut]
    met: dict[str, int]


def _out(report: quality_audits.AuditReport) -> dict[str, Any]:
    row = report.audit
    items = [ItemOut(id=i.id, record_id=i.record_id, record=report.numbers[i.record_id],
                     supervisor=report.names[i.supervisor_id], criteria=i.criteria, findings=i.findings,
                     supervisor_actions=i.supervisor_actions, scored=i.scored_at is not None, revision=i.revision)
             for i in report.items]
    return AuditOut(id=row.id, number=report.number, team=report.team, period_start=row.period_start,
                    period_end=row.period_end, seed=row.seed, per_supervisor=row.per_supervisor, items=items,
                    met=report.met).model_dump(mode="json")


@route("POST", "/quality-audits", "Draw a sample of a team's signed records for a quality audit",
       request_model=DrawSample, response=AuditOut, status=201)
@login_required
def draw() -> Any:
    body = parse(DrawSample, json_body())
    report = quality_audits.draw(uow(), caller(), body.team_id, body.period_start, body.period_end, body.seed,
                                         body.per_supervisor)
    return _out(report), 201


@route("GET", "/quality-audits/<int:audit_id>", "A quality audit's sample and findings", response=AuditOut)
@login_required
def get_audit(audit_id: int) -> Any:
    return _out(quality_audits.report(uow(), caller(), audit_id))


@route("GET", "/quality-audits/<int:audit_id>/report.csv", "The audit report as CSV", response=None,
       content_type="text/csv")
@login_required
def audit_csv(audit_id: int) -> Any:
    report = quality_audits.report(uow(), caller(), audit_id)
    return Response(report.csv, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{report.number}.csv"'})


@route("GET", "/quality-audits/<int:audit_id>/items/<int:item_id>",
       "Read a sampled record for the audit (audited, the audit as the reason)", response=None)
@login_required
def sampled_record(audit_id: int, item_id: int) -> Any:
    shown = quality_audits.sampled_record(uow(), caller(), audit_id, item_id)
    return {"record": shown.record, "criteria": shown.item.criteria, "revision": shown.item.revision}


@route("POST", "/quality-audits/<int:audit_id>/items/<int:item_id>", "Score a sampled record on the audit form",
       request_model=ScoreItem, response=None)
@login_required
def score(audit_id: int, item_id: int) -> Any:
    body = parse(ScoreItem, json_body())
    shown = quality_audits.score(uow(), caller(), audit_id, item_id, body.marks(), body.findings,
                                 body.supervisor_actions, body.revision)
    return {"record": shown.record, "criteria": shown.item.criteria, "revision": shown.item.revision}
