"""The compliance report page: a team's, a service's or the organisation's figures over a period.

One GET form (a report changes nothing, so it needs no CSRF token and its address can be
bookmarked). The report is `workflows.compliance_report`'s for the reader, shown three ways it
offers: the chart, the same figures as a table, and the CSV, which is the API's own download (it
accepts the page session), so there is one CSV, not two.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import Blueprint, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from markupsafe import Markup
from wtforms import SelectField, SubmitField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import InvalidInput
from workflows import compliance_report as reports

bp = Blueprint("reports", __name__, url_prefix="/reports")

WHOLE = "all"  # the select's value for no team or service: everyone the reader may see


class ReportForm(FlaskForm):
    """What to report on; the period defaults to this month and the two before it."""

    class Meta:
        csrf = False  # a GET form that only reads

    scope = SelectField("Team or service", widget=GovSelect(), validate_choice=True)
    start = forms.GovDateField("From", required=True, description=forms.ThisYearHint("For example, 1 4 {year}"))
    end = forms.GovDateField("To", required=True, description=forms.ThisYearHint("For example, 30 6 {year}"))
    submit = SubmitField("Show the report", widget=GovSubmitInput())


def _report_form(choices: reports.Choices) -> ReportForm:
    today = clock.today()
    form = ReportForm(formdata=request.args or None,
                      data={"scope": WHOLE, "start": today.replace(day=1) - relativedelta(months=2), "end": today})
    form.scope.choices = forms.options((WHOLE, choices.everyone),
                                       *((f"team-{t.id}", f"Team: {t.name}") for t in choices.teams),
                                       *((f"service-{s}", f"Service: {s}") for s in choices.services))
    return form


def _team_or_service(value: str) -> tuple[int | None, str | None]:
    """The select's value as `team_report`'s team_id or service (neither: the whole scope)."""
    kind, _, key = value.partition("-")
    if kind == "team":
        return int(key), None
    return None, key if kind == "service" else None


@bp.get("/compliance")
@page()
def compliance_report() -> Any:
    """The report for the chosen scope and period, or the form with its errors (400)."""
    reader = reports.reader(uow(), caller())  # before the form: a stranger learns nothing, not even team names
    form = _report_form(reader.choices())
    if request.args and not form.validate():
        return render_template("reports/compliance.html", form=form, report=None), 400
    start: dt.date = form.start.data
    end: dt.date = form.end.data
    team_id, service = _team_or_service(form.scope.data or WHOLE)
    try:
        shown = reader.report(start=start, end=end, team_id=team_id, service=service)
    except InvalidInput as exc:
        forms.show_error(form, exc, {"to": "end", "from": "start"})
        return render_template("reports/compliance.html", form=form, report=None), 400
    csv_url = url_for("api.schedule_compliance_report", format="csv", team_id=team_id, service=service,
                      **{"from": start.isoformat(), "to": end.isoformat()})
    # The chart escapes every text it writes and carries no style attributes (CSP: style-src 'self').
    # The chosen option names the scope: report.scope says "Whole organisation" even when narrowed to a reader's.
    scope = next(c.label for c in form.scope.choices if c.value == form.scope.data)
    return render_template("reports/compliance.html", form=form, report=shown.report, csv_url=csv_url, scope=scope,
                           chart=Markup(shown.svg), table=shown.table, group_attendance=shown.group_attendance,
                           log_table=shown.log_table)  # issue 25: the supervision log's figures
