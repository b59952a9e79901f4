"""A change of supervisor made from a supervision relationship's page or its API twin (issue 27).

It is a transfer (`workflows.movers.transfer`): the relationship ends the day before the new one
starts, and the new one starts with its draft agreement (K: "at the start of the supervisory
relationship"). The supervisee's records are not touched: they belong to the supervisee and follow
them, and who may write them follows from the relationship current on the day (`workflows.access`),
so from the change the new supervisor writes the open drafts and their next record carries the
open actions forward.

Two administrators changing the same supervisor at once race for one relationship: the change is
made from the revision the page (or If-Match) read, and ending the relationship is the row's
compare-and-set (`workflows.revisions`), inside one unit of work with the new relationship, its
agreement and the audit entry, so exactly one change lands and the other is refused unchanged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from kernel.errors import Conflict, InvalidInput
from storage.models import Person, SupervisionRelationship
from workflows import access, movers, people, revisions
from workflows.access import Caller
from workflows.deployment import Work
from workflows.inputs.supervision import ChangeSupervisor

# Who may change a supervisor, on the page and over the API alike: administrators, who manage who
# supervises whom, and HR, who manage movers (H §10), as for every other change to who supervises whom.
CHANGED_BY = access.PEOPLE_MANAGERS


@dataclass(frozen=True)
class ChangeForm:
    """What the change-of-supervisor page shows: the relationship and whom it can hand over to."""

    relationship: SupervisionRelationship
    candidates: list[Person]


def change_form(uow: Work, caller: Caller, rel_id: int) -> ChangeForm:
    """The relationship and the active staff who could supervise its supervisee instead, for those
    who may change it (`CHANGED_BY`)."""
    access.require_role(caller, CHANGED_BY)
    db = uow.session
    rel = people.get_relationship(db, rel_id)
    return ChangeForm(rel, movers.candidates(db, (rel.supervisee_id, rel.supervisor_id)))


def _changeable_on(db: Session, current: SupervisionRelationship, starts_on: dt.date) -> None:
    """Refuse, naming `starts_on`, a date the relationship cannot hand over on: on or before its
    own start, or after it ended (then start a new relationship instead), or one where a later
    relationship of the supervisee covers the day."""
    movers.hand_over_after_start(current, starts_on, "starts_on")
    if current.ends_on is not None and starts_on > current.ends_on + dt.timedelta(days=1):
        raise InvalidInput(f"this supervision ended on {current.ends_on:%-d %B %Y}: start a new supervision "
                           "relationship instead", "starts_on")
    covering = people.relationship_on(db, current.supervisee_id, starts_on)
    if covering is not None and covering.id != current.id:
        raise Conflict(f"{covering.supervisor.name} supervises {current.supervisee.name} on "
                       f"{starts_on:%-d %B %Y}: change that relationship instead", "starts_on")


def change_supervisor(uow: Work, caller: Caller, rel_id: int, change: ChangeSupervisor,
                      revision: int | None) -> movers.Transfer:
    """Give the supervisee of relationship `rel_id` a new supervisor from `change.starts_on`, from the
    relationship's `revision` the caller read: it ends the day before, the new relationship and its
    draft agreement start, and the transfer is audited (`person.transfer`), all in one commit."""
    access.require_role(caller, CHANGED_BY)
    with uow:
        db = uow.session
        current = people.get_relationship(db, rel_id, locked=True)
        revisions.expect(current, revision, "supervision relationship")
        supervisor = people.get_person_field(db, change.supervisor_id, "supervisor_id")
        if people.has_left(supervisor, change.starts_on):
            raise InvalidInput(f"{supervisor.name} has left by {change.starts_on:%-d %B %Y}: choose someone who "
                               "is still here", "supervisor_id")
        _changeable_on(db, current, change.starts_on)
        # The claim: the row is written (its revision checked and raised) even when its end stays as
        # it was, as after a supervision already ended the day before; else two changes made from
        # one read would both start a supervision.
        flag_modified(current, "ends_on")
        return movers.transfer(db, uow.deployment.profile, current.supervisee, on=change.starts_on,
                               by=caller.person, supervisor_id=change.supervisor_id)
