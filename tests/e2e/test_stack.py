"""The organisation's stack as `scripts/stack.sh` starts it: gunicorn with 2 web workers, 2 Huey
consumers on Redis, PostgreSQL and S3 through moto's server, run by honcho, behind Debian's nginx
with the sample configuration of docs/nginx/. One record goes from sending through both
signatures to a sealed PDF in the bucket, on gthread web workers of 4 threads, then the
stack stops and leaves no process behind (LibreOffice included: each consumer starts its own, in a
session of its own). A guessed sign-off link's openings are counted in Redis by both web workers
together, on sync workers (a slow client holds one busy): the one past the limit is refused by
whichever worker takes it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import secrets
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
import requests
from limits import parse
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from docgen.web.links import LINK_LIMIT
from storage.db import POOL_SIZE, make_engine, session_factory
from storage.models import Organisation
from tests.conftest import PG_ADMIN
from tests.mailbox import Mailbox, smtp_server_on, text_of
from tests.waiting import wait_until
from workflows import accounts, people
from workflows.profiles import load_profile

pytestmark = [pytest.mark.postgres, pytest.mark.libreoffice]
REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"/sign/([A-Za-z0-9_-]{43})")
WAIT_SECONDS = 120  # for the consumers: a cold LibreOffice on a busy machine


def _free_port() -> int:
    """A port nothing listens on now, for the stack's own servers: scripts/stack.sh starts nginx,
    gunicorn and moto on numbers it is given, so this still picks one and lets it go (the race issue
    26 removes where a test can bind port 0 or hand over a socket: tests/mailbox.py, tests/site_server.py)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stack(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(REPO / "scripts" / "stack.sh"), command], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def _marked(stack_id: str) -> list[int]:
    """Processes carrying this stack's DOCGEN_STACK_ID, which every process of it inherits."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"DOCGEN_STACK_ID={stack_id}".encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


NGINX_DOCS = REPO / "docs" / "nginx"


def _nginx_conf(tmp: Path, body: str) -> Path:
    """A whole nginx.conf around `body` (http level), with its files under `tmp`."""
    tmp.mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    {body}
}}
""")
    return conf


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = tmp / "site.key"
    cert = tmp / "site.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=docgen.example.org", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_the_sample_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = (NGINX_DOCS / "docgen.conf").read_text()
    site = (site.replace("/etc/nginx/snippets/docgen-proxy.conf", str(NGINX_DOCS / "docgen-proxy.conf"))
            .replace("/etc/ssl/certs/docgen.example.org.pem", str(cert))
            .replace("/etc/ssl/private/docgen.example.org.key", str(key))
            .replace("/var/log/nginx/", f"{tmp_path}/"))
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(_nginx_conf(tmp_path, site))],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server_on() as box:
        yield box


@pytest.fixture
def stack(request: pytest.FixtureRequest, tmp_path: Path, mailbox: Mailbox) -> Iterator[dict[str, Any]]:
    """The stack started by its script behind nginx, on a database of its own; stopped and dropped
    after. Its web workers are of the class a test asks for (`indirect` parametrisation), else the
    stack's default."""
    database = f"docgen_stack_{uuid.uuid4().hex[:10]}"
    proxy_port, port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCGEN_", "PROMETHEUS_"))}
    env.update(DOCGEN_STACK_DIR=str(tmp_path / "stack"), DOCGEN_STACK_DB=database, DOCGEN_STACK_PG=PG_ADMIN,
               DOCGEN_STACK_PORT=str(port), DOCGEN_STACK_S3_PORT=str(_free_port()),
               DOCGEN_STACK_REDIS="redis://127.0.0.1:6379/13",  # rate-limit counters apart from other runs
               DOCGEN_WEB_WORKERS="2", DOCGEN_CONSUMERS="2", DOCGEN_SMTP_PORT=str(mailbox.port),
               DOCGEN_STACK_PROXY_PORT=str(proxy_port))  # nginx with docs/nginx/docgen-proxy.conf
    if worker_class := getattr(request, "param", None):
        env["DOCGEN_WEB_WORKER_CLASS"] = worker_class
    started = _stack(env, "start")
    settings = dict(re.findall(r"^(\w+)='(.*)'$", (tmp_path / "stack" / "stack.env").read_text(), re.M))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield {"env": env, "url": f"http://127.0.0.1:{proxy_port}", "gunicorn": f"http://127.0.0.1:{port}",
               "settings": settings,
               "log": tmp_path / "stack" / "stack.log"}
    finally:
        _stack(env, "stop")
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _supervision_pair(database_url: str) -> tuple[str, int]:
    """A team manager supervising a social worker in the stack's organisation: the manager's API
    token and the worker's id."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine).begin() as db:
            org = db.scalar(select(Organisation))
            profile = load_profile(org.profile)
            team = people.create_team(db, org, "Children in Need 1", "Children's Social Care")
            start = dt.date.today() - dt.timedelta(days=400)
            manager = people.create_person(db, org, profile, {
                "name": "Sam Whitfield", "email": "manager@stack.example.org", "role": "team_manager",
                "team_id": team.id, "employment_start": start})
            worker = people.create_person(db, org, profile, {
                "name": "Alex Morgan", "email": "worker@stack.example.org", "role": "social_worker",
                "team_id": team.id, "line_manager_id": manager.id, "employment_start": start})
            people.create_relationship(db, worker.id, manager.id, start)
            account = accounts.create_account(db, manager, "correct-horse-battery")
            accounts.create_account(db, worker, "correct-horse-battery")
            return accounts.issue_api_token(db, account, "stack test"), worker.id
    finally:
        engine.dispose()


def _link_to(mailbox: Mailbox, address: str) -> Callable[[], str | None]:
    def newest() -> str | None:
        for message in reversed(mailbox.emails()):
            if message["To"] == address and (match := LINK.search(text_of(message))):
                return match.group(1)
        return None
    return newest


@pytest.mark.parametrize("stack", ["gthread"], indirect=True)
def test_the_stack_seals_a_signed_record_into_s3_and_stops_leaving_no_process(stack: dict[str, Any],
                                                                               mailbox: Mailbox) -> None:
    url, settings = stack["url"], stack["settings"]
    ready = requests.get(f"{url}/health/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["down"] == [], ready.text
    started = stack["log"].read_text()
    assert started.count("Booting worker with pid") == 2  # gunicorn's two web workers
    assert "Using worker: gthread" in started and settings["DOCGEN_WEB_THREADS"] == "4"  # gthread's default threads
    consumers = {line.split()[1] for line in started.splitlines() if "docgen worker: 2 threads" in line}
    assert consumers == {"clock.1", "worker.1"}  # two consumers, the first also scheduling the sweeps

    token, worker_id = _supervision_pair(settings["DOCGEN_DATABASE_URL"])
    auth = {"Authorization": f"Bearer {token}"}
    api = requests.Session()
    created = api.post(f"{url}/api/v1/records", headers=auth,
                       json={"supervisee_id": worker_id, "session_date": dt.date.today().isoformat()})
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    edited = api.patch(f"{url}/api/v1/records/{record_id}", headers={**auth, "If-Match": created.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move."}})
    assert edited.status_code == 200, edited.text
    sent = api.post(f"{url}/api/v1/records/{record_id}/send", headers=auth)
    assert sent.status_code == 200 and sent.json()["status"] == "awaiting_supervisee", sent.text

    # The consumers deliver the e-mails; the link holders decide through the web workers.
    supervisee_link = wait_until(_link_to(mailbox, "worker@stack.example.org"), "the supervisee's e-mail", WAIT_SECONDS)
    agreed = requests.post(f"{url}/api/v1/sign/{supervisee_link}", timeout=30,
                           json={"decision": "agree", "confirm_name": "Alex Morgan"})
    assert agreed.status_code == 200 and agreed.json()["status"] == "awaiting_supervisor", agreed.text
    supervisor_link = wait_until(_link_to(mailbox, "manager@stack.example.org"), "the supervisor's e-mail",
                                 WAIT_SECONDS)
    countersigned = requests.post(f"{url}/api/v1/sign/{supervisor_link}", timeout=30,
                                  json={"decision": "agree", "confirm_name": "Sam Whitfield"})
    assert countersigned.json()["status"] == "signed", countersigned.text

    def sealed() -> str | None:
        state = api.get(f"{url}/api/v1/records/{record_id}/signoff", headers=auth).json()
        return state.get("final_pdf_sha256") or None
    sha256 = wait_until(sealed, "the sealed PDF", WAIT_SECONDS)
    pdf = api.get(f"{url}/api/v1/records/{record_id}/pdf", headers=auth).content
    assert hashlib.sha256(pdf).hexdigest() == sha256
    assert PdfFileReader(io.BytesIO(pdf)).embedded_signatures, "the final PDF carries the organisation's seal"

    bucket_url = re.match(r"s3://([^?]+)\?endpoint_url=([^&]+)", settings["DOCGEN_STORAGE_URL"])
    assert bucket_url, settings["DOCGEN_STORAGE_URL"]
    s3 = boto3.client("s3", endpoint_url=bucket_url.group(2), region_name="eu-west-2",
                      aws_access_key_id="stack", aws_secret_access_key="stack")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket_url.group(1)).get("Contents", [])]
    in_s3 = {hashlib.sha256(s3.get_object(Bucket=bucket_url.group(1), Key=k)["Body"].read()).hexdigest()
             for k in keys if k.endswith(".pdf")}
    assert sha256 in in_s3, keys

    # The countersignature's request id (nginx's $request_id) reaches the consumer that sealed the PDF.
    request_id = countersigned.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    task_lines = [json.loads(line.split("| ", 1)[1]) for line in stack["log"].read_text().splitlines()
                  if line.split("| ", 1)[0].split()[-1].startswith(("clock.", "worker.")) and request_id in line]
    assert any("finalise_document" in entry["message"] for entry in task_lines), task_lines
    assert requests.get(f"{url}/metrics", timeout=10).status_code == 404  # not through the proxy
    metrics = requests.get(f"{stack['gunicorn']}/metrics", timeout=10).text  # from this machine
    assert re.search(r'^docgen_seals_total\{outcome="done"\} [1-9]', metrics, re.M), metrics[-2000:]

    stopped = _stack(stack["env"], "stop")
    assert stopped.returncode == 0 and "no process left" in stopped.stdout, stopped.stdout + stopped.stderr
    assert _marked(settings["DOCGEN_STACK_ID"]) == []


def test_stop_names_and_ends_a_process_of_the_stack_left_running(tmp_path: Path) -> None:
    """Whatever escaped honcho (a LibreOffice in its own session, say) is found by the stack's
    mark, killed, named, and makes `stop` fail."""
    state = tmp_path / "stack"
    state.mkdir()
    stack_id = uuid.uuid4().hex
    (state / "stack.env").write_text(f"DOCGEN_STACK_ID='{stack_id}'\n")
    stray = subprocess.Popen(["sleep", "300"], env={**os.environ, "DOCGEN_STACK_ID": stack_id},
                             start_new_session=True)
    try:
        stopped = _stack({**os.environ, "DOCGEN_STACK_DIR": str(state)}, "stop")
        assert stopped.returncode == 1 and f"{stray.pid} sleep" in stopped.stdout, stopped.stdout + stopped.stderr
        assert stray.wait(timeout=10) == -9
    finally:
        if stray.poll() is None:
            stray.kill()
    assert _marked(stack_id) == []


@pytest.mark.parametrize("settings, refusal", [
    ({"DOCGEN_WEB_WORKER_CLASS": "sync", "DOCGEN_WEB_THREADS": "4"}, "DOCGEN_WEB_THREADS=4 needs DOCGEN_WEB_WORKER_CLASS=gthread"),
    ({"DOCGEN_WEB_WORKER_CLASS": "gthread", "DOCGEN_WEB_THREADS": str(POOL_SIZE + 1)},
     f"from 1 to {POOL_SIZE} (the database pool of each web worker)"),
    ({"DOCGEN_WEB_WORKER_CLASS": "gevent"}, "DOCGEN_WEB_WORKER_CLASS must be sync or gthread"),
])
def test_start_refuses_web_threads_the_worker_class_or_database_pool_cannot_serve(
        tmp_path: Path, settings: dict[str, str], refusal: str) -> None:
    """A sync worker given threads would quietly be gthread; more threads than a worker's pool keeps
    would open a connection per request or wait for one. Refused before anything starts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    started = _stack({**env, "DOCGEN_STACK_DIR": str(tmp_path / "stack"), **settings}, "start")
    assert started.returncode == 2 and refusal in started.stdout, started.stdout + started.stderr
    assert not (tmp_path / "stack" / "stack.env").exists()


# --- rate limits counted across the web workers -----------------------------------------------

def _worker_that_answered(stack: dict[str, Any], request_id: str) -> int:
    """The pid of the gunicorn worker that answered a request, from its access log line (the
    Procfile's format: pid, status, request id), which reaches the stack's log through honcho."""
    line = re.compile(rf"^\S+ web\.\d+\s+\| <(\d+)> \d{{3}} {re.escape(request_id)}$", re.M)

    def logged() -> int | None:
        found = line.search(stack["log"].read_text())
        return int(found.group(1)) if found else None
    return wait_until(logged, f"gunicorn's access log line for request {request_id}", WAIT_SECONDS)


class _SlowClient:
    """A client straight to gunicorn that has sent only part of its request: the sync worker that
    accepts it waits for the rest and takes no other connection until `finish` sends it."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS)
        self.socket.sendall(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: {uuid.uuid4().hex}\r\n".encode())

    def finish(self) -> None:
        self.socket.sendall(b"Connection: close\r\n\r\n")
        while self.socket.recv(65536):  # the answer, until gunicorn closes the connection
            pass
        self.socket.close()


def _free_worker(stack: dict[str, Any]) -> int:
    """The worker that takes a request now: a /health request of this test's own, straight to gunicorn."""
    request_id = uuid.uuid4().hex
    answer = requests.get(f"{stack['gunicorn']}/health", headers={"X-Request-Id": request_id}, timeout=WAIT_SECONDS)
    assert answer.status_code == 200, answer.text
    return _worker_that_answered(stack, request_id)


@contextmanager
def _held_busy(stack: dict[str, Any], pid: int) -> Iterator[None]:
    """Worker `pid` held by a slow client, so that the next request (through nginx too) is taken by
    another worker. Which worker accepts a connection is the kernel's choice, so a slow client is
    placed, the free worker asked for, and, if the slow client went to another worker, a second one
    placed (only `pid` is free to take it) before the first is let go."""
    port = int(stack["settings"]["DOCGEN_STACK_PORT"])
    held = _SlowClient(port)
    try:
        for _ in range(20):
            if _free_worker(stack) != pid:
                yield
                return
            placed = _SlowClient(port)
            held.finish()
            held = placed
        pytest.fail(f"could not hold gunicorn worker {pid} busy in 20 tries")
    finally:
        held.finish()


@pytest.mark.parametrize("stack", ["sync"], indirect=True)
def test_a_guessed_link_is_refused_past_its_limit_by_the_other_web_worker(stack: dict[str, Any]) -> None:
    """Each opening of a link that does not exist is answered by the web worker that did not answer
    the one before (the other is held busy): the counts of both add up in Redis, and the opening
    past the link's limit is refused by the worker that did not count the one before it. On sync
    workers, which a slow client holds: a gthread worker would take the next request beside it."""
    assert "Using worker: sync" in stack["log"].read_text()
    allowed = parse(LINK_LIMIT).amount
    guessed = secrets.token_urlsafe(32)  # the length of a real link's token; no such link
    answers: list[tuple[int, int]] = []  # (status, worker pid)
    for _ in range(allowed + 1):
        with _held_busy(stack, answers[-1][1]) if answers else nullcontext():
            opened = requests.get(f"{stack['url']}/sign/{guessed}", timeout=WAIT_SECONDS)
        answers.append((opened.status_code, _worker_that_answered(stack, opened.headers["X-Request-Id"])))
    statuses, workers = [status for status, _ in answers], [pid for _, pid in answers]
    assert statuses == [404] * allowed + [429], answers
    assert len(set(workers)) == 2 and all(a != b for a, b in zip(workers, workers[1:])), answers
    assert guessed not in stack["log"].read_text()  # the access log names no path, so no link
