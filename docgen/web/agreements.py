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
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.navigation import page
from kernel.errors import PreconditionFailed
from storage.models import Agreement
from workflows import agreements
from workflows.agreements import AgreementLink, AgreementPage
from workflows.forms import AGREEMENT_DATES
from workflows.forms import AgreementForm as AgreementFormDefinition

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


class AgreementForm(forms.RevisionedForm):
    """The agreement's own fields, in the order of the council's Word form (K App A, S App C),
    added by `agreement_form`."""

    submit = SubmitField("Save the agreement", widget=GovSubmitInput())


def agreement_form(definition: AgreementFormDefinition, **kwargs: Any) -> AgreementForm:
    """The page's form for the council's agreement form: a box per field, its two dates required."""
    boxes = {field.key: forms.box(field, required=field.key in AGREEMENT_DATES) for field in definition.fields}
    return type("CouncilAgreementForm", (AgreementForm,), boxes)(**kwargs)


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
        form=form or agreement_form(shown.doc["form"], data=_agreement_data(agreement) | {"revision": agreement.revision}),
        may_edit=shown.may_edit, editable=shown.editable, flag=shown.flag, stale=stale), status


@bp.get("/<int:agreement_id>")
@page()
def view(agreement_id: int) -> Any:
    """The agreement as anyone with a basis to read it sees it; its supervisor also edits and sends it."""
    return _agreement_page(agreements.agreement_page(uow(), caller(), agreement_id))


@bp.post("/<int:agreement_id>")
@page()
def save(agreement_id: int) -> Any:
    def read(definition: AgreementFormDefinition) -> tuple[AgreementForm, dict[str, Any] | None, int | None]:
        form = agreement_form(definition)
        patch = {field.key: form[field.key].data for field in definition.fields} if form.validate_on_submit() else None
        return form, patch, form.opened_at()

    form, edit = agreements.edit_from_page(uow(), caller(), agreement_id, read)
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
