"""Fixtures the integration tests share."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import _pg_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with nothing in it, on SQLite and on PostgreSQL: for the migration
    tests, which upgrade it to a revision themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        yield from _pg_database()
