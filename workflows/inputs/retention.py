"""What HR gives when people move and leave, for legal holds and for forwarding records early."""
from __future__ import annotations

from workflows.inputs import Id, Input
from workflows.inputs.dates import Ahead


class Transfer(Input):
    """A move to a new supervisor and/or team from a date (not years ahead: `Ahead`)."""

    on: Ahead
    supervisor_id: Id | None = None
    team_id: Id | None = None
    line_manager_id: Id | None = None


class RecordLeaver(Input):
    """The day a person leaves, as HR or an administrator records (or corrects) it: not years ahead
    (`Ahead`: a year typed as 2092 is a slip, not a notice period). Before their employment start
    is refused by `movers.mark_leaver`, which knows the person."""

    leave_date: Ahead


class ForwardEarly(Input):
    """A leaver's records forwarded to HR before the retention run would, with the reason (audited)."""

    reason: str


class PlaceHold(Input):
    """A legal hold on a person's records or on one record."""

    reason: str
    person_id: Id | None = None
    record_id: Id | None = None


class LiftHold(Input):
    reason: str = ""
