"""The sign-off trail and what is made of it: every step recorded against the version it was taken
on (`record_event`, read back by `events`), the files each version was filed as
(`filed_version`), and the evidence read from them: each version's decision (`decisions`), who
signed and who is still to (`signature_lines`: nobody is called a signer before they signed), how
a version was finalised over a disagreement (both views, the route's outcome and whose signature
is missing), what changed since the version the supervisee disagreed with (worded by
`workflows.version_changes`), and the certificate page's content (`certificate`, printed by
`documents.certificate`). Versions are told apart (issue 27).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from storage.backends.base import StorageError
from storage.filing import DamagedDocument, read_document
from storage.models import DocumentVersion, Person, Record, SignoffEvent
from workflows import disagreement_notices, records, version_changes
from workflows.access import Caller
from workflows.deployment import Work
from workflows.profiles import Profile
from workflows.signoff.states import AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, SIGNED, Document, owner_ids, signers
from workflows.signoff.wording import number, title


def record_event(db: Session, document: Document, event: str, person: Person | None, caller: Caller,
                 comment: str = "", docx_sha256: str = "") -> SignoffEvent:
    """Add one step to the document's sign-off trail: who, when, from where, with any comment and
    the SHA-256 of the Word file signed."""
    row = SignoffEvent(**owner_ids(document), version=document.version, event=event,
                       person_id=person.id if person else None, at=clock.now(), ip=caller.ip[:64],
                       user_agent=caller.user_agent[:400], comment=comment, docx_sha256=docx_sha256)
    db.add(row)
    return row


def events(db: Session, document: Document) -> list[SignoffEvent]:
    """Every sign-off event of a document, all versions, in order (the sender's page shows these)."""
    owner = SignoffEvent.record_id if isinstance(document, Record) else SignoffEvent.agreement_id
    return list(db.scalars(select(SignoffEvent).where(owner == document.id).order_by(SignoffEvent.at, SignoffEvent.id)))


def filed_version(db: Session, document: Document, kind: str, version: int | None = None) -> DocumentVersion | None:
    """The stored file of one kind (docx as sent, review_pdf, final_pdf) of a version, unless destroyed.

    `version` defaults to the document's current one.
    """
    owner = DocumentVersion.record_id if isinstance(document, Record) else DocumentVersion.agreement_id
    return db.scalar(select(DocumentVersion).where(
        owner == document.id, DocumentVersion.kind == kind, DocumentVersion.version == (version or document.version),
        DocumentVersion.destroyed_at.is_(None)).limit(1))


@dataclass(frozen=True)
class Decision:
    """The supervisee's decision on one version, as the certificate and the link pages word it
    (issue 27: "version 1: disagreed, with comment; version 2: agreed")."""

    version: int
    decided: str  # "agreed", "agreed, with comment" or "disagreed, with comment"
    comment: str
    on: dt.date

    @property
    def disagreed(self) -> bool:
        return self.decided.startswith("disagreed")

    @property
    def text(self) -> str:
        return f"version {self.version}: {self.decided}"


def decisions(every: Sequence[SignoffEvent]) -> list[Decision]:
    """The supervisee's decision on each version, oldest first, from a document's events: only a
    supervisee agrees or disagrees (a supervisor countersigns)."""
    worded = {"disagreed": "disagreed, with comment", "agreed": "agreed"}
    return [Decision(e.version, worded[e.event] + (", with comment" if e.event == "agreed" and e.comment else ""),
                     e.comment, clock.uk(e.at).date())
            for e in every if e.event in worded]


def signature_lines(profile: Profile, document: Document, every: Sequence[SignoffEvent]) -> list[str]:
    """Who signed the current version and who is still to, one line per signer the profile names:
    nobody is called a signer before they signed (issue 27: "To be signed by", "Waiting for")."""
    done = {e.event: clock.uk(e.at) for e in every if e.version == document.version
            and e.event in ("agreed", "disagreed", "countersigned")}
    lines = []
    for role in signers(profile, document):
        person = document.supervisee if role == "supervisee" else document.supervisor
        who = f"{person.name} ({role})"
        if role == "supervisee" and "agreed" in done:
            lines.append(f"Signed by {who} on {done['agreed']:%-d %B %Y}")
        elif role == "supervisee" and "disagreed" in done:
            lines.append(f"Not signed by {who}, who disagreed with this version on {done['disagreed']:%-d %B %Y}")
        elif role == "supervisor" and "countersigned" in done:
            lines.append(f"Countersigned by {who} on {done['countersigned']:%-d %B %Y}")
        elif document.status == (AWAITING_SUPERVISEE if role == "supervisee" else AWAITING_SUPERVISOR):
            lines.append(f"Waiting for {who} to {'agree and sign' if role == 'supervisee' else 'countersign'}")
        else:
            lines.append(f"To be {'signed' if role == 'supervisee' else 'countersigned'} by {who}")
    return lines


def _signed_on(every: list[SignoffEvent], document: Document) -> dict[str, str]:
    """The UK date each signer signed this version, for the record's own signature block."""
    signed = {"agreed": "supervisee", "countersigned": "supervisor"}
    days = {"supervisee": "", "supervisor": ""}
    for event in every:
        if event.version == document.version and event.event in signed:
            days[signed[event.event]] = clock.uk(event.at).date().isoformat()
    return days


@dataclass(frozen=True)
class FinalisedAfterDisagreement:
    """A signed version the supervisee disagreed with, as the certificate and the pages show it:
    both views, the route's outcome and whose signature is missing, never "signed by both"."""

    supervisee_view: str
    supervisor_view: str  # the supervisor's comment when countersigning ("" when none was given)
    outcome: str  # the route's outcome; "" where the policy let the supervisor finalise without one (W §10)
    missing_signature: str


def finalised_after_disagreement(db: Session, document: Document) -> FinalisedAfterDisagreement | None:
    """How the signed current version was finalised over the supervisee's disagreement; None when
    it is not signed, or was signed without one."""
    disagreed = disagreement_notices.latest_disagreement(db, document) if document.status == SIGNED else None
    if disagreed is None:
        return None
    countersigned = db.scalar(select(SignoffEvent).filter_by(**owner_ids(document), event="countersigned",
                                                             version=document.version).limit(1))
    escalation = disagreement_notices.escalation_of(db, disagreed)
    supervisee, supervisor = document.supervisee.name, document.supervisor.name
    return FinalisedAfterDisagreement(
        supervisee_view=disagreed.comment, supervisor_view=countersigned.comment if countersigned else "",
        outcome=disagreement_notices.outcome_words(escalation) if escalation is not None else "",
        missing_signature=f"Signed by {supervisor} only: {supervisee} did not sign, having disagreed with this version")


def certificate(db: Session, document: Document) -> dict[str, Any]:
    """The certificate page's content (shape expected by documents.certificate)."""
    people_by_id = {p.id: p for p in (document.supervisee, document.supervisor)}
    finalised = finalised_after_disagreement(db, document)
    shown = {"sent": "sent", "opened": "opened", "agreed": "signed",
             "countersigned": "finalised after a disagreement" if finalised else "signed",
             "disagreed": "disagreement", "filed": None, "viewed": None, **disagreement_notices.ROUTE_EVENTS}
    rows = []
    every = events(db, document)
    views = Counter(e.person_id for e in every if e.event in ("opened", "viewed") and e.version == document.version)
    for event in every:
        label = shown.get(event.event, event.event)
        # Earlier versions' disagreements, and where they were taken, stay on the certificate: they
        # are recorded, not suppressed.
        kept = event.event == "disagreed" or event.event in disagreement_notices.ROUTE_EVENTS
        if label is None or (event.version != document.version and not kept):
            continue
        who = people_by_id.get(event.person_id) or (db.get(Person, event.person_id) if event.person_id else None)
        rows.append({"event": label, "who": who.name if who else "", "at": event.at.replace(tzinfo=dt.timezone.utc).isoformat(),
                     "ip": event.ip, "user_agent": event.user_agent, "comment": event.comment, "version": event.version,
                     **({"views": views[event.person_id]} if event.event == "opened" else {})})
    return {"record_id": number(document), "title": title(document), "version": document.version,
            "supervisee": {"name": document.supervisee.name, "email": document.supervisee.email},
            "supervisor": {"name": document.supervisor.name, "email": document.supervisor.email},
            "events": rows, "signed_on": _signed_on(every, document),
            "decisions": [decision.text for decision in decisions(every)],
            "finalised_after_disagreement": asdict(finalised) if finalised else None}


@dataclass(frozen=True)
class ChangesSince:
    """What changed since the version the supervisee disagreed with, for the page of the version
    re-sent to them (issue 27: "a re-sent version looks exactly like the first")."""

    disagreed: Decision
    changes: list[str] | None  # None: the two versions' Word files could not be read and compared


def _labels(profile: Profile, document: Document) -> dict[str, str]:
    """The form's own wording of each field, by the key its Word cell is bookmarked with."""
    if isinstance(document, Record):
        form = records.form_of(profile, document)
        return {field.key: field.label for field in (*form.details, *form.fields)}
    return {key: field.label for field in profile.agreement.fields for key in (field.key, f"agreement_{field.key}")}


def changes_since_disagreement(uow: Work, document: Document, told: Sequence[Decision]) -> ChangesSince | None:
    """The changes from the latest earlier version the supervisee disagreed with to the current one,
    read from the two versions' filed Word files; None when no earlier version was disagreed with."""
    disagreed = next((d for d in reversed(told) if d.disagreed and d.version < document.version), None)
    if disagreed is None:
        return None
    db = uow.session
    files = [filed_version(db, document, "docx", version) for version in (disagreed.version, document.version)]
    try:
        before, after = [version_changes.read(read_document(db, uow.store, row)) if row else None for row in files]
    except (DamagedDocument, StorageError):  # the page the supervisee decides on still opens, saying so
        return ChangesSince(disagreed, None)
    if before is None or after is None:
        return ChangesSince(disagreed, None)
    return ChangesSince(disagreed, version_changes.described(before, after, _labels(uow.deployment.profile, document)))
