"""The "Start records for a team" page: a draft record on one date for everyone in a team or
service, made in the background, and each bulk start's progress.

Both pages call `workflows.bulk_start`, as the JSON API does; it decides whose records the caller
may start. The progress page works without JavaScript ("Check again"); with it, it asks the API
every few seconds and reloads once the count moves (no meta refresh: WCAG 2.2.1).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Forbidden, InvalidInput, NotFound
from workflows import bulk_start
from workflows.inputs.bulk_start import BeginBulkStart

bp = Blueprint("bulk_start", __name__, url_prefix="/supervision/bulk-starts")


class BulkStartForm(FlaskForm):
    # Any team or service may be asked for (the use case names one that does not exist or holds
    # nobody the caller arranges for), so the choices are the page's, not a validation list.
    scope = SelectField("Team or service", widget=GovSelect(), validate_choice=False,
                        description="Everyone in it whose supervision you arrange gets a draft record")
    session_date = forms.GovDateField("Date of the supervision sessions", required=True,
                                      description=forms.ThisYearHint("For example, 27 3 {year}"))
    submit = SubmitField("Start the records", widget=GovSubmitInput())


def _choices(shown: bulk_start.Overview) -> list[Any]:
    return forms.options(*((f"team-{t.id}", f"Team: {t.name}") for t in shown.teams),
                         *((f"service-{s}", f"Service: {s}") for s in shown.services))


def _overview_page(form: BulkStartForm, shown: bulk_start.Overview, status: int = 200) -> Any:
    return render_template("bulk_start/new.html", form=form, started=shown.started), status


@bp.get("")
@page()
def bulk_starts() -> Any:
    """The form, and the caller's last bulk starts with their progress."""
    shown = bulk_start.overview(uow(), caller())
    form = BulkStartForm()
    form.scope.choices = _choices(shown)
    return _overview_page(form, shown)


@bp.post("")
@page()
def begin() -> Any:
    """Start the records in the background and show their progress."""
    form = BulkStartForm()
    try:
        forms.filled_in(form)
        kind, _, key = (form.scope.data or "").partition("-")  # the page's one box: "team-3" or "service-…"
        asked = form_to(BeginBulkStart, form, team_id=key if kind == "team" else None,
                        service=key if kind == "service" else "")
        started = bulk_start.begin(uow(), caller(), asked.session_date, team_id=asked.team_id, service=asked.service)
    except forms.Incomplete:
        return _again(form)
    except (InvalidInput, Forbidden, NotFound) as exc:
        forms.show_error(form, exc, {"team_id": "scope", "service": "scope", "body": "scope"})
        return _again(form)
    return redirect(url_for("bulk_start.progress", bulk_id=started.bulk.id))


def _again(form: BulkStartForm) -> Any:
    """The form again with its errors (400), its choices as the page offered them."""
    shown = bulk_start.overview(uow(), caller())
    form.scope.choices = _choices(shown)
    return _overview_page(form, shown, 400)


@bp.get("/<int:bulk_id>")
@page()
def progress(bulk_id: int) -> Any:
    """Done of total, the failures named, and "Continue" when work is pending."""
    return render_template("bulk_start/progress.html", shown=bulk_start.progress(uow(), caller(), bulk_id))


@bp.post("/<int:bulk_id>/resume")
@page()
def resume(bulk_id: int) -> Any:
    """Hand the pending records to the workers again (after a restart)."""
    started = bulk_start.resume(uow(), caller(), bulk_id)
    return redirect(url_for("bulk_start.progress", bulk_id=started.bulk.id))
