"""A supervisee's CPD evidence for Social Work England over JSON (issue 25 item 2): the CPD year's
pieces against SWE's minimum, and marking, changing and removing a piece, for the signed-in person
only. The rules are `workflows.cpd`'s and the inputs `workflows.inputs.cpd`'s, the same the CPD
pages call: only the supervisee marks their own signed records, and a piece or record that is not
the caller's is a 404 whether it exists or not.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from docgen.api.routing import json_body, route
from docgen.api.schemas import parse
from docgen.auth import caller, login_required, uow
from storage.models import CpdPiece
from workflows import cpd
from workflows.inputs.cpd import ChangeCpdPiece, CpdPieceInput, CpdYearQuery


class CpdPieceOut(BaseModel):
    id: int
    record_id: int = Field(description="the signed record the piece is drawn from, never changed by it")
    area_key: str | None = Field(description="the area or text field of the record; null: the record as a whole")
    title: str
    type: str
    description: str
    date: dt.date
    learning: str = Field(description="what was learnt, in the supervisee's own words")
    impact: str = Field(description="its impact on their practice")
    peer_reflection: bool = Field(description="set from the record: supervision with a manager and group "
                                              "supervision both count")


class CpdYearOut(BaseModel):
    year: int = Field(description="the year the CPD year ends in: 1 December the year before to 30 November")
    first: dt.date
    last: dt.date
    pieces: list[CpdPieceOut]
    peer_reflected: int
    swe_registered: bool = Field(description="whether the caller's role is marked as registered with Social Work "
                                             "England in docgen's settings for the council; false: the year is not "
                                             "judged against SWE's minimum, so the four minimum fields are null "
                                             "(if that is wrong, ask your administrator to check your role, or "
                                             "whether it is marked as registered with Social Work England)")
    minimum_pieces: int | None = Field(description="SWE's minimum number of pieces a year; null off the register")
    minimum_peer_reflected: int | None = Field(description="how many of them need peer reflection; null off the "
                                                           "register")
    minimum_met: bool | None = Field(description="at least minimum_pieces pieces, minimum_peer_reflected of them "
                                                 "with peer reflection, as the CPD page says; null off the register")
    still_needed: list[str] | None = Field(description="what is missing for the minimum, in the page's words; empty "
                                                       "once met; null off the register")


def _piece(piece: CpdPiece) -> dict[str, Any]:
    return CpdPieceOut(id=piece.id, record_id=piece.record_id, area_key=piece.area_key, title=piece.title,
                       type=piece.type, description=piece.description, date=piece.done_on, learning=piece.learning,
                       impact=piece.impact, peer_reflection=piece.peer_reflection).model_dump(mode="json")


@route("GET", "/cpd", "The caller's own CPD pieces in a CPD year (by default the one today is in), and, for a "
       "role on Social Work England's register, whether its minimum is met", response=CpdYearOut, query=CpdYearQuery)
@login_required
def year(query: CpdYearQuery) -> Any:
    """Someone whose role the council's profile does not mark `swe_registered` gets
    `swe_registered: false` and null for the minimum: SWE's minimum is no rule of theirs."""
    shown = cpd.summary(uow(), caller(), query.year)
    registered = shown.swe_registered
    return {"year": shown.year.ends, "first": shown.year.first, "last": shown.year.last,
            "pieces": [_piece(p) for p in shown.pieces], "peer_reflected": shown.peer_reflected,
            "swe_registered": registered,
            "minimum_pieces": cpd.MINIMUM_PIECES if registered else None,
            "minimum_peer_reflected": cpd.MINIMUM_PEER_REFLECTED if registered else None,
            "minimum_met": shown.minimum_met, "still_needed": shown.still_needed}


@route("POST", "/cpd", "Mark a reflection in one of the caller's signed records (an area, or the record as a "
       "whole) as a piece of CPD, with what was learnt and its impact", request_model=CpdPieceInput,
       response=CpdPieceOut, status=201)
@login_required
def mark() -> Any:
    """Only the record's supervisee (or an attendee of its group session) marks it, and only once it
    is signed (422 naming `record_id` for a record still in sign-off); the record is never changed.
    A date after today is refused (422 naming `date`)."""
    return _piece(cpd.add_piece(uow(), caller(), parse(CpdPieceInput, json_body()))), 201


@route("PATCH", "/cpd/<int:piece_id>", "Change a piece of the caller's own: the fields sent change, those left "
       "out stay", request_model=ChangeCpdPiece, response=CpdPieceOut)
@login_required
def change(piece_id: int) -> Any:
    """What the piece is drawn from, and peer reflection, cannot be changed; a field sent as null or
    blank is refused (422 naming it)."""
    return _piece(cpd.change_piece(uow(), caller(), piece_id, parse(ChangeCpdPiece, json_body())))


@route("DELETE", "/cpd/<int:piece_id>", "Remove a piece of the caller's own (the record it was drawn from stays "
       "as signed)", response=None, status=204)
@login_required
def remove(piece_id: int) -> Any:
    cpd.remove_piece(uow(), caller(), piece_id)
    return "", 204
