"""Who may read or change a person's records and agreements, and on what basis.

The rules (K, W §10, H §11, S 12.4): the supervisee reads their own; the current supervisor reads
and edits their supervisees' (a previous supervisor loses access unless still in the line chain);
line managers up the chain read for monitoring; HR reads once records are forwarded to HR (and the
supervisor and line managers lose them then); an auditor reads with a stated reason; a senior
manager may break glass with a written reason, and the supervisee is told. An administrator
manages people, not document content. Every granted read is written to the audit log by the
caller with the basis returned here.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from docgen.models import Account, Person
from workflows import clock, people
from workflows.errors import Forbidden, NotFound

READ_BASES = ("supervisee", "supervisor", "line_manager", "hr", "auditor", "break_glass")


@dataclass(frozen=True)
class Access:
    basis: str
    reason: str = ""

    @property
    def notify_supervisee(self) -> bool:
        return self.basis == "break_glass"


def _is_current_supervisor(db: Session, person_id: int, supervisee: Person) -> bool:
    """Supervisor today; for a leaver, the supervisor on their last day, until HR takes over (S 12.4)."""
    on = clock.today()
    if supervisee.leave_date is not None and supervisee.leave_date < on:
        on = supervisee.leave_date
    supervisor = people.current_supervisor(db, supervisee.id, on)
    return supervisor is not None and supervisor.id == person_id


def read_access(db: Session, account: Account, supervisee: Person, reason: str = "") -> Access:
    """The basis on which the account may read this person's documents, or an error.

    Someone with no basis at all gets NotFound, so ids cannot be probed; an auditor or senior
    manager without a reason gets Forbidden naming the `reason` field.
    """
    me = account.person_id
    roles = set(account.roles or [])
    reason = (reason or "").strip()
    forwarded = supervisee.forwarded_to_hr_on is not None
    if me == supervisee.id:
        return Access("supervisee")
    if not forwarded and _is_current_supervisor(db, me, supervisee):
        return Access("supervisor")
    if not forwarded and any(m.id == me for m in people.management_chain(db, supervisee)):
        return Access("line_manager")
    if "hr" in roles and forwarded:
        return Access("hr")
    for role, basis in (("auditor", "auditor"), ("senior_manager", "break_glass")):
        if role in roles:
            if not reason:
                raise Forbidden(f"a {role.replace('_', ' ')} must give a reason to read these records", "reason")
            return Access(basis, reason)
    raise NotFound("no such document", "id")


def edit_access(db: Session, account: Account, supervisee: Person) -> None:
    """Only the supervisee's current supervisor writes their records and agreements."""
    if supervisee.forwarded_to_hr_on is not None or supervisee.records_frozen_on is not None:
        try:
            read_access(db, account, supervisee)  # strangers get NotFound even for frozen records
        except Forbidden:
            pass
        raise Forbidden(f"{supervisee.name}'s records are frozen", "supervisee_id")
    if not _is_current_supervisor(db, account.person_id, supervisee):
        try:
            read_access(db, account, supervisee)  # strangers get NotFound: ids cannot be probed
        except Forbidden:
            pass
        raise Forbidden("only the supervisee's current supervisor can change this", "supervisee_id")
