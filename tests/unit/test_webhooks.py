"""Webhooks, delivered to a real HTTP receiver on 127.0.0.1 that checks each one with the README's
snippet: written with the change they report, signed, retried with backoff under one idempotency
key, paused after repeated failures, and never sent for a change that rolled back."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from kernel.config import Config
from docgen.tasks import make_queue
from kernel import clock
from storage.backends.base import IntegrityError
from kernel.errors import Forbidden, InvalidInput
from storage.models import Account, Person, WebhookDelivery, WebhookSubscription
from workflows import events, movers, webhook_delivery, webhooks
from workflows.access import Caller
from workflows.deployment import Deployment, Work
from tests.webhook_receiver import Receiver


@pytest.fixture
def emitting(deployment: Deployment) -> Deployment:
    """The deployment's units of work write webhook deliveries, as docgen.bootstrap.build wires them."""
    deployment.base_url = "https://docgen.example.org"
    webhooks.announce_in(deployment)
    return deployment


@pytest.fixture
def admin(uow: Work, team: dict[str, int]) -> Caller:
    person = uow.session.get_one(Person, team["stranger"])
    account = uow.session.scalar(select(Account).where(Account.person_id == person.id))
    account.roles = ["admin"]
    uow.commit()
    return Caller(account=account, ip="10.0.0.9")


def _subscribe(uow: Work, admin: Caller, receiver: Receiver, *events: str) -> WebhookSubscription:
    created = webhooks.subscribe(uow, admin, receiver.url + "/hooks", events or webhooks.EVENTS,
                                 description="HR system")
    receiver.secret = created.secret
    return created.subscription


def _leaver(uow: Work, team: dict[str, int]) -> str:
    """Record the worker as a leaver; the key of the one delivery it made."""
    movers.mark_leaver(uow.session, uow.session.get_one(Person, team["worker"]), clock.today(), by=None)
    uow.commit()
    return uow.session.scalars(select(WebhookDelivery.key).order_by(WebhookDelivery.id.desc())).first()


def test_a_leaver_reaches_the_receiver_signed_with_ids_and_links_only(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "person.left")
    key = _leaver(uow, team)

    assert webhook_delivery.deliver(uow, key).outcome == "delivered"

    [event] = receiver.acted_on
    assert event["event"] == "person.left" and event["id"] == key
    assert event["data"] == {"person_id": team["worker"]}
    assert event["links"] == {"person": f"https://docgen.example.org/api/v1/people/{team['worker']}"}
    body = receiver.arrived[0].body.decode()
    assert "Alex Morgan" not in body and "worker@" not in body
    assert receiver.arrived[0].headers["Docgen-Webhook-Id"] == key


def test_the_change_enqueues_its_delivery_after_commit_and_a_rollback_sends_nothing(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "person.left")
    enqueued: list[tuple[object, ...]] = []
    emitting.enqueue = lambda *task: enqueued.append(task)
    other = emitting.unit_of_work()
    movers.mark_leaver(other.session, other.session.get_one(Person, team["worker"]), clock.today(), by=None)
    other.rollback()
    assert enqueued == [] and uow.session.scalar(select(WebhookDelivery.id)) is None

    with emitting.unit_of_work() as other:
        key = _leaver(other, team)
    assert enqueued == [("deliver_webhook", key)]


def test_a_replay_is_not_acted_on_twice_and_an_altered_or_late_one_is_refused(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "person.left")
    webhook_delivery.deliver(uow, _leaver(uow, team))
    captured = receiver.arrived[0]

    assert receiver.replay(captured) == 200 and len(receiver.acted_on) == 1  # recognised by its id
    signed_at = int(captured.headers["Docgen-Webhook-Timestamp"])
    assert receiver.replay(captured, **{"Docgen-Webhook-Timestamp": str(signed_at + 600)}) == 400  # restamped
    tampered = json.loads(captured.body) | {"id": "a-fresh-id"}
    assert requests_post(receiver, captured.headers, json.dumps(tampered).encode()) == 400
    receiver.seen.clear()  # even a receiver that forgot the id refuses the copy once it is old
    receiver.now = signed_at + 301
    assert receiver.replay(captured) == 400
    assert len(receiver.acted_on) == 1


def requests_post(receiver: Receiver, headers: dict[str, str], body: bytes) -> int:
    import requests

    return requests.post(receiver.url + "/hooks", data=body, headers=headers, timeout=5).status_code


def test_a_failed_attempt_is_retried_with_backoff_under_the_same_idempotency_key(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "person.left")
    key = _leaver(uow, team)
    receiver.failures_to_give = 2
    start = clock.now()

    first = webhook_delivery.deliver(uow, key)
    second = webhook_delivery.deliver(uow, key)
    third = webhook_delivery.deliver(uow, key)

    assert (first.outcome, first.retry_in) == ("failed", dt.timedelta(minutes=1))
    assert (second.outcome, second.retry_in) == ("failed", dt.timedelta(minutes=2))
    assert third.outcome == "delivered"
    assert receiver.answers == [500, 500, 200]
    assert {d.headers["Docgen-Webhook-Id"] for d in receiver.arrived} == {key}
    assert len(receiver.acted_on) == 1
    row = uow.session.scalars(select(WebhookDelivery).execution_options(populate_existing=True)).one()
    assert row.attempts == 3 and row.delivered_at >= start and row.last_status == 200
    assert webhook_delivery.deliver(uow, key).outcome == "skipped"  # a second task finds it done


def test_backoff_doubles_and_stops_at_six_hours() -> None:
    waits = [webhook_delivery.backoff(n) for n in range(1, webhook_delivery.MAX_ATTEMPTS)]
    assert waits[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == dt.timedelta(hours=6)


def test_huey_retries_a_failed_delivery_after_its_backoff(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    queue = make_queue(emitting)  # DOCGEN_TASKS_URL=memory: tasks run when enqueued
    emitting.enqueue = queue.enqueue
    _subscribe(uow, admin, receiver, "person.left")
    receiver.failures_to_give = 1

    before = clock.now()
    with emitting.unit_of_work() as later:  # a session made after the queue was wired, as in a process
        _leaver(later, team)  # the commit enqueues the delivery; its first attempt fails
    after = clock.now()

    [retry] = queue.huey.scheduled()
    assert retry.name == "deliver_webhook"
    wait = webhook_delivery.backoff(1)
    assert before + wait <= retry.eta.replace(tzinfo=None) <= after + wait
    queue.huey.execute(retry, timestamp=retry.eta)  # the consumer runs it once its time comes
    assert receiver.answers == [500, 200] and len(receiver.acted_on) == 1


def test_a_subscription_is_paused_after_repeated_failures_and_resuming_sends_what_was_collected(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    subscription = _subscribe(uow, admin, receiver, "person.left")
    key = _leaver(uow, team)
    receiver.failures_to_give = webhook_delivery.PAUSE_AFTER
    outcomes = [webhook_delivery.deliver(uow, key).outcome for _ in range(webhook_delivery.PAUSE_AFTER)]

    assert outcomes == ["failed"] * (webhook_delivery.PAUSE_AFTER - 1) + ["paused"]
    assert webhook_delivery.deliver(uow, key).outcome == "skipped"
    uow.session.refresh(subscription)
    assert subscription.paused_at is not None
    assert len(receiver.arrived) == webhook_delivery.PAUSE_AFTER

    enqueued: list[tuple[object, ...]] = []
    emitting.enqueue = lambda *task: enqueued.append(task)
    webhooks.resume(uow, admin, subscription.id)
    assert enqueued == [("deliver_webhook", key)]
    assert webhook_delivery.deliver(uow, key).outcome == "delivered"
    assert len(receiver.acted_on) == 1


def test_events_while_paused_are_held_not_lost(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    subscription = _subscribe(uow, admin, receiver, "person.left")
    webhooks.pause(uow, admin, subscription.id)
    key = _leaver(uow, team)
    assert webhook_delivery.deliver(uow, key).outcome == "skipped" and receiver.arrived == []
    webhooks.resume(uow, admin, subscription.id)
    assert webhook_delivery.deliver(uow, key).outcome == "delivered"


def test_only_subscribed_events_are_written(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "record.signed")
    _leaver(uow, team)
    assert uow.session.scalar(select(WebhookDelivery.id)) is None


def test_the_secret_is_kept_sealed_and_does_not_open_for_another_subscription(
        emitting: Deployment, uow: Work, admin: Caller, receiver: Receiver) -> None:
    one = webhooks.subscribe(uow, admin, receiver.url, ["person.left"])
    other = webhooks.subscribe(uow, admin, receiver.url + "/other", ["person.left"], secret="x" * 40)
    assert one.secret not in one.subscription.sealed_secret
    assert webhooks.secret_of(uow, one.subscription) == one.secret
    other.subscription.sealed_secret = one.subscription.sealed_secret
    with pytest.raises(IntegrityError):
        webhooks.secret_of(uow, other.subscription)


@pytest.mark.parametrize(("url", "events", "secret", "field"), [
    ("ftp://hr.example.org/hooks", ["person.left"], "", "url"),
    ("https://user:pw@hr.example.org/hooks", ["person.left"], "", "url"),
    ("https://hr.example.org/hooks", ["record.read"], "", "events"),
    ("https://hr.example.org/hooks", [], "", "events"),
    ("https://hr.example.org/hooks", ["person.left"], "too-short", "secret"),
])
def test_a_bad_subscription_is_refused_naming_the_field(uow: Work, admin: Caller, url: str, events: list[str],
                                                         secret: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhooks.subscribe(uow, admin, url, events, secret=secret)
    assert refused.value.field == field


def test_plain_http_is_refused_in_production(deployment: Deployment, uow: Work, admin: Caller) -> None:
    deployment.config = Config(env="production", instance_path=deployment.config.instance_path)
    with pytest.raises(InvalidInput) as refused:
        webhooks.subscribe(uow, admin, "http://hr.example.org/hooks", ["person.left"])
    assert refused.value.field == "url"


def test_only_administrators_manage_subscriptions(uow: Work, team: dict[str, int]) -> None:
    manager = uow.session.scalar(select(Account).where(Account.person_id == team["manager"]))
    with pytest.raises(Forbidden):
        webhooks.subscribe(uow, Caller(account=manager), "https://hr.example.org/hooks", ["person.left"])
    with pytest.raises(Forbidden):
        webhooks.subscriptions(uow, Caller(account=manager))


@pytest.mark.parametrize(("event", "expected"), [
    (events.PersonLeft(7), ("person.left", {"person_id": 7})),
    (events.RecordsForwarded(7), ("retention.forwarded", {"person_id": 7})),
    (events.RecordsDestroyed(7, (3, 4), (2,)),
     ("retention.destroyed", {"person_id": 7, "record_ids": [3, 4], "agreement_ids": [2]})),
    (events.DocumentSealed("record", 3, 2), ("record.filed", {"record_id": 3, "version": 2})),
    (events.DocumentSealed("agreement", 3, 1), None),
    (events.DocumentSent("record", 3, 1), ("record.sent", {"record_id": 3, "version": 1})),
    (events.DocumentSent("agreement", 3, 1), None),
    (events.DocumentDecided("record", 3, 1, "disagreed"),
     ("record.decided", {"record_id": 3, "version": 1, "decision": "disagreed"})),
    (events.DocumentSigned("record", 3, 1), ("record.signed", {"record_id": 3, "version": 1})),
])
def test_each_domain_event_is_announced_with_ids_only(event: object, expected: tuple[str, dict] | None) -> None:
    found = webhooks.announced(event, "https://docgen.example.org")
    assert (found.event, found.data) == expected if expected else found is None


def test_a_signed_agreement_is_announced_with_a_link_to_it() -> None:
    found = webhooks.announced(events.DocumentSigned("agreement", 5, 1), "https://docgen.example.org")
    assert (found.event, found.data, found.links["agreement"]) == (
        "agreement.signed", {"agreement_id": 5, "version": 1}, "https://docgen.example.org/api/v1/agreements/5")


def test_the_sweep_finds_a_delivery_whose_task_was_lost_once_its_grace_is_over(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "person.left")
    key = _leaver(uow, team)  # nothing wired to enqueue it: as if the queue was down at the commit
    due = uow.session.scalars(select(WebhookDelivery.next_attempt_at)).one()
    clock.set_clock(lambda: due + webhook_delivery.SWEEP_GRACE - dt.timedelta(seconds=1))
    assert webhook_delivery.due_for_delivery(uow) == []
    clock.set_clock(lambda: due + webhook_delivery.SWEEP_GRACE)
    assert webhook_delivery.due_for_delivery(uow) == [key]
    webhook_delivery.deliver(uow, key)
    assert webhook_delivery.due_for_delivery(uow) == []


def test_the_log_keeps_a_failed_answers_status_line_not_its_body(
        emitting: Deployment, uow: Work, team: dict[str, int], admin: Caller, receiver: Receiver) -> None:
    _subscribe(uow, admin, receiver, "person.left")
    key = _leaver(uow, team)
    receiver.failures_to_give = 1
    webhook_delivery.deliver(uow, key)
    row = uow.session.scalars(select(WebhookDelivery).execution_options(populate_existing=True)).one()
    assert (row.last_status, row.last_error) == (500, "HTTP 500 Internal Server Error")


def test_every_domain_event_is_heard_by_the_webhooks() -> None:
    """Each event a use case records is one a receiver may subscribe to (`webhooks.EVENTS`), so the
    composition root's wiring hears every one: a sealed record naming cases reached no receiver when
    `announce_in` left `CaseNotesReady` out of its list."""
    recorded = {cls for cls in vars(events).values()
                if isinstance(cls, type) and cls.__module__ == events.__name__}
    subscribed: list[type] = []

    class Wiring:
        def subscribe(self, event_type: type, _handler: object) -> None:
            subscribed.append(event_type)

    webhooks.announce_in(Wiring())  # type: ignore[arg-type]

    assert events.CaseNotesReady in recorded
    assert set(subscribed) == recorded and len(subscribed) == len(recorded)
