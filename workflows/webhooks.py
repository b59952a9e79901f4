"""Webhooks: other systems (HR, case management, a records archive) hear what happened here.

Subscriptions (an address, the events it wants, a shared secret) are an administrator's to add,
pause, resume and remove; the secret is shown once and kept sealed with the storage keyring
(`storage.sealing`), as the outbox keeps an e-mail carrying a link.

Events are what the use cases record (`workflows.events`): record sent, decided, signed and
sealed, person left, records forwarded or destroyed, consent answered or overridden, a
disagreement's outcome. Just before the change's commit the unit of
work hands each to `_write_deliveries` (subscribed by `announce_in`, wired by the composition
root), which writes one delivery row per subscription in the same transaction. So a change that
rolls back reports nothing, and a committed one is never missed: its deliveries are enqueued
after the commit, and a sweep finds any whose task was lost. Delivery itself (signing, retries,
pausing) is `workflows.webhook_delivery`'s.

Payloads carry ids and links, never what a record says: a receiver that needs more asks the API
with its own token, under the usual access rules.
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from kernel import clock
from storage import audit, sealing
from kernel.errors import Conflict, InvalidInput, NotFound
from storage.models import WebhookDelivery, WebhookSubscription
from workflows import access, events
from workflows.access import Caller
from workflows.deployment import Deployment, Work

EVENTS = ("record.sent", "record.decided", "record.signed", "record.filed", "record.case_notes", "agreement.signed",
          "person.left", "retention.forwarded", "retention.destroyed", "consent.answered", "consent.overridden",
          "disagreement.outcome")
EVENT_DESCRIPTIONS = {
    "record.sent": "A record is sent for sign-off (each version)",
    "record.decided": "The supervisee agrees or disagrees with a record",
    "record.signed": "A record is signed by everyone who signs it",
    "record.filed": "A record's sealed PDF is filed",
    "record.case_notes": "A sealed record names cases whose notes go on the child's social care record",
    "agreement.signed": "A supervision agreement is signed",
    "person.left": "A person is recorded as a leaver",
    "retention.forwarded": "A leaver's records pass to HR",
    "retention.destroyed": "Records are destroyed at the end of retention",
    "consent.answered": "A supervisee grants or refuses a request to read their records",
    "consent.overridden": "A supervisee's refusal is overridden by their manager",
    "disagreement.outcome": "A disagreement's three-way meeting outcome is recorded, or it is passed to HR",
}
MIN_SECRET_LENGTH = 24


@dataclass(frozen=True)
class Happened:
    """One event as a receiver hears it: its name, the ids it concerns and where to read more."""

    event: str
    data: dict[str, Any]
    links: dict[str, str]


# --- Events, as the use cases record them (`workflows.events`) ---------------------------------


def _document_links(base: str, kind: str, document_id: int, *, pdf: bool = False) -> dict[str, str]:
    plural = f"{base}/api/v1/{kind}s/{document_id}"
    return {kind: plural, "signoff": f"{plural}/signoff", **({"pdf": f"{plural}/pdf"} if pdf else {})}


def _person(base: str, person_id: int) -> tuple[dict[str, Any], dict[str, str]]:
    return {"person_id": person_id}, {"person": f"{base}/api/v1/people/{person_id}"}


def _document_event(event: object, base: str) -> Happened | None:
    """record.sent, record.decided and record.filed (records only), record.signed and
    agreement.signed."""
    if not isinstance(event, (events.DocumentSent, events.DocumentDecided, events.DocumentSigned,
                              events.DocumentSealed)):
        return None
    data: dict[str, Any] = {f"{event.kind}_id": event.document_id, "version": event.version}
    links = _document_links(base, event.kind, event.document_id, pdf=isinstance(event, events.DocumentSealed))
    if isinstance(event, events.DocumentSigned):
        return Happened(f"{event.kind}.signed", data, links)
    if event.kind != "record":
        return None
    if isinstance(event, events.DocumentDecided):
        return Happened("record.decided", {**data, "decision": event.decision}, links)
    return Happened("record.filed" if isinstance(event, events.DocumentSealed) else "record.sent", data, links)


def _route_event(event: object, base: str) -> Happened | None:
    """consent.answered, consent.overridden and disagreement.outcome: the request's or the
    disagreement's id, and where to read it with the receiver's own token."""
    if isinstance(event, events.ConsentAnswered):
        return Happened("consent.answered", {"consent_request_id": event.request_id, "answer": event.answer},
                        {"consent_requests": f"{base}/api/v1/consent-requests"})
    if isinstance(event, events.ConsentOverridden):
        return Happened("consent.overridden", {"consent_request_id": event.request_id},
                        {"consent_requests": f"{base}/api/v1/consent-requests"})
    if isinstance(event, events.DisagreementOutcomeRecorded):
        return Happened("disagreement.outcome", {"disagreement_id": event.escalation_id, "outcome": event.outcome},
                        {"disagreement": f"{base}/api/v1/disagreements/{event.escalation_id}"})
    return None


def announced(event: object, base: str) -> Happened | None:
    """What a receiver hears of a domain event, with links on `base` (None: nothing). A read under
    break-glass is heard but not announced: the supervisee is told and the audit log keeps it,
    and who reads whose records is not news for another system."""
    if isinstance(event, events.PersonLeft):
        return Happened("person.left", *_person(base, event.person_id))
    if isinstance(event, events.RecordsForwarded):
        data, links = _person(base, event.person_id)
        return Happened("retention.forwarded", data, {**links, "bundle": f"{links['person']}/export"})
    if isinstance(event, events.CaseNotesReady):  # the ids only: the notes are read from the API
        record = f"{base}/api/v1/records/{event.record_id}"
        return Happened("record.case_notes", {"record_id": event.record_id, "version": event.version,
                                              "case_ids": list(event.case_ids)},
                        {"record": record, "case_notes": f"{record}/case-notes"})
    if isinstance(event, events.RecordsDestroyed):
        data, links = _person(base, event.person_id)
        return Happened("retention.destroyed", {**data, "record_ids": list(event.record_ids),
                                                "agreement_ids": list(event.agreement_ids)}, links)
    return _route_event(event, base) or _document_event(event, base)


def _payload(key: str, happened: Happened, at: dt.datetime) -> dict[str, Any]:
    return {"id": key, "event": happened.event, "created_at": at.isoformat(timespec="seconds") + "Z",
            "data": happened.data, "links": happened.links}


def _write_deliveries(uow: Work, event: object) -> None:
    """Just before the commit of the change `event` reports: one delivery row per subscription
    that wants it, committed with the change (so a committed change is never missed: the sweep
    finds a delivery whose task was lost), and each enqueued once the commit has succeeded."""
    happened = announced(event, uow.deployment.base_url)
    if happened is None:
        return
    db, now = uow.session, clock.now()
    listening = list(db.scalars(select(WebhookSubscription).where(WebhookSubscription.deleted_at.is_(None))
                                .order_by(WebhookSubscription.id)))
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
            uow.on_commit(uow.deployment.enqueue, "deliver_webhook", key)


def announce_in(deployment: Deployment) -> None:
    """Have `deployment`'s units of work write a webhook delivery for each event a subscription
    wants. Wired once by the composition root. Every event is heard, though not every one is
    announced (`announced`): a re-sent link is no news to a receiver, which heard `record.sent`."""
    for event_type in (events.DocumentSent, events.LinkResent, events.DocumentDecided, events.DocumentSigned,
                       events.DocumentSealed, events.CaseNotesReady, events.PersonLeft, events.RecordsForwarded,
                       events.RecordsDestroyed, events.ConsentAnswered, events.ConsentOverridden,
                       events.ReadUnderBreakGlass, events.DisagreementOutcomeRecorded):
        deployment.subscribe(event_type, _write_deliveries)


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
    return sealing.unseal(uow.deployment.keyring, subscription.sealed_secret, sealed_for(subscription)).decode()


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
    subscription.sealed_secret = sealing.seal(uow.deployment.keyring, secret.encode(), sealed_for(subscription))
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
    for key in waiting:
        uow.on_commit(uow.deployment.enqueue, "deliver_webhook", key)
    _audit(uow, caller, "webhook.resume", subscription, {"deliveries": len(waiting)})
    return subscription


def unsubscribe(uow: Work, caller: Caller, subscription_id: int) -> None:
    """Remove a subscription: nothing more is delivered to it. Its row and delivery log stay, for
    the audit trail; its secret is dropped."""
    subscription = _get(uow, caller, subscription_id)
    subscription.deleted_at, subscription.sealed_secret = clock.now(), ""
    _audit(uow, caller, "webhook.unsubscribe", subscription)
