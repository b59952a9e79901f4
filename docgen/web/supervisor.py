"""A supervisor's pages: the dashboard of supervisees, starting a record, a supervisee's history."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, url_for

from docgen.api import guard
from docgen.web import forms, listings
from docgen.auth import caller, uow
from docgen.web.navigation import page, signed_in
from workflows import access, due_list, people, records
from storage.errors import Conflict, InvalidInput

bp = Blueprint("supervisor", __name__, url_prefix="/supervision")


@bp.get("")
@page()
def dashboard() -> Any:
    """My supervisees with what is due: next supervision, drafts, records awaiting sign-off."""
    mine = due_list.my_supervisees(uow(), caller())
    return render_template("supervisor/dashboard.html", supervisees=mine.people, due=mine.due, profile=mine.profile)


@bp.route("/<int:person_id>/records/new", methods=["GET", "POST"])
@page()
def start_record(person_id: int) -> Any:
    supervisee = people.get_person(g.db, person_id)
    access.edit_access(g.db, signed_in(), supervisee)  # only their current supervisor sees the form
    form = forms.StartRecordForm()
    if form.validate_on_submit():
        try:
            guard.write(supervisee, "person", supervisee.id, "record.create")
            record = records.create_record(g.db, current_app.extensions["docgen"].profile, supervisee,
                                           form.session_date.data)
            g.db.commit()
            return redirect(url_for("records.edit", record_id=record.id))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, {"supervisor_id": "session_date"})
    return render_template("supervisor/start_record.html", form=form, supervisee=supervisee), 400 if form.errors else 200


@bp.get("/<int:person_id>")
@page()
def history(person_id: int) -> Any:
    """A supervisee's records and actions (an audited read of their supervision file)."""
    supervisee = people.get_person(g.db, person_id)
    guard.read(supervisee, "person", supervisee.id, "records.history")
    return render_template("supervisor/history.html", supervisee=supervisee,
                           records=listings.records_of(g.db, supervisee.id),
                           actions=listings.actions_of(g.db, supervisee.id), number=records.record_number)
