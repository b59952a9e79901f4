"""The sign-off block on a supervisor's record and agreement pages: send, send again, countersign.

The buttons post here and call what the JSON API calls (`docgen.signing`, `workflows.signoff`)
behind the same audited write check. The final PDF is downloaded from the API's own route, whose
audited read (`docgen.api.guard.read`) accepts the page session, so there is one download, not two.
A step the document's state does not allow shows its page again with the workflow's message in
the error summary, answered 409.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField

from docgen import finalisation, signing
from docgen.api import guard
from docgen.api.signoff import caller
from storage.models import Person, Record
from docgen.web import agreements as agreement_pages
from docgen.web import records as record_pages
from docgen.web.navigation import page, signed_in
from workflows import agreements, records, signoff
from storage.errors import Conflict, DomainError, InvalidInput
from workflows.signoff import Document

bp = Blueprint("signoff", __name__)

KINDS = "<any(records, agreements):kind>"
EVENTS = {"filed": "Word file filed", "sent": "Link e-mailed", "opened": "Link opened", "agreed": "Agreed",
          "disagreed": "Disagreed", "countersigned": "Countersigned"}
WAITING = ("awaiting_supervisee", "awaiting_supervisor")
COUNTERSIGNABLE = ("awaiting_supervisor", "changes_requested")


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
    countersign_form: CountersignForm


@bp.app_template_global()
def signoff_panel(document: Document) -> Panel:
    """The block's content, for `records/signoff_actions.html` wherever a document page includes it."""
    names = {document.supervisee_id: document.supervisee.name, document.supervisor_id: document.supervisor.name}

    def who(person_id: int | None) -> str:
        if person_id is None:
            return ""
        return names.get(person_id) or g.db.get(Person, person_id).name

    rows = [EventRow(EVENTS.get(e.event, e.event.capitalize()), who(e.person_id), e.at, e.comment, e.version)
            for e in signoff.events(g.db, document)]
    return Panel(kind=_kind(document), document=document, events=rows,
                 final_pdf=finalisation.final_pdf(g.db, document) is not None,
                 can_send=document.status in signoff.SENDABLE, can_resend=document.status in WAITING,
                 can_countersign=document.status in COUNTERSIGNABLE,
                 countersign_form=CountersignForm(prefix="countersign"))


def _kind(document: Document) -> str:
    return "records" if isinstance(document, Record) else "agreements"


def _document(kind: str, document_id: int) -> Document:
    return (records.get_record(g.db, document_id) if kind == "records"
            else agreements.get_agreement(g.db, document_id))


def _page_url(document: Document) -> str:
    if isinstance(document, Record):
        return url_for("records.edit", record_id=document.id)
    return url_for("agreements.view", agreement_id=document.id)


def _refused(document: Document, exc: DomainError) -> tuple[str, int]:
    """The document's own page again, with the workflow's message in its error summary.

    The page views are reused rather than imitated; `g.signoff_problem` is what their templates
    read. Nothing of the refused step is kept: the rollback also removes a DOCX it filed.
    """
    g.db.rollback()
    g.signoff_problem = exc.message[:1].upper() + exc.message[1:]
    html, _ = (record_pages.edit(document.id) if isinstance(document, Record)
               else agreement_pages.view(document.id))
    return html, exc.status


def _services() -> Any:
    return current_app.extensions["docgen"]


@bp.post(f"/{KINDS}/<int:document_id>/send")
@page()
def send(kind: str, document_id: int) -> Any:
    """File this version's Word file and e-mail the first signer their link."""
    document = _document(kind, document_id)
    guard.write(document.supervisee, kind[:-1], document.id, "signoff.send")
    try:
        signing.send_for_signoff(_services(), g.db, document, signed_in().person, caller())
    except (Conflict, InvalidInput) as exc:
        return _refused(document, exc)
    g.db.commit()
    signing.enqueue_review_pdf(document)
    signing.enqueue_finalisation(document)  # a profile may need only the supervisor, who may be done
    waiting = document.supervisee if document.status == "awaiting_supervisee" else document.supervisor
    flash(f"{signoff.number(document)} was sent to {waiting.name} for sign-off")
    return redirect(_page_url(document))


@bp.post(f"/{KINDS}/<int:document_id>/resend")
@page()
def resend(kind: str, document_id: int) -> Any:
    """A new link for whoever is waiting; the link sent before stops working."""
    document = _document(kind, document_id)
    guard.write(document.supervisee, kind[:-1], document.id, "signoff.resend")
    try:
        signoff.resend(g.db, _services().profile, document, signed_in().person,
                       base_url=_services().config.base_url, caller=caller())
    except (Conflict, InvalidInput) as exc:
        return _refused(document, exc)
    g.db.commit()
    signing.enqueue_review_pdf(document)  # does nothing if made; recovers a lost task if not
    flash("A new link was sent; the link sent before no longer works")
    return redirect(_page_url(document))


@bp.post(f"/{KINDS}/<int:document_id>/countersign")
@page()
def countersign(kind: str, document_id: int) -> Any:
    """The supervisor signs on the page, also over a recorded disagreement; the worker seals the PDF."""
    document = _document(kind, document_id)
    form = CountersignForm(prefix="countersign")
    guard.write(document.supervisee, kind[:-1], document.id, "signoff.countersign")
    try:
        signoff.countersign(g.db, _services().profile, document, signed_in().person,
                            comment=form.comment.data or "", caller=caller())
    except (Conflict, InvalidInput) as exc:
        return _refused(document, exc)
    g.db.commit()
    signing.enqueue_finalisation(document)
    flash(f"You countersigned {signoff.number(document)}; its sealed PDF is filed once it is ready")
    return redirect(_page_url(document))
