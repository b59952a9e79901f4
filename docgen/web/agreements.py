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
from docgen.web import forms, signoff_panel
from docgen.web.navigation import page
from kernel.errors import Conflict, InvalidInput, PreconditionFailed
from storage.models import Agreement
from workflows import agreements
from workflows.agreements import AgreementPage
from workflows.forms import AGREEMENT_DATES
from workflows.forms import AgreementForm as AgreementFormDefinition
from workflows.inputs.records import AgreementPatch

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


class AgreementForm(forms.RevisionedForm):
    """The agreement's own fields, in the order of the council's Word form (K App A, S App C),
    added by `agreement_form`."""

    submit = SubmitField("Save the agreement", widget=GovSubmitInput())


def agreement_form(definition: AgreementFormDefinition, **kwargs: Any) -> AgreementForm:
    """The page's form for the council's agreement form: a box per field, its two dates required."""
    boxes = {field.key: forms.box(field, required=field.key in AGREEMENT_DATES) for field in definition.fields}
    return type("CouncilAgreementForm", (AgreementForm,), boxes)(**kwargs)


def _agreement_data(agreement: Agreement) -> dict[str, Any]:
    """The form's fields as the agreement stands."""
    return {**agreement.fields, "started_on": agreement.started_on, "review_date": agreement.review_date}


def _agreement_page(shown: AgreementPage, form: AgreementForm | None = None, status: int = 200,
                    stale: forms.Stale | None = None) -> tuple[str, int]:
    agreement = shown.agreement
    return render_template(
        "agreements/agreement.html", agreement=agreement, number=shown.number, doc=shown.doc,
        form=form or agreement_form(shown.doc["form"], data=_agreement_data(agreement) | {"revision": agreement.revision}),
        may_edit=shown.may_edit, editable=shown.editable, flag=shown.flag, stale=stale,
        panel=signoff_panel.panel(agreement)), status


def _typed(form: AgreementForm, definition: AgreementFormDefinition) -> dict[str, Any] | None:
    """The typed fields read through the API's `AgreementPatch`; None, with the refusal on its
    field, when the model refuses them."""
    try:
        typed = AgreementPatch.validated({field.key: form[field.key].data for field in definition.fields})
    except InvalidInput as exc:
        forms.show_error(form, exc)
        return None
    return typed.model_dump(exclude_unset=True)


@bp.get("/<int:agreement_id>")
@page()
def view(agreement_id: int) -> Any:
    """The agreement as anyone with a basis to read it sees it; its supervisor also edits and sends it."""
    return _agreement_page(agreements.agreement_page(uow(), caller(), agreement_id))


@bp.post("/<int:agreement_id>")
@page()
def save(agreement_id: int) -> Any:
    """Save the agreement's form through the API's edit, read through the same `AgreementPatch`; a
    form refused, or opened before someone else saved the agreement, comes back as typed."""
    shown = agreements.edit_view(uow(), caller(), agreement_id)  # the form is the council's agreement form
    form = agreement_form(shown.doc["form"])
    patch = _typed(form, shown.doc["form"]) if form.validate_on_submit() else None
    if patch is None:
        return _agreement_page(shown, form, 400)
    try:
        agreements.update(uow(), caller(), agreement_id, patch, form.opened_at())
    except (InvalidInput, Conflict, PreconditionFailed) as problem:
        now = agreements.edit_view(uow(), caller(), agreement_id)  # as saved: the refused edit changed nothing
        if isinstance(problem, PreconditionFailed):
            agreement = now.agreement
            return _agreement_page(now, form, 409, forms.stale(form, _agreement_data(agreement), agreement.revision,
                                                               "agreement"))
        forms.show_error(form, problem)
        return _agreement_page(now, form, 400)
    flash("The agreement has been saved")
    return redirect(url_for("agreements.view", agreement_id=agreement_id))
