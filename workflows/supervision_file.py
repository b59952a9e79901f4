"""A person's supervision file for an integrator: their records and agreements, listed under the
same access rules as reading one of them (`workflows.access.read`, audited once per listing).

The file is the person's as a supervisee, as in the policies (K, S 12.4: the supervisee's record of
supervision); the records a supervisor writes for others are in each supervisee's file, and a group
session's record is in the file of each person present (issue 23).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Agreement, Record
from workflows import access, agreements, group_records, people, records
from workflows.access import Caller
from workflows.deployment import Work


def records_of(uow: Work, caller: Caller, person_id: int, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the person's records (with the group sessions they attended), newest session first,
    as the API shows a record."""
    db = uow.session
    supervisee = people.get_person(db, person_id)
    access.read(uow, caller, supervisee, "person", supervisee.id, "records.list")
    query = (select(Record).where(group_records.belongs_to(supervisee.id))
             .order_by(Record.session_date.desc(), Record.id.desc()))
    rows, total = people.one_page(db, query, page, per_page)
    return [records.record_json(db, r) for r in rows], total


def agreements_of(uow: Work, caller: Caller, person_id: int, page: int,
                  per_page: int) -> tuple[list[dict[str, Any]], int]:
    """A page of the person's agreements, newest first, with their review flags."""
    db = uow.session
    supervisee = people.get_person(db, person_id)
    access.read(uow, caller, supervisee, "person", supervisee.id, "agreements.list")
    query = (select(Agreement).where(Agreement.supervisee_id == supervisee.id)
             .order_by(Agreement.started_on.desc(), Agreement.id.desc()))
    rows, total = people.one_page(db, query, page, per_page)
    return [agreements.agreement_json(a) for a in rows], total
