"""A supervision agreement's page: its fields (editable by the supervisor while a draft), its Word
file and the sign-off block the record pages have.

Changes go through `workflows.agreements.update_agreement`, the function the API's PATCH calls,
behind the same audited write check; the page itself is an audited read. The Word file is the
API's download, which accepts the page session.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from sqlalchemy import select
from wtforms import StringField, SubmitField, TextAreaField

from docgen.api import guard
from storage.models import Agreement
from docgen.web import forms
from docgen.web.navigation import page, signed_in
from workflows import access, agreements
from storage.errors import Conflict, Forbidden, InvalidInput

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


class AgreementForm(FlaskForm):
    """The agreement's own fields, in the order of the Word form (K App A)."""

    job_roles = StringField("Job roles", widget=GovTextInput())
    started_on = forms.GovDateField("Date the agreement started", required=True)
    frequency = StringField("Frequency of supervision", widget=GovTextInput(), description="For example, monthly")
    length = StringField("Length of sessions", widget=GovTextInput(), description="For example, 1 hour")
    location = StringField("Location or method", widget=GovTextInput(),
                           description="For example, face-to-face or Teams")
    confidentiality = TextAreaField("Confidentiality agreement", widget=GovTextArea(),
                                    description="Including when confidentiality might be breached")
    supervisee_expectations = TextAreaField("Expectations of the supervisee", widget=GovTextArea())
    supervisor_expectations = TextAreaField("Expectations of the supervisor", widget=GovTextArea())
    review_date = forms.GovDateField("Review date for this agreement", required=True)
    submit = SubmitField("Save the agreement", widget=GovSubmitInput())


@dataclass(frozen=True)
class AgreementLink:
    """How a supervisor's pages point at a supervisee's agreement: "Agreement: draft"."""

    agreement_id: int
    text: str


@bp.app_template_global()
def supervision_agreement(supervisee_id: int) -> AgreementLink | None:
    """The supervisee's newest agreement not superseded, described by its state or its review.

    The query belongs in `workflows/agreements.py` once that module is free to change.
    """
    agreement = g.db.scalar(select(Agreement).where(Agreement.supervisee_id == supervisee_id,
                                                    Agreement.superseded_by_id.is_(None))
                            .order_by(Agreement.id.desc()).limit(1))
    if agreement is None:
        return None
    return AgreementLink(agreement.id, f"Agreement: {_review(agreement) or agreement.status.replace('_', ' ')}")


def _review(agreement: Agreement) -> str | None:
    """"review due" or "review overdue", which only a signed agreement can be."""
    return agreements.review_flag(agreement) if agreement.status == "signed" else None


def _may_edit(agreement: Agreement) -> bool:
    try:
        access.edit_access(g.db, signed_in(), agreement.supervisee)
    except Forbidden:
        return False
    return True


def _agreement_page(agreement: Agreement, form: AgreementForm | None = None, status: int = 200) -> tuple[str, int]:
    services = current_app.extensions["docgen"]
    data = {**agreement.fields, "started_on": agreement.started_on, "review_date": agreement.review_date}
    return render_template(
        "agreements/agreement.html", agreement=agreement, number=agreements.agreement_number(agreement),
        doc=agreements.agreement_context(services.profile, services.organisation(g.db), agreement),
        form=form or AgreementForm(data=data), may_edit=_may_edit(agreement),
        editable=agreement.status in agreements.EDITABLE, flag=_review(agreement)), status


@bp.get("/<int:agreement_id>")
@page()
def view(agreement_id: int) -> Any:
    """The agreement as anyone with a basis to read it sees it; its supervisor also edits and sends it."""
    agreement = agreements.get_agreement(g.db, agreement_id)
    guard.read(agreement.supervisee, "agreement", agreement.id, "agreement.read")
    return _agreement_page(agreement)


@bp.post("/<int:agreement_id>")
@page()
def save(agreement_id: int) -> Any:
    agreement = agreements.get_agreement(g.db, agreement_id)
    form = AgreementForm()
    if form.validate_on_submit():
        patch = {name: form[name].data for name in (*agreements.FIELDS, "started_on", "review_date")}
        try:
            guard.write(agreement.supervisee, "agreement", agreement.id, "agreement.update")
            agreements.update_agreement(g.db, agreement, patch)
            g.db.commit()
            flash("The agreement has been saved")
            return redirect(url_for("agreements.view", agreement_id=agreement.id))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    return _agreement_page(agreement, form, 400)
