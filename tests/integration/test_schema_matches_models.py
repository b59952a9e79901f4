"""The migrations build the schema the models describe, on both databases: a table, column, index
or constraint added to `storage/models.py` without its migration (or the reverse) fails here, not
on the first deployment that upgrades."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import make_engine
from storage.models import Base


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    engine = make_engine(database_url)  # migrated to head by the session fixture
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                           Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
