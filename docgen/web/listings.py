"""The read-only lists the pages show that no workflow module offers yet: queries, no rules.

Records and actions of one supervisee (history, "My records"), leavers, and recent changes of
supervisor. Who may see them is decided by the caller (`docgen.api.guard.read`, or a role).
These belong in `workflows/records.py` and `workflows/people.py` once those are free to change.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Action, Person, Record, SupervisionRelationship


def records_of(db: Session, supervisee_id: int) -> list[Record]:
    """A supervisee's records, newest session first."""
    return list(db.scalars(select(Record).where(Record.supervisee_id == supervisee_id)
                           .order_by(Record.session_date.desc(), Record.id.desc())))


def actions_of(db: Session, supervisee_id: int) -> list[Action]:
    """Every action raised for a supervisee, open ones first, then newest first."""
    return list(db.scalars(select(Action).where(Action.supervisee_id == supervisee_id)
                           .order_by(Action.completed_on.is_not(None), Action.date_added.desc(), Action.id)))


def leavers(db: Session) -> list[Person]:
    """People with a leaving date (past or coming) or marked as leavers, latest leaving first."""
    return list(db.scalars(select(Person).where(or_(Person.leave_date.is_not(None), Person.status == "leaver"))
                           .order_by(Person.leave_date.desc().nulls_last(), Person.name)))


def relationship_changes(db: Session, since: dt.date) -> list[SupervisionRelationship]:
    """Supervision relationships started or ended on or after `since`: transfers between supervisors."""
    return list(db.scalars(select(SupervisionRelationship)
                           .where(or_(SupervisionRelationship.starts_on >= since, SupervisionRelationship.ends_on >= since))
                           .order_by(SupervisionRelationship.starts_on.desc(), SupervisionRelationship.id.desc())))
