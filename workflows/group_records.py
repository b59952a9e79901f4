"""A group session's record as its form prints it: the template context the Word file, the record's
page and the sign-off link's page read (the contract of `workflows.records.record_context`, which
hands a group record here).

Kept apart from `workflows.groups` (the use cases) because the 1:1 records module asks it for the
context, and the use cases build on that module: so this one imports neither.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from storage.models import GroupAttendance, GroupSession, Organisation, Person, Record
from workflows import group_forms
from workflows.forms import Form, printed_at
from workflows.profiles import Profile


def is_group_record(record: Record) -> bool:
    return record.group_session_id is not None


def form_of(record: Record) -> Form:
    """The group form a group record is written on (its `kind` is the form's key)."""
    return group_forms.FORMS[record.kind]


def belongs_to(person_id: int) -> ColumnElement[bool]:
    """The records that are a person's: those filed as theirs (their 1:1 records, and the group
    records they wrote), and the record of every group session they were present at. A group record
    belongs to every attendee (issue 23): W App C 6 records the "Names of those present at
    discussion", and group supervision is "a separate meeting in addition to 1-1 supervision" (K),
    so each attendee's file holds it beside their own.

    True or false for every record, never NULL, so its negation is the records that are not the
    person's (`workflows.subject_access_export`: those they wrote about others): a 1:1 record has
    no group session, and SQL's `NULL IN (...)` is NULL, not false, once the person attended any
    session; `NOT NULL` is NULL too, so the negation would leave out every 1:1 record they wrote."""
    attended = select(GroupAttendance.session_id).where(GroupAttendance.person_id == person_id,
                                                        GroupAttendance.attendance == "present")
    in_attended = Record.group_session_id.is_not(None) & Record.group_session_id.in_(attended)
    return (Record.supervisee_id == person_id) | in_attended


def holders(db: Session, record: Record) -> list[Person]:
    """Whose file a group record is in: its recorder (it is filed as theirs) and each attendee.
    It is kept while any of them is (`workflows.retention`)."""
    attendees = db.scalars(select(Person).join(GroupAttendance, GroupAttendance.person_id == Person.id)
                           .where(GroupAttendance.session_id == record.group_session_id,
                                  GroupAttendance.attendance == "present"))
    return list({person.id: person for person in (record.supervisee, *attendees)}.values())


def present(db: Session, session_id: int) -> list[str]:
    """The names of those marked present at a session, in name order (W App C 6)."""
    return list(db.scalars(select(Person.name).join(GroupAttendance, GroupAttendance.person_id == Person.id)
                           .where(GroupAttendance.session_id == session_id, GroupAttendance.attendance == "present")
                           .order_by(Person.name)))


def context(db: Session, profile: Profile, org: Organisation, record: Record, number: str,
            marking: str | None = None) -> dict[str, Any]:
    """The template context of a group record as it stands: its typed fields, the session's date
    and who was present, one signature cell (the signer's: W §8, the Advanced Practitioner)."""
    session = db.get(GroupSession, record.group_session_id)
    form = form_of(record)
    values = record.sections or {}
    date = f"{record.session_date:%-d %B %Y}"
    context: dict[str, Any] = {
        "organisation": org.name, "marking": profile.marking if marking is None else marking,
        "record_id": number, "kind": record.kind, "title": profile.groups.record_title,
        "group": {"name": session.group.name, "present": ", ".join(present(db, session.id))},
        "supervisee": {"name": record.supervisee.name, "job_role": record.supervisee.job_title},
        "supervisor": {"name": record.supervisor.name, "job_role": record.supervisor.job_title},
        "team": "", "session_date": date,
        "next_supervision": f"{record.next_supervision:%-d %B %Y}" if record.next_supervision else "",
        "review_date": "", "previous": {"happy": "", "comments": ""}, "welfare": {"discussion": "", "actions": []},
        "areas": [], "actions": [], "actions_section": 0,
        **{field.key: values.get(field.key, "") for field in group_forms.typed_fields(form)
           if field.key != "next_supervision"},
        "signatures": {"supervisor": {"name": record.supervisor.name, "date": ""}},
    }
    return context | {"form": form, "fields": {
        field.key: printed_at(context, field.expression) for field in (*form.details, *form.fields)}}
