"""Retention of a leaver's records (S 12.4): what is due, and the daily run that does it.

`run(uow, today)` is what the scheduled task calls.
"""
from __future__ import annotations

import datetime as dt

from storage import retention as _retention
from storage.retention import Outcome
from workflows.deployment import Work


def run(uow: Work, today: dt.date, dry_run: bool = False) -> list[Outcome]:
    """Apply every retention step due on `today` (freeze, forward to HR, destroy); with `dry_run`,
    only say what would be done. Commits after each step; safe to run twice."""
    return _retention.run(uow.session, uow.deployment, today, dry_run)
