"""What an administrator or HR gives to change a supervisee's supervisor from a relationship's page
or its API twin (the relationship and its revision come from the URL and If-Match, or the page's
hidden field)."""
from __future__ import annotations

from workflows.inputs import Id, Input
from workflows.inputs.dates import Ahead


class ChangeSupervisor(Input):
    """A new supervisor from a date: the current relationship ends the day before it."""

    supervisor_id: Id
    starts_on: Ahead
