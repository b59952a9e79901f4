"""A supervisor's pages: the dashboard of supervisees, starting a record, a supervisee's history."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, InvalidInput
from workflows import agreements, due_list, records, signoff
from workflows.inputs.records import StartRecord

bp = Blueprint("supervisor", __name__, url_prefix="/supervision")


@bp.get("")
@page()
def dashboard() -> Any:
    """My supervisees with what is due and whose turn it is: next supervision, drafts, records in
    sign-off, recently signed records with their PDF."""
    mine = due_list.my_supervisees(uow(), caller())
    return render_template("supervisor/dashboard.html", supervisees=mine.people, due=_by_supervisee(mine.due),
                           profile=mine.profile, turns=_by_supervisee(mine.turns), agreements=mine.agreements,
                           groups_due=mine.groups_due)


def _by_supervisee(rows: Iterable[Any]) -> dict[int, list[Any]]:
    """Rows (due items, turns) by their `supervisee_id`, each list in the order given: each row of
    the dashboard takes its own at once, where filtering the whole list per row grew with the
    square of the team."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.supervisee_id].append(row)
    return grouped


def _start_page(shown: records.NewRecord, form: forms.StartRecordForm, status: int = 200,
                existing: int | None = None) -> Any:
    return render_template("supervisor/start_record.html", form=form, supervisee=shown.supervisee, kinds=shown.kinds,
                           kind=request.form.get("kind") or (shown.kinds[0][0] if shown.kinds else None),
                           existing=existing), status


@bp.get("/<int:person_id>/records/new")
@page()
def start_record(person_id: int) -> Any:
    """The form to start a record; only the supervisee's current supervisor sees it."""
    return _start_page(records.new_record_form(uow(), caller(), person_id), forms.StartRecordForm())


@bp.post("/<int:person_id>/records/new")
@page()
def start(person_id: int) -> Any:
    """Start the record, pre-filled, and go on to edit it."""
    form = forms.StartRecordForm()
    try:
        forms.filled_in(form)
        asked = form_to(StartRecord, form, supervisee_id=person_id)
        record = records.start_record(uow(), caller(), asked.supervisee_id, asked.session_date, asked.supervisor_id,
                                      asked.kind)
    except forms.Incomplete:
        return _start_page(records.new_record_form(uow(), caller(), person_id), form, 400)
    except (InvalidInput, Conflict) as exc:
        shown = records.new_record_form(uow(), caller(), person_id)
        forms.show_error(form, exc, {"supervisor_id": "session_date"})
        return _start_page(shown, form, 400, getattr(exc, "record_id", None))
    return redirect(url_for("records.edit", record_id=record.id))


@bp.get("/<int:person_id>")
@page()
def history(person_id: int) -> Any:
    """A supervisee's records and actions (an audited read of their supervision file), with their
    current agreement and each record's tag read here, before the page renders."""
    shown = records.history(uow(), caller(), person_id)
    return render_template("supervisor/history.html", supervisee=shown.supervisee, records=shown.records,
                           actions=shown.actions, number=records.record_number,
                           agreement=agreements.current_link(uow(), person_id), tags=signoff.tags(uow(), shown.records))
