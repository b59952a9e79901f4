"""The input of a CPD piece (issue 25 item 2): what a supervisee writes when they mark a reflection
from one of their records as CPD for Social Work England, in SWE's fields. The page validates its
form through these models and the API (`/api/v1/cpd`) its JSON, so a bad date or an empty box is
refused naming its field on both."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from workflows.inputs import Id, Input, Query, said
from workflows.inputs.dates import CpdDay

# SWE's fields, with the limits of their columns (storage.models.CpdPiece)
Title = Annotated[str, Field(max_length=200)]
Kind = Annotated[str, Field(max_length=100)]
Words = Annotated[str, Field(max_length=5000)]
Day = Annotated[CpdDay, Field(alias="date", description="the day of the CPD, like 2026-03-27")]
LEARNING = "what was learnt, in the supervisee's own words"
IMPACT = "its impact on their practice"
TEXTS = ("title", "type", "description", "learning", "impact")


class CpdPieceInput(Input):
    """A piece of CPD: the reflection it is drawn from (`record_id`, and `area_key` naming an area
    or a text field of the record; none for the record as a whole) and SWE's fields."""

    record_id: Id
    area_key: str | None = Field(None, max_length=60)
    title: Title
    type: Kind
    description: Words
    done_on: Day
    learning: Words = Field(description=LEARNING)
    impact: Words = Field(description=IMPACT)

    model_config = Input.model_config | {"populate_by_name": True}

    @field_validator(*TEXTS)
    @classmethod
    def _said(cls, value: str) -> str:
        return said(value)

    @field_validator("area_key")
    @classmethod
    def _whole_record(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


def _left_out_stays(schema: dict[str, Any]) -> None:
    """A field left out of a change keeps its value: it has no default to publish."""
    schema.pop("default", None)


def _kept(**described: str) -> Any:
    """A field of a change: left out, the piece keeps its value (no default is validated or published)."""
    return Field(None, json_schema_extra=_left_out_stays, **described)


class ChangeCpdPiece(Input):
    """A piece changed in its own words: a field sent replaces its value and one left out stays (the
    API's PATCH; the page sends every box). A field may not be emptied: a null or a blank box is
    refused, as when the piece was marked. What it is drawn from, and peer reflection, stay."""

    title: Title = _kept()
    type: Kind = _kept()
    description: Words = _kept()
    done_on: Day = _kept()
    learning: Words = _kept(description=LEARNING)
    impact: Words = _kept(description=IMPACT)

    model_config = Input.model_config | {"populate_by_name": True}

    @field_validator(*TEXTS, "done_on", mode="before")
    @classmethod
    def _not_emptied(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be empty")
        return value

    @field_validator(*TEXTS)
    @classmethod
    def _said(cls, value: str) -> str:
        return said(value)

    def changes(self) -> dict[str, Any]:
        """The fields sent, by the piece's column names (`done_on`, not the JSON's `date`)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class CpdYearQuery(Query):
    """Which CPD year a page or its CSV shows, named by the year it ends in (1 December 2025 to
    30 November 2026 is 2026); left out, the year today is in."""

    year: int | None = Field(None, ge=2, le=9999, description="the year the CPD year ends in, like 2026")
