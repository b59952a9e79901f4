"""Consent to read outside the line over JSON: ask, the supervisee's single-use link, override."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from docgen.api.routing import json_body, route
from docgen.api.schemas import UtcDateTime, parse
from docgen.auth import caller, link_holder, login_required, uow
from storage.models import ConsentRequest
from workflows import consent
from workflows.inputs.consent import AnswerConsent, AskConsent, OverrideConsent


class ConsentOut(BaseModel):
    id: int
    supervisee_id: int
    reader_id: int
    reader: str
    reason: str
    created_at: UtcDateTime
    answer: str
    answered_at: UtcDateTime | None
    overridden_at: UtcDateTime | None
    access_until: UtcDateTime | None


class ConsentList(BaseModel):
    items: list[ConsentOut]
    refusals: list[ConsentOut]  # the caller's supervisees' refusals, theirs to override or let stand (H §11)


def _out(row: ConsentRequest) -> dict[str, Any]:
    return ConsentOut(id=row.id, supervisee_id=row.supervisee_id, reader_id=row.reader_id, reader=row.reader.name,
                      reason=row.reason, created_at=row.created_at, answer=row.answer, answered_at=row.answered_at,
                      overridden_at=row.overridden_at, access_until=row.access_until).model_dump(mode="json")


@route("GET", "/consent-requests",
       "The consent requests the caller made, and the refusals of their supervisees they decide on",
       response=ConsentList)
@login_required
def list_requests() -> Any:
    shown = consent.readers_page(uow(), caller())
    return {"items": [_out(r) for r in shown.requests], "refusals": [_out(r) for r in shown.refusals]}


@route("POST", "/consent-requests", "Ask a supervisee for consent to read their records (W §10, H §11)",
       request_model=AskConsent, response=ConsentOut, status=201)
@login_required
def ask() -> Any:
    body = parse(AskConsent, json_body())
    return _out(consent.ask(uow(), caller(), body.supervisee_id, body.reason)), 201


@route("POST", "/consent-requests/<int:request_id>/override",
       "The supervisee's own manager overrides a refused consent with a reason, where the policy allows (H §11)",
       request_model=OverrideConsent,
       response=ConsentOut)
@login_required
def override(request_id: int) -> Any:
    body = parse(OverrideConsent, json_body())
    return _out(consent.override(uow(), caller(), request_id, body.reason))


@route("GET", "/consent/<token>", "What the holder of a consent link sees", response=ConsentOut)
def link(token: str) -> Any:
    return _out(consent.link_view(uow(), token))


@route("POST", "/consent/<token>", "The supervisee's answer through their single-use link", request_model=AnswerConsent,
       response=ConsentOut)
def answer(token: str) -> Any:
    body = parse(AnswerConsent, json_body())
    return _out(consent.answer(uow(), link_holder(), token, body.answer, body.comment))
