"""What an administrator or HR gives to change a supervisee's supervisor from a relationship's page
or its API twin (the relationship and its revision come from the URL and If-Match, or the page's
hidden field)."""
from __future__ import annotations

import datetime as dt

from workflows.inputs import Id, Input


class ChangeSupervisor(Input):
    """A new supervisor from a date: the current relationship ends the day before it."""

    supervisor_id: Id
    starts_on: dt.date
