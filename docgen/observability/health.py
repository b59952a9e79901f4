"""Readiness: can this process do its work now? `/health` only says the process answers
(liveness: restart me if not); `/health/ready` (take me out of the load balancer if not) checks
each part a request or task needs and names the ones that are down.
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
from collections.abc import Callable

from huey import Huey

from documents.pdf import WarmConverter, default_unoserver
from storage.db import MIGRATIONS
from workflows.deployment import Deployment

log = logging.getLogger(__name__)
PROBE_KEY = "health/ready-probe"  # never written: asking for it proves the store answers


@functools.cache
def _schema_this_code_needs() -> frozenset[str]:
    from alembic.script import ScriptDirectory  # alembic, slow to import, is loaded by the first readiness check

    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _database(deployment: Deployment) -> None:
    """It answers, and its schema is the one this code was written for (`docgen init` migrates):
    a web worker started beside a migration is not ready until it is done."""
    from alembic.migration import MigrationContext

    with deployment.engine.connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    if current != _schema_this_code_needs():
        raise RuntimeError(f"schema at {sorted(current) or 'nothing'}, this code needs "
                           f"{sorted(_schema_this_code_needs())}: run `docgen init`")


def _document_store(deployment: Deployment) -> None:
    deployment.store.exists(PROBE_KEY)


def _converter(deployment: Deployment) -> None:
    """LibreOffice and the warm server's script are installed and, where this process has started
    its warm LibreOffice (`docgen run`'s consumer threads, on the first conversion), it answers a
    round trip within a second: a hung soffice would hold every warm conversion until the conversion
    timeout. Nothing is started here: a web worker of the stack converts nothing (its consumers, in
    processes of their own, each keep their own), and starting one would only cost memory."""
    if not shutil.which("soffice"):
        raise RuntimeError("LibreOffice (soffice) is not on PATH")
    unoserver = default_unoserver()
    if not os.access(unoserver, os.X_OK):
        raise RuntimeError(f"unoserver is not installed at {unoserver}")
    warm = getattr(deployment.converter, "wrapped", deployment.converter)  # under metrics' timing
    running = warm.running if isinstance(warm, WarmConverter) else None
    if running is not None and not running.responsive():
        raise RuntimeError(f"the warm LibreOffice (unoserver pid {running.pid}) does not answer: hung")


def readiness(deployment: Deployment, huey: Huey) -> dict[str, str]:
    """Each part (database, queue, document store, converter) and "ok" or "down"; why it is down
    goes to the log, not to whoever asks (a load balancer, but also anyone on the network)."""
    checks: dict[str, Callable[[], object]] = {
        "database": lambda: _database(deployment),
        "queue": huey.pending_count,
        "document_store": lambda: _document_store(deployment),
        "converter": lambda: _converter(deployment),
    }
    answers: dict[str, str] = {}
    for part, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason is for the operator
            log.warning("readiness: %s is down: %s", part, exc)
            answers[part] = "down"
        else:
            answers[part] = "ok"
    return answers
