"""One change, told once: use cases record what happened as domain events on the unit of work,
webhooks hear of them just before the commit, and a row's edit revision counts units of work,
not the UPDATEs a unit of work happened to need."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Account, Person, Record, WebhookDelivery
from workflows import events, pipeline, records, webhooks
from workflows.access import Caller
from workflows.deployment import Deployment, Work

SESSION = dt.date(2026, 3, 2)


def _caller(uow: Work, person_id: int, roles: list[str] | None = None) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    if roles is not None:
        account.roles = roles
    return Caller(account=account, ip="192.0.2.7")


def test_sending_a_record_records_one_record_sent_and_writes_one_delivery_for_it(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    heard: list[object] = []
    enqueued: list[tuple[Any, ...]] = []
    deployment.enqueue = lambda *task: enqueued.append(task)
    deployment.subscribe(events.DocumentSent, lambda _unit, event: heard.append(event))
    webhooks.announce_in(deployment)
    webhooks.subscribe(uow, _caller(uow, team["stranger"], ["admin"]), "https://hr.example.org/hooks",
                       ["record.sent", "person.left"])
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)

    pipeline.send_for_signoff(uow, manager, "record", record.id)

    assert heard == [events.DocumentSent("record", record.id, 1)]
    [delivery] = uow.session.scalars(select(WebhookDelivery)).all()
    assert (delivery.event, delivery.payload["data"]) == ("record.sent", {"record_id": record.id, "version": 1})
    assert [task for task in enqueued if task[0] == "deliver_webhook"] == [("deliver_webhook", delivery.key)]


def test_a_refused_send_announces_nothing(deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    heard: list[object] = []
    deployment.subscribe(events.DocumentSent, lambda _unit, event: heard.append(event))
    deployment.enqueue = lambda *task: None
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    pipeline.send_for_signoff(uow, manager, "record", record.id)
    with pytest.raises(Exception, match="cannot send"):
        pipeline.send_for_signoff(uow, manager, "record", record.id)
    assert heard == [events.DocumentSent("record", record.id, 1)]


def _edit(record: Record) -> None:
    record.sections = {**record.sections, "summary": "Caseload reviewed; two visits overdue."}


def _reschedule(record: Record) -> None:
    record.review_date = SESSION + dt.timedelta(days=30)


def _query(uow: Work) -> None:
    uow.session.scalars(select(Person)).all()  # autoflushes what has changed so far


@pytest.mark.parametrize("steps", [
    ("edit", "query", "reschedule", "query"),
    ("query", "edit", "reschedule"),
    ("edit", "reschedule", "query"),
    ("reschedule", "query", "edit", "query", "flush"),
])
def test_a_records_revision_moves_once_per_unit_of_work_whatever_the_order_of_its_queries(
        uow: Work, team: dict[str, int], steps: tuple[str, ...]) -> None:
    record = records.start_record(uow, _caller(uow, team["manager"]), team["worker"], SESSION)
    before = record.revision
    do: dict[str, Callable[[], None]] = {"edit": lambda: _edit(record), "reschedule": lambda: _reschedule(record),
                                         "query": lambda: _query(uow), "flush": uow.session.flush}
    with uow:
        for step in steps:
            do[step]()
    assert uow.session.get_one(Record, record.id, populate_existing=True).revision == before + 1
    with uow:
        record.sections = {**record.sections, "summary": "Both visits made."}
    assert record.revision == before + 2  # the next unit of work is the next revision


def test_an_edit_and_the_sending_in_one_unit_of_work_are_one_revision(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    deployment.enqueue = lambda *task: None
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    before = record.revision
    _edit(record)  # not yet flushed: the send's compare-and-set flushes it first, in the same transaction
    pipeline.send_for_signoff(uow, manager, "record", record.id)
    assert uow.session.get_one(Record, record.id, populate_existing=True).revision == before + 1
