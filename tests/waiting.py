"""Waiting for a state that another thread or process brings about (a consumer delivering an
e-mail, a server answering, a PDF sealed): the test asks again until the state holds, and the limit
is only how long to wait before failing with what never came. No test sleeps for a time that holds
only on a quiet machine (issue 26 item 8)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_until(answer: Callable[[], T | None], what: str, seconds: float = 20.0) -> T:
    """The first answer that is neither None nor False, asked every 50 ms (each ask is a local query
    or request: asking often finds the state sooner); fails the test naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while (found := answer()) is None or found is False:
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g} s for {what}")
        time.sleep(0.05)
    return found
