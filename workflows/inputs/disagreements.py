"""What a line manager records when a disagreement routed to them is settled (S §9, W §17, H §13)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from workflows.inputs import Input


class RecordOutcome(Input):
    """The three-way meeting's outcome, or the case passed to HR where the route goes there."""

    outcome: Literal["three_way", "hr"]
    outcome_text: str = Field(max_length=5000)  # printed on the certificate page
    meeting_on: dt.date | None = None
