"""What a supervisor gives to plan a one-to-one supervision session and to move it."""
from __future__ import annotations

from workflows.inputs import Id, Input, Location, StartsAt


class PlanSession(Input):
    supervisee_id: Id
    supervisor_id: Id | None = None  # default: the supervisee's current supervisor
    starts_at: StartsAt
    minutes: int | None = None  # default: the profile's session_minutes
    location: Location = ""


class RebookSession(Input):
    starts_at: StartsAt
    minutes: int | None = None
    location: Location | None = None
