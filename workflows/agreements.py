"""Supervision agreements (K App A): one per supervisory relationship, reviewed annually.

A new supervisor means a new agreement ("completed at the start of the supervisory
relationship", K), so starting a relationship starts a draft, pre-filled from the profile's
wording and the supervisee's frequency.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import page_texts
from storage.models import Agreement, Organisation, Person, SupervisionRelationship
from kernel import clock
from workflows import people
from kernel.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from workflows import access, revisions
from workflows.access import Caller
from workflows.deployment import Work
from workflows.due_dates import agreement_review_date, review_state
from workflows.profiles import Profile
from workflows.forms import AGREEMENT_DATES, AGREEMENT_SUPERVISEE, AGREEMENT_SUPERVISOR, AgreementForm, printed_at
from workflows.records import form_date
from workflows.status import DRAFT, EDITABLE, SIGNED, SUPERSEDED, may_move, words

def agreement_number(agreement: Agreement) -> str:
    return f"AG-{agreement.id:06d}"


def get_agreement(db: Session, agreement_id: int) -> Agreement:
    agreement = db.get(Agreement, agreement_id)
    if agreement is None:
        raise access.no_such_document()
    return agreement


def frequency_text(profile: Profile, supervisee: Person, on: dt.date) -> str:
    """The profile's frequency for the supervisee's role, phase by phase, in words."""
    role = profile.role(supervisee.role)
    parts = []
    for phase in role.frequency:
        part = f"every {phase.every.text}"
        if phase.until is not None:
            part += f" for the first {phase.until.text}"
        parts.append(part)
    return "; then ".join(parts).capitalize()


def create_agreement(db: Session, profile: Profile, supervisee: Person, supervisor: Person,
                     started_on: dt.date, fields: dict[str, Any] | None = None,
                     relationship: SupervisionRelationship | None = None) -> Agreement:
    """A draft agreement; earlier open drafts for the same supervisee are superseded by it."""
    if supervisee.id == supervisor.id:
        raise InvalidInput("a person cannot supervise themselves", "supervisor_id")
    _on_the_form(profile, fields or {})
    defaults = profile.agreement_defaults
    prefilled = {
        "frequency": frequency_text(profile, supervisee, started_on), "length": defaults.length,
        "location": defaults.location, "confidentiality": defaults.confidentiality,
        "supervisee_expectations": defaults.supervisee_expectations,
        "supervisor_expectations": defaults.supervisor_expectations,
        "absence_cover": defaults.absence_cover,  # H §9, on a form with the field
        "job_roles": f"{supervisee.job_title or profile.label(supervisee.role)} (supervisee); "
                     f"{supervisor.job_title or profile.label(supervisor.role)} (supervisor)",
    }
    values = {**{key: prefilled.get(key, "") for key in profile.agreement.text_keys},
              **{k: str(v) for k, v in (fields or {}).items()}}
    agreement = Agreement(supervisee_id=supervisee.id, supervisor_id=supervisor.id,
                          relationship_id=relationship.id if relationship else None, status=DRAFT,
                          started_on=started_on, review_date=agreement_review_date(profile, started_on), fields=values)
    db.add(agreement)
    db.flush()
    for older in db.scalars(select(Agreement).where(Agreement.supervisee_id == supervisee.id, Agreement.id != agreement.id,
                                                    Agreement.superseded_by_id.is_(None))):
        older.superseded_by_id = agreement.id
        if may_move(older.status, SUPERSEDED):  # one still being written; a signed one stands
            older.status = SUPERSEDED
    db.flush()
    return agreement


def start_relationship(db: Session, profile: Profile, supervisee_id: int, supervisor_id: int,
                       starts_on: dt.date, ends_on: dt.date | None = None) -> tuple[SupervisionRelationship, Agreement]:
    """A new supervisory relationship and the draft agreement it needs."""
    rel = people.create_relationship(db, supervisee_id, supervisor_id, starts_on, ends_on)
    agreement = create_agreement(db, profile, rel.supervisee, rel.supervisor, starts_on, relationship=rel)
    return rel, agreement


def _on_the_form(profile: Profile, patch: dict[str, Any], dates: tuple[str, ...] = ()) -> None:
    """Refuse, naming it, a field the profile's agreement form does not have."""
    form = profile.agreement
    unknown = sorted(set(patch) - set(form.text_keys) - set(dates))
    if unknown:
        raise InvalidInput(f"{unknown[0]} is not on this council's agreement form ({form.source})", unknown[0])


def update_agreement(db: Session, profile: Profile, agreement: Agreement, patch: dict[str, Any]) -> Agreement:
    """Edit the fields of a draft (or one with changes requested): only those on the agreement's form."""
    if agreement.status not in EDITABLE:
        raise Conflict(f"the agreement is {words(agreement.status)} and can no longer be edited", "status")
    _on_the_form(profile, patch, AGREEMENT_DATES)
    emptied = [k for k in ("started_on", "review_date") if k in patch and patch[k] is None]  # a PATCH's null
    if emptied:
        raise InvalidInput(f"{emptied[0]} cannot be empty", emptied[0])
    started = patch.get("started_on", agreement.started_on)
    review = patch.get("review_date", agreement.review_date)
    if review <= started:
        raise InvalidInput("review_date must be after the date the agreement started", "review_date")
    agreement.started_on, agreement.review_date = started, review
    agreement.fields = {**agreement.fields, **{k: "" if v is None else str(v) for k, v in patch.items()
                                               if k not in AGREEMENT_DATES}}
    db.flush()
    page_texts.forget_draft(db, "agreement", agreement.id)  # the schedule's copy of its words may be ones now gone
    return agreement


def review_flag(agreement: Agreement, today: dt.date | None = None) -> str | None:
    """'superseded', 'review overdue', 'review due' (`due_dates.review_state`, as the due list) or None."""
    today = today or clock.today()
    if agreement.superseded_by_id is not None:
        return "superseded"
    state = review_state(agreement.review_date, today)
    if state is None:
        return None
    return "review overdue" if state == "overdue" else "review due"


def agreement_context(profile: Profile, org: Organisation, agreement: Agreement) -> dict[str, Any]:
    """The template context for an agreement (contract in documents.render)."""
    f, form = agreement.fields, profile.agreement
    context = {
        "organisation": org.name, "marking": profile.marking, "record_id": agreement_number(agreement),
        "kind": "agreement", "title": "Supervision Agreement",
        "supervisee": {"name": agreement.supervisee.name, "job_role": agreement.supervisee.job_title},
        "supervisor": {"name": agreement.supervisor.name, "job_role": agreement.supervisor.job_title},
        "agreement": {"started": form_date(agreement.started_on), "review_date": form_date(agreement.review_date),
                      "access": profile.agreement_defaults.access,  # the council's own line, not edited
                      **{k: f.get(k, "") for k in form.text_keys}},
        "signatures": {who: {"name": getattr(agreement, who).name, "date": ""}
                       for who in profile.signoff.agreement_signers},
        "actions": [], "areas": [],
    }
    # The page shows each field as the Word file prints it (`Field.expression`).
    return context | {"form": form, "fields": {
        field.key: printed_at(context, form.expression(field))
        for field in (AGREEMENT_SUPERVISEE, AGREEMENT_SUPERVISOR, *form.fields)}}


class AgreementOut(BaseModel):
    """An agreement as JSON shows it: the API's answer and its OpenAPI schema read this one shape."""

    id: int
    number: str
    status: str
    version: revisions.SentVersion
    revision: revisions.Revision
    supervisee_id: int
    supervisor_id: int
    started_on: dt.date
    review_date: dt.date
    review_flag: str | None
    superseded_by_id: int | None
    fields: dict[str, str]


def agreement_json(agreement: Agreement, today: dt.date | None = None) -> dict[str, Any]:
    """The API view of an agreement (`AgreementOut`), with its review flag as of `today`."""
    return AgreementOut(
        id=agreement.id, number=agreement_number(agreement), status=agreement.status, version=agreement.version,
        revision=agreement.revision, supervisee_id=agreement.supervisee_id, supervisor_id=agreement.supervisor_id,
        started_on=agreement.started_on, review_date=agreement.review_date,
        review_flag=review_flag(agreement, today), superseded_by_id=agreement.superseded_by_id,
        fields=agreement.fields).model_dump(mode="json")


def start_agreement(uow: Work, caller: Caller, supervisee_id: int, started_on: dt.date,
                    supervisor_id: int | None = None, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start a supervisee's agreement draft: their current supervisor only, audited as
    `agreement.create`; the supervisor is the caller unless another is named."""
    db = uow.session
    supervisee = people.get_person_field(db, supervisee_id, "supervisee_id")
    access.write(uow, caller, supervisee, "person", supervisee.id, "agreement.create")
    supervisor = people.get_person_field(db, supervisor_id, "supervisor_id") if supervisor_id else caller.person
    agreement = create_agreement(db, uow.deployment.profile, supervisee, supervisor, started_on, fields or {})
    uow.commit()
    return agreement_json(agreement)


def read(uow: Work, caller: Caller, agreement_id: int) -> dict[str, Any]:
    """An agreement with its review flag, to anyone with a basis to read it (an audited read)."""
    agreement = get_agreement(uow.session, agreement_id)
    access.read(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.read")
    return agreement_json(agreement)


def _change(uow: Work, caller: Caller, agreement: Agreement, patch: dict[str, Any], revision: int | None) -> None:
    """Apply an edit made from `revision` behind the current supervisor's audited write check, and
    commit it: a compare-and-set on the revision (`workflows.revisions`)."""
    with uow:  # a refused edit takes its audit entry and anything half-applied with it
        access.write(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.update")
        revisions.expect(agreement, revision, "agreement")
        update_agreement(uow.session, uow.deployment.profile, agreement, patch)


def update(uow: Work, caller: Caller, agreement_id: int, patch: dict[str, Any],
           revision: int | None) -> dict[str, Any]:
    """Edit a draft agreement through the API or its page, from the revision the caller read
    (If-Match, or the page's hidden field); answers with the agreement as it now stands."""
    agreement = get_agreement(uow.session, agreement_id)
    _change(uow, caller, agreement, patch, revision)
    return agreement_json(agreement)


def _signed_review(agreement: Agreement) -> str | None:
    """"review due" or "review overdue", which only a signed agreement can be."""
    return review_flag(agreement) if agreement.status == SIGNED else None


@dataclass(frozen=True)
class AgreementPage:
    """An agreement's page: its fields as on the Word form, whether the caller may edit it, and
    its review flag."""

    agreement: Agreement
    number: str
    doc: dict[str, Any]
    may_edit: bool
    flag: str | None

    @property
    def editable(self) -> bool:
        return self.agreement.status in EDITABLE


def _may_edit(uow: Work, caller: Caller, agreement: Agreement) -> bool:
    if caller.account is None:
        return False
    try:
        access.edit_access(uow.session, caller.account, agreement.supervisee,
                           break_glass=uow.deployment.profile.break_glass)
    except Forbidden:
        return False
    return True


def _page(uow: Work, caller: Caller, agreement: Agreement) -> AgreementPage:
    db, deployment = uow.session, uow.deployment
    return AgreementPage(agreement, agreement_number(agreement),
                         agreement_context(deployment.profile, deployment.organisation(db), agreement),
                         _may_edit(uow, caller, agreement), _signed_review(agreement))


def agreement_page(uow: Work, caller: Caller, agreement_id: int) -> AgreementPage:
    """The agreement for anyone with a basis to read it (an audited read); its supervisor also
    edits and sends it from there."""
    agreement = get_agreement(uow.session, agreement_id)
    access.read(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.read")
    return _page(uow, caller, agreement)


def edit_view(uow: Work, caller: Caller, agreement_id: int) -> AgreementPage:
    """The agreement page as it stands, for its current supervisor, without an audit entry: the
    page shown again around a refused form (opening it was audited already)."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    agreement = get_agreement(uow.session, agreement_id)
    access.edit_access(uow.session, caller.account, agreement.supervisee,
                       break_glass=uow.deployment.profile.break_glass)
    return _page(uow, caller, agreement)


@dataclass(frozen=True)
class AgreementLink:
    """How a supervisor's pages point at a supervisee's agreement: "Agreement: draft"."""

    agreement_id: int
    text: str


def current_links(uow: Work, supervisee_ids: Collection[int]) -> dict[int, AgreementLink]:
    """Each supervisee's newest agreement not superseded, by supervisee, described by its review or
    its state (shown on pages that have already checked the caller may see these supervisees). One
    query for a whole team: a supervisor's dashboard links each of its rows to one."""
    if not supervisee_ids:
        return {}
    newest = (select(func.max(Agreement.id))
              .where(Agreement.supervisee_id.in_(sorted(supervisee_ids)), Agreement.superseded_by_id.is_(None))
              .group_by(Agreement.supervisee_id))
    return {agreement.supervisee_id: AgreementLink(
                agreement.id, f"Agreement: {_signed_review(agreement) or words(agreement.status)}")
            for agreement in uow.session.scalars(select(Agreement).where(Agreement.id.in_(newest)))}


def current_link(uow: Work, supervisee_id: int) -> AgreementLink | None:
    """The supervisee's newest agreement not superseded (`current_links` of one), or None."""
    return current_links(uow, (supervisee_id,)).get(supervisee_id)
