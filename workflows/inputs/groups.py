"""What a facilitator and a recorder give for group supervision: the group, a session, who came,
and the group record's fields."""
from __future__ import annotations

from typing import Literal

from workflows.inputs import Id, Input, Location, StartsAt


class CreateGroup(Input):
    """A group: its facilitator, members and, where the profile names them, a recorder and a signer."""

    name: str
    facilitator_id: Id
    member_ids: list[Id]
    recorder_id: Id | None = None
    signer_id: Id | None = None
    frequency: str = ""  # the group's own ("4 weeks"), only where the profile sets none


class PlanGroupSession(Input):
    """A session of a group; every member is sent the invitation."""

    starts_at: StartsAt
    minutes: int | None = None  # default: the profile's groups.session_minutes; the use case keeps it within a day
    location: Location = ""


class AttendanceMark(Input):
    person_id: Id
    attendance: Literal["present", "apologies", "absent"]


class MarkAttendance(Input):
    """Each member present, apologies or absent."""

    attendance: list[AttendanceMark]

    def marks(self) -> dict[int, str]:
        """By person, as the use case takes them."""
        return {mark.person_id: mark.attendance for mark in self.attendance}


class SaveGroupRecord(Input):
    """The group record's form, from the revision it was opened at."""

    revision: int | None = None
    fields: dict[str, str]
