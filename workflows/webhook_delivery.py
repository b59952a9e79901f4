"""Delivering webhooks: signed, retried with backoff, at least once, paused when a receiver keeps
failing.

Signature (as DocuSeal and Stripe do it): each attempt carries the Unix time it was signed at in
`Docgen-Webhook-Timestamp` and `Docgen-Webhook-Signature: v1=<hex>`, the HMAC-SHA256 with the
subscription's secret of `<timestamp>.<body>`. Covering the time lets a receiver refuse an old
request replayed later; covering the body refuses any change to it. The README shows the check.

At least once: the delivery's key is the payload's `id` and the `Docgen-Webhook-Id` header, the
same on every attempt, so a receiver that has seen it acknowledges it again without acting twice.
As with the outbox, a delivery claims its row (a lease, one short transaction), posts with no
transaction open, then records the outcome; a worker that dies in between leaves the lease to run
out and the delivery to go again.

Retries: a failed attempt (no answer, or any status but 2xx) is tried again after 1, 2, 4 ... up
to 6 hours (`backoff`), MAX_ATTEMPTS in all, through Huey's own retry (`docgen.tasks`). A
subscription whose receiver failed PAUSE_AFTER attempts in a row is paused: its events are still
collected, and go once an administrator resumes it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import requests
from sqlalchemy import ColumnElement, or_, select, update

from kernel import clock
from storage.backends.base import StorageError
from storage.models import WebhookDelivery, WebhookSubscription
from workflows import webhooks
from workflows.deployment import Work

log = logging.getLogger(__name__)

ID_HEADER = "Docgen-Webhook-Id"
TIMESTAMP_HEADER = "Docgen-Webhook-Timestamp"
SIGNATURE_HEADER = "Docgen-Webhook-Signature"
MAX_ATTEMPTS = 12  # 1 + 2 + 4 + ... minutes, capped at 6 hours: about a day and a half of trying
PAUSE_AFTER = 10  # failed attempts in a row, across the subscription's deliveries
LONGEST_WAIT = dt.timedelta(hours=6)
TIMEOUT_SECONDS = 10
# How long a claimed delivery is left to its worker: far longer than an attempt (TIMEOUT_SECONDS),
# it only matters if that worker died mid-attempt.
CLAIM_LEASE = dt.timedelta(minutes=5)
# The sweep re-enqueues a delivery this long after it fell due: its own task (or Huey's retry) is
# given the time to run first.
SWEEP_GRACE = dt.timedelta(minutes=10)

Outcome = Literal["delivered", "failed", "gave_up", "paused", "skipped"]


@dataclass(frozen=True)
class Request:
    """One signed attempt as it goes out."""

    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Answer:
    """What became of an attempt: the receiver's status (None when there was no answer)."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    retry_in: dt.timedelta | None = None  # when a failed delivery is due again


Post = Callable[[Request], Answer]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def body_of(payload: Mapping[str, Any]) -> bytes:
    """The bytes sent (and signed): the payload as compact JSON."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signed_request(url: str, secret: str, payload: Mapping[str, Any], at: dt.datetime) -> Request:
    """The attempt to send: the body, signed at `at` (naive UTC)."""
    timestamp = int(at.replace(tzinfo=dt.timezone.utc).timestamp())
    body = body_of(payload)
    return Request(url, body, {"Content-Type": "application/json", "User-Agent": "docgen-webhooks",
                               ID_HEADER: str(payload["id"]), TIMESTAMP_HEADER: str(timestamp),
                               SIGNATURE_HEADER: signature(secret, timestamp, body)})


def post(request: Request) -> Answer:
    """Send one attempt over HTTP. Redirects are not followed: a receiver that moved is a failure
    an administrator should see, not a place the signed payload silently goes."""
    try:
        response = requests.post(request.url, data=request.body, headers=request.headers,
                                 timeout=TIMEOUT_SECONDS, allow_redirects=False)
    except requests.RequestException as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:500])
    # Only the status line is kept for the log: a receiver's body is not docgen's to store, and an
    # address pointed inside the network should not have its pages shown on the delivery log.
    return Answer(response.status_code, "" if 200 <= response.status_code < 300
                  else f"HTTP {response.status_code} {response.reason}"[:200])


def backoff(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again."""
    return min(dt.timedelta(minutes=2 ** (attempts - 1)), LONGEST_WAIT)


def _deliverable(now: dt.datetime) -> ColumnElement[bool]:
    """Undelivered, not given up or held, no worker holding it, its subscription live."""
    live = select(WebhookSubscription.id).where(WebhookSubscription.paused_at.is_(None),
                                                WebhookSubscription.deleted_at.is_(None))
    return (WebhookDelivery.delivered_at.is_(None) & WebhookDelivery.next_attempt_at.is_not(None)
            & (WebhookDelivery.attempts < MAX_ATTEMPTS) & WebhookDelivery.subscription_id.in_(live)
            & or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now))


def deliver(uow: Work, key: str, send: Post = post) -> Attempt:
    """Make one attempt at the delivery `key` unless it is delivered, held, given up on or being
    attempted elsewhere; safe to run twice."""
    db, now = uow.session, clock.now()
    claimed = db.execute(update(WebhookDelivery).where(WebhookDelivery.key == key, _deliverable(now))
                         .values(attempts=WebhookDelivery.attempts + 1, claimed_until=now + CLAIM_LEASE)
                         .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.rollback()
        return Attempt("skipped")
    delivery = db.scalars(select(WebhookDelivery).where(WebhookDelivery.key == key)
                          .execution_options(populate_existing=True)).one()
    subscription = delivery.subscription
    try:
        request = signed_request(subscription.url, webhooks.secret_of(uow, subscription), delivery.payload, now)
    except StorageError as exc:  # its key is not configured here, or the sealed secret was altered
        return _failed(uow, delivery.id, subscription.id, delivery.attempts, Answer(None, f"cannot open the secret: {exc}"))
    attempts, delivery_id, subscription_id = delivery.attempts, delivery.id, subscription.id
    db.commit()  # the claim stands; the receiver is talked to outside any transaction
    answer = send(request)
    if answer.ok:
        db.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                   .values(delivered_at=clock.now(), claimed_until=None, last_status=answer.status, last_error="")
                   .execution_options(synchronize_session=False))
        db.execute(update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                   .values(consecutive_failures=0).execution_options(synchronize_session=False))
        db.commit()
        return Attempt("delivered")
    return _failed(uow, delivery_id, subscription_id, attempts, answer)


def _failed(uow: Work, delivery_id: int, subscription_id: int, attempts: int, answer: Answer) -> Attempt:
    """Record a failed attempt, count it against the subscription, and pause the subscription at
    PAUSE_AFTER failures in a row (the count is raised in the database, so two workers failing at
    once both count)."""
    db = uow.session
    again = attempts < MAX_ATTEMPTS
    retry_in = backoff(attempts) if again else None
    db.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
               .values(claimed_until=None, last_status=answer.status, last_error=answer.error or f"HTTP {answer.status}",
                       next_attempt_at=clock.now() + retry_in if retry_in else None)
               .execution_options(synchronize_session=False))
    db.execute(update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
               .values(consecutive_failures=WebhookSubscription.consecutive_failures + 1)
               .execution_options(synchronize_session=False))
    paused = db.execute(update(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.paused_at.is_(None),
        WebhookSubscription.consecutive_failures >= PAUSE_AFTER).values(paused_at=clock.now())
        .execution_options(synchronize_session=False)).rowcount
    db.commit()
    if paused:
        log.warning("webhook subscription %s paused after %s failed attempts in a row", subscription_id, PAUSE_AFTER)
        return Attempt("paused")
    return Attempt("failed", retry_in) if again else Attempt("gave_up")


def due_for_delivery(uow: Work) -> list[str]:
    """Keys of deliveries whose attempt is overdue (a lost task, or a worker that died)."""
    now = clock.now()
    return list(uow.session.scalars(select(WebhookDelivery.key).where(
        _deliverable(now), WebhookDelivery.next_attempt_at <= now - SWEEP_GRACE).order_by(WebhookDelivery.id)))
