"""Ten workers holding the same webhook delivery at once (a retry and a sweep, two consumers)
post it once, and failures at once are all counted towards pausing: on SQLite and PostgreSQL.

Each thread has its own unit of work; a barrier releases them together.
"""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any, Callable

from sqlalchemy import select

from storage.models import WebhookDelivery, WebhookSubscription
from tests.webhook_receiver import Receiver
from workflows import webhook_delivery

THREADS = 10


def _at_once(deployment: Any, attempt: Callable[[Any], str]) -> list[str]:
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = [None] * THREADS

    def run(n: int) -> None:
        with deployment.unit_of_work() as uow:
            barrier.wait()
            try:
                outcomes[n] = attempt(uow)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes[n] = exc

    workers = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    return outcomes


def _held_delivery(client: Any, org: Any, receiver: Receiver, app: Any) -> str:
    """A leaver's delivery whose first attempt failed: due again, waiting for its retry."""
    created = client.post("/api/v1/webhooks", json={"url": f"{receiver.url}/hooks", "events": ["person.left"]},
                          headers=org.auth("admin"))
    receiver.secret = created.json["secret"]
    receiver.failures_to_give = 1
    left = client.post(f"/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": "2026-11-30"},
                       headers=org.auth("hr"))
    assert left.status_code == 200, left.json
    assert receiver.answers == [500]
    with app.extensions["docgen"].sessions() as db:
        return db.scalars(select(WebhookDelivery.key)).one()


def test_ten_workers_attempting_one_delivery_post_it_once(app: Any, client: Any, org: Any,
                                                          receiver: Receiver) -> None:
    key = _held_delivery(client, org, receiver, app)

    outcomes = _at_once(app.extensions["docgen"], lambda uow: webhook_delivery.deliver(uow, key).outcome)

    assert Counter(outcomes) == {"delivered": 1, "skipped": THREADS - 1}
    assert receiver.answers == [500, 200] and len(receiver.acted_on) == 1


def test_failures_at_once_all_count_towards_pausing(app: Any, client: Any, org: Any, receiver: Receiver) -> None:
    _held_delivery(client, org, receiver, app)
    deployment = app.extensions["docgen"]
    with deployment.sessions() as db:  # ten more deliveries of the same event, as ten subscribers' would be
        first = db.scalars(select(WebhookDelivery)).one()
        keys = [uuid.uuid4().hex for _ in range(THREADS)]  # not the held key's neighbours: one could be it
        db.add_all(WebhookDelivery(subscription_id=first.subscription_id, key=k, event=first.event,
                                   payload=first.payload | {"id": k}, next_attempt_at=first.next_attempt_at)
                   for k in keys)
        db.commit()
    receiver.failures_to_give = THREADS
    picked = iter(keys)
    lock = threading.Lock()

    def fail_one(uow: Any) -> str:
        with lock:
            mine = next(picked)
        return webhook_delivery.deliver(uow, mine).outcome

    outcomes = _at_once(deployment, fail_one)

    # Every attempt that reached the receiver counted, and exactly one of them paused it; an
    # attempt that came after the pause (where the database serialised them) was not made at all.
    counted = Counter(outcomes)
    assert counted["paused"] == 1 and set(counted) <= {"failed", "paused", "skipped"}
    with deployment.sessions() as db:
        subscription = db.scalars(select(WebhookSubscription)).one()
        assert subscription.consecutive_failures == 1 + counted["failed"] + counted["paused"] == len(receiver.answers)
        assert subscription.paused_at is not None
