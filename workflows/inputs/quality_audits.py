"""What an auditor gives to draw a quality audit's sample and to score a sampled record."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from workflows.inputs import Id, Input
from workflows.quality_audits import JUDGED

Mark = Literal["yes", "no"]


class DrawSample(Input):
    """A team's sample; left out, the period is the policy's, the seed a new one (shown, so the
    same sample can be drawn again) and the size the profile's."""

    team_id: Id
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    seed: int | None = Field(None, ge=0, lt=2**31)
    per_supervisor: int | None = Field(None, ge=1, le=50)


class ScoreItem(Input):
    """The audit form of one sampled record, from the revision it was opened at."""

    actions_specific: Mark | None = None
    reflection: Mark | None = None
    decisions: Mark | None = None
    findings: str = Field("", max_length=5000)
    supervisor_actions: str = Field("", max_length=5000)
    revision: int | None = None

    def marks(self) -> dict[str, str]:
        """The criteria judged by the auditor, as the use case takes them (those left out are unjudged)."""
        return {key: value for key in JUDGED if (value := getattr(self, key)) is not None}
