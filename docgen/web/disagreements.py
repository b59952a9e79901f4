"""The line manager's pages for disagreements routed to them (S §9, W §17, H §13): the list, one
disagreement with its sign-off events, and the form recording the three-way meeting's outcome."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea
from wtforms import RadioField, SubmitField, TextAreaField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, InvalidInput
from workflows import disagreements
from workflows.inputs.disagreements import RecordOutcome

bp = Blueprint("disagreements", __name__, url_prefix="/disagreements")

OUTCOME_LABELS = {"three_way": "A three-way meeting was held", "hr": "Pass it to HR"}


class OutcomeForm(FlaskForm):
    outcome = RadioField("What happened?", widget=GovRadioInput(), validate_choice=False)
    meeting_on = forms.GovDateField("Date of the three-way meeting",
                                    description=forms.ThisYearHint("For example, 27 3 {year}"))
    outcome_text = TextAreaField("What was decided, or why it goes to HR", widget=GovTextArea(),
                                 description="This goes on the document’s certificate of sign-off")
    submit = SubmitField("Record the outcome", widget=GovSubmitInput())


def _page(shown: disagreements.EscalationView, form: OutcomeForm, status: int = 200) -> Any:
    """The disagreement and, while open, its outcome form. A route with one outcome (K, S, H §13, L:
    a three-way meeting) states it as a fact beside the button, never as a radio with one option
    (GOV.UK; issue 27)."""
    form.outcome.choices = forms.options(*((o, OUTCOME_LABELS[o]) for o in shown.outcomes))
    if "hr" not in shown.outcomes:  # a route with no HR step (K, S, H §13, L) never mentions HR
        form.outcome_text.label.text = "What was decided"
    return render_template("disagreements/detail.html", shown=shown, form=form,
                           only=shown.outcomes[0] if len(shown.outcomes) == 1 else None), status


def _every_problem(form: OutcomeForm, shown: disagreements.EscalationView) -> bool:
    """Put every problem with the outcome as typed on its field at once (a box already refused by
    its own check keeps that message); False when the rules find none."""
    problems = disagreements.outcome_problems(shown.route, form.outcome.data, form.outcome_text.data or "",
                                              form.meeting_on.data)
    for name, problem in problems.items():
        if not form[name].errors:
            form[name].errors = [problem]
    return bool(problems)


def _told(outcome: str, shown: disagreements.EscalationView) -> str:
    """The success banner: what was recorded and who has been told (record_outcome e-mails them)."""
    people = f"{shown.document.supervisee.name} and {shown.document.supervisor.name}"
    if outcome == "hr":
        return f"The disagreement has been passed to HR. HR, {people} have been told by email"
    return f"The three-way meeting’s outcome has been recorded. {people} have been told by email"


@bp.get("")
@page()
def listed() -> Any:
    return render_template("disagreements/list.html", shown=disagreements.for_line_manager(uow(), caller()))


@bp.get("/<int:escalation_id>")
@page()
def detail(escalation_id: int) -> Any:
    return _page(disagreements.view(uow(), caller(), escalation_id), OutcomeForm())


@bp.post("/<int:escalation_id>")
@page()
def record_outcome(escalation_id: int) -> Any:
    form = OutcomeForm()
    try:
        forms.filled_in(form)
        outcome = form_to(RecordOutcome, form)
        shown = disagreements.record_outcome(uow(), caller(), escalation_id, outcome.outcome, outcome.outcome_text,
                                             outcome.meeting_on)
    except (forms.Incomplete, InvalidInput) as exc:
        shown = disagreements.view(uow(), caller(), escalation_id)
        if not _every_problem(form, shown) and isinstance(exc, InvalidInput):
            forms.show_error(form, exc)
        return _page(shown, form, exc.status if isinstance(exc, InvalidInput) else 400)
    except Conflict as exc:
        forms.show_error(form, exc)
        return _page(disagreements.view(uow(), caller(), escalation_id), form, exc.status)
    flash(_told(outcome.outcome, shown))
    return redirect(url_for("disagreements.detail", escalation_id=escalation_id), 303)


@bp.post("/request/<any(records, agreements):kind>/<int:document_id>")
@page()
def request_meeting(kind: str, document_id: int) -> Any:
    """Either party asks for a three-way meeting with the supervisor's line manager (S App C 8,
    W §17), then returns to the document's page, which says the line manager was told."""
    try:
        escalation = disagreements.request_meeting(uow(), caller(), kind.removesuffix("s"), document_id)
    except Conflict as exc:
        flash(exc.message[:1].upper() + exc.message[1:], "warning")
    else:
        flash("The supervisor’s line manager has been told you asked for a three-way meeting"
              if escalation.line_manager_id else "The supervisor has no line manager recorded: nobody could be told")
    back, own = request.form.get("back", ""), f"/{kind}/{document_id}"
    if back != own and not back.startswith(f"{own}/"):  # only the document's own pages (not /records/12 for 1)
        back = (url_for("records.edit", record_id=document_id) if kind == "records"
                else url_for("agreements.view", agreement_id=document_id))
    return redirect(back, 303)
