"""The sign-off block of a record's or an agreement's page (`records/signoff_actions.html`): whose
turn it is, what each version went through, and the buttons the document's state allows.

The page's view builds it, after its own use case has let the reader read the document, and hands
it to the template: a template draws what it is given and runs no use case while it renders.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField

from docgen.auth import caller, uow
from workflows import disagreements, signoff
from workflows.signoff import Document

EVENTS = {"filed": "Word file filed", "sent": "Link e-mailed", "opened": "Link opened", "agreed": "Agreed",
          "disagreed": "Disagreed", "countersigned": "Countersigned"}


class CountersignForm(FlaskForm):
    """The countersignature on the page; over the supervisee's disagreement the template shows the
    name box too, as the e-mailed link does (issue 27: never one click over someone's "no")."""

    comment = TextAreaField("Comment (optional)", widget=GovTextArea(),
                            description="It is printed on the certificate page of the final PDF")
    confirm_name = StringField("Type your full name to countersign over the disagreement", widget=GovTextInput(),
                               render_kw={"autocomplete": "name", "spellcheck": "false"})
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
    tag: str  # the document's state as its tag reads it (`workflows.signoff.tag`)
    may_request_meeting: bool  # the reader may ask for a three-way meeting now (S App C 8, W §17)
    signing: list[str]  # who signed this version and who is still to (`workflows.signoff.signature_lines`)

    @property
    def making_pdf(self) -> bool:
        """Signed, and the worker is still sealing the PDF: the page offers to check again (and checks by itself with JavaScript) until it is filed."""
        return self.document.status == signoff.SIGNED and not self.final_pdf

    @property
    def versions(self) -> list[tuple[int, list[EventRow]]]:
        """The events by version, newest version first: what each version went through."""
        numbers = sorted({e.version for e in self.events}, reverse=True)
        return [(n, [e for e in self.events if e.version == n]) for n in numbers]


def panel(document: Document) -> Panel:
    """The block's content for a document the page's own use case has already let the reader read."""
    progress = signoff.progress(uow(), document, caller().person_id)
    finalised = signoff.finalised_after_disagreement(uow().session, document)
    rows = [EventRow(EVENTS.get(e.event, e.event.capitalize()),
                     progress.names.get(e.person_id, "") if e.person_id is not None else "", e.at, e.comment, e.version)
            for e in progress.events]
    return Panel(kind=f"{signoff.kind_of(document)}s", document=document, events=rows,
                 final_pdf=progress.final_pdf is not None,
                 can_send=document.status in signoff.SENDABLE, can_resend=document.status in signoff.WAITING,
                 can_countersign=document.status in signoff.COUNTERSIGNABLE,
                 held=signoff.unsettled(uow().session, uow().deployment.profile, document),
                 countersign_form=CountersignForm(prefix="countersign"), step=progress.step,
                 doc=signoff.as_sent(uow(), document), finalised=finalised,
                 tag=signoff.tag(document.status, finalised is not None),
                 may_request_meeting=disagreements.may_request_meeting(uow(), caller(), document),
                 signing=progress.signing)
