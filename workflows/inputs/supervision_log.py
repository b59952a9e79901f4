"""The parameters of a supervision log (issue 25 item 3): the months it covers, and for a team's log
the team. The API and the pages read their query strings through these models, so a bad month is
refused in the same words on both."""
from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_validator

from workflows.inputs import Id, Query

_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-\d{2})?$")
# The years a log may be asked for. The log reaches past the months asked (twelve before or after
# one left out, a day either side for UK time), so a year at the calendar's end (1 or 9999) overflowed
# into a 500 on every view; no supervision docgen holds is dated outside these, so the bounds refuse
# nothing real, and refusing here gives the API, the pages and the CSVs the same 422 naming the box.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def first_of(month: str | None) -> dt.date | None:
    """The first day of a month written `2026-04` (a whole date's month counts too); None for none."""
    if month is None:
        return None
    found = _MONTH.match(month)
    return dt.date(int(found.group(1)), int(found.group(2)), 1) if found else None


class LogQuery(Query):
    """The months a log covers, from and to (both shown); left out, the twelve months to this one."""

    start: str | None = Field(None, alias="from", description="the first month, like 2026-04",
                              examples=["2026-04"])
    end: str | None = Field(None, alias="to", description="the last month, like 2027-03", examples=["2027-03"])

    @field_validator("start", "end")
    @classmethod
    def _a_month(cls, value: str | None) -> str | None:
        if value is None:
            return value
        found = _MONTH.match(value.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12:
            raise ValueError("must be a month like 2026-04")
        if not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
            raise ValueError(f"must be a month between {FIRST_YEAR}-01 and {LAST_YEAR}-12")
        return f"{found.group(1)}-{found.group(2)}"

    @property
    def first(self) -> dt.date | None:
        """The first day of the first month (None: the default)."""
        return first_of(self.start)

    @property
    def last(self) -> dt.date | None:
        """The first day of the last month (None: the default)."""
        return first_of(self.end)


class TeamLogQuery(LogQuery):
    """A team's log over the months; without a team, the page offers the teams to choose from."""

    team_id: Id | None = None
