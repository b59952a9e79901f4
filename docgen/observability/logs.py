"""Structured logs: one JSON object a line, each naming the request it came from.

A request id is taken from `X-Request-Id` (nginx sets it, `$request_id`) when it looks like one,
or made here, answered in the response's `X-Request-Id`, and carried into every Huey task the
request enqueues, so the lines of a sealed PDF made by a consumer minutes later carry the id of
the sign-off request that asked for it.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, request
from huey import Huey
from huey import signals as huey_signals
from pythonjsonlogger.json import JsonFormatter

from kernel.config import Config, ConfigError

REQUEST_ID_HEADER = "X-Request-Id"
TASK_KWARG = "docgen_request_id"  # rides in the enqueued task's kwargs, removed before the task runs
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
request_id: ContextVar[str] = ContextVar("docgen_request_id", default="")
requests_log = logging.getLogger("docgen.requests")


class RequestIdFilter(logging.Filter):
    """Adds the current request id (or the id a task carried) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(config: Config) -> None:
    """Send this process's log lines to stderr, as text or JSON (`DOCGEN_LOG_FORMAT`), with the
    request id; once per process (a second call replaces the handler, so tests may call it)."""
    if config.log_format not in ("text", "json"):
        raise ConfigError(f"DOCGEN_LOG_FORMAT must be text or json, not '{config.log_format}'")
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if config.log_format == "json":
        handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}{request_id}", style="{",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "docgen", False)]:
        root.removeHandler(old)
    handler.docgen = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries' chatter (alembic's every migration) stays out
    for ours in ("docgen", "huey", "waitress", "gunicorn"):
        logging.getLogger(ours).setLevel(logging.INFO)


def track_requests(app: Flask) -> None:
    """Give each request an id and log one line for it: method, route (the rule, so a sign-off
    link's token is never written), status and duration."""
    @app.before_request
    def start() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id_token = request_id.set(offered if _ACCEPTED_ID.fullmatch(offered) else uuid.uuid4().hex)
        g.request_started = time.perf_counter()

    @app.after_request
    def answer(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = request_id.get()
        started = g.get("request_started")
        if started is not None:
            requests_log.info("%s %s %s", request.method, route(), response.status_code,
                              extra={"method": request.method, "route": route(), "status": response.status_code,
                                     "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)


def route() -> str:
    """The URL rule that matched (`/sign/<token>`), never the path: paths hold link tokens."""
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


TOKEN_ATTRIBUTE = "docgen_request_id_before"


def carry_into_tasks(huey: Huey) -> None:
    """Put the enqueuing request's id into each task's kwargs, and take it out again (into the
    log context) just before the consumer runs the task, so task functions never see it."""
    @huey.signal(huey_signals.SIGNAL_ENQUEUED)
    def stamp(_signal: str, task: Any, *_args: Any) -> None:
        current = request_id.get()
        if current and task.kwargs is not None:
            task.kwargs.setdefault(TASK_KWARG, current)

    @huey.pre_execute()
    def adopt(task: Any) -> None:
        carried = (task.kwargs or {}).pop(TASK_KWARG, "")
        # Kept on the task itself: a task run inline may run another inline, and each must put
        # back the id that was current when it began (last in, first out).
        setattr(task, TOKEN_ATTRIBUTE, request_id.set(carried or f"task-{task.id}"))

    @huey.post_execute()
    def drop(task: Any, _value: Any, exc: BaseException | None) -> None:
        if exc is not None and task.retries:  # requeued as it is: the retry keeps the id
            task.kwargs[TASK_KWARG] = request_id.get()
        token = getattr(task, TOKEN_ATTRIBUTE, None)
        if token is not None:  # back to the id before the task: a request's own, where tasks run inline
            request_id.reset(token)
            delattr(task, TOKEN_ATTRIBUTE)
