"""Quality audit pages: draw a team's sample (the seed shown so it can be drawn again), the audit
report with its CSV, and each sampled record with its audit form. Auditors and managers in the
line only (`workflows.access.quality_audit_scope`); reading a sampled record is audited with the
audit as the reason."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, InvalidInput
from workflows import quality_audits
from workflows.inputs.quality_audits import DrawSample, ScoreItem

bp = Blueprint("quality_audits", __name__, url_prefix="/quality-audits")


class DrawForm(FlaskForm):
    team_id = SelectField("Team", widget=GovSelect(), validate_choice=False,
                          validators=[InputRequired(message="Choose the team to audit")])
    period_start = forms.GovDateField("Start of the period", description="Leave blank for the policy’s period up to the end")
    period_end = forms.GovDateField("End of the period", description="Leave blank for today")
    # Typed as text: what the numbers may be is `DrawSample`'s to say, as it says it to the API.
    per_supervisor = StringField("Records per supervisor", widget=GovTextInput())
    seed = StringField("Seed (to draw a recorded sample again)", widget=GovTextInput())
    submit = SubmitField("Draw the sample", widget=GovSubmitInput())


def _mark(label: str) -> RadioField:
    return RadioField(label, widget=GovRadioInput(), choices=forms.options(("yes", "Yes"), ("no", "No")),
                      validators=[InputRequired(message=f"Answer: {label}")])


class ScoreForm(FlaskForm):
    actions_specific = _mark(quality_audits.CRITERIA["actions_specific"])
    reflection = _mark(quality_audits.CRITERIA["reflection"])
    decisions = _mark(quality_audits.CRITERIA["decisions"])
    findings = TextAreaField("Findings", widget=GovTextArea())
    supervisor_actions = TextAreaField("Actions for the supervisor", widget=GovTextArea())
    revision = HiddenField()
    submit = SubmitField("Save the audit form", widget=GovSubmitInput())


def _list_page(form: DrawForm, status: int = 200) -> Any:
    shown = quality_audits.audits_page(uow(), caller())
    form.team_id.choices = forms.options(*((str(t.id), t.name) for t in shown.teams))
    return render_template("quality_audits/list.html", shown=shown, form=form), status


@bp.get("")
@page()
def listed() -> Any:
    return _list_page(DrawForm())


@bp.post("")
@page()
def draw() -> Any:
    form = DrawForm()
    try:
        forms.filled_in(form)
        asked = form_to(DrawSample, form)
        report = quality_audits.draw(uow(), caller(), asked.team_id, asked.period_start, asked.period_end, asked.seed,
                                     asked.per_supervisor)
    except forms.Incomplete:
        return _list_page(form, 400)
    except InvalidInput as exc:
        forms.show_error(form, exc)
        return _list_page(form, exc.status)
    return redirect(url_for("quality_audits.report", audit_id=report.audit.id), 303)


@bp.get("/<int:audit_id>")
@page()
def report(audit_id: int) -> Any:
    return render_template("quality_audits/report.html", report=quality_audits.report(uow(), caller(), audit_id),
                           criteria=quality_audits.CRITERIA)


@bp.get("/<int:audit_id>/report.csv")
@page()
def report_csv(audit_id: int) -> Any:
    shown = quality_audits.report(uow(), caller(), audit_id)
    return Response(shown.csv, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{shown.number}.csv"'})


def _item_page(shown: quality_audits.SampledRecord, form: ScoreForm, status: int = 200) -> Any:
    return render_template("quality_audits/item.html", shown=shown, form=form, criteria=quality_audits.CRITERIA,
                           computed=quality_audits.COMPUTED), status


def _filled(shown: quality_audits.SampledRecord) -> ScoreForm:
    item = shown.item
    return ScoreForm(data={**{k: item.criteria.get(k) or None for k in quality_audits.JUDGED},
                           "findings": item.findings, "supervisor_actions": item.supervisor_actions,
                           "revision": str(item.revision)})


@bp.get("/<int:audit_id>/items/<int:item_id>")
@page()
def item(audit_id: int, item_id: int) -> Any:
    shown = quality_audits.sampled_record(uow(), caller(), audit_id, item_id)
    return _item_page(shown, _filled(shown))


@bp.post("/<int:audit_id>/items/<int:item_id>")
@page()
def score(audit_id: int, item_id: int) -> Any:
    form = ScoreForm()
    try:
        forms.filled_in(form)
        scored = form_to(ScoreItem, form)
        quality_audits.score(uow(), caller(), audit_id, item_id, scored.marks(), scored.findings,
                             scored.supervisor_actions, scored.revision)
    except forms.Incomplete:
        return _item_page(quality_audits.sampled_record(uow(), caller(), audit_id, item_id), form, 400)
    except (InvalidInput, Conflict) as exc:
        forms.show_error(form, exc, {"revision": "findings"})
        return _item_page(quality_audits.sampled_record(uow(), caller(), audit_id, item_id), form, exc.status)
    return redirect(url_for("quality_audits.report", audit_id=audit_id), 303)
