"""The unit of work: one transaction, and background work only once it has committed."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from docgen.bootstrap import build
from kernel.config import Config
from kernel.errors import Conflict, NotFound
from storage import audit, filing
from storage.models import Account, AuditEvent, Base, Organisation, Person, Record
from storage.uow import transaction
from workflows import access, events, notifications, people
from workflows.access import Caller
from workflows.deployment import Deployment, Work


def _count(deployment: Deployment, model: Any) -> int:
    with deployment.sessions() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_work_waiting_for_the_commit_runs_after_it_in_order(uow: Work) -> None:
    ran: list[tuple[str, int]] = []
    uow.on_commit(lambda *task: ran.append(task), "finalise_document", 1)
    uow.on_commit(lambda *task: ran.append(task), "deliver_email", 2)
    uow.on_rollback(lambda *task: ran.append(task), "destroy", 3)
    assert ran == []
    uow.commit()
    uow.rollback()  # the rollback hook went with the commit
    assert ran == [("finalise_document", 1), ("deliver_email", 2)]


@pytest.mark.parametrize("end", ["rollback", "close"])
def test_a_transaction_ended_without_a_commit_runs_only_its_rollback_work(uow: Work, end: str) -> None:
    ran: list[str] = []
    uow.on_commit(ran.append, "finalise_document")
    uow.on_rollback(ran.append, "destroy the filed object")
    getattr(uow, end)()
    uow.commit()
    assert ran == ["destroy the filed object"]


def test_a_commit_called_on_the_session_itself_is_the_unit_of_works(uow: Work) -> None:
    ran: list[str] = []
    uow.on_commit(ran.append, "finalise_document")
    uow.session.commit()
    assert ran == ["finalise_document"]


def test_the_block_commits_when_it_ends_and_rolls_back_when_it_raises(deployment: Deployment,
                                                                      team: dict[str, int]) -> None:
    ran: list[str] = []
    with pytest.raises(Conflict), deployment.unit_of_work() as unit:
        unit.session.get_one(Person, team["worker"]).name = "Refused"
        unit.on_commit(ran.append, "committed")
        unit.on_rollback(ran.append, "rolled back")
        raise Conflict("refused half way")
    with deployment.unit_of_work() as unit:
        assert unit.session.get_one(Person, team["worker"]).name == "Alex Morgan"
        unit.session.get_one(Person, team["worker"]).name = "Alex Morgan-Reid"
        unit.on_commit(ran.append, "committed")
    with deployment.unit_of_work() as unit:
        assert unit.session.get_one(Person, team["worker"]).name == "Alex Morgan-Reid"
    assert ran == ["rolled back", "committed"]


def test_a_refused_use_case_leaves_the_page_a_clean_session(deployment: Deployment, uow: Work,
                                                             team: dict[str, int]) -> None:
    @transaction
    def rename_then_refuse(unit: Work, person_id: int) -> None:
        unit.session.get_one(Person, person_id).name = "Half Done"
        unit.session.flush()
        raise Conflict("refused after a write")

    with pytest.raises(Conflict):
        rename_then_refuse(uow, team["worker"])
    uow.commit()  # whatever the page does next, even a query that commits, keeps nothing of it
    with deployment.unit_of_work() as unit:
        assert unit.session.get_one(Person, team["worker"]).name == "Alex Morgan"


def test_a_failing_hook_is_logged_and_the_others_still_run(uow: Work, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def queue_down(task: str) -> None:
        raise ConnectionError(f"Redis is down: {task} not enqueued")

    uow.on_commit(queue_down, "deliver_email")
    uow.on_commit(ran.append, "finalise_document")
    uow.commit()  # the commit stands: no error reaches the caller
    assert ran == ["finalise_document"]
    assert "Redis is down: deliver_email not enqueued" in caplog.text


def test_no_session_listener_is_left_wired_by_filing_the_outbox_the_audit_head_or_webhooks(
        tmp_path: Path) -> None:
    deployment = build(Config(env="test", instance_path=tmp_path / "built", secret_key="unit-" + "x" * 32,
                              tasks_url="memory"))
    with deployment.unit_of_work() as unit:
        Base.metadata.create_all(unit.session.connection())
        org = Organisation(name="Knowsley Council", profile="knowsley")
        unit.session.add(org)
        unit.session.flush()
        person = people.create_person(unit.session, org, deployment.profile, {
            "name": "Alex Morgan", "email": "alex@knowsley.example.org", "role": "social_worker",
            "employment_start": dt.date(2024, 1, 8)})
        record = Record(kind="one_to_one", supervisee_id=person.id, supervisor_id=person.id,
                        session_date=dt.date(2026, 1, 5))
        unit.session.add(record)
        unit.session.flush()
        filing.file_document(unit.session, unit.store, record=record, version=1, kind="docx", data=b"PK draft")
        notifications.queue_email(unit.session, to=person.email, subject="Sent", text="A link", redact=["link"])
        audit.record(unit.session, "record.send", object_type="record", object_id=record.id)
        unit.record(events.PersonLeft(person.id))
        session = unit.session
    for name in ("before_flush", "after_commit", "after_rollback", "after_transaction_end"):
        assert not list(getattr(session.dispatch, name)), f"a {name} listener is still wired"
    assert deployment.audit_heads.latest() is not None  # the head was recorded all the same


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
