"""Prometheus metrics: request latency by route, queue depth, tasks done or failed by name, and
conversions and sealed PDFs with their durations, served at `/metrics` to a local address or a
holder of `DOCGEN_METRICS_TOKEN` only (they name routes, tasks and volumes: not for the public).

In the stack (`scripts/stack.sh`) web workers and consumers are separate processes: with
PROMETHEUS_MULTIPROC_DIR set, each writes its figures there and any web worker's `/metrics`
adds them all up (prometheus-client's multiprocess mode). Without it (`docgen run`, one process)
the figures are this process's own.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, abort, g, request
from huey import Huey
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from documents.pdf import Converter
from docgen.observability.logs import route
from workflows.deployment import Deployment

REQUEST_SECONDS = Histogram("docgen_request_seconds", "Time to answer a request, by route (URL rule)",
                            ["method", "route"])
TASKS = Counter("docgen_tasks", "Background tasks run, by name and outcome (done or failed)", ["task", "outcome"])
TASK_SECONDS = Histogram("docgen_task_seconds", "Time a background task ran, by name", ["task"],
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
CONVERSIONS = Counter("docgen_conversions", "Word to PDF conversions, by outcome", ["outcome"])
CONVERSION_SECONDS = Histogram("docgen_conversion_seconds", "Time of one Word to PDF conversion",
                               buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SEALS = Counter("docgen_seals", "Final PDFs made (convert, certificate page, PAdES seal, file), by outcome",
                ["outcome"])
SEAL_SECONDS = Histogram("docgen_seal_seconds", "Time to make, seal and file one final PDF",
                         buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
SEALING_TASK = "finalise_document"
_task_started: ContextVar[float] = ContextVar("docgen_task_started", default=0.0)


class QueueDepth:
    """Tasks waiting in the queue, read from Huey's storage when scraped (not kept per process)."""

    def __init__(self, huey: Huey) -> None:
        self._huey = huey

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("docgen_queue_depth", "Tasks waiting in the queue (pending, scheduled)",
                                  labels=["state"])
        depth.add_metric(["pending"], self._huey.pending_count())
        depth.add_metric(["scheduled"], self._huey.scheduled_count())
        yield depth


class TimedConverter:
    """The deployment's converter (a callable giving the running Converter), counting and timing
    each conversion; `wrapped` is the original, which the worker stops at shutdown."""

    def __init__(self, wrapped: Callable[[], Converter]) -> None:
        self.wrapped = wrapped

    def __call__(self) -> _TimedConversions:
        return _TimedConversions(self.wrapped())


class _TimedConversions:
    def __init__(self, converter: Converter) -> None:
        self._converter = converter

    def convert(self, docx: bytes) -> bytes:
        started = time.perf_counter()
        try:
            pdf = self._converter.convert(docx)
        except Exception:
            CONVERSIONS.labels("failed").inc()
            raise
        CONVERSIONS.labels("done").inc()
        CONVERSION_SECONDS.observe(time.perf_counter() - started)
        return pdf

    def __getattr__(self, name: str) -> Any:
        return getattr(self._converter, name)


def time_conversions(deployment: Deployment) -> None:
    """Count and time every conversion this process makes (idempotent)."""
    if not isinstance(deployment.converter, TimedConverter):
        deployment.converter = TimedConverter(deployment.converter)


def count_tasks(huey: Huey) -> None:
    """Count and time each task the consumer runs, by name and outcome; the finalise task is a seal."""
    @huey.pre_execute()
    def metrics_started(_task: Any) -> None:
        _task_started.set(time.perf_counter())

    @huey.post_execute()
    def metrics_finished(task: Any, _value: Any, exc: BaseException | None) -> None:
        seconds = time.perf_counter() - _task_started.get()
        outcome = "done" if exc is None else "failed"
        name = task.name.rsplit(".", 1)[-1]  # Huey's name is module.function
        TASKS.labels(name, outcome).inc()
        TASK_SECONDS.labels(name).observe(seconds)
        if name == SEALING_TASK:
            SEALS.labels(outcome).inc()
            if exc is None:
                SEAL_SECONDS.observe(seconds)


def time_requests(app: Flask) -> None:
    @app.before_request
    def started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def answered(response: Response) -> Response:
        began = g.get("metrics_started")
        if began is not None:
            REQUEST_SECONDS.labels(request.method, route()).observe(time.perf_counter() - began)
        return response


def _may_read(token: str) -> bool:
    """A local address (after the trusted proxy hops: a user through nginx is not local), or the
    configured bearer token."""
    try:
        if ipaddress.ip_address(request.remote_addr or "").is_loopback:
            return True
    except ValueError:
        pass
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return bool(token) and hmac.compare_digest(offered.encode(), token.encode())


def serve_metrics(app: Flask, huey: Huey) -> None:
    """Add `/metrics`, answering 404 to anyone not allowed (it does not announce itself)."""
    token = app.extensions["docgen"].config.metrics_token
    depth = QueueDepth(huey)

    @app.get("/metrics")
    def metrics() -> Response:
        if not _may_read(token):
            abort(404)
        registry = CollectorRegistry(auto_describe=False)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            MultiProcessCollector(registry)
        else:
            registry.register(_ThisProcess())
        registry.register(depth)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _ThisProcess:
    """This process's metrics (the default registry), for one scrape's registry."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
