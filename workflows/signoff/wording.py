"""How a sign-off reads to the people in it: the document's number and title, whose turn it is
and what they must do (`turn`, in the one wording the dashboard, the document's page, My records,
the due list and the e-mails all use; issue 18: "always clear whose turn it is"), and the tag of
its state. Plain functions of a document's state and its people's names: nothing here reads the
database.

A disagreement is never sealed as signed by both: a version countersigned over the supervisee's
disagreement is "finalised after a disagreement" wherever it is named (K §9 "signed by both";
W §10 "what has been agreed (or not)").
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from storage.models import Record
from workflows import agreements, records
from workflows.signoff.states import (AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, CHANGES_REQUESTED, SIGNED, SUPERSEDED,
                                      Document, words)

# A signed version the supervisee disagreed with: never "signed", which would read as signed by both
FINALISED_AFTER_DISAGREEMENT = "Finalised after a disagreement"


def number(document: Document) -> str:
    """The number printed on the form (R-000042, AG-000007)."""
    return (records.record_number(document) if isinstance(document, Record)
            else agreements.agreement_number(document))


def title(document: Document) -> str:
    """The document as an e-mail's subject and a page's heading name it."""
    if isinstance(document, Record):
        return f"Supervision record {number(document)} ({document.session_date:%-d %B %Y})"
    return f"Supervision agreement {number(document)}"


def page_path(document: Document) -> str:
    """The path of the page its supervisor revises, re-sends or countersigns a document from."""
    return f"/records/{document.id}/edit" if isinstance(document, Record) else f"/agreements/{document.id}"


Viewer = Literal["supervisee", "supervisor", "other"]


@dataclass(frozen=True)
class NextStep:
    """Whose turn it is on a document and what they must do, in the one wording the dashboard, the
    document's page, My records and the e-mails all use (issue 18: "always clear whose turn it is").

    `what` says where it stands ("Alex Morgan disagreed"), `then` what to do about it ("revise or
    countersign"), if anything; `who` is the role that must act (None once nothing is left to do).
    """

    who: Literal["supervisee", "supervisor"] | None
    what: str
    then: str = ""
    download: bool = False  # `then` is "download PDF": pages make it the link to the sealed PDF

    @property
    def text(self) -> str:
        return f"{self.what}: {self.then}" if self.then else self.what


def ago(day: dt.date, today: dt.date) -> str:
    """'today', 'yesterday', '3 days ago': how long a signer has had the e-mail."""
    days = (today - day).days
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def turn(status: str, supervisee: str, supervisor: str, viewer: Viewer, *, sent_on: dt.date | None = None,
         today: dt.date | None = None, sealed: bool = False, disagreed: bool = False) -> NextStep:
    """The next step from a document's state and its two people's names, as `viewer` reads it.

    Plain values rather than the document, so the organisation's due list (rows, not objects)
    words its sign-off items the same way. `disagreed`: the signed version was countersigned over
    the supervisee's disagreement, so it is never called "signed" (K §9 "signed by both").
    """
    sent = f" (sent {ago(sent_on, today)})" if sent_on is not None and today is not None else ""
    if status == AWAITING_SUPERVISEE:
        if viewer == "supervisee":
            return NextStep("supervisee", "Ready for you to agree", "open the link in your e-mail")
        return NextStep("supervisee", f"Waiting for {supervisee} to agree{sent}")
    if status == AWAITING_SUPERVISOR:
        if viewer == "supervisor":
            return NextStep("supervisor", "Ready for you to countersign")
        return NextStep("supervisor", f"Waiting for {supervisor} to countersign")
    if status == CHANGES_REQUESTED:
        if viewer == "supervisor":
            return NextStep("supervisor", f"{supervisee} disagreed", "revise or countersign")
        who = "You" if viewer == "supervisee" else supervisee
        return NextStep("supervisor", f"{who} disagreed", f"waiting for {supervisor} to revise or countersign")
    if status == SUPERSEDED:
        return NextStep(None, "Superseded by a newer agreement")
    if status == SIGNED:
        done = FINALISED_AFTER_DISAGREEMENT if disagreed else "Signed"
        if sealed:
            return NextStep(None, done, "download PDF", download=True)
        return NextStep(None, done, "the PDF is being sealed")
    if viewer == "supervisor":
        return NextStep("supervisor", "Draft", "finish it and send it for sign-off")
    return NextStep("supervisor", f"Being written by {supervisor}")


def viewer_of(document: Document, person_id: int | None) -> Viewer:
    """Which of the document's people is looking (a manager or auditor is 'other')."""
    if person_id is not None and person_id == document.supervisor_id:
        return "supervisor"
    if person_id is not None and person_id == document.supervisee_id:
        return "supervisee"
    return "other"


def tag(status: str, disagreed: bool) -> str:
    """A document's state as its tag reads it: "Finalised after a disagreement", never "Signed", for a
    version countersigned over the supervisee's disagreement (K §9 "signed by both"; W §10 "or not")."""
    return FINALISED_AFTER_DISAGREEMENT if status == SIGNED and disagreed else words(status).capitalize()
