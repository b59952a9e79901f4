"""Every row of every table, for tests that a refused request changed nothing."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Base

# Bookkeeping a refused request may still touch: a token is used (and its last use kept) before
# the request it carries is refused.
NOT_COMPARED = {("api_token", "last_used_at")}


def table_rows(app: Any, leave_out: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Rows by table name, sorted, without the bookkeeping columns and the tables left out."""
    snapshot: dict[str, list[tuple]] = {}
    with app.extensions["docgen"].sessions() as db:
        for table in Base.metadata.sorted_tables:
            if table.name in leave_out:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in NOT_COMPARED]
            snapshot[table.name] = sorted(map(tuple, db.execute(select(*columns)).all()), key=repr)
    return snapshot
