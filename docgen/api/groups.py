"""Group supervision over JSON: groups, sessions with invitations, attendance, each session's
record, groups due, attendance per person. Sending the record for sign-off, its sign-off and its
sealed PDF are the records' own routes (`/records/<id>/send`, `/sign/<token>`, `/records/<id>/pdf`).
Each route parses, calls one use case and shapes its answer.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from docgen.api.routing import json_body, route
from docgen.api.schemas import UtcDateTime, parse
from docgen.auth import caller, login_required, uow
from storage.models import GroupSession, Record, SupervisionGroup
from workflows import groups
from workflows.inputs.groups import CreateGroup, MarkAttendance, PlanGroupSession, SaveGroupRecord
from workflows.inputs.planning import RebookSession
from workflows.inputs.reports import Period


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    facilitator_id: int
    recorder_id: int | None
    signer_id: int | None
    frequency: str


class GroupSessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    group_id: int
    starts_at: UtcDateTime
    minutes: int
    location: str
    status: str
    uid: str


class GroupRecordOut(BaseModel):
    id: int
    kind: str
    status: str
    version: int
    revision: int
    group_session_id: int
    recorder_id: int
    signer_id: int
    fields: dict[str, str]


class GroupDueOut(BaseModel):
    group_id: int
    name: str
    state: str
    last_held: dt.date | None
    due_on: dt.date
    overdue_from: dt.date


class AttendanceLineOut(BaseModel):
    person_id: int
    name: str
    present: int
    apologies: int
    absent: int


class GroupsDueOut(BaseModel):
    items: list[GroupDueOut]


class GroupAttendanceOut(BaseModel):
    start: dt.date
    end: dt.date
    items: list[AttendanceLineOut]


def _group(group: SupervisionGroup) -> dict[str, Any]:
    return GroupOut.model_validate(group).model_dump(mode="json")


def _session(session: GroupSession) -> dict[str, Any]:
    return GroupSessionOut.model_validate(session).model_dump(mode="json")


def _record(record: Record, fields: dict[str, str]) -> dict[str, Any]:
    return GroupRecordOut(id=record.id, kind=record.kind, status=record.status, version=record.version,
                          revision=record.revision, group_session_id=record.group_session_id,
                          recorder_id=record.supervisee_id, signer_id=record.supervisor_id,
                          fields=fields).model_dump(mode="json")


@route("POST", "/groups", "Set up a supervision group: facilitator, members and, where the profile names them, "
       "a recorder and a signer", request_model=CreateGroup, response=GroupOut, status=201)
@login_required
def create_group() -> Any:
    body = parse(CreateGroup, json_body())
    group = groups.create_group(uow(), caller(), body.name, body.facilitator_id, body.member_ids,
                                recorder_id=body.recorder_id, signer_id=body.signer_id, frequency=body.frequency)
    return _group(group), 201


@route("POST", "/groups/<int:group_id>/sessions", "Plan a group session and e-mail every member the invitation "
       "(.ics)", request_model=PlanGroupSession, response=GroupSessionOut, status=201)
@login_required
def plan_group_session(group_id: int) -> Any:
    body = parse(PlanGroupSession, json_body())
    session = groups.plan_session(uow(), caller(), group_id, body.starts_at, minutes=body.minutes,
                                  location=body.location)
    return _session(session), 201


@route("POST", "/group-sessions/<int:session_id>/cancel", "Cancel a planned group session: everyone invited is sent "
       "the calendar's cancellation; rebook it later (those who run the group)", response=GroupSessionOut)
@login_required
def cancel_group_session(session_id: int) -> Any:
    return _session(groups.cancel_session(uow(), caller(), session_id))


@route("POST", "/group-sessions/<int:session_id>/rebook", "Move a planned group session, or rebook a cancelled one, "
       "its length and place kept unless given: everyone invited is sent the new invitation (those who run the "
       "group)", request_model=RebookSession, response=GroupSessionOut)
@login_required
def rebook_group_session(session_id: int) -> Any:
    body = parse(RebookSession, json_body())
    return _session(groups.rebook_session(uow(), caller(), session_id, body.starts_at, minutes=body.minutes,
                                          location=body.location))


@route("PUT", "/group-sessions/<int:session_id>/attendance", "Mark each member present, apologies or absent",
       request_model=MarkAttendance, response=GroupSessionOut)
@login_required
def mark_attendance(session_id: int) -> Any:
    body = parse(MarkAttendance, json_body())
    return _session(groups.record_attendance(uow(), caller(), session_id, body.marks()))


@route("POST", "/group-sessions/<int:session_id>/record", "Start the session's group record (its recorder)",
       response=GroupRecordOut, status=201)
@login_required
def start_group_record(session_id: int) -> Any:
    record = groups.start_record(uow(), caller(), session_id)
    return _record(record, {}), 201


@route("GET", "/group-records/<int:record_id>", "A group record, for those present at its session and the usual "
       "management and HR rules", response=GroupRecordOut)
@login_required
def get_group_record(record_id: int) -> Any:
    page = groups.read_record(uow(), caller(), record_id)
    return _record(page.record, page.doc["fields"])


@route("PATCH", "/group-records/<int:record_id>", "Save the form's fields (case IDs only)",
       request_model=SaveGroupRecord, response=GroupRecordOut)
@login_required
def save_group_record(record_id: int) -> Any:
    body = parse(SaveGroupRecord, json_body())
    record = groups.save_record(uow(), caller(), record_id, body.fields, body.revision)
    return _record(record, dict(record.sections or {}))


@route("GET", "/groups/due", "Groups due or overdue to meet, by the profile's frequency", response=GroupsDueOut)
@login_required
def groups_due() -> Any:
    return {"items": [GroupDueOut(group_id=d.group.id, name=d.group.name, state=d.state, last_held=d.last_held,
                                  due_on=d.due, overdue_from=d.overdue_from).model_dump(mode="json")
                      for d in groups.groups_due(uow(), caller())]}


@route("GET", "/reports/group-attendance", "Group supervision attendance per person over a period (from, to), "
       "apart from 1:1 supervision", response=GroupAttendanceOut, query=Period)
@login_required
def group_attendance(query: Period) -> Any:
    lines = groups.attendance_report(uow(), caller(), query.start, query.end)
    return {"start": query.start.isoformat(), "end": query.end.isoformat(),
            "items": [AttendanceLineOut.model_validate(line.__dict__).model_dump(mode="json") for line in lines]}
