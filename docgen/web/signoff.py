"""The sign-off block on a supervisor's record and agreement pages: send, send again, countersign.

The buttons post here and call the use cases the JSON API calls (`workflows.pipeline.send_for_signoff`,
`workflows.signoff`), behind the same audited write check. The final PDF is downloaded from the
API's own route, whose audited read accepts the page session, so there is one download, not two.
A step the document's state does not allow shows its page again with the workflow's message in
the error summary, answered 409.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField

from docgen.auth import caller, uow
from docgen.web import agreements as agreement_pages
from docgen.web import forms
from docgen.web import records as record_pages
from docgen.web.navigation import page
from kernel.errors import Conflict, DomainError, InvalidInput, PreconditionFailed, Unavailable
from workflows import pipeline, signoff
from workflows.signoff import Document

bp = Blueprint("signoff", __name__)

KINDS = "<any(records, agreements):kind>"
EVENTS = {"filed": "Word file filed", "sent": "Link e-mailed", "opened": "Link opened", "agreed": "Agreed",
          "disagreed": "Disagreed", "countersigned": "Countersigned"}


class CountersignForm(FlaskForm):
    comment = TextAreaField("Comment (optional)", widget=GovTextArea(),
                            description="It is printed on the certificate page of the final PDF")
    submit = SubmitField("Countersign", widget=GovSubmitInput())


@dataclass(frozen=True)
class EventRow:
    """One line of the events table: never the link, its token or the signer's address."""

    event: str
    who: str
    at: dt.datetime
    comment: str
    version: int


@dataclass(frozen=True)
class Panel:
    """What the sign-off block of a document's page shows and offers."""

    kind: str  # the URL segment: records or agreements
    document: Document
    events: list[EventRow]
    final_pdf: bool
    can_send: bool
    can_resend: bool
    can_countersign: bool
    held: str | None  # why a countersignature over the supervisee's disagreement must wait (K §9, S 12.3, H §9)
    countersign_form: CountersignForm
    step: signoff.NextStep  # whose turn it is, as the reader reads it
    doc: dict[str, Any] | None  # a sent record as sent, read-only (None for drafts and agreements)
    finalised: signoff.FinalisedAfterDisagreement | None  # countersigned over a disagreement: never "signed"

    @property
    def making_pdf(self) -> bool:
        """Signed, and the worker is still sealing the PDF: the page offers to check again (and checks by itself with JavaScript) until it is filed."""
        return self.document.status == signoff.SIGNED and not self.final_pdf

    @property
    def versions(self) -> list[tuple[int, list[EventRow]]]:
        """The events by version, newest version first: what each version went through."""
        numbers = sorted({e.version for e in self.events}, reverse=True)
        return [(n, [e for e in self.events if e.version == n]) for n in numbers]


@bp.app_context_processor
def signoff_states() -> dict[str, str]:
    """The sign-off states by their names in `workflows.signoff`, for templates to compare with."""
    return {name: getattr(signoff, name)
            for name in ("DRAFT", "AWAITING_SUPERVISEE", "AWAITING_SUPERVISOR", "CHANGES_REQUESTED", "SIGNED")}


@bp.app_template_global()
def signoff_panel(document: Document) -> Panel:
    """The block's content, for `records/signoff_actions.html` wherever a document page includes it
    (the page's own use case has already let the reader read the document)."""
    progress = signoff.progress(uow(), document, caller().person_id)
    rows = [EventRow(EVENTS.get(e.event, e.event.capitalize()),
                     progress.names.get(e.person_id, "") if e.person_id is not None else "", e.at, e.comment, e.version)
            for e in progress.events]
    return Panel(kind=f"{signoff.kind_of(document)}s", document=document, events=rows,
                 final_pdf=progress.final_pdf is not None,
                 can_send=document.status in signoff.SENDABLE, can_resend=document.status in signoff.WAITING,
                 can_countersign=document.status in signoff.COUNTERSIGNABLE,
                 held=signoff.unsettled(uow().session, uow().deployment.profile, document),
                 countersign_form=CountersignForm(prefix="countersign"), step=progress.step,
                 doc=signoff.as_sent(uow(), document),
                 finalised=signoff.finalised_after_disagreement(uow().session, document))


@bp.app_template_global()
def signoff_state(document: Document) -> str:
    """A document's state as its tag reads it: "Finalised after a disagreement", never "Signed", for a
    version countersigned over the supervisee's disagreement (`workflows.signoff.state`)."""
    return signoff.state(uow().session, document)


def _page_url(kind: str, document_id: int) -> str:
    if kind == "records":
        return url_for("records.edit", record_id=document_id)
    return url_for("agreements.view", agreement_id=document_id)


def _refused(kind: str, document_id: int, exc: DomainError) -> tuple[str, int]:
    """The document's own page again, with the workflow's message in its error summary.

    The page views are reused rather than imitated; `g.signoff_problem` is what their templates
    read. Nothing of the refused step is kept: the rollback also removes a DOCX it filed.
    """
    uow().rollback()
    g.signoff_problem = exc.message[:1].upper() + exc.message[1:]
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
        uow().rollback()
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
        signed = signoff.countersign(uow(), caller(), kind[:-1], document_id, form.comment.data or "")
    except (Conflict, InvalidInput) as exc:
        return _refused(kind, document_id, exc)
    flash(f"You countersigned {signed.number}; its sealed PDF is filed once it is ready")
    return redirect(_page_url(kind, document_id))
