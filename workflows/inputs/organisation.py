"""What an administrator gives for people, teams and supervision relationships, and the filters of
their lists."""
from __future__ import annotations

import datetime as dt

from workflows.inputs import Id, Input, Paging
from workflows.inputs.dates import Ahead


class PersonCreate(Input):
    """A member of staff: name, e-mail, role and employment start are needed."""

    name: str
    email: str
    role: str
    employment_start: dt.date
    job_title: str = ""
    team_id: Id | None = None
    line_manager_id: Id | None = None
    employment_type: str = "employee"
    leave_date: dt.date | None = None


class PersonUpdate(Input):
    """A change to a person: a field left out stays as it is, a null empties it."""

    name: str | None = None
    email: str | None = None
    role: str | None = None
    employment_start: dt.date | None = None
    job_title: str | None = None
    team_id: Id | None = None
    line_manager_id: Id | None = None
    employment_type: str | None = None
    leave_date: dt.date | None = None


class TeamCreate(Input):
    name: str
    service: str = ""


class TeamUpdate(Input):
    name: str | None = None
    service: str | None = None


class RelationshipCreate(Input):
    """One person supervises another from a date (and its draft agreement starts)."""

    supervisee_id: Id
    supervisor_id: Id
    starts_on: Ahead
    ends_on: Ahead | None = None


class RelationshipUpdate(Input):
    supervisor_id: Id | None = None
    starts_on: Ahead | None = None
    ends_on: Ahead | None = None


class PeopleQuery(Paging):
    team_id: Id | None = None
    role: str | None = None
    status: str | None = None
    q: str | None = None


class TeamsQuery(Paging):
    service: str | None = None


class RelationshipsQuery(Paging):
    supervisee_id: Id | None = None
    supervisor_id: Id | None = None
