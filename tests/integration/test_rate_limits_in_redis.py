"""Rate limits count in Redis when DOCGEN_RATELIMIT_STORAGE names it: every web worker of the stack
sees the same counters, so N workers do not each allow a guesser the limit again.

Each test has a key prefix of its own (`config.extra["ratelimit_key_prefix"]`), so parallel
workers sharing the machine's Redis never see each other's counters, and removes its keys after.
"""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Iterator

import pytest
import redis

from kernel.config import Config, from_env

REDIS = "redis://127.0.0.1:6379/0"
LINK = "c" * 43  # no such link: each opening is a 404 until the limit answers 429
OFFICE = "203.0.113.7"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests read no rows: one database is enough."""
    return sqlite_url


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    with redis.Redis.from_url(REDIS) as client:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)


def _web_worker(config: Config, storage: str, prefix: str) -> Any:
    """An app as one web worker of the stack builds it: its storage from DOCGEN_RATELIMIT_STORAGE."""
    from docgen.app import create_app

    from_environment = from_env({"DOCGEN_RATELIMIT_STORAGE": storage}).ratelimit_storage
    return create_app(dataclasses.replace(config, ratelimit_storage=from_environment,
                                          extra={"ratelimit_key_prefix": prefix}))


def _opens(app: Any, times: int) -> list[int]:
    client = app.test_client()
    return [client.get(f"/sign/{LINK}", environ_base={"REMOTE_ADDR": OFFICE}).status_code for _ in range(times)]


def test_two_web_workers_sharing_redis_count_one_links_openings_together(config: Config, prefix: str) -> None:
    first, second = (_web_worker(config, REDIS, prefix) for _ in range(2))
    try:
        assert _opens(first, 6) == [404] * 6
        with redis.Redis.from_url(REDIS) as client:
            assert list(client.scan_iter(match=f"*{prefix}*")), "no rate limit counter in Redis"
        assert _opens(second, 5) == [404] * 4 + [429]  # the eleventh opening, wherever it lands
    finally:
        for app in (first, second):
            app.extensions["docgen"].engine.dispose()


def test_workers_counting_in_their_own_memory_each_allow_the_limit_again(config: Config, prefix: str) -> None:
    """Why the stack sets Redis: with the default memory:// each worker keeps its own count."""
    first, second = (_web_worker(config, "memory://", prefix) for _ in range(2))
    try:
        assert _opens(first, 6) + _opens(second, 5) == [404] * 11
    finally:
        for app in (first, second):
            app.extensions["docgen"].engine.dispose()
