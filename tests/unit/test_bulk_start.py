"""Starting a team's records in bulk: who may, what each supervisee gets, failures named, and a
task that runs twice making each record once (issue 16). Tasks are held back here (the unit
deployment only notes what was enqueued) so each step can be run and run again by hand."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from kernel import clock
from kernel.errors import Forbidden, InvalidInput, NotFound
from storage.models import Account, AuditEvent, BulkStartItem, Person, Record
from workflows import bulk_start
from workflows.access import Caller
from workflows.deployment import Work

SESSION = dt.date(2024, 3, 4)


@pytest.fixture
def queued(uow: Work) -> list[tuple[Any, ...]]:
    tasks: list[tuple[Any, ...]] = []
    uow.deployment.enqueue = lambda *task: tasks.append(task)
    return tasks


def _as(uow: Work, person_id: int, roles: list[str] | None = None) -> Caller:
    account = uow.session.scalar(select(Account).where(Account.person_id == person_id))
    account.roles = roles or []
    return Caller(account)


def _records(uow: Work, supervisee_id: int) -> int:
    return uow.session.scalar(select(func.count()).select_from(Record).where(Record.supervisee_id == supervisee_id))


def _run(uow: Work, queued: list[tuple[Any, ...]]) -> list[str]:
    return [bulk_start.start_one(uow, item_id) for _name, chunk in queued for item_id in chunk]


def test_a_supervisor_starts_records_for_the_team_members_they_supervise(
        uow: Work, team: dict[str, int], queued: list[tuple[Any, ...]]) -> None:
    started = bulk_start.begin(uow, _as(uow, team["manager"]), SESSION, team_id=1)

    assert started.bulk.total == 1  # the worker; not the manager themselves, not the stranger they do not oversee
    assert [name for name, _chunk in queued] == ["start_bulk_records"]
    assert _run(uow, queued) == ["done"]
    shown = bulk_start.progress(uow, _as(uow, team["manager"]), started.bulk.id)
    assert (shown.done, shown.pending, shown.failures, shown.finished) == (1, 0, [], True)
    record = uow.session.scalar(select(Record).where(Record.supervisee_id == team["worker"]))
    assert (record.session_date, record.supervisor_id, record.status) == (SESSION, team["manager"], "draft")
    created = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "record.create"))
    assert (created.actor_id, created.object_id) == (team["manager"], str(record.id))


def test_a_task_run_twice_creates_each_record_once(uow: Work, team: dict[str, int],
                                                   queued: list[tuple[Any, ...]]) -> None:
    bulk_start.begin(uow, _as(uow, team["manager"]), SESSION, team_id=1)

    assert _run(uow, queued) == ["done"]
    assert _run(uow, queued) == ["done"]
    assert _records(uow, team["worker"]) == 1


def test_hr_starts_the_whole_team_and_the_page_names_who_has_no_supervisor(
        uow: Work, team: dict[str, int], queued: list[tuple[Any, ...]]) -> None:
    hr = _as(uow, team["stranger"], ["hr"])
    started = bulk_start.begin(uow, hr, SESSION, service="Children's Social Care")
    _run(uow, queued)

    shown = bulk_start.progress(uow, hr, started.bulk.id)
    assert (shown.scope, shown.bulk.total, shown.done) == ("Children's Social Care", 2, 1)
    assert [(f.name, f.reason) for f in shown.failures] == [("Sam Whitfield", "Sam Whitfield has no supervisor on 4 March 2024")]


def test_an_existing_record_for_the_day_is_a_named_failure_not_a_second_record(
        uow: Work, team: dict[str, int], queued: list[tuple[Any, ...]]) -> None:
    manager = _as(uow, team["manager"])
    first = bulk_start.begin(uow, manager, SESSION, team_id=1)
    _run(uow, queued)
    queued.clear()
    second = bulk_start.begin(uow, manager, SESSION, team_id=1)
    _run(uow, queued)

    assert bulk_start.progress(uow, manager, first.bulk.id).done == 1
    [failure] = bulk_start.progress(uow, manager, second.bulk.id).failures
    assert failure.reason.startswith("a record for Alex Morgan on 4 March 2024 already exists: R-")
    assert _records(uow, team["worker"]) == 1


def test_someone_who_arranges_nobody_in_the_team_is_refused_naming_the_team(uow: Work, team: dict[str, int]) -> None:
    with pytest.raises(Forbidden) as refused:
        bulk_start.begin(uow, _as(uow, team["worker"]), SESSION, team_id=1)
    assert refused.value.field == "team_id"
    assert "Children in Need 1" in refused.value.message


def test_no_team_or_service_is_refused_naming_the_field(uow: Work, team: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as refused:
        bulk_start.begin(uow, _as(uow, team["manager"]), SESSION, service=" ")
    assert refused.value.field == "team_id"


def test_only_the_starter_hr_or_an_administrator_sees_a_bulk_start(uow: Work, team: dict[str, int],
                                                                  queued: list[tuple[Any, ...]]) -> None:
    started = bulk_start.begin(uow, _as(uow, team["manager"]), SESSION, team_id=1)

    with pytest.raises(NotFound):
        bulk_start.progress(uow, _as(uow, team["worker"]), started.bulk.id)
    assert bulk_start.progress(uow, _as(uow, team["stranger"], ["admin"]), started.bulk.id).bulk.id == started.bulk.id


def test_pending_items_are_handed_over_again_by_resume_and_by_the_sweep_once_stalled(
        uow: Work, team: dict[str, int], queued: list[tuple[Any, ...]]) -> None:
    manager = _as(uow, team["manager"])
    started = bulk_start.begin(uow, manager, SESSION, team_id=1)
    [(_name, chunk)] = queued  # the task is lost: the consumer stopped before it ran
    queued.clear()

    assert bulk_start.stalled(uow) == []
    later = clock.now() + bulk_start.STALLED_AFTER + dt.timedelta(minutes=1)
    clock.set_clock(lambda: later)
    assert bulk_start.stalled(uow) == [chunk]

    assert bulk_start.resume(uow, manager, started.bulk.id).pending == 1
    assert queued == [("start_bulk_records", chunk)]
    _run(uow, queued)
    assert bulk_start.stalled(uow) == []
    assert uow.session.scalar(select(BulkStartItem.state)) == "done"


def test_a_leaver_in_the_team_is_left_out(uow: Work, team: dict[str, int], queued: list[tuple[Any, ...]]) -> None:
    uow.session.get(Person, team["worker"]).status = "leaver"
    uow.commit()
    with pytest.raises(Forbidden):
        bulk_start.begin(uow, _as(uow, team["manager"]), SESSION, team_id=1)
