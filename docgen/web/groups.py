"""Group supervision pages: the groups due and one's own groups, setting a group up, a group with
its sessions, planning, cancelling and rebooking a session, marking attendance, and a session's
record (read, written by its recorder, sent for sign-off by the records' own pipeline).

Each view parses the form, calls one use case of `workflows.groups` (or the pipeline's send) and
shapes the page; a refusal is shown on the page, the field named.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from docgen.auth import caller, uow
from docgen.web.inputs import form_to, query_to
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import Conflict, Forbidden, InvalidInput
from workflows import groups, pipeline
from workflows.inputs.groups import CreateGroup, MarkAttendance, PlanGroupSession, SaveGroupRecord
from workflows.inputs.planning import RebookSession
from workflows.inputs.reports import Period

bp = Blueprint("groups", __name__)
REFUSED = (InvalidInput, Conflict, Forbidden)


def _error(exc: Exception) -> dict[str, Any]:
    """The error summary of a refusal, linking to the field it names."""
    field = getattr(exc, "field", None) or "main"
    field = {"starts_at": "day"}.get(field, field)  # a session's time is typed in its date and time boxes
    return {"titleText": "There is a problem", "errorList": [{"text": str(getattr(exc, "message", exc)),
                                                               "href": f"#{field}"}]}


@bp.get("/groups")
@page()
def overview() -> Any:
    """Groups due and overdue to meet (the profile's frequency), and the caller's own groups."""
    shown = groups.overview(uow(), caller())
    return render_template("groups/overview.html", due=shown.due, mine=shown.mine)


def _new_page(error: dict[str, Any] | None = None, status: int = 200) -> Any:
    form = groups.new_group_form(uow(), caller())
    return render_template("groups/new.html", people=form.people, recorder_role=form.recorder_role,
                           signer_role=form.signer_role, policy_frequency=form.policy_frequency,
                           facilitator_title=form.facilitator_title, error=error,
                           values=request.form), status


@bp.get("/groups/new")
@page()
def new_group() -> Any:
    """The form to set up a group: name, facilitator, members and the profile's recorder and signer."""
    return _new_page()


@bp.post("/groups/new")
@page()
def create_group() -> Any:
    try:
        asked = form_to(CreateGroup)
        group = groups.create_group(uow(), caller(), asked.name, asked.facilitator_id, asked.member_ids,
                                    recorder_id=asked.recorder_id, signer_id=asked.signer_id, frequency=asked.frequency)
    except REFUSED as exc:
        return _new_page(_error(exc), 400)
    flash(f"{group.name} is set up")
    return redirect(url_for("groups.group", group_id=group.id))


def _group_page(group_id: int, error: dict[str, Any] | None = None, status: int = 200) -> Any:
    shown = groups.group_page(uow(), caller(), group_id)
    return render_template("groups/group.html", shown=shown, error=error, values=request.form), status


@bp.get("/groups/<int:group_id>")
@page()
def group(group_id: int) -> Any:
    """A group: members, sessions with attendance and records, and planning the next session."""
    return _group_page(group_id)


def _starts_at() -> dt.datetime:
    """The UK date and time typed, as naive UTC; a bad one is refused naming its field."""
    try:
        day = dt.date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        raise InvalidInput("enter the date as YYYY-MM-DD, like 2026-12-08", "day") from None
    try:
        time = dt.time.fromisoformat(request.form.get("time", "").replace(".", ":"))
    except ValueError:
        raise InvalidInput("enter the start time as hours and minutes, like 14:30", "time") from None
    return dt.datetime.combine(day, time, tzinfo=clock.UK).astimezone(dt.UTC).replace(tzinfo=None)


@bp.post("/groups/<int:group_id>/sessions")
@page()
def plan_session(group_id: int) -> Any:
    """Plan a session; every member is e-mailed the calendar invitation."""
    try:
        planned = form_to(PlanGroupSession, starts_at=_starts_at())
        groups.plan_session(uow(), caller(), group_id, planned.starts_at, minutes=planned.minutes,
                            location=planned.location)
    except REFUSED as exc:
        return _group_page(group_id, _error(exc), 400)
    flash("The session is planned; every member has been sent the invitation")
    return redirect(url_for("groups.group", group_id=group_id))


@bp.post("/group-sessions/<int:session_id>/cancel")
@page()
def cancel_session(session_id: int) -> Any:
    """Cancel a planned session; everyone invited is sent the cancellation (as a 1:1 session's,
    `planning.cancel`)."""
    session = groups.cancel_session(uow(), caller(), session_id)
    flash(f"The session on {clock.uk(session.starts_at):%-d %B %Y at %H:%M} is cancelled; everyone in the group "
          "has been sent the cancellation. Rebook it from the list of sessions")
    return redirect(url_for("groups.group", group_id=session.group_id))


def _rebook_page(session_id: int, error: dict[str, Any] | None = None, status: int = 200) -> Any:
    session = groups.managed_session(uow(), caller(), session_id)
    local = clock.uk(session.starts_at)
    typed = request.form if error else {"day": "", "time": "", "minutes": session.minutes,
                                        "location": session.location}
    return render_template("groups/rebook.html", session=session, starts=local, error=error, values=typed), status


@bp.get("/group-sessions/<int:session_id>/rebook")
@page()
def rebook(session_id: int) -> Any:
    """The form to move a planned session or rebook a cancelled one, its length and place kept unless changed."""
    return _rebook_page(session_id)


@bp.post("/group-sessions/<int:session_id>/rebook")
@page()
def rebook_session(session_id: int) -> Any:
    """Move or rebook the session; everyone in the group is sent the new invitation. Read through
    the API twin's model (a one-to-one session's rebooking's); the place box is shown filled in, so
    an emptied one means no place."""
    try:
        asked = form_to(RebookSession, starts_at=_starts_at())
        session = groups.rebook_session(uow(), caller(), session_id, asked.starts_at, minutes=asked.minutes,
                                        location=asked.location or "")
    except REFUSED as exc:
        return _rebook_page(session_id, _error(exc), 400)
    flash(f"The session is rebooked for {clock.uk(session.starts_at):%-d %B %Y at %H:%M}; everyone in the group "
          "has been sent the new invitation")
    return redirect(url_for("groups.group", group_id=session.group_id))


def _attendance_page(session_id: int, error: dict[str, Any] | None = None, status: int = 200) -> Any:
    shown = groups.attendance_page(uow(), caller(), session_id)
    return render_template("groups/attendance.html", shown=shown, choices=groups.ATTENDANCE, error=error), status


@bp.get("/group-sessions/<int:session_id>/attendance")
@page()
def attendance(session_id: int) -> Any:
    """Mark each member present, apologies or absent."""
    return _attendance_page(session_id)


@bp.post("/group-sessions/<int:session_id>/attendance")
@page()
def mark_attendance(session_id: int) -> Any:
    # One radio group per member, named `attendance-<person id>`.
    marks = [{"person_id": key.removeprefix("attendance-"), "attendance": value}
             for key, value in request.form.items() if key.startswith("attendance-")]
    try:
        session = groups.record_attendance(uow(), caller(), session_id,
                                           form_to(MarkAttendance, attendance=marks).marks())
    except REFUSED as exc:
        return _attendance_page(session_id, _error(exc), 400)
    flash("Attendance is saved")
    return redirect(url_for("groups.group", group_id=session.group_id))


@bp.post("/group-sessions/<int:session_id>/record")
@page()
def start_record(session_id: int) -> Any:
    """Start the session's record (its recorder) and go on to write it."""
    record = groups.start_record(uow(), caller(), session_id)
    return redirect(url_for("groups.record", record_id=record.id))


def _record_page(record_id: int, error: dict[str, Any] | None = None, status: int = 200) -> Any:
    shown = groups.read_record(uow(), caller(), record_id)
    return render_template("groups/record.html", shown=shown, doc=shown.doc, writes=shown.writes, error=error,
                           values=request.form), status


@bp.get("/group-records/<int:record_id>")
@page()
def record(record_id: int) -> Any:
    """A group record: its recorder writes it here; those present at the session read it."""
    return _record_page(record_id)


@bp.post("/group-records/<int:record_id>")
@page()
def save_record(record_id: int) -> Any:
    values = {key: value for key, value in request.form.items() if key not in ("csrf_token", "revision")}
    try:
        saved = form_to(SaveGroupRecord, fields=values)
        groups.save_record(uow(), caller(), record_id, saved.fields, saved.revision)
    except REFUSED as exc:
        return _record_page(record_id, _error(exc), 400)
    flash("The record is saved")
    return redirect(url_for("groups.record", record_id=record_id))


@bp.post("/group-records/<int:record_id>/send")
@page()
def send_record(record_id: int) -> Any:
    """Send the record to its signer (W §8: the Advanced Practitioner) through the e-mailed link."""
    try:
        pipeline.send_for_signoff(uow(), caller(), "record", record_id)
    except REFUSED as exc:
        return _record_page(record_id, _error(exc), 400)
    flash("The record is sent for sign-off")
    return redirect(url_for("groups.record", record_id=record_id))


@bp.get("/groups/attendance")
@page()
def attendance_report() -> Any:
    """Group attendance per person over a period, apart from 1:1 supervision (it does not replace it)."""
    today = clock.today()
    period = query_to(Period, **{"from": today - dt.timedelta(days=90), "to": today})  # the last 90 days unless asked
    lines = groups.attendance_report(uow(), caller(), period.start, period.end)
    return render_template("groups/attendance_report.html", lines=lines, start=period.start, end=period.end)
