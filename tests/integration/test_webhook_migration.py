"""Migration 0009 builds the webhook tables as the models describe them, on SQLite and on
PostgreSQL, and takes them away again."""
from __future__ import annotations

from sqlalchemy import inspect

from storage.db import downgrade, make_engine, upgrade
from storage.models import WebhookDelivery, WebhookSubscription

TABLES = (WebhookSubscription.__table__, WebhookDelivery.__table__)


def test_0009_makes_the_webhook_tables_with_the_models_columns_and_0008_removes_them(empty_database: str) -> None:
    upgrade(empty_database, "0009")
    engine = make_engine(empty_database)
    found = inspect(engine)
    for table in TABLES:
        columns = {c["name"]: c["nullable"] for c in found.get_columns(table.name)}
        assert columns == {c.name: c.nullable for c in table.columns}, table.name
    assert {i["name"] for i in found.get_indexes("webhook_delivery")} >= {
        "ix_webhook_delivery_pending", "ix_webhook_delivery_subscription_id"}
    downgrade(empty_database, "0008")
    assert not {t.name for t in TABLES} & set(inspect(engine).get_table_names())
    engine.dispose()
