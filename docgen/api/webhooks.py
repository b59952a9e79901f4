"""Webhook subscriptions over JSON (administrators): add one (its secret is in this answer only),
list, read with its delivery log, pause, resume, remove. What is delivered, and how it is signed,
is `workflows.webhooks` and `workflows.webhook_delivery`'s."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from docgen.api.routing import json_body, route
from docgen.api.schemas import parse
from docgen.auth import caller, login_required, uow
from workflows import webhooks
from workflows.inputs.webhooks import Subscribe


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    url: str
    description: str
    events: list[str]
    created_at: dt.datetime
    paused_at: dt.datetime | None
    consecutive_failures: int


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="the signing secret: shown in this answer only, keep it now")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    event: str
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_status: int | None
    last_error: str


class SubscriptionLog(SubscriptionOut):
    deliveries: list[DeliveryOut]


def _out(subscription: Any) -> dict[str, Any]:
    return SubscriptionOut.model_validate(subscription).model_dump(mode="json")


@route("GET", "/webhooks", "List webhook subscriptions (administrators)", response=SubscriptionList)
@login_required
def list_subscriptions() -> Any:
    return {"items": [_out(s) for s in webhooks.subscriptions(uow(), caller())]}


@route("POST", "/webhooks", "Subscribe an address to events; the answer holds the signing secret, once",
       request_model=Subscribe, response=SubscriptionCreated, status=201)
@login_required
def create_subscription() -> Any:
    body = parse(Subscribe, json_body())
    created = webhooks.subscribe(uow(), caller(), body.url, body.events, description=body.description,
                                 secret=body.secret)
    return {**_out(created.subscription), "secret": created.secret}, 201


@route("GET", "/webhooks/<int:subscription_id>", "A webhook subscription and its latest deliveries",
       response=SubscriptionLog)
@login_required
def get_subscription(subscription_id: int) -> Any:
    shown = webhooks.overview(uow(), caller(), subscription_id)
    return {**_out(shown.subscription),
            "deliveries": [DeliveryOut.model_validate(d).model_dump(mode="json") for d in shown.deliveries]}


@route("POST", "/webhooks/<int:subscription_id>/pause", "Pause deliveries (events are still collected)",
       response=SubscriptionOut)
@login_required
def pause_subscription(subscription_id: int) -> Any:
    return _out(webhooks.pause(uow(), caller(), subscription_id))


@route("POST", "/webhooks/<int:subscription_id>/resume", "Resume deliveries, sending what was collected",
       response=SubscriptionOut)
@login_required
def resume_subscription(subscription_id: int) -> Any:
    return _out(webhooks.resume(uow(), caller(), subscription_id))


@route("DELETE", "/webhooks/<int:subscription_id>", "Remove a webhook subscription", response=None, status=204)
@login_required
def delete_subscription(subscription_id: int) -> Any:
    webhooks.unsubscribe(uow(), caller(), subscription_id)
    return "", 204
