"""Planning a supervisee's sessions: plan one, download its invitation, cancel it, rebook it.

The changes are `workflows.planning`'s, which also write the e-mails with the .ics to the outbox;
who may make them, and their audit entries, are the JSON API's (`docgen.web.oversight`). The
invitation download is the API's own route, which accepts the page session. People type UK
times; they are stored in UTC, as the API stores them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from sqlalchemy import select
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Regexp

from storage.models import Person, PlannedSession
from docgen.web import forms
from docgen import oversight
from docgen.web.navigation import page, signed_in
from storage import clock
from workflows import people, planning, schedule
from storage.errors import Conflict, InvalidInput, NotFound

bp = Blueprint("planning", __name__, url_prefix="/supervision")

TIME = r"^([01]?\d|2[0-3])[:.]([0-5]\d)$"
# Where a workflow error goes on the form; anything else (a leaver, no supervisor) goes on the date.
FIELDS = {"starts_at": "day", "minutes": "minutes"}
SHOWN = 50  # the newest sessions listed; older ones are in the supervision history


class SessionForm(FlaskForm):
    day = forms.GovDateField("Date of the session", required=True, description="For example, 14 5 2025")
    time = StringField("Start time", widget=GovTextInput(), description="UK time, 24-hour clock, for example 14:30",
                       validators=[InputRequired(message="Enter the start time"),
                                   Regexp(TIME, message="Enter the start time as hours and minutes, like 14:30")])
    minutes = StringField("Length in minutes", widget=GovTextInput(), default="60",
                          validators=[InputRequired(message="Enter the length in minutes"),
                                      Regexp(r"^\d{1,3}$", message="Enter the length as a number of minutes, like 60")])
    location = StringField("Location", widget=GovTextInput(), description="For example, Room 2, Huyton or Teams")
    submit = SubmitField("Plan the session", widget=GovSubmitInput())


class RebookForm(SessionForm):
    submit = SubmitField("Rebook the session", widget=GovSubmitInput())


@dataclass(frozen=True)
class SessionRow:
    """One planned or cancelled session as the list shows it."""

    session: PlannedSession
    starts: dt.datetime  # UK time
    rebook_by: dt.date | None  # a cancelled session not yet rebooked must be rebooked by then
    rebook_overdue: bool


def _uk(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC).astimezone(planning.LONDON)


def _starts_at(form: SessionForm) -> dt.datetime:
    """The form's UK date and time as the naive UTC the workflow takes."""
    hours, minutes = form.time.data.replace(".", ":").split(":")
    local = dt.datetime.combine(form.day.data, dt.time(int(hours), int(minutes)), tzinfo=planning.LONDON)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _supervisee_for_arranger(person_id: int) -> tuple[Person, Person | None]:
    """The supervisee and their supervisor today, if the caller may arrange their sessions (else 404)."""
    supervisee = people.get_person(g.db, person_id)
    supervisor = people.current_supervisor(g.db, supervisee.id, clock.today())
    # Without a supervisor only the supervisee, their managers, hr and admin may look.
    if not oversight.may_arrange(supervisee.id, supervisor.id if supervisor else supervisee.id):
        raise NotFound(f"no person with id {person_id}", "id")
    return supervisee, supervisor


def _rows(supervisee_id: int) -> list[SessionRow]:
    """The newest sessions, latest first. The query belongs in `workflows/planning.py` (listing)."""
    profile = current_app.extensions["docgen"].profile
    today = clock.today()
    sessions = g.db.scalars(select(PlannedSession).where(PlannedSession.supervisee_id == supervisee_id)
                            .order_by(PlannedSession.starts_at.desc()).limit(SHOWN))
    rows = []
    for s in sessions:
        due = (schedule.rebook_deadline(profile, s.cancelled_on)
               if s.status == "cancelled" and s.rebooked_as_id is None and s.cancelled_on else None)
        rows.append(SessionRow(s, _uk(s.starts_at), due, due is not None and due < today))
    return rows


def _sessions_page(supervisee: Person, supervisor: Person | None, form: SessionForm, status: int = 200) -> Any:
    return render_template("planning/sessions.html", supervisee=supervisee, supervisor=supervisor, form=form,
                           rows=_rows(supervisee.id)), status


@bp.get("/<int:person_id>/sessions")
@page()
def sessions(person_id: int) -> Any:
    """The supervisee's planned and cancelled sessions, and the form to plan the next one."""
    supervisee, supervisor = _supervisee_for_arranger(person_id)
    return _sessions_page(supervisee, supervisor, SessionForm())


@bp.post("/<int:person_id>/sessions")
@page()
def plan(person_id: int) -> Any:
    """Plan a session with the current supervisor; both get the invitation by e-mail."""
    supervisee, supervisor = _supervisee_for_arranger(person_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            if supervisor is None:
                raise InvalidInput(f"{supervisee.name} has no supervisor today", "supervisor_id")
            session = planning.plan_session(g.db, current_app.extensions["docgen"].profile, supervisee, supervisor,
                                            _starts_at(form), clock.today(), minutes=int(form.minutes.data),
                                            location=form.location.data or "")
            oversight.audit_session("session.plan", session)
            g.db.commit()
            flash(f"The session on {_uk(session.starts_at):%-d %B %Y at %H:%M} is planned; "
                  f"{supervisee.name} and {supervisor.name} have been sent the invitation")
            return redirect(url_for("planning.sessions", person_id=supervisee.id))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, FIELDS)
    return _sessions_page(supervisee, supervisor, form, 400)


@bp.post("/sessions/<int:session_id>/cancel")
@page()
def cancel(session_id: int) -> Any:
    """Cancel a planned session; it then has to be rebooked within the profile's working days."""
    session = oversight.session_for_caller(session_id)
    planning.cancel(g.db, session, signed_in().person, clock.today())
    oversight.audit_session("session.cancel", session)
    g.db.commit()
    by = schedule.rebook_deadline(current_app.extensions["docgen"].profile, session.cancelled_on)
    flash(f"The session on {_uk(session.starts_at):%-d %B %Y} is cancelled; rebook it by {by:%-d %B %Y}")
    return redirect(url_for("planning.sessions", person_id=session.supervisee_id))


@bp.route("/sessions/<int:session_id>/rebook", methods=["GET", "POST"])
@page()
def rebook(session_id: int) -> Any:
    """Book the replacement of a cancelled session, with its length and place unless changed."""
    session = oversight.session_for_caller(session_id)
    form = RebookForm(data={"minutes": str(session.minutes), "location": session.location})
    if form.validate_on_submit():
        try:
            new = planning.rebook(g.db, current_app.extensions["docgen"].profile, session, _starts_at(form),
                                  clock.today(), minutes=int(form.minutes.data), location=form.location.data or "")
            oversight.audit_session("session.rebook", new)
            g.db.commit()
            flash(f"The session is rebooked for {_uk(new.starts_at):%-d %B %Y at %H:%M}; the invitation has been sent")
            return redirect(url_for("planning.sessions", person_id=session.supervisee_id))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, FIELDS)
    supervisee = people.get_person(g.db, session.supervisee_id)
    return render_template("planning/rebook.html", form=form, session=session, supervisee=supervisee,
                           starts=_uk(session.starts_at)), 400 if form.errors else 200
