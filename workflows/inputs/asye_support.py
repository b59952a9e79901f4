"""The input of an ASYE's record of support (issue 25 item 3): a direct observation of their
practice, or one of their reviews at the profile's review points (S §10: 3, 6 and 12 months), as
their supervisor records it. The page validates its form through this model, so a bad date, an
empty box or a review month that is not a number of months is refused naming its field; whether the
month is one of the council's review points is the use case's to say (`workflows.asye_support`)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from workflows.inputs import Input, said

class SupportEntryInput(Input):
    """One entry: an `observation` (no review month) or a `review` (its whole months from the start); the day
    it happened; who observed or held it; and a short note (what was seen, or the review's outcome)."""

    kind: Literal["observation", "review"]
    review_month: int | None = Field(None, validate_default=True)
    on_date: dt.date = Field(description="the day it happened, like 2026-03-27")
    by_name: str = Field(max_length=200, description="the observer, or who held the review")
    note: str = Field(max_length=2000, description="what was observed, or the review's outcome")

    @field_validator("review_month")
    @classmethod
    def _month_of_its_kind(cls, value: int | None, info: ValidationInfo) -> int | None:
        """A review names one of the review months; an observation none."""
        kind = info.data.get("kind")
        if kind == "review" and (value is None or not 1 <= value <= 120):
            raise ValueError("must be the review's months from the start, like 3")
        if kind == "observation" and value is not None:
            raise ValueError("is only for a review")
        return value

    @field_validator("by_name", "note")
    @classmethod
    def _said(cls, value: str) -> str:
        return said(value)
