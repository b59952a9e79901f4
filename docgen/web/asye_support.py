"""An ASYE's record of support as pages (issue 25 item 3): the record (frequency met per phase,
direct observations, reviews at the profile's points), its CSV and printable page for the portfolio,
and the forms the supervisor records an observation or a review with. The rules are
`workflows.asye_support`'s; each view parses, calls one use case and shapes the answer."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import InvalidInput
from storage.models import Person
from workflows import asye_support
from workflows.inputs.asye_support import SupportEntryInput

bp = Blueprint("asye_support", __name__)


@bp.app_context_processor
def _asye_role() -> dict[str, str]:
    """The ASYE role's key, so the pages that link here offer the link only for an ASYE."""
    return {"asye_role": asye_support.ASYE_ROLE}


class EntryForm(FlaskForm):
    """A direct observation or a review; the labels are set for the kind (`_form`)."""

    on_date = forms.GovDateField("Date", required=True, description=forms.ThisYearHint("For example, 27 3 {year}"))
    by_name = StringField("Observer", widget=GovTextInput())
    note = TextAreaField("Note", widget=GovTextArea())
    submit = SubmitField("Save", widget=GovSubmitInput())


def _form(review_month: int | None, recorder: str = "") -> EntryForm:
    form = EntryForm()
    if review_month is None:
        form.on_date.label.text, form.by_name.label.text = "Date of the observation", "Observer"
        form.note.label.text, form.submit.label.text = "What was observed", "Save the observation"
    else:
        form.on_date.label.text, form.by_name.label.text = "Date the review was held", "Held by"
        form.note.label.text, form.submit.label.text = "Outcome of the review", "Save the review"
    if not form.is_submitted() and recorder:
        form.by_name.data = recorder
    return form


def _entry_page(person: Person, form: EntryForm, review_month: int | None, status: int = 200) -> Any:
    return render_template("asye_support/entry.html", person=person, form=form, review_month=review_month), status


def _entry(person_id: int, review_month: int | None) -> Any:
    """Show or save an observation (`review_month` None) or a review; a refused one shown again (400)."""
    person = asye_support.entry_form(uow(), caller(), person_id, review_month)
    form = _form(review_month, caller().person.name)
    if not form.is_submitted():
        return _entry_page(person, form, review_month)
    kind = "observation" if review_month is None else "review"
    try:
        forms.filled_in(form)
        asye_support.record_entry(uow(), caller(), person_id,
                                  form_to(SupportEntryInput, form, kind=kind, review_month=review_month))
    except (forms.Incomplete, InvalidInput) as exc:
        if isinstance(exc, InvalidInput):
            forms.show_error(form, exc)
        return _entry_page(asye_support.entry_form(uow(), caller(), person_id, review_month), form, review_month, 400)
    return redirect(url_for(".record", person_id=person_id), 303)


@bp.get("/supervision/<int:person_id>/asye")
@page()
def record(person_id: int) -> Any:
    """The record of support, for those who read the ASYE's records."""
    return render_template("asye_support/record.html", shown=asye_support.record_of_support(uow(), caller(), person_id))


@bp.get("/supervision/<int:person_id>/asye.csv")
@page()
def as_csv(person_id: int) -> Any:
    """The record of support as CSV, for the portfolio."""
    shown = asye_support.record_of_support(uow(), caller(), person_id, "csv")
    return Response(asye_support.support_csv(shown), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="asye-record-of-support-{person_id}.csv"'})


@bp.get("/supervision/<int:person_id>/asye/print")
@page()
def printable(person_id: int) -> Any:
    """The record of support to print or save as PDF, for the portfolio."""
    shown = asye_support.record_of_support(uow(), caller(), person_id, "print")
    return render_template("asye_support/print.html", shown=shown)


@bp.route("/supervision/<int:person_id>/asye/observations/new", methods=["GET", "POST"])
@page()
def observation(person_id: int) -> Any:
    """Record a direct observation of the ASYE's practice."""
    return _entry(person_id, None)


@bp.route("/supervision/<int:person_id>/asye/reviews/<int:month>", methods=["GET", "POST"])
@page()
def review(person_id: int, month: int) -> Any:
    """Record the ASYE's review at one of the profile's review points (in months)."""
    return _entry(person_id, month)
