"""Who has left is decided once (`people.has_left`): someone serving notice is still supervised,
their sessions planned and recorded until the leave date (K §9: records "completed within 5
working days"), and HR exports their file from that date, not from the day it was recorded."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.errors import Conflict
from storage.models import Account, Person
from workflows import access, accounts, movers, people, planning, records
from workflows.access import Caller
from workflows.deployment import Work

TODAY = dt.date(2026, 3, 2)
LEAVES = dt.date(2026, 3, 31)


@pytest.fixture(autouse=True)
def on_the_second_of_march() -> Iterator[None]:
    clock.set_clock(lambda: dt.datetime.combine(TODAY, dt.time(9)))
    yield
    clock.set_clock(None)


@pytest.fixture
def serving_notice(uow: Work, team: dict[str, int]) -> Person:
    """Alex has handed in their notice: they leave on 31 March."""
    alex = uow.session.get_one(Person, team["worker"])
    movers.mark_leaver(uow.session, alex, LEAVES, None)
    uow.commit()
    return alex


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def test_a_session_during_the_notice_is_recorded(uow: Work, team: dict[str, int], serving_notice: Person) -> None:
    record = records.start_record(uow, _caller(uow, team["manager"]), serving_notice.id, TODAY)
    assert record.supervisee_id == serving_notice.id


def test_no_record_is_started_for_a_session_after_the_leave_date(uow: Work, team: dict[str, int],
                                                                  serving_notice: Person) -> None:
    with pytest.raises(Conflict, match="has left"):
        records.create_record(uow.session, uow.deployment.profile, serving_notice, LEAVES + dt.timedelta(days=1),
                              uow.session.get_one(Person, team["manager"]))


def test_a_session_before_the_leave_date_is_planned_and_one_after_it_is_refused(
        uow: Work, team: dict[str, int], serving_notice: Person) -> None:
    manager = uow.session.get_one(Person, team["manager"])
    profile = uow.deployment.profile
    planned = planning.plan_session(uow.session, profile, serving_notice, manager, dt.datetime(2026, 3, 10, 10), TODAY)
    assert planned.supervisee_id == serving_notice.id
    with pytest.raises(Conflict, match="has left"):
        planning.plan_session(uow.session, profile, serving_notice, manager, dt.datetime(2026, 4, 7, 10), TODAY)


def test_hr_exports_a_leavers_file_from_the_leave_date(uow: Work, serving_notice: Person) -> None:
    hr = people.create_person(uow.session, uow.deployment.organisation(uow.session), uow.deployment.profile, {
        "name": "Hana Reid", "email": "hr@knowsley.example.org", "role": "social_worker",
        "employment_start": dt.date(2024, 1, 8)})
    account = accounts.create_account(uow.session, hr, "correct-horse-battery", ["hr"])
    with pytest.raises(Conflict, match="not been forwarded to HR yet"):
        access.export_basis(uow.session, account, serving_notice, break_glass=False)
    clock.set_clock(lambda: dt.datetime.combine(LEAVES, dt.time(9)))
    assert access.export_basis(uow.session, account, serving_notice, break_glass=False) == "hr"
