"""The sign-off block on a supervisor's record and agreement pages: send, send again, countersign.

The buttons post here and call the use cases the JSON API calls (`workflows.pipeline.send_for_signoff`,
`workflows.signoff`), behind the same audited write check. The final PDF is downloaded from the
API's own route, whose audited read accepts the page session, so there is one download, not two.
A step the document's state does not allow shows its page again with the workflow's message in
the error summary, answered 409.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for

from docgen.auth import caller, uow
from docgen.web import agreements as agreement_pages
from docgen.web import forms
from docgen.web import records as record_pages
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from docgen.web.signoff_panel import CountersignForm
from kernel.errors import Conflict, DomainError, InvalidInput, PreconditionFailed, Unavailable
from workflows import pipeline, signoff
from workflows.inputs.signoff import Countersign

bp = Blueprint("signoff", __name__)

KINDS = "<any(records, agreements):kind>"


@bp.app_context_processor
def signoff_states() -> dict[str, str]:
    """The sign-off states by their names in `workflows.signoff`, for templates to compare with."""
    return {name: getattr(signoff, name)
            for name in ("DRAFT", "AWAITING_SUPERVISEE", "AWAITING_SUPERVISOR", "CHANGES_REQUESTED", "SIGNED",
                         "SUPERSEDED")}


def _page_url(kind: str, document_id: int) -> str:
    if kind == "records":
        return url_for("records.edit", record_id=document_id)
    return url_for("agreements.view", agreement_id=document_id)


def _refused(kind: str, document_id: int, exc: DomainError) -> tuple[str, int]:
    """The document's own page again, with the workflow's message in its error summary.

    The page views are reused rather than imitated; `g.signoff_problem` is what their templates
    read. Nothing of the refused step is kept: the use case rolled back, a DOCX it filed with it.
    """
    g.signoff_problem = exc.message[:1].upper() + exc.message[1:]
    g.signoff_problem_field = exc.field  # the countersign form's name box is linked to, where it is the one
    html, _ = (record_pages.edit(document_id) if kind == "records" else agreement_pages.view(document_id))
    return html, exc.status


@bp.post(f"/{KINDS}/<int:document_id>/send")
@page()
def send(kind: str, document_id: int) -> Any:
    """File this version's Word file and e-mail the first signer their link. From a record's check
    page (`records.send_check`), only the revision it showed is sent: a record changed since goes
    back to that page to be checked again."""
    checked = forms.revision_in(request.form.get("revision")) if "revision" in request.form else None
    try:
        sent = pipeline.send_for_signoff(uow(), caller(), kind[:-1], document_id, checked)
    except PreconditionFailed:
        flash("The record was changed after you checked it: check it again before you send it", "warning")
        return redirect(url_for("records.send_check", record_id=document_id))
    except (Conflict, InvalidInput, Unavailable) as exc:  # shown on the page, which the supervisor can send from again
        return _refused(kind, document_id, exc)
    document = sent.document
    waiting = document.supervisee if document.status == signoff.AWAITING_SUPERVISEE else document.supervisor
    flash(f"{sent.number} was sent to {waiting.name} for sign-off")
    return redirect(_page_url(kind, document_id))


@bp.post(f"/{KINDS}/<int:document_id>/resend")
@page()
def resend(kind: str, document_id: int) -> Any:
    """A new link for whoever is waiting; the link sent before stops working."""
    try:
        signoff.resend_link(uow(), caller(), kind[:-1], document_id)
    except (Conflict, InvalidInput) as exc:
        return _refused(kind, document_id, exc)
    flash("A new link was sent; the link sent before no longer works")
    return redirect(_page_url(kind, document_id))


@bp.post(f"/{KINDS}/<int:document_id>/countersign")
@page()
def countersign(kind: str, document_id: int) -> Any:
    """The supervisor signs on the page, also over a recorded disagreement where the profile allows
    it or the route settled it (else the page says why not, answered 409); the worker seals the PDF."""
    form = CountersignForm(prefix="countersign")
    try:
        answers = form_to(Countersign, form)
        signed = signoff.countersign(uow(), caller(), kind[:-1], document_id, answers.comment,
                                     answers.confirm_name or "")  # the pages always ask for it over a disagreement
    except (Conflict, InvalidInput) as exc:
        return _refused(kind, document_id, exc)
    flash(f"You countersigned {signed.number}; its sealed PDF is filed once it is ready")
    return redirect(_page_url(kind, document_id))
