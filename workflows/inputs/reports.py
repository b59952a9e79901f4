"""The parameters of what is due and of the reports over a period."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from workflows.inputs import Id, Query


class DueQuery(Query):
    """What is due, for a team, a supervisor or in one state."""

    team_id: Id | None = None
    supervisor_id: Id | None = None
    state: str | None = None


class Period(Query):
    """A period, from and to (both days in it), as a report's query string names them."""

    start: dt.date = Field(alias="from", description="the first day, like 2026-04-01")
    end: dt.date = Field(alias="to", description="the last day, like 2026-06-30")


class ComplianceQuery(Period):
    """Compliance for a team, a service or (neither) the organisation, as JSON or CSV."""

    team_id: Id | None = None
    service: str | None = None
    format: Literal["json", "csv"] = "json"


class RetentionPlanQuery(Query):
    """The retention steps due as of a day (by default, today)."""

    today: dt.date | None = None
