"""Planning a supervisee's sessions: plan one, download its invitation, cancel it, rebook it.

Every change is a use case of `workflows.planning`, the same the JSON API calls: who may arrange
a supervisee's sessions, which supervisor a session is with, the audit entries and the e-mails
with the .ics. The invitation download is the API's own route, which accepts the page session.
People type UK times; they are stored in UTC, as the API stores them.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Regexp

from docgen.auth import caller, uow
from docgen.web import forms
from kernel import clock
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, Forbidden, InvalidInput
from workflows import planning
from workflows.inputs.planning import PlanSession, RebookSession

bp = Blueprint("planning", __name__, url_prefix="/supervision")

TIME = r"^([01]?\d|2[0-3])[:.]([0-5]\d)$"
# Where a workflow error goes on the form; anything else (a leaver, no supervisor) goes on the date.
FIELDS = {"starts_at": "day", "minutes": "minutes"}


class SessionForm(FlaskForm):
    day = forms.GovDateField("Date of the session", required=True, description=forms.ThisYearHint("For example, 14 5 {year}"))
    time = StringField("Start time", widget=GovTextInput(), description="UK time, 24-hour clock, for example 14:30",
                       validators=[InputRequired(message="Enter the start time"),
                                   Regexp(TIME, message="Enter the start time as hours and minutes, like 14:30")])
    minutes = StringField("Length in minutes", widget=GovTextInput(),
                          validators=[InputRequired(message="Enter the length in minutes"),
                                      Regexp(r"^\d{1,3}$", message="Enter the length as a number of minutes, like 60")])
    location = StringField("Location", widget=GovTextInput(), description="For example, Room 2, Huyton or Teams")
    submit = SubmitField("Plan the session", widget=GovSubmitInput())


class RebookForm(SessionForm):
    submit = SubmitField("Rebook the session", widget=GovSubmitInput())


def _starts_at(form: SessionForm) -> dt.datetime:
    """The form's UK date and time as the naive UTC the workflow takes."""
    hours, minutes = form.time.data.replace(".", ":").split(":")
    local = dt.datetime.combine(form.day.data, dt.time(int(hours), int(minutes)), tzinfo=clock.UK)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _sessions_page(sessions: planning.Sessions, form: SessionForm, status: int = 200) -> Any:
    return render_template("planning/sessions.html", supervisee=sessions.supervisee, supervisor=sessions.supervisor,
                           form=form, rows=sessions.rows), status


@bp.get("/<int:person_id>/sessions")
@page()
def sessions(person_id: int) -> Any:
    """The supervisee's planned and cancelled sessions, and the form to plan the next one."""
    shown = planning.sessions_of(uow(), caller(), person_id)
    return _sessions_page(shown, SessionForm(data={"minutes": str(shown.minutes)}))


@bp.post("/<int:person_id>/sessions")
@page()
def plan(person_id: int) -> Any:
    """Plan a session with the current supervisor; both get the invitation by e-mail."""
    form = SessionForm()
    try:
        forms.filled_in(form)
        asked = form_to(PlanSession, form, supervisee_id=person_id, starts_at=_starts_at(form))
        planned = planning.arrange_session(uow(), caller(), asked.supervisee_id, asked.starts_at,
                                           minutes=asked.minutes, location=asked.location)
    except forms.Incomplete:
        return _sessions_page(planning.sessions_of(uow(), caller(), person_id), form, 400)
    except (InvalidInput, Conflict, Forbidden) as exc:
        # Someone who may not arrange the sessions gets the page's own answer: it does not exist for them.
        shown = planning.sessions_of(uow(), caller(), person_id)
        forms.show_error(form, exc, FIELDS)
        return _sessions_page(shown, form, 400)
    flash(f"The session on {planned.starts:%-d %B %Y at %H:%M} is planned; "
          f"{planned.supervisee.name} and {planned.supervisor.name} have been sent the invitation")
    return redirect(url_for("planning.sessions", person_id=planned.supervisee.id))


@bp.post("/sessions/<int:session_id>/cancel")
@page()
def cancel(session_id: int) -> Any:
    """Cancel a planned session; it then has to be rebooked within the profile's working days."""
    cancelled = planning.cancel_session(uow(), caller(), session_id)
    flash(f"The session on {cancelled.starts:%-d %B %Y} is cancelled; rebook it by {cancelled.rebook_by:%-d %B %Y}")
    return redirect(url_for("planning.sessions", person_id=cancelled.session.supervisee_id))


def _rebook_page(rebooking: planning.Rebooking, form: RebookForm, status: int = 200) -> Any:
    return render_template("planning/rebook.html", form=form, session=rebooking.session,
                           supervisee=rebooking.supervisee, starts=rebooking.starts), status


@bp.get("/sessions/<int:session_id>/rebook")
@page()
def rebook(session_id: int) -> Any:
    """The form to book the replacement of a cancelled session, with its length and place unless changed."""
    rebooking = planning.rebooking(uow(), caller(), session_id)
    session = rebooking.session
    return _rebook_page(rebooking, RebookForm(data={"minutes": str(session.minutes), "location": session.location}))


@bp.post("/sessions/<int:session_id>/rebook")
@page()
def rebook_session(session_id: int) -> Any:
    """Book the replacement; both people are sent the new invitation."""
    form = RebookForm()
    try:
        forms.filled_in(form)
        asked = form_to(RebookSession, form, starts_at=_starts_at(form))
        planned = planning.rebook_session(uow(), caller(), session_id, asked.starts_at, minutes=asked.minutes,
                                          location=asked.location or "")
    except forms.Incomplete:
        return _rebook_page(planning.rebooking(uow(), caller(), session_id), form, 400)
    except (InvalidInput, Conflict) as exc:
        shown = planning.rebooking(uow(), caller(), session_id)
        forms.show_error(form, exc, FIELDS)
        return _rebook_page(shown, form, 400)
    flash(f"The session is rebooked for {planned.starts:%-d %B %Y at %H:%M}; the invitation has been sent")
    return redirect(url_for("planning.sessions", person_id=planned.session.supervisee_id))
