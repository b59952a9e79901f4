"""What a manager gives to start records for a whole team or service at once."""
from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import Field, model_validator

from workflows.inputs import Id, Input


class BeginBulkStart(Input):
    """One session date, and either a team or a service."""

    session_date: dt.date
    team_id: Id | None = None
    service: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        if (self.team_id is None) == (not self.service.strip()):
            raise ValueError("give either team_id or service")
        return self
