"""Quality audits over JSON: draw a reproducible sample, read and score a sampled record, the report."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Response
from pydantic import BaseModel, ConfigDict, Field

from docgen.api.routing import json_body, route
from docgen.api.schemas import Id, parse
from docgen.auth import caller, login_required, uow
from workflows import quality_audits


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DrawIn(_In):
    team_id: Id
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    seed: int | None = Field(None, ge=0, lt=2**31)
    per_supervisor: int | None = Field(None, ge=1, le=50)


Mark = Literal["yes", "no"]


class ScoreIn(_In):
    actions_specific: Mark | None = None
    reflection: Mark | None = None
    decisions: Mark | None = None
    findings: str = Field("", max_length=5000)
    supervisor_actions: str = Field("", max_length=5000)
    revision: int | None = None


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
       request_model=DrawIn, response=AuditOut, status=201)
@login_required
def draw() -> Any:
    body = parse(DrawIn, json_body())
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
       request_model=ScoreIn, response=None)
@login_required
def score(audit_id: int, item_id: int) -> Any:
    body = parse(ScoreIn, json_body())
    marks = {k: v for k in quality_audits.JUDGED if (v := getattr(body, k)) is not None}
    shown = quality_audits.score(uow(), caller(), audit_id, item_id, marks, body.findings, body.supervisor_actions,
                                 body.revision)
    return {"record": shown.record, "criteria": shown.item.criteria, "revision": shown.item.revision}
