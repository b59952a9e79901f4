"""The unit of work: one transaction, and background work only once it has committed."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from kernel.errors import NotFound
from storage.models import Account, AuditEvent, Person
from workflows import access
from workflows.access import Caller
from workflows.deployment import Deployment, Work


def _count(deployment: Deployment, model: Any) -> int:
    with deployment.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_work_waiting_for_the_commit_runs_after_it_in_order(uow: Work) -> None:
    ran: list[tuple[str, int]] = []
    uow.after_commit(lambda *task: ran.append(task), "finalise_document", 1)
    uow.after_commit(lambda *task: ran.append(task), "deliver_email", 2)
    assert ran == []
    uow.commit()
    assert ran == [("finalise_document", 1), ("deliver_email", 2)]


def test_a_rollback_drops_the_work_that_waited_for_a_commit(uow: Work) -> None:
    ran: list[str] = []
    uow.after_commit(ran.append, "finalise_document")
    uow.rollback()
    uow.commit()
    assert ran == []


def test_closing_without_a_commit_keeps_nothing(deployment: Deployment, team: dict[str, int]) -> None:
    with deployment.unit_of_work() as unit:
        unit.session.get(Person, team["worker"]).name = "Changed But Never Committed"
    with deployment.unit_of_work() as unit:
        assert unit.session.get(Person, team["worker"]).name == "Alex Morgan"


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def test_a_granted_read_is_audited_even_if_the_request_then_fails(deployment: Deployment, uow: Work,
                                                                  team: dict[str, int]) -> None:
    worker = uow.session.get(Person, team["worker"])
    granted = access.read(uow, _caller(uow, team["manager"]), worker, "record", 1, "record.read")
    uow.rollback()  # whatever the request did next, it failed
    assert granted.basis == "supervisor"
    with deployment.sessions() as db:
        entry = db.scalars(select(AuditEvent)).one()
    assert (entry.action, entry.actor_id, entry.ip) == ("record.read", team["manager"], "192.0.2.7")


def test_a_stranger_cannot_tell_a_record_exists_and_leaves_no_read_behind(deployment: Deployment, uow: Work,
                                                                          team: dict[str, int]) -> None:
    worker = uow.session.get(Person, team["worker"])
    with pytest.raises(NotFound):
        access.read(uow, _caller(uow, team["stranger"]), worker, "record", 1, "record.read")
    assert _count(deployment, AuditEvent) == 0
