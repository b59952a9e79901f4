"""Telling the supervisor's line manager of a supervisee's disagreement, once.

The policies route an unsettled disagreement beyond the relationship: "their supervisor's manager"
(S §9), "a three way meeting" (S App C), "the supervisor's line manager" (W §17, H §13). Two things
tell the line manager: the profile's period passing with the disagreement neither revised nor
countersigned (`workflows.disagreements`'s sweep), and the supervisor countersigning over it
(`workflows.signoff`), which tells them at once with the comment. Both come here, below sign-off,
so sign-off can call it without importing the route's use cases.

Told once: the escalation row is unique per disagreement, inserted in a savepoint, so a sweep
run twice (or a sweep racing a countersignature) tells the line manager once.
"""
from __future__ import annotations

from typing import Literal, Union

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel import clock
from storage import audit
from storage.models import Agreement, DisagreementEscalation, Person, Record, SignoffEvent
from workflows import emails
from workflows.access import Caller

Document = Union[Record, Agreement]
Cause = Literal["overdue", "countersigned", "requested"]
TOLD = "line_manager_told"  # the sign-off event on the certificate
# Sign-off events of the route, kept on the certificate whatever version they were recorded on.
ROUTE_EVENTS = {TOLD: "line manager told", "three_way_meeting": "three-way meeting", "passed_to_hr": "passed to HR"}


def owner_of(document: Document) -> dict[str, int]:
    """The document's column on sign-off events and escalations."""
    return {"record_id": document.id} if isinstance(document, Record) else {"agreement_id": document.id}


def document_of(db: Session, escalation: DisagreementEscalation) -> Document:
    """The record or agreement whose disagreement `escalation` took to the line manager."""
    if escalation.record_id is not None:
        return db.get_one(Record, escalation.record_id)
    return db.get_one(Agreement, escalation.agreement_id)


def latest_step(db: Session, document: Document, version: int, steps: tuple[str, ...]) -> SignoffEvent | None:
    """The latest of these steps on the sign-off trail of this version of the document, if any."""
    owner = SignoffEvent.record_id if isinstance(document, Record) else SignoffEvent.agreement_id
    return db.scalar(select(SignoffEvent).where(owner == document.id, SignoffEvent.version == version,
                                                SignoffEvent.event.in_(steps))
                     .order_by(SignoffEvent.at.desc(), SignoffEvent.id.desc()).limit(1))


def latest_disagreement(db: Session, document: Document) -> SignoffEvent | None:
    """The supervisee's disagreement with the document's current version, if any."""
    return latest_step(db, document, document.version, ("disagreed",))


def escalation_of(db: Session, disagreed: SignoffEvent) -> DisagreementEscalation | None:
    """How the line manager was told of a disagreement, if they were (or that nobody could be:
    a supervisor with no line manager, `tell_line_manager`)."""
    return db.scalar(select(DisagreementEscalation).where(DisagreementEscalation.disagreed_event_id == disagreed.id))


def settled(escalation: DisagreementEscalation | None) -> bool:
    """The route has settled the disagreement: its line manager recorded the three-way meeting's
    outcome (S App C, W §17, H §13). Passing it to HR (W §17) hands it on; it does not settle it."""
    return escalation is not None and escalation.outcome == "three_way"


def outcome_words(escalation: DisagreementEscalation) -> str:
    """The outcome as the certificate, the e-mails and the pages word it ("" while none is recorded)."""
    if escalation.outcome == "three_way" and escalation.meeting_on is not None:
        return f"Three-way meeting on {escalation.meeting_on:%-d %B %Y}: {escalation.outcome_text}"
    if escalation.outcome == "hr":
        return f"Passed to HR: {escalation.outcome_text}"
    return ""


def tell_line_manager(db: Session, document: Document, disagreed: SignoffEvent, cause: Cause, title: str,
                      caller: Caller, comment: str = "") -> DisagreementEscalation | None:
    """Tell the supervisor's line manager of `disagreed`, unless they were told already (None).

    The escalation, the certificate's event, the audit entry and the e-mail are written in the
    caller's transaction. A supervisor with no line manager is recorded as such (nobody to tell),
    so the sweep does not try again every hour.
    """
    supervisor = db.get_one(Person, document.supervisor_id)
    manager = db.get(Person, supervisor.line_manager_id) if supervisor.line_manager_id else None
    escalation = DisagreementEscalation(disagreed_event_id=disagreed.id, **owner_of(document),
                                        line_manager_id=manager.id if manager else None, cause=cause,
                                        told_at=clock.now())
    try:
        with db.begin_nested():
            db.add(escalation)
    except IntegrityError:
        return None  # told already, by a sweep or a countersignature that got there first
    supervisee = db.get_one(Person, document.supervisee_id)
    if cause == "requested":  # either party asked for a three-way meeting (S App C 8, W §17)
        note = f"{caller.person.name} asked for a three-way meeting."
    else:
        why = ("countersigned it over the disagreement" if cause == "countersigned"
               else "has neither revised it nor countersigned it within the period the policy allows")
        note = f"{supervisor.name} {why}." + (f" Supervisor's comment: {comment}" if comment else "")
    db.add(SignoffEvent(**owner_of(document), version=document.version, event=TOLD,
                        person_id=manager.id if manager else None, at=clock.now(), ip=caller.ip[:64],
                        user_agent=caller.user_agent[:400], comment=note if manager else "no line manager to tell"))
    audit.record(db, "disagreement.escalated", actor_id=caller.person_id, object_type="disagreement",
                 object_id=escalation.id, ip=caller.ip,
                 detail={"cause": cause, "line_manager_id": escalation.line_manager_id, **owner_of(document)})
    if manager is not None:
        emails.queue(db, "disagreement_escalated", to=manager.email,
                     subject=f"A supervision disagreement for you: {title}",
                     manager=manager.name, supervisee=supervisee.name, what=title, supervisor=supervisor.name,
                     comment=disagreed.comment, note=note, url=emails.link(db, f"/disagreements/{escalation.id}"))
    return escalation
