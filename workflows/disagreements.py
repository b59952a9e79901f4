"""The route for a disagreement beyond the supervisory relationship, as the profile sets it.

S §9 and S App C: "their supervisor's manager" and "a three way meeting"; W §17: a three-way
discussion with the supervisor's line manager ("Either party may request this"), then HR;
H §13: "discussion and resolution should take place with the supervisor's line manager", and no
step beyond. K and L name no route; their profiles carry docgen's default (the line manager and a
three-way meeting), labelled as such.

The use cases: the periodic sweep that tells the line manager of a disagreement left unsettled
for the profile's period (`sweep_overdue`); the line manager's list and view of what they were
told; and recording the outcome of the three-way meeting, or passing it to HR where the route
goes there (`record_outcome`). Each step is a sign-off event, so it is on the certificate page,
and an audit entry. An outcome is recorded as an event (`DisagreementOutcomeRecorded`), whose
e-mails to supervisee, supervisor and HR `workflows.notices` writes. Where the profile has both agree (`signoff.finalise_over_disagreement`
false: K §9, S 12.3, H §9), the three-way meeting's outcome is what lets the supervisor
countersign over the disagreement; where it lets the supervisor finalise it anyway (W §10), the
countersignature tells the line manager at once (`workflows.signoff` through
`workflows.disagreement_notices`).

An outcome recorded while the document still waits for the supervisor is on the sealed PDF's
certificate once it is countersigned. One recorded after the PDF was sealed is on the document's
sign-off events (its page, the API) but not in that PDF: the seal fixes what was signed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import or_, select, update

from kernel import clock
from storage import audit
from kernel.errors import Conflict, Forbidden, InvalidInput
from storage.models import Agreement, DisagreementEscalation, Person, Record, SignoffEvent
from workflows import access, events, signoff
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work
from workflows.disagreement_notices import (ROUTE_EVENTS, document_of, escalation_of, latest_disagreement,
                                            outcome_words, owner_of, tell_line_manager)
from workflows.profiles import DisagreementRoute

Outcome = Literal["three_way", "hr"]
OUTCOME_EVENTS = {"three_way": "three_way_meeting", "hr": "passed_to_hr"}
# Who reads a disagreement (`access.disagreement_basis`): the line manager it was taken to, on the
# basis of the route (they may be outside the supervisee's line), or HR once that line manager passed
# it to them (W §17), who read the route and not the document. Each reading is audited (`_escalation`).
LINE_MANAGER, HR_REFERRAL = "disagreement_line_manager", "hr_referral"


def sweep_overdue(uow: Work) -> int:
    """Tell line managers of disagreements neither revised nor countersigned within the profile's
    period (from the day the supervisee disagreed, UK time); returns how many were told now.
    Safe to run twice: each disagreement is told once (`tell_line_manager`)."""
    db, route = uow.session, uow.deployment.profile.disagreement
    today = clock.today()
    told = 0
    escalated = select(DisagreementEscalation.disagreed_event_id)
    for model in (Record, Agreement):
        for document in db.scalars(select(model).where(model.status == signoff.CHANGES_REQUESTED)):
            disagreed = latest_disagreement(db, document)
            if disagreed is None or route.resolve_within.after(clock.uk(disagreed.at).date()) > today:
                continue
            if db.scalar(escalated.where(DisagreementEscalation.disagreed_event_id == disagreed.id)) is not None:
                continue
            if tell_line_manager(db, document, disagreed, "overdue", signoff.title(document), access.SYSTEM):
                told += 1
    uow.commit()
    return told


@dataclass(frozen=True)
class EscalationView:
    """A disagreement as its line manager sees it: what was disagreed, why they were told, the
    document's sign-off events, and what the profile lets them do next. HR, passed it by the line
    manager (`basis` HR_REFERRAL), sees the route's events alone, who passed it, and nothing to do."""

    escalation: DisagreementEscalation
    document: Record | Agreement
    number: str
    title: str
    disagreement: str  # the supervisee's comment
    events: list[SignoffEvent]
    route: DisagreementRoute
    basis: str = LINE_MANAGER
    line_manager: Person | None = None  # for HR: who passed it to them

    @property
    def outcomes(self) -> list[Outcome]:
        """What the line manager may record, in the profile's route (HR records none)."""
        return _outcomes(self.route, self.escalation, self.basis)


def _outcomes(route: DisagreementRoute, escalation: DisagreementEscalation, basis: str) -> list[Outcome]:
    if escalation.outcome_at is not None or basis != LINE_MANAGER:
        return []
    return [o for o, on in (("three_way", route.three_way_meeting), ("hr", route.hr)) if on]


@dataclass(frozen=True)
class RouteStep:
    """One step of the route on the certificate (line manager told, three-way meeting, passed to
    HR): which, on which version, by whom and when; not what was said."""

    event: str
    version: int
    person_id: int | None
    at: dt.datetime


@dataclass(frozen=True)
class ListedDisagreement:
    """A row of the list of disagreements: an index of who disagreed with which document, when the
    line manager was told, where the route stands and what the caller may still do. What was said
    (the supervisee's comment, the sign-off comments, the outcome's words) is on the
    disagreement's own page, whose every reading is audited (`view`); the list holds none of it,
    so listing is not a reading of anyone's record."""

    id: int
    number: str
    kind: str  # record | agreement
    document_id: int
    status: str
    supervisee: Person
    supervisor: Person
    cause: str
    told_at: dt.datetime
    outcome: str
    meeting_on: dt.date | None
    outcomes: list[Outcome]
    steps: list[RouteStep]
    basis: str


def _view(uow: Work, escalation: DisagreementEscalation, basis: str = LINE_MANAGER) -> EscalationView:
    db = uow.session
    document = document_of(db, escalation)
    disagreed = db.get_one(SignoffEvent, escalation.disagreed_event_id)
    events, line_manager = signoff.events(db, document), None
    if basis == HR_REFERRAL:  # the disagreement and its route, not the document's sign-off comments
        events = [e for e in events if e.event in ROUTE_EVENTS or e.id == disagreed.id]
        line_manager = db.get(Person, escalation.line_manager_id) if escalation.line_manager_id else None
    return EscalationView(escalation, document, signoff.number(document), signoff.title(document),
                          disagreed.comment, events, uow.deployment.profile.disagreement, basis, line_manager)


def _listed(uow: Work, row: DisagreementEscalation, basis: str) -> ListedDisagreement:
    document = document_of(uow.session, row)
    steps = [RouteStep(e.event, e.version, e.person_id, e.at)
             for e in signoff.events(uow.session, document) if e.event in ROUTE_EVENTS]
    return ListedDisagreement(row.id, signoff.number(document), signoff.kind_of(document), document.id,
                              document.status, document.supervisee, document.supervisor, row.cause, row.told_at,
                              row.outcome, row.meeting_on, _outcomes(uow.deployment.profile.disagreement, row, basis),
                              steps, basis)


def for_line_manager(uow: Work, caller: Caller) -> list[ListedDisagreement]:
    """The disagreements the caller was told of as line manager, open ones first, and for HR those
    passed to HR (W §17): each one the caller may open (`access.disagreement_basis`), as an index
    row (`ListedDisagreement`), never its content, so the list writes no audit entry."""
    me = caller.person
    shown = DisagreementEscalation.line_manager_id == me.id
    if access.HR & caller.roles:
        shown = or_(shown, DisagreementEscalation.outcome == "hr")
    rows = uow.session.scalars(select(DisagreementEscalation).where(shown)
                               .order_by(DisagreementEscalation.outcome_at.is_not(None),
                                         DisagreementEscalation.told_at.desc()))
    bases = [(row, access.disagreement_basis(uow.session, caller, row)) for row in rows]
    return [_listed(uow, row, basis) for row, basis in bases if basis is not None]


def _escalation(uow: Work, caller: Caller, escalation_id: int, action: str) -> tuple[DisagreementEscalation, str]:
    """The escalation and the basis the caller reads it on (`access.disagreement_basis`), the
    reading audited and committed at once, as `access.read` does (the entry stands even if the rest
    of the request fails). The line manager it was taken to reads the document's disagreement and
    sign-off events, audited against the document on the basis of the route ("the supervisor's
    line manager": S §9, W §17, H §13), even when outside the supervisee's line; the document
    itself stays `access.read`'s. HR, once passed it, reads the route alone and records nothing."""
    db = uow.session
    escalation, basis = access.disagreement_for(db, caller, escalation_id)
    document = document_of(db, escalation)
    if basis == HR_REFERRAL:
        if action != "disagreement.read":
            raise Forbidden("only the supervisor's line manager records the outcome of a disagreement", "outcome")
        audit.record(db, action, actor_id=caller.person_id, object_type="disagreement",
                     object_id=escalation.id, ip=caller.ip, detail={"basis": HR_REFERRAL, **owner_of(document)})
    else:
        audit.record(db, action, actor_id=caller.person_id, object_type=signoff.kind_of(document),
                     object_id=document.id, ip=caller.ip,
                     detail={"basis": LINE_MANAGER, "disagreement_id": escalation.id})
    uow.commit()
    return escalation, basis


def view(uow: Work, caller: Caller, escalation_id: int) -> EscalationView:
    """One disagreement as its line manager sees it (an audited read of the document), or as HR
    sees one passed to them (an audited read of the route alone)."""
    escalation, basis = _escalation(uow, caller, escalation_id, "disagreement.read")
    return _view(uow, escalation, basis)


def outcome_problems(route: DisagreementRoute, outcome: str | None, text: str,
                     meeting_on: dt.date | None) -> dict[str, str]:
    """Every problem with an outcome as given, by field, in the words the page shows: the page
    names them all in one answer (GOV.UK; issue 27 found "must be one of three_way under this
    policy"), the API the first."""
    allowed = [o for o, on in (("three_way", route.three_way_meeting), ("hr", route.hr)) if on]
    problems: dict[str, str] = {}
    if outcome not in allowed:
        problems["outcome"] = ("Select what happened" if len(allowed) > 1 else
                               "Under this policy only a three-way meeting settles a disagreement")
    if not text.strip():
        problems["outcome_text"] = "Enter why it goes to HR" if outcome == "hr" else "Enter what was decided"
    if outcome == "three_way" and meeting_on is None:
        problems["meeting_on"] = "Enter the date of the three-way meeting"
    if meeting_on is not None and meeting_on > clock.today():
        problems["meeting_on"] = "The date of the three-way meeting must be today or in the past"
    return problems


def _check(route: DisagreementRoute, outcome: str, text: str, meeting_on: dt.date | None) -> None:
    problems = outcome_problems(route, outcome, text, meeting_on)
    if problems:
        field, problem = next(iter(problems.items()))
        raise InvalidInput(problem, field)


def may_request_meeting(uow: Work, caller: Caller, document: Record | Agreement) -> bool:
    """Whether the caller may ask for a three-way meeting on this document now: the profile lets
    either party ask (`disagreement.either_may_request`), the caller is its supervisee or
    supervisor, the supervisee disagrees with the version out, and the line manager is not yet
    told of that disagreement. The page shows its button only then."""
    route = uow.deployment.profile.disagreement
    if not (route.either_may_request and route.three_way_meeting) or document.status != signoff.CHANGES_REQUESTED:
        return False
    if caller.person_id not in (document.supervisee_id, document.supervisor_id):
        return False
    disagreed = latest_disagreement(uow.session, document)
    return disagreed is not None and escalation_of(uow.session, disagreed) is None


@transaction
def request_meeting(uow: Work, caller: Caller, kind: str, document_id: int) -> DisagreementEscalation:
    """Either party asks for a three-way meeting with the supervisor's line manager over the
    supervisee's disagreement (S App C 8: "either supervisee or the supervisor may approach a
    senior manager for help and advice or to request a three way meeting to resolve the
    situation"; W §17: "Either party may request this"), without waiting for the period the
    profile allows. The line manager is told as by the sweep (`tell_line_manager`), once; they
    then record the meeting's outcome (`record_outcome`)."""
    db = uow.session
    document = signoff.get_document(db, kind, document_id)
    route = uow.deployment.profile.disagreement
    if not (route.either_may_request and route.three_way_meeting):
        raise Forbidden("this council's policy does not have either party ask for a three-way meeting")
    if caller.person_id not in (document.supervisee_id, document.supervisor_id):
        raise Forbidden("only the supervisee or the supervisor may ask for a three-way meeting")
    disagreed = latest_disagreement(db, document) if document.status == signoff.CHANGES_REQUESTED else None
    if disagreed is None:
        raise Conflict(f"{signoff.number(document)} has no disagreement open: nothing to take to a three-way meeting",
                       "status")
    escalation = tell_line_manager(db, document, disagreed, "requested", signoff.title(document), caller)
    if escalation is None:
        raise Conflict("the supervisor's line manager has been told of this disagreement already", "status")
    return escalation


@transaction
def record_outcome(uow: Work, caller: Caller, escalation_id: int, outcome: str, text: str,
                   meeting_on: dt.date | None = None) -> EscalationView:
    """The line manager records the three-way meeting's outcome, or passes the disagreement to HR
    where the route goes there (W §17 alone): once, as a compare-and-set on the open escalation.
    The step goes on the certificate as a sign-off event; supervisee and supervisor are told, and
    HR too when it is passed to them."""
    db = uow.session
    escalation, _ = _escalation(uow, caller, escalation_id, "disagreement.outcome")
    _check(uow.deployment.profile.disagreement, outcome, text, meeting_on)
    now = clock.now()
    result = db.execute(update(DisagreementEscalation)
                        .where(DisagreementEscalation.id == escalation.id, DisagreementEscalation.outcome_at.is_(None))
                        .values(outcome=outcome, outcome_text=text.strip(), meeting_on=meeting_on,
                                outcome_by_id=caller.person_id, outcome_at=now)
                        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("the outcome of this disagreement was already recorded", "outcome")
    db.refresh(escalation)
    document = document_of(db, escalation)
    said = outcome_words(escalation)
    db.add(SignoffEvent(**owner_of(document), version=document.version, event=OUTCOME_EVENTS[outcome],
                        person_id=caller.person_id, at=now, ip=caller.ip[:64], user_agent=caller.user_agent[:400],
                        comment=said))
    audit.record(db, "disagreement.outcome", actor_id=caller.person_id, object_type="disagreement",
                 object_id=escalation.id, ip=caller.ip, detail={"outcome": outcome, **owner_of(document)})
    uow.record(events.DisagreementOutcomeRecorded(escalation.id, "hr" if outcome == "hr" else "three_way"))
    return _view(uow, escalation)
