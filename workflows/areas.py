"""The areas of the service a signed-in person works in: what their navigation offers, and where
they land after signing in (their main piece of work).

Supervising follows from relationships, the compliance report from `access.may_see_reports`, HR's
and the administrators' areas from granted roles (`access.HR`, `access.ADMINISTRATORS`); everyone
has their own records.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import Unauthenticated
from storage.models import Account
from workflows import access, people
from workflows.access import Caller
from workflows.deployment import Work

SUPERVISION = "supervision"  # the people I supervise
OWN_RECORDS = "own_records"  # my own records
REPORTS = "reports"  # compliance
LEAVERS = "leavers"  # HR: leavers and transfers
ADMINISTRATION = "administration"  # people, teams, who supervises whom, the policy profile


def supervises_anyone(db: Session, person_id: int) -> bool:
    """Whether the person supervises someone today."""
    _, total = people.list_relationships(db, supervisor_id=person_id, current_on=clock.today(), per_page=1)
    return total > 0


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
    db = uow.session
    shown = [(SUPERVISION, supervises_anyone(db, caller.account.person_id)), (OWN_RECORDS, True),
             (REPORTS, access.may_see_reports(db, caller)), (LEAVERS, bool(access.HR & caller.roles)),
             (ADMINISTRATION, bool(access.ADMINISTRATORS & caller.roles))]
    return tuple(area for area, allowed in shown if allowed)


def home(uow: Work, caller: Caller) -> str:
    """The signed-in caller's home area."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    return home_of(uow.session, caller.account)
