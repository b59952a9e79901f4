"""The areas of the service a signed-in person works in: what their navigation offers, and where
they land after signing in (their main piece of work).

Supervising follows from relationships, the compliance report from the same rule as
`access.report_scope` (someone to oversee, or a role that sees everyone), HR's and the
administrators' areas from granted roles (`access.HR`, `access.ADMINISTRATORS`), and HR's
disagreements once a line manager has passed one to HR (W §17; `access.disagreement_for`);
everyone has their own records. Every page's navigation asks, so it is one query.
"""
from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Date, Integer, Select, bindparam, exists, select
from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import Unauthenticated
from storage.models import Account, DisagreementEscalation, Person, SupervisionRelationship
from workflows import access
from workflows.access import Caller
from workflows.deployment import Work

SUPERVISION = "supervision"  # the people I supervise
OWN_RECORDS = "own_records"  # my own records
REPORTS = "reports"  # compliance
LEAVERS = "leavers"  # HR: leavers and transfers
ADMINISTRATION = "administration"  # people, teams, who supervises whom, the policy profile
DISAGREEMENTS = "disagreements"  # HR: disagreements passed to HR (a line manager reaches theirs from the dashboard)


@cache
def _duties_query(hr: bool) -> Select[Any]:
    """`_duties`' one query of EXISTS, built once (asked for HR or not) with the person and the day
    bound: every signed-in page asks, and building it from the ORM each time cost more than
    PostgreSQL took to answer it."""
    rel = SupervisionRelationship
    person_id = bindparam("person_id", type_=Integer)
    supervises = exists().where(rel.supervisor_id == person_id, rel.covering(bindparam("today", type_=Date)))
    manages = exists().where(Person.line_manager_id == person_id)
    referred = [exists().where(DisagreementEscalation.outcome == "hr")] if hr else []
    return select(supervises, manages, *referred)


def _duties(db: Session, person_id: int, *, hr: bool = False) -> tuple[bool, bool, bool]:
    """Whether the person supervises someone today, whether anyone reports to them (then they
    oversee everyone below them: `people.overseen_by`), and, asked for HR, whether any disagreement
    was passed to HR: in one query of EXISTS."""
    row = db.execute(_duties_query(hr), {"person_id": person_id, "today": clock.today()}).one()
    return bool(row[0]), bool(row[1]), hr and bool(row[2])


def supervises_anyone(db: Session, person_id: int) -> bool:
    """Whether the person supervises someone today."""
    return _duties(db, person_id)[0]


def home_of(db: Session, account: Account) -> str:
    """Where a person lands after signing in: administration, HR's page, their supervisees, or
    else their own records."""
    roles = frozenset(account.roles or [])
    if access.ADMINISTRATORS & roles:
        return ADMINISTRATION
    if access.HR & roles:
        return LEAVERS
    return SUPERVISION if supervises_anyone(db, account.person_id) else OWN_RECORDS


def areas_of(uow: Work, caller: Caller) -> tuple[str, ...]:
    """The areas open to the signed-in caller, in the order the navigation shows them."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    hr = bool(access.HR & caller.roles)
    supervises, manages, referred = _duties(uow.session, caller.account.person_id, hr=hr)
    shown = [(SUPERVISION, supervises), (OWN_RECORDS, True),
             (REPORTS, bool(access.SEE_ALL & caller.roles) or supervises or manages),
             (LEAVERS, hr), (DISAGREEMENTS, referred), (ADMINISTRATION, bool(access.ADMINISTRATORS & caller.roles))]
    return tuple(area for area, allowed in shown if allowed)


def home(uow: Work, caller: Caller) -> str:
    """The signed-in caller's home area."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    return home_of(uow.session, caller.account)
