"""The input of a CPD piece (issue 25 item 2): what a supervisee writes when they mark a reflection
from one of their records as CPD for Social Work England, in SWE's fields. The page validates its
form through this model, so a bad date or an empty box is refused naming its field."""
from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from workflows.inputs import Id, Input, Query, said


class CpdPieceInput(Input):
    """A piece of CPD: the reflection it is drawn from (`record_id`, and `area_key` naming an area
    or a text field of the record; none for the record as a whole) and SWE's fields."""

    record_id: Id
    area_key: str | None = Field(None, max_length=60)
    title: str = Field(max_length=200)
    type: str = Field(max_length=100)
    description: str = Field(max_length=5000)
    done_on: dt.date = Field(alias="date", description="the day of the CPD, like 2026-03-27")
    learning: str = Field(max_length=5000, description="what was learnt, in the supervisee's own words")
    impact: str = Field(max_length=5000, description="its impact on their practice")

    model_config = Input.model_config | {"populate_by_name": True}

    @field_validator("title", "type", "description", "learning", "impact")
    @classmethod
    def _said(cls, value: str) -> str:
        return said(value)

    @field_validator("area_key")
    @classmethod
    def _whole_record(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class ChangeCpdPiece(CpdPieceInput):
    """A piece changed: the same fields; the reflection it is drawn from stays."""

    record_id: Id | None = None  # type: ignore[assignment]


class CpdYearQuery(Query):
    """Which CPD year a page or its CSV shows, named by the year it ends in (1 December 2025 to
    30 November 2026 is 2026); left out, the year today is in."""

    year: int | None = Field(None, ge=2, le=9999, description="the year the CPD year ends in, like 2026")
