"""A supervision agreement's page: its fields (editable by the supervisor while a draft), its Word
file and the sign-off block the record pages have.

Changes are the API's edit (`workflows.agreements`), behind the same audited write check; the
page itself is an audited read. The Word file is the API's download, which accepts the page session.
The form carries the revision it was opened at; one refused because someone else saved the
agreement since comes back as typed, beside their saved text (`forms.Stale`).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.navigation import page
from storage.errors import PreconditionFailed
from storage.models import Agreement
from workflows import agreements
from workflows.agreements import AgreementLink, AgreementPage

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


class AgreementForm(forms.RevisionedForm):
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


@bp.app_template_global()
def supervision_agreement(supervisee_id: int) -> AgreementLink | None:
    """The supervisee's newest agreement not superseded, described by its state or its review."""
    return agreements.current_link(uow(), supervisee_id)


def _agreement_data(agreement: Agreement) -> dict[str, Any]:
    """The form's fields as the agreement stands."""
    return {**agreement.fields, "started_on": agreement.started_on, "review_date": agreement.review_date}


def _agreement_page(shown: AgreementPage, form: AgreementForm | None = None, status: int = 200,
                    stale: forms.Stale | None = None) -> tuple[str, int]:
    agreement = shown.agreement
    return render_template(
        "agreements/agreement.html", agreement=agreement, number=shown.number, doc=shown.doc,
        form=form or AgreementForm(data=_agreement_data(agreement) | {"revision": agreement.revision}),
        may_edit=shown.may_edit, editable=shown.editable, flag=shown.flag, stale=stale), status


@bp.get("/<int:agreement_id>")
@page()
def view(agreement_id: int) -> Any:
    """The agreement as anyone with a basis to read it sees it; its supervisor also edits and sends it."""
    return _agreement_page(agreements.agreement_page(uow(), caller(), agreement_id))


@bp.post("/<int:agreement_id>")
@page()
def save(agreement_id: int) -> Any:
    form = AgreementForm()
    patch = ({name: form[name].data for name in (*agreements.FIELDS, "started_on", "review_date")}
             if form.validate_on_submit() else None)
    edit = agreements.edit_from_page(uow(), caller(), agreement_id, patch, form.opened_at())
    if edit.saved:
        flash("The agreement has been saved")
        return redirect(url_for("agreements.view", agreement_id=agreement_id))
    if isinstance(edit.problem, PreconditionFailed):
        agreement = edit.page.agreement
        return _agreement_page(edit.page, form, 409, forms.stale(form, _agreement_data(agreement), agreement.revision,
                                                                 "agreement"))
    if edit.problem is not None:
        forms.show_error(form, edit.problem)
    return _agreement_page(edit.page, form, 400)
