"""Python's cyclic garbage collector, tuned once for the process (web workers and consumers alike).

The organisation's due list and compliance report allocate tens of thousands of short-lived rows
and tuples. At Python's default thresholds (700, 10, 10) that sets off collections over and over,
full passes over every object the process holds (SQLAlchemy's and pydantic's among them)
included: on `bench/report.py`'s organisation, 22% more CPU for the due list and 140% more for the
compliance report than with the collector paused. Pausing it around them (as docgen once did)
switched it off for every thread of a threaded server while one request ran. At the thresholds
below, set once at start-up, both cost what they did paused (within 3%, 7 December 2026), and the
collector keeps running everywhere.
"""
from __future__ import annotations

import gc

# Young collections every 50,000 net allocations instead of 700; older generations after 50 and 100
# of those. Memory held by reference cycles waits a little longer to be freed, which is all it costs.
THRESHOLDS = (50_000, 50, 100)


def tune() -> None:
    """Set the collector's thresholds for this process (the app factory calls it)."""
    gc.set_threshold(*THRESHOLDS)
