"""Running docgen for an organisation: behind a reverse proxy (trusted hops, rate limits per
client address and per sign-off link), readiness, metrics for local eyes only, request ids in the
logs and in the tasks a request enqueues, and `docgen run` on a production server."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from huey import MemoryHuey

from kernel.config import Config
from tests.docgen_run import DocgenRun
from docgen.observability import logs

LINK_A, LINK_B = "a" * 43, "b" * 43


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests read no rows: one database is enough."""
    return sqlite_url


def _app(config: Config, **changes: Any) -> Any:
    from docgen.app import create_app

    return create_app(dataclasses.replace(config, extra={"ratelimit_key_prefix": f"test-{uuid.uuid4().hex}"},
                                          **changes))


@pytest.fixture
def behind_proxy(config: Config) -> Iterator[Any]:
    app = _app(config, trusted_proxies=1)
    yield app.test_client()
    app.extensions["docgen"].engine.dispose()


@pytest.fixture
def direct(config: Config) -> Iterator[Any]:
    app = _app(config)
    yield app.test_client()
    app.extensions["docgen"].engine.dispose()


def _opens(client: Any, path: str, forwarded_for: str, times: int = 1) -> list[int]:
    return [client.get(path, headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
                       ).status_code for _ in range(times)]


def test_behind_the_proxy_each_client_address_it_reports_has_its_own_allowance(behind_proxy: Any) -> None:
    assert _opens(behind_proxy, f"/sign/{LINK_A}", "203.0.113.5", 11) == [404] * 10 + [429]
    assert _opens(behind_proxy, f"/sign/{LINK_A}", "203.0.113.6") == [404]


def test_a_client_cannot_choose_its_address_past_the_trusted_hop(behind_proxy: Any) -> None:
    # nginx appends the address it saw; what the client wrote before it is not believed
    codes = [_opens(behind_proxy, f"/sign/{LINK_A}", f"198.51.100.{n}, 203.0.113.5")[0] for n in range(11)]
    assert codes == [404] * 10 + [429]


def test_forwarded_headers_count_for_nothing_without_trusted_proxies(direct: Any) -> None:
    codes = [_opens(direct, f"/api/v1/sign/{LINK_A}", f"203.0.113.{n}")[0] for n in range(11)]
    assert codes == [404] * 10 + [429]


@pytest.mark.parametrize("prefix", ["/sign/", "/api/v1/sign/"])
def test_one_address_exhausting_one_link_leaves_other_links_open(behind_proxy: Any, prefix: str) -> None:
    """Fifty supervisees behind one office address each have their own link's allowance."""
    assert _opens(behind_proxy, prefix + LINK_A, "203.0.113.5", 11)[-1] == 429
    assert _opens(behind_proxy, prefix + LINK_B, "203.0.113.5") == [404]


def test_readiness_names_what_is_down_and_liveness_stays_simple(config: Config) -> None:
    ready = _app(config)
    answer = ready.test_client().get("/health/ready")
    assert answer.status_code == 200 and answer.json["down"] == [], answer.json
    ready.extensions["docgen"].engine.dispose()

    broken = _app(config, database_url="postgresql+psycopg://postgres@127.0.0.1:1/none",
                  tasks_url="redis://127.0.0.1:1/0")
    answer = broken.test_client().get("/health/ready")
    assert answer.status_code == 503 and answer.json["down"] == ["database", "queue"], answer.json
    assert answer.json["checks"]["document_store"] == "ok" and answer.json["checks"]["converter"] == "ok"
    assert "127.0.0.1:1" not in answer.get_data(as_text=True)  # the reason goes to the log only
    broken.extensions["docgen"].engine.dispose()


def test_a_database_not_yet_migrated_is_not_ready(config: Config, tmp_path: Path) -> None:
    app = _app(config, database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    answer = app.test_client().get("/health/ready")
    assert answer.status_code == 503 and answer.json["down"] == ["database"], answer.json
    app.extensions["docgen"].engine.dispose()


def test_metrics_are_served_to_this_machine_or_a_token_holder_only(config: Config) -> None:
    app = _app(config, trusted_proxies=1, metrics_token="m" * 40)
    client = app.test_client()
    client.get("/health")
    local = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert local.status_code == 200
    body = local.get_data(as_text=True)
    assert 'docgen_request_seconds_count{method="GET",route="/health"}' in body
    assert 'docgen_queue_depth{state="pending"}' in body
    through_proxy = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"},
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert through_proxy.status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"},
                      headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"},
                      headers={"Authorization": "Bearer " + "m" * 40}).status_code == 200
    app.extensions["docgen"].engine.dispose()


def test_a_request_id_is_answered_and_written_on_its_log_line_as_json(direct: Any,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure_logging(dataclasses.replace(Config(), log_format="json"))
    try:
        given = direct.get("/health", headers={"X-Request-Id": "nginx-0123456789abcdef"})
        made = direct.get("/health")
    finally:
        logs.configure_logging(Config())
    assert given.headers["X-Request-Id"] == "nginx-0123456789abcdef"
    assert len(made.headers["X-Request-Id"]) == 32
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    health = [line for line in lines if line.get("route") == "/health"]
    assert [line["request_id"] for line in health] == ["nginx-0123456789abcdef", made.headers["X-Request-Id"]]
    assert all(line["status"] == 200 and line["level"] == "INFO" for line in health)


def test_a_task_logs_under_the_id_of_the_request_that_enqueued_it() -> None:
    huey = MemoryHuey("request-ids", results=False, immediate=False)
    seen: list[tuple[str, tuple[Any, ...]]] = []

    @huey.task()
    def make_pdf(*args: Any) -> None:
        seen.append((logs.request_id.get(), args))

    logs.carry_into_tasks(huey)
    token = logs.request_id.set("req-from-the-web-1")
    try:
        make_pdf("record", 7, 1)
    finally:
        logs.request_id.reset(token)
    huey.execute(huey.dequeue())  # as a consumer in another process would, from the stored message
    assert seen == [("req-from-the-web-1", ("record", 7, 1))]
    assert logs.request_id.get() == ""


def test_a_task_run_inline_leaves_its_request_s_id_in_place() -> None:
    huey = MemoryHuey("inline-request-ids", results=False, immediate=True)
    seen: list[str] = []

    @huey.task()
    def deliver() -> None:
        seen.append(logs.request_id.get())

    logs.carry_into_tasks(huey)
    token = logs.request_id.set("req-inline-1")
    try:
        deliver()
        assert logs.request_id.get() == "req-inline-1"
    finally:
        logs.request_id.reset(token)
    assert seen == ["req-inline-1"]


def test_a_task_run_inline_by_another_inline_task_leaves_no_id_behind() -> None:
    """Finalising runs inline where tasks do, and enqueues its e-mail inline too: each task puts
    back the id current when it began, so nothing of theirs is left in the caller's context."""
    huey = MemoryHuey("nested-request-ids", results=False, immediate=True)
    seen: list[str] = []

    @huey.task()
    def deliver() -> None:
        seen.append(logs.request_id.get())

    @huey.task()
    def finalise() -> None:
        seen.append(logs.request_id.get())
        deliver()

    logs.carry_into_tasks(huey)
    finalise()  # outside any request, as the retention run or a test does
    assert seen[0].startswith("task-") and seen[1] == seen[0]  # the inner task carries the outer's id
    assert logs.request_id.get() == ""


@pytest.mark.libreoffice
def test_docgen_run_serves_on_a_production_server_without_the_development_warning(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env["DOCGEN_INSTANCE_PATH"] = str(tmp_path / "instance")
    docgen = [sys.executable, "-m", "docgen.main"]
    assert subprocess.run(docgen + ["init"], env=env, capture_output=True, timeout=120).returncode == 0
    server = DocgenRun(docgen + ["run", "--port", "0"], env=env)
    try:
        port = server.listening_port(timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=60) as response:
            assert response.status == 200
    finally:
        out = server.stop()
    assert server.process.returncode == 0, out
    assert "development server" not in out and f"http://127.0.0.1:{port}/" in out
