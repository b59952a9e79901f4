"""Webhooks: other systems (HR, case management, a records archive) hear what happened here.

Subscriptions (an address, the events it wants, a shared secret) are an administrator's to add,
pause, resume and remove; the secret is shown once and kept sealed with the storage keyring
(`storage.sealing`), as the outbox keeps an e-mail carrying a link.

Events come from one place, not from calls sprinkled through the use cases: every change they
report already writes evidence in its own transaction (a sign-off event, an audit entry), and a
session hook (`emit_from`, wired by the composition root) reads that evidence as it is flushed
and writes one delivery row per subscription in the same transaction. So a change that rolls
back reports nothing, and a committed one is never missed: its deliveries are enqueued after the
commit, and a sweep finds any whose task was lost. Delivery itself (signing, retries, pausing)
is `workflows.webhook_delivery`'s.

Payloads carry ids and links, never what a record says: a receiver that needs more asks the API
with its own token, under the usual access rules.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event as sa_event, select, update
from sqlalchemy.orm import Session, sessionmaker

from kernel import clock
from storage import audit, sealing
from storage.backends import open_keyring
from kernel.errors import Conflict, InvalidInput, NotFound
from storage.models import (Agreement, AuditEvent, Record, SignoffEvent, WebhookDelivery,
                            WebhookSubscription)
from workflows import access, signoff
from workflows.access import Caller
from workflows.deployment import Work

log = logging.getLogger(__name__)

EVENTS = ("record.sent", "record.decided", "record.signed", "record.filed", "agreement.signed",
          "person.left", "retention.forwarded", "retention.destroyed")
EVENT_DESCRIPTIONS = {
    "record.sent": "A record is sent for sign-off (each version)",
    "record.decided": "The supervisee agrees or disagrees with a record",
    "record.signed": "A record is signed by everyone who signs it",
    "record.filed": "A record's sealed PDF is filed",
    "agreement.signed": "A supervision agreement is signed",
    "person.left": "A person is recorded as a leaver",
    "retention.forwarded": "A leaver's records pass to HR",
    "retention.destroyed": "Records are destroyed at the end of retention",
}
MIN_SECRET_LENGTH = 24

_BASE_URL = "docgen.webhooks.base_url"
_ENQUEUE = "docgen.webhooks.enqueue"
_PENDING = "docgen.webhooks.pending"


@dataclass(frozen=True)
class Happened:
    """One event as a receiver hears it: its name, the ids it concerns and where to read more."""

    event: str
    data: dict[str, Any]
    links: dict[str, str]


# --- Events, read off the evidence a change writes -----------------------------------------------


def _document_links(base: str, kind: str, document_id: int, *, pdf: bool = False) -> dict[str, str]:
    plural = f"{base}/api/v1/{kind}s/{document_id}"
    return {kind: plural, "signoff": f"{plural}/signoff", **({"pdf": f"{plural}/pdf"} if pdf else {})}


def _from_signoff(db: Session, row: SignoffEvent, base: str) -> list[Happened]:
    """record.sent when a version is filed to send, record.decided when the supervisee answers,
    record.signed / agreement.signed when that step leaves the document signed (the supervisee's
    agreement, where only they sign, or the supervisor's countersignature)."""
    kind = "record" if row.record_id is not None else "agreement"
    document_id = row.record_id if row.record_id is not None else row.agreement_id
    assert document_id is not None
    data = {f"{kind}_id": document_id, "version": row.version}
    links = _document_links(base, kind, document_id)
    found: list[Happened] = []
    if kind == "record" and row.event == "filed":
        found.append(Happened("record.sent", data, links))
    if kind == "record" and row.event in ("agreed", "disagreed"):
        found.append(Happened("record.decided", {**data, "decision": row.event}, links))
    if row.event in ("agreed", "countersigned"):
        document = db.get(Record if kind == "record" else Agreement, document_id)
        if document is not None and document.status == signoff.SIGNED:
            found.append(Happened(f"{kind}.signed", data, links))
    return found


# The audit actions that stand for an event about a person.
PERSON_EVENTS = ("person.leaver", "retention.forward_to_hr", "retention.destroy")


def _from_audit(row: AuditEvent, base: str) -> list[Happened]:
    """record.filed, person.left, retention.forwarded and retention.destroyed, from the audit
    entries their use cases write (`workflows.pipeline`, `movers`, `retention`)."""
    detail = row.detail or {}
    if not str(row.object_id or "").isdigit():
        return []  # every event names its record or person by id; some audit entries name no object
    if row.action == "document.finalise" and row.object_type == "record":
        record_id = int(row.object_id)
        return [Happened("record.filed", {"record_id": record_id, "version": detail.get("version")},
                         _document_links(base, "record", record_id, pdf=True))]
    if row.action not in PERSON_EVENTS:
        return []  # most audit entries stand for no event
    person = {"person_id": int(row.object_id)} if row.object_type == "person" else {}
    person_link = {"person": f"{base}/api/v1/people/{row.object_id}"} if person else {}
    if row.action == "person.leaver":
        return [Happened("person.left", person, person_link)]
    if row.action == "retention.forward_to_hr":
        return [Happened("retention.forwarded", person,
                         {**person_link, "bundle": f"{base}/api/v1/people/{row.object_id}/export"})]
    if row.action == "retention.destroy":
        return [Happened("retention.destroyed", {**person, "record_ids": list(detail.get("records", [])),
                                                 "agreement_ids": list(detail.get("agreements", []))},
                         person_link)]
    return []


def happenings(db: Session, rows: Iterable[object], base: str) -> list[Happened]:
    """The webhook events a set of newly written rows stands for (most stand for none)."""
    found: list[Happened] = []
    for row in rows:
        if isinstance(row, SignoffEvent):
            found.extend(_from_signoff(db, row, base))
        elif isinstance(row, AuditEvent):
            found.extend(_from_audit(row, base))
    return found


def _payload(key: str, happened: Happened, at: dt.datetime) -> dict[str, Any]:
    return {"id": key, "event": happened.event, "created_at": at.isoformat(timespec="seconds") + "Z",
            "data": happened.data, "links": happened.links}


def _write_deliveries(db: Session, _flush_context: object, _instances: object) -> None:
    """Before a flush: one delivery row per subscription for each event the new rows stand for,
    flushed and committed with them."""
    found = happenings(db, list(db.new), db.info.get(_BASE_URL, "").rstrip("/"))
    if not found:
        return
    listening = list(db.scalars(select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
                                .order_by(WebhookSubscription.id)))
    now = clock.now()
    for happened in found:
        for subscription in listening:
            if happened.event not in subscription.events:
                continue
            key = uuid.uuid4().hex
            # A paused subscription still collects its events (next_attempt_at unset), so resuming
            # it delivers what happened meanwhile.
            db.add(WebhookDelivery(subscription_id=subscription.id, key=key, event=happened.event,
                                   payload=_payload(key, happened, now), created_at=now,
                                   next_attempt_at=None if subscription.paused_at else now))
            if subscription.paused_at is None:
                db.info.setdefault(_PENDING, []).append(key)


def _enqueue_pending(db: Session) -> None:
    enqueue_keys(db.info.get(_ENQUEUE), db.info.pop(_PENDING, []))


def enqueue_keys(enqueue: Callable[..., None] | None, keys: list[str]) -> None:
    """Hand each delivery to the task queue; one that cannot be enqueued is left to the sweep."""
    if enqueue is None:
        if keys:
            log.warning("no task queue is wired for webhook deliveries %s; the sweep will send them", keys)
        return
    for key in keys:
        try:
            enqueue("deliver_webhook", key)
        except Exception:
            # Committed already: failing the caller now would report undone what was done.
            log.exception("could not enqueue webhook delivery %s; the sweep will retry it", key)


def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def emit_from(sessions: sessionmaker[Session], base_url: str) -> None:
    """Sessions made by `sessions` from now on write webhook deliveries for the events their new
    rows stand for, with links on `base_url`. Wired by the composition root, like
    `notifications.deliver_through`: events are written by plain sessions too (the worker's
    retention run, commands), not only by a unit of work."""
    sessions.configure(info={**sessions.kw.get("info", {}), _BASE_URL: base_url})
    sa_event.listen(sessions, "before_flush", _write_deliveries)
    sa_event.listen(sessions, "after_commit", _enqueue_pending)
    sa_event.listen(sessions, "after_rollback", _forget_pending)


def deliver_through(sessions: sessionmaker[Session], enqueue: Callable[..., None]) -> None:
    """Sessions made by `sessions` hand each committed delivery to `enqueue` ("deliver_webhook",
    key): the deployment's task queue, wired by the composition root."""
    sessions.configure(info={**sessions.kw.get("info", {}), _ENQUEUE: enqueue})


# --- Subscriptions: an administrator's use cases ------------------------------------------------


@dataclass(frozen=True)
class Created:
    """A new subscription and its secret, which is shown this once and never again."""

    subscription: WebhookSubscription
    secret: str


@dataclass(frozen=True)
class Overview:
    subscription: WebhookSubscription
    deliveries: list[WebhookDelivery]


def sealed_for(subscription: WebhookSubscription) -> str:
    """What a sealed secret is bound to: its row and address, so a secret copied onto another
    subscription (to sign for a different receiver) does not open."""
    return f"webhook_subscription/{subscription.id}/{subscription.url}"


def secret_of(uow: Work, subscription: WebhookSubscription) -> str:
    """The subscription's secret, opened to sign a delivery."""
    config = uow.deployment.config
    return sealing.unseal(open_keyring(config.instance_path, config.storage_key), subscription.sealed_secret,
                          sealed_for(subscription)).decode()


def _checked_url(url: str, allow_http: bool) -> str:
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise InvalidInput("url must be an https:// address" + (" (or http://)" if allow_http else ""), "url")
    if parts.username or parts.password:
        raise InvalidInput("url must not carry a user name or password; the signature authenticates docgen",
                           "url")
    return url.strip()


def _checked_events(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        raise InvalidInput(f"events must be some of {', '.join(EVENTS)}" + (f", not {', '.join(unknown)}"
                                                                             if unknown else ""), "events")
    return chosen


def subscribe(uow: Work, caller: Caller, url: str, events: Iterable[str], *, description: str = "",
              secret: str = "") -> Created:
    """Add a subscription (administrators). Without a `secret` one is made (32 random bytes);
    one given must be at least MIN_SECRET_LENGTH characters. Audited, never with the secret."""
    access.require_role(caller, access.ADMINISTRATORS)
    config = uow.deployment.config
    secret = secret.strip() or secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET_LENGTH:
        raise InvalidInput(f"secret must be at least {MIN_SECRET_LENGTH} characters", "secret")
    # Plain http:// only where the deployment itself may run without TLS (development, tests, a
    # knowingly closed network): the payload names people and records by id.
    allow_http = config.allow_http or not config.production
    subscription = WebhookSubscription(url=_checked_url(url, allow_http), events=_checked_events(events),
                                       description=description.strip()[:200], created_by_id=caller.person_id,
                                       created_at=clock.now())
    db = uow.session
    db.add(subscription)
    db.flush()
    subscription.sealed_secret = sealing.seal(open_keyring(config.instance_path, config.storage_key),
                                              secret.encode(), sealed_for(subscription))
    _audit(uow, caller, "webhook.subscribe", subscription, {"url": subscription.url, "events": subscription.events})
    return Created(subscription, secret)


def _audit(uow: Work, caller: Caller, action: str, subscription: WebhookSubscription,
           detail: dict[str, Any] | None = None) -> None:
    audit.record(uow.session, action, actor_id=caller.person_id, object_type="webhook_subscription",
                 object_id=subscription.id, ip=caller.ip, detail=detail)
    uow.commit()


def _get(uow: Work, caller: Caller, subscription_id: int) -> WebhookSubscription:
    access.require_role(caller, access.ADMINISTRATORS)
    subscription = uow.session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.deleted_at is not None:
        raise NotFound(f"no webhook subscription with id {subscription_id}", "id")
    return subscription


def subscriptions(uow: Work, caller: Caller) -> list[WebhookSubscription]:
    """Every subscription not removed (administrators)."""
    access.require_role(caller, access.ADMINISTRATORS)
    return list(uow.session.scalars(select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
                                    .order_by(WebhookSubscription.id)))


def overview(uow: Work, caller: Caller, subscription_id: int, limit: int = 50) -> Overview:
    """A subscription and its latest deliveries, newest first: the delivery log."""
    subscription = _get(uow, caller, subscription_id)
    deliveries = list(uow.session.scalars(select(WebhookDelivery)
                                          .where(WebhookDelivery.subscription_id == subscription.id)
                                          .order_by(WebhookDelivery.id.desc()).limit(limit)))
    return Overview(subscription, deliveries)


def pause(uow: Work, caller: Caller, subscription_id: int) -> WebhookSubscription:
    """Stop delivering (events are still collected, and go once it is resumed)."""
    subscription = _get(uow, caller, subscription_id)
    if subscription.paused_at is None:
        subscription.paused_at = clock.now()
    _audit(uow, caller, "webhook.pause", subscription)
    return subscription


def resume(uow: Work, caller: Caller, subscription_id: int) -> WebhookSubscription:
    """Deliver again: the failure count starts afresh and everything undelivered is sent, each
    delivery with a fresh allowance of attempts."""
    subscription = _get(uow, caller, subscription_id)
    if subscription.paused_at is None:
        raise Conflict("the subscription is not paused", "paused")
    db = uow.session
    subscription.paused_at, subscription.consecutive_failures = None, 0
    waiting = list(db.scalars(select(WebhookDelivery.key).where(
        WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.delivered_at.is_(None))))
    db.execute(update(WebhookDelivery).where(WebhookDelivery.key.in_(waiting))
               .values(next_attempt_at=clock.now(), attempts=0).execution_options(synchronize_session=False))
    uow.after_commit(enqueue_keys, uow.deployment.enqueue, waiting)
    _audit(uow, caller, "webhook.resume", subscription, {"deliveries": len(waiting)})
    return subscription


def unsubscribe(uow: Work, caller: Caller, subscription_id: int) -> None:
    """Remove a subscription: nothing more is delivered to it. Its row and delivery log stay, for
    the audit trail; its secret is dropped."""
    subscription = _get(uow, caller, subscription_id)
    subscription.deleted_at, subscription.sealed_secret = clock.now(), ""
    _audit(uow, caller, "webhook.unsubscribe", subscription)
