"""docgen under load (issue 16): the organisation's stack (`scripts/stack.sh`: gunicorn, `docgen
worker` consumers on Redis, PostgreSQL, S3 through moto, Debian's nginx in front with
DOCGEN_STACK_PROXY_PORT), driven by locust headless, each figure printed beside a baseline
measured in the same run.

1. A fresh PostgreSQL database `docgen_loadbench` with 100,000 records (`bench/report.py`'s
   organisation, loaded with COPY) and a 1,000-person "Load service" (50 teams of a manager and
   19 workers, under one head of service), with sign-ins for the managers.
2. With 1 consumer: bulk start of the service's 1,000 records; finalisation of 20 records.
3. With 2 consumers: bulk start of 1,000 more; sign links at 9 a.m. (50 supervisees at once,
   through nginx, so one client address); finalisation of those 50; supervisors browsing (20 at
   once); a soak mixing browsing and bulk starts, with RSS of web workers and consumers at its
   start and end, tasks lost and e-mails sent twice.

Run: bash bench/load/run.sh   (DOCGEN_BENCH_SECONDS=30 per browsing run, DOCGEN_BENCH_SOAK_SECONDS=600)
The figures are printed and written to instance/loadbench/results.json.

Issue 26 compares gunicorn's worker classes: `--web-worker-classes sync,gthread` runs the links and
browsing scenarios under each (the stack restarted between, each class deciding links of its own)
and prints them side by side; `--only links,browsing` leaves out bulk starts, finalisation and the
soak, so that comparison takes minutes. Bulk starts and finalisation run under the first class
given, the soak under the last.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import email
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
import psutil
import psycopg
from aiosmtpd.controller import Controller
from docxtpl import DocxTemplate
from redis import Redis
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.report import build  # noqa: E402
from documents.render import DEFAULT_TEMPLATE_DIR  # noqa: E402
from storage.db import make_engine, session_factory, upgrade  # noqa: E402
from storage.models import (BulkStartItem, DocumentVersion, Organisation, OutboxMessage, Person,  # noqa: E402
                            Record, SignoffEvent)
from workflows import accounts, people, records  # noqa: E402
from workflows.profiles import load_profile  # noqa: E402

T = TypeVar("T")
STATE = ROOT / "instance" / "loadbench"
DB = "docgen_loadbench"
PG_ADMIN = os.environ.get("DOCGEN_STACK_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
URL = f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{DB}"
PORT, S3_PORT, PROXY_PORT = (int(os.environ.get("DOCGEN_BENCH_PORT", "8100")) + n for n in range(3))
PROXY = f"http://127.0.0.1:{PROXY_PORT}"
SECONDS = int(os.environ.get("DOCGEN_BENCH_SECONDS", "30"))
SOAK = int(os.environ.get("DOCGEN_BENCH_SOAK_SECONDS", "600"))
PASSWORD = "load-bench-password"
TEAMS, PER_TEAM = 50, 19
LINK = re.compile(r"/sign/([A-Za-z0-9_-]{20,})")
LOCUST = [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
          "--only-summary"]


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def eventually(what: str, answer: Callable[[], T | None], seconds: float = 600) -> T:
    deadline = time.monotonic() + seconds
    while (found := answer()) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting {seconds:.0f} s for {what}")
        time.sleep(0.5)
    return found


class Client(requests.Session):
    """requests with a base address and default headers."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.base = base
        self.headers.update(headers or {})

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return super().request(method, self.base + url, *args, timeout=60, **kwargs)


# --- the parts: mailbox and stack ---------------------------------------------------------------------
class Mailbox:
    """A real SMTP server (aiosmtpd) keeping every message the stack sends."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def links_to(self, address: str) -> list[str]:
        found = []
        for message in self.messages:
            if message["To"] == address:
                for part in message.walk():
                    if part.get_content_type() == "text/plain":
                        found += LINK.findall(part.get_payload(decode=True).decode())
        return found

    def sent_twice(self) -> int:
        """Messages delivered more than once (the same Message-ID, or the same link to the same person)."""
        ids = Counter(m["Message-ID"] for m in self.messages)
        return sum(n - 1 for n in ids.values() if n > 1)


def stack_env(consumers: int, mailbox: Mailbox, worker_class: str | None = None) -> dict[str, str]:
    """The stack's settings; `worker_class` (sync or gthread) overrides DOCGEN_WEB_WORKER_CLASS, and a
    sync worker is given no DOCGEN_WEB_THREADS (stack.sh refuses threads for it)."""
    env = {**os.environ, "DOCGEN_STACK_DIR": str(STATE / "stack"), "DOCGEN_STACK_DB": DB,
           "DOCGEN_STACK_PORT": str(PORT), "DOCGEN_STACK_S3_PORT": str(S3_PORT),
           "DOCGEN_WEB_WORKERS": os.environ.get("DOCGEN_WEB_WORKERS", "2"), "DOCGEN_CONSUMERS": str(consumers),
           "DOCGEN_SMTP_PORT": str(mailbox.port), "DOCGEN_STACK_PROXY_PORT": str(PROXY_PORT),
           "DOCGEN_TRUSTED_PROXIES": "1", "DOCGEN_BASE_URL": PROXY}
    if worker_class is not None:
        env["DOCGEN_WEB_WORKER_CLASS"] = worker_class
    if env.get("DOCGEN_WEB_WORKER_CLASS") == "sync":
        env.pop("DOCGEN_WEB_THREADS", None)
    return env


def empty_queue() -> None:
    """Drop what an earlier run left in the benchmark's Redis queue (a queue outlives its consumers)."""
    redis = Redis.from_url(os.environ.get("DOCGEN_STACK_REDIS", "redis://127.0.0.1:6379/0"))
    stale = list(redis.scan_iter(f"huey.*{DB}*"))  # Huey names its keys after the queue, DOCGEN_STACK_DB in it
    if stale:
        redis.delete(*stale)


def stack(command: str, consumers: int, mailbox: Mailbox, worker_class: str | None = None) -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "stack.sh"), command],
                   env=stack_env(consumers, mailbox, worker_class), cwd=ROOT, check=command == "start", timeout=600)


def web_settings() -> dict[str, str]:
    """The running stack's gunicorn settings as stack.sh wrote them: workers, class and threads."""
    written = dict(re.findall(r"^(\w+)='(.*)'$", (STATE / "stack" / "stack.env").read_text(), re.M))
    return {"workers": written["DOCGEN_WEB_WORKERS"], "worker_class": written["DOCGEN_WEB_WORKER_CLASS"],
            "threads": written["DOCGEN_WEB_THREADS"]}


def stack_processes() -> dict[str, list[psutil.Process]]:
    """The stack's gunicorn workers and consumers (honcho's descendants)."""
    honcho = psutil.Process(int((STATE / "stack" / "honcho.pid").read_text()))
    found: dict[str, list[psutil.Process]] = {"web": [], "consumer": []}
    for proc in honcho.children(recursive=True):
        line = " ".join(proc.cmdline())
        if "gunicorn" in line and proc.parent() and "gunicorn" in " ".join(proc.parent().cmdline()):
            found["web"].append(proc)
        elif "docgen worker" in line or line.endswith("bin/docgen worker --workers 2"):
            found["consumer"].append(proc)
    return found


def rss_mb(procs: list[psutil.Process]) -> list[float]:
    return [round(p.memory_info().rss / 2**20, 1) for p in procs if p.is_running()]


# --- data ---------------------------------------------------------------------------------------
def fresh_database() -> dict[str, int]:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    upgrade(URL)
    counts = build(URL)
    with psycopg.connect(PG_ADMIN.rsplit("/", 1)[0] + f"/{DB}") as conn:
        # The loaded records and agreements were signed long ago, so they were sealed then: give
        # each its final PDF's row (no file behind it), or the worker's sweep would try to seal
        # 100,000 documents whose Word files were never filed, and swamp the queue.
        for owner, table in (("record_id", "record"), ("agreement_id", "agreement")):
            conn.execute(f"INSERT INTO document_version ({owner}, version, kind, storage_key, sha256, size, created_at) "
                         f"SELECT id, version, 'final_pdf', 'loadbench/not-kept/{table}/' || id, repeat('0', 64), 0, "
                         f"now() FROM {table} WHERE status = 'signed'")
        counts["document_version"] = conn.execute("SELECT count(*) FROM document_version").fetchone()[0]
    return counts


def seed(sessions: Any) -> dict[str, Any]:
    """The Load service: a head of service, 50 teams of a manager and 19 workers, every worker
    supervised by their manager and every manager by the head; sign-ins for the managers."""
    profile = load_profile("knowsley")
    start = dt.date(2024, 1, 8)
    data: dict[str, Any] = {"password": PASSWORD, "teams": [], "supervisors": [], "links": []}
    with sessions.begin() as db:
        org = db.scalar(select(Organisation).limit(1))
        head = people.create_person(db, org, profile, {"name": "Hana Head", "email": "head@load.example.org",
                                                       "role": "head_of_service", "employment_start": start})
        data["head_token"] = accounts.issue_api_token(db, accounts.create_account(db, head, PASSWORD), "bench")
        for t in range(TEAMS):
            team = people.create_team(db, org, f"Load team {t + 1}", "Load service")
            data["teams"].append(team.id)
            manager = people.create_person(db, org, profile, {
                "name": f"Manager {t + 1}", "email": f"m{t + 1}@load.example.org", "role": "team_manager",
                "team_id": team.id, "line_manager_id": head.id, "employment_start": start})
            token = accounts.issue_api_token(db, accounts.create_account(db, manager, PASSWORD), "bench")
            people.create_relationship(db, manager.id, head.id, start)
            data["supervisors"].append({"id": manager.id, "email": manager.email, "token": token, "team": team.id})
            for w in range(PER_TEAM):
                worker = people.create_person(db, org, profile, {
                    "name": f"Worker {t + 1}-{w + 1}", "email": f"w{t + 1}-{w + 1}@load.example.org",
                    "role": "social_worker", "team_id": team.id, "line_manager_id": manager.id,
                    "employment_start": start})
                people.create_relationship(db, worker.id, manager.id, start)
    return data


def records_of(sessions: Any, supervisor_id: int, day: dt.date) -> list[tuple[int, str, str]]:
    """(record id, supervisee name, supervisee e-mail) of a supervisor's records on a day."""
    with sessions() as db:
        return [tuple(row) for row in db.execute(
            select(Record.id, Person.name, Person.email).join(Person, Record.supervisee_id == Person.id)
            .where(Record.supervisor_id == supervisor_id, Record.session_date == day).order_by(Record.id))]


def count_files(sessions: Any, record_ids: list[int], kind: str) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(DocumentVersion).where(
            DocumentVersion.record_id.in_(record_ids), DocumentVersion.kind == kind))


# --- locust -------------------------------------------------------------------------------------
def locust(user: str, users: int, seconds: int, data_file: Path, name: str,
           host: str = PROXY) -> dict[str, dict[str, float]]:
    """Run one locust scenario headless; per request name: count, failures, p50, p95 (ms), 429s."""
    prefix = STATE / name
    subprocess.run([*LOCUST, "--host", host, "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
                    "--csv", str(prefix), *user.split()],
                   env={**os.environ, "DOCGEN_BENCH_DATA": str(data_file)}, cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL, stderr=open(STATE / f"{name}.log", "w"), timeout=seconds + 300)
    stats: dict[str, dict[str, float]] = {}
    with open(f"{prefix}_stats.csv") as f:
        for row in csv.DictReader(f):
            if row["Name"] != "Aggregated":
                stats[row["Name"]] = {"count": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                      "p50": float(row["50%"] or 0), "p95": float(row["95%"] or 0), "429": 0}
    with open(f"{prefix}_failures.csv") as f:
        for row in csv.DictReader(f):
            if "429" in row["Error"] and row["Name"] in stats:
                stats[row["Name"]]["429"] += int(row["Occurrences"])
    return stats


# --- scenarios ----------------------------------------------------------------------------------
def raw_render_seconds(sessions: Any, record_id: int) -> float:
    """Mean time of docxtpl's own render and save of a bulk-started record (the bulk start baseline)."""
    profile = load_profile("knowsley")
    with sessions() as db:
        record = db.get(Record, record_id)
        context = records.record_context(db, profile, db.scalar(select(Organisation).limit(1)), record)
        template = DEFAULT_TEMPLATE_DIR / profile.record_kinds[record.kind].template
    times = []
    for _ in range(10):
        began = time.perf_counter()
        doc = DocxTemplate(str(template))
        doc.render(context)
        doc.save(io.BytesIO())
        times.append(time.perf_counter() - began)
    return sum(times[1:]) / len(times[1:])


def bulk_start(data: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """Start the Load service's records for `day` through the API (via nginx) and follow the progress."""
    headers = {"Authorization": f"Bearer {data['head_token']}"}
    with Client(PROXY, headers) as client:
        began = time.perf_counter()
        started = client.post("/api/v1/bulk-starts", json={"service": "Load service", "session_date": day.isoformat()})
        assert started.status_code == 202, started.text
        seen = [started.json()["done"]]
        shown = started.json()
        while not shown["finished"]:
            time.sleep(0.5)
            shown = client.get(f"/api/v1/bulk-starts/{shown['id']}").json()
            seen.append(shown["done"])
        took = time.perf_counter() - began
    return {"total": shown["total"], "done": shown["done"], "failed": shown["failed"], "seconds": round(took, 1),
            "progress_readings": len(seen), "distinct_counts_seen": len(set(seen))}


def send_and_collect_links(data: dict[str, Any], sessions: Any, mailbox: Mailbox, day: dt.date, count: int,
                           skip: int = 0) -> list[dict[str, Any]]:
    """Each of `count` managers sends one of their records for `day`; the supervisees' links, once
    the review PDFs exist."""
    chosen = []
    with Client(f"http://127.0.0.1:{PORT}") as client:
        for manager in data["supervisors"][:count]:
            record_id, name, address = records_of(sessions, manager["id"], day)[skip]
            sent = client.post(f"/api/v1/records/{record_id}/send",
                               headers={"Authorization": f"Bearer {manager['token']}"})
            assert sent.status_code == 200, sent.text
            chosen.append({"record": record_id, "name": name, "email": address, "manager": manager})
    for link in chosen:
        link["token"] = eventually(f"the link to {link['email']}", lambda: (mailbox.links_to(link["email"]) or [None])[-1])
    ids = [c["record"] for c in chosen]
    eventually("the review PDFs", lambda: True if count_files(sessions, ids, "review_pdf") >= len(ids) else None)
    return chosen


def finalise(links: list[dict[str, Any]], sessions: Any) -> dict[str, Any]:
    """The supervisors countersign; sealed PDFs a minute from the first countersignature to the last seal."""
    ids = [link["record"] for link in links]
    with Client(f"http://127.0.0.1:{PORT}") as client:
        began = time.perf_counter()
        for link in links:
            done = client.post(f"/api/v1/records/{link['record']}/countersign", json={"comment": ""},
                               headers={"Authorization": f"Bearer {link['manager']['token']}"})
            assert done.status_code == 200, done.text
    eventually("the sealed PDFs", lambda: True if count_files(sessions, ids, "final_pdf") >= len(ids) else None)
    took = time.perf_counter() - began
    return {"records": len(ids), "seconds": round(took, 1), "per_minute": round(len(ids) / took * 60, 1)}


def agree_by_api(links: list[dict[str, Any]]) -> None:
    with Client(f"http://127.0.0.1:{PORT}") as client:
        for link in links:
            agreed = client.post(f"/api/v1/sign/{link['token']}", json={"decision": "agree", "confirm_name": link["name"]})
            assert agreed.status_code == 200, agreed.text


def cold_soffice_per_minute(runs: int = 3) -> float:
    """The baseline: `soffice --headless --convert-to pdf` started cold for each document in turn."""
    docx = next((ROOT / "templates_docx").glob("*.docx"))
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        for n in range(runs):
            profile = Path(out) / f"profile{n}"
            subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", out, str(docx)], check=True, capture_output=True, timeout=180)
        return round(runs / (time.perf_counter() - began) * 60, 1)


def decisions_per_record(sessions: Any, ids: list[int]) -> Counter[int]:
    with sessions() as db:
        return Counter(db.scalars(select(SignoffEvent.record_id).where(
            SignoffEvent.record_id.in_(ids), SignoffEvent.event.in_(("agreed", "disagreed")))))


def lost(sessions: Any) -> dict[str, int]:
    """Work still undone once the queue has had time to drain."""
    with sessions() as db:
        return {"bulk items pending": db.scalar(select(func.count()).select_from(BulkStartItem)
                                                .where(BulkStartItem.state == "pending")),
                "e-mails unsent": db.scalar(select(func.count()).select_from(OutboxMessage)
                                            .where(OutboxMessage.sent_at.is_(None)))}


SCENARIOS = ("bulk", "finalise", "links", "browsing", "soak")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="docgen under load (issue 16); figures in instance/loadbench/results.json")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help=f"scenarios to run, comma-separated, of {','.join(SCENARIOS)} (default: all)")
    parser.add_argument("--web-worker-classes", default="",
                        help="gunicorn worker classes to run links and browsing under, one stack start each, "
                             "e.g. sync,gthread (default: DOCGEN_WEB_WORKER_CLASS or the stack's own default)")
    args = parser.parse_args(argv)
    args.only = set(filter(None, args.only.split(",")))
    args.web_worker_classes = [c for c in args.web_worker_classes.split(",") if c] or [None]
    if unknown := args.only - set(SCENARIOS):
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}")
    if unknown := set(args.web_worker_classes) - {None, "sync", "gthread"}:
        parser.error(f"unknown worker class(es) {', '.join(sorted(unknown))}: sync or gthread")
    if "finalise" in args.only and "links" not in args.only:
        parser.error("finalise countersigns the records the links scenario decided: add links")
    return args


def web_scenarios(data: dict[str, Any], data_file: Path, sessions: Any, mailbox: Mailbox, today: dt.date,
                  only: set[str], attempt: int) -> dict[str, Any]:
    """Sign links at 9 a.m. and supervisors browsing, on the stack as it runs now. Each attempt
    (one per worker class) decides links of its own: a link, once decided, is done."""
    found: dict[str, Any] = {"web": web_settings()}
    each = found["web"]["worker_class"]  # its locust files apart from the other classes'
    if "links" in only:
        say("sign links at 9 a.m.: 50 supervisees through one address")
        data["links"] = send_and_collect_links(data, sessions, mailbox, today, 50, skip=1 + attempt)
        write_data(data_file, data, today)
        baseline = locust("LinkPageUser", 1, 30, data_file, f"links-baseline-{each}")
        burst = locust("SignLinkUser", 50, 30, data_file, f"links-9am-{each}")
        counts = decisions_per_record(sessions, [link["record"] for link in data["links"]])
        found["sign_links"] = {"baseline_1_user": baseline, "fifty_at_once": burst, "records_decided": len(counts),
                               "decided_more_than_once": sum(n > 1 for n in counts.values())}
    if "browsing" in only:
        say("supervisors browsing at 100k records")
        # Straight to gunicorn, each supervisor from an address of their own (X-Forwarded-For, trusted
        # for one hop): behind one proxy address the sign-in limit (10 a minute) would refuse half of them.
        direct = f"http://127.0.0.1:{PORT}"
        found["browsing"] = {"baseline_1_user": locust("SupervisorUser", 1, max(SECONDS // 2, 10), data_file,
                                                       f"browse-baseline-{each}", direct),
                             "twenty_at_once": locust("SupervisorUser", 20, SECONDS, data_file, f"browse-20-{each}", direct)}
    return found


def write_data(data_file: Path, data: dict[str, Any], today: dt.date) -> None:
    """What the locust users read: the seed, the links of this attempt, the soak's dates."""
    data_file.write_text(json.dumps({**data, "soak_dates": [(today + dt.timedelta(days=n)).isoformat()
                                                            for n in range(1, 300)]}))


def main() -> None:
    args = arguments()
    only, classes = args.only, args.web_worker_classes
    if shutil.which("nginx") is None:
        raise SystemExit("nginx is needed (apt-get install nginx): the scenarios run behind a reverse proxy")
    STATE.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                                           "load_average_at_start": os.getloadavg()},
                               "settings": {"browsing_seconds": SECONDS, "soak_seconds": SOAK,
                                            "scenarios": sorted(only, key=SCENARIOS.index)},
                               "web_worker_classes": {}}
    say("loading 100,000 records into PostgreSQL")
    results["database"] = fresh_database()
    empty_queue()
    sessions = session_factory(make_engine(URL))
    mailbox = Mailbox()
    mailbox.controller.start()
    today = dt.date.today()
    data_file = STATE / "data.json"
    try:
        if only & {"bulk", "finalise"}:
            say("stack with 1 consumer")
            stack("start", 1, mailbox, classes[0])
            data = seed(sessions)
            say("bulk start of 1,000 records, 1 consumer")
            results["bulk_start_1_consumer"] = bulk_start(data, today)
            raw = raw_render_seconds(sessions, records_of(sessions, data["supervisors"][0]["id"], today)[0][0])
            results["raw_docxtpl_render_ms"] = round(raw * 1000, 1)
            if "finalise" in only:
                say("finalisation, 1 consumer")
                batch = send_and_collect_links(data, sessions, mailbox, today, 20)
                agree_by_api(batch)
                results["finalisation_1_consumer"] = finalise(batch, sessions)
            stack("stop", 1, mailbox)
            keep(results)

        say("stack with 2 consumers")
        stack("start", 2, mailbox, classes[0])
        if not only & {"bulk", "finalise"}:
            data = seed(sessions)
            say("bulk start of the day's 1,000 records (what the other scenarios open; not a figure)")
            bulk_start(data, today)
        if "bulk" in only:
            say("bulk start of 1,000 records, 2 consumers")
            results["bulk_start_2_consumers"] = bulk_start(data, today - dt.timedelta(days=7))
            for consumers, key in ((1, "bulk_start_1_consumer"), (2, "bulk_start_2_consumers")):
                target = 1.5 * results[key]["total"] * raw / consumers
                results[key]["target_seconds"] = round(target, 1)
        for manager in data["supervisors"]:
            manager["records"] = [r[0] for r in records_of(sessions, manager["id"], today)]
        write_data(data_file, data, today)

        for attempt, worker_class in enumerate(classes):
            if attempt:
                say(f"stack with 2 consumers, {worker_class} web workers")
                stack("stop", 2, mailbox)
                stack("start", 2, mailbox, worker_class)
            if only & {"links", "browsing"}:
                found = web_scenarios(data, data_file, sessions, mailbox, today, only, attempt)
                results["web_worker_classes"][found["web"]["worker_class"]] = found
                keep(results)
            if attempt == 0 and "finalise" in only:
                say("finalisation, 2 consumers")
                results["finalisation_2_consumers"] = finalise(data["links"], sessions)
                results["cold_soffice_per_minute"] = cold_soffice_per_minute()
                keep(results)

        if "soak" in only:
            say(f"soak for {SOAK} s")
            procs = stack_processes()
            start_rss = {kind: rss_mb(p) for kind, p in procs.items()}
            sent_before = len(mailbox.messages)
            soak = locust("SupervisorUser BulkStartUser", 11, SOAK, data_file, "soak", f"http://127.0.0.1:{PORT}")
            end_rss = {kind: rss_mb(p) for kind, p in procs.items()}
            time.sleep(15)
            left = eventually("the queue to drain", lambda: None if any((w := lost(sessions)).values()) else w, 300)
            results["soak"] = {"web": web_settings(), "requests": soak, "rss_mb_start": start_rss,
                               "rss_mb_end": end_rss, "tasks_lost": left,
                               "emails_during_soak": len(mailbox.messages) - sent_before,
                               "emails_sent_twice": mailbox.sent_twice()}
    finally:
        stack("stop", 2, mailbox)
        mailbox.controller.stop()
        sessions.kw["bind"].dispose()
    keep(results)
    print_report(results)


def keep(results: dict[str, Any]) -> None:
    """The figures so far, in instance/loadbench/results.json (a failed step leaves the others)."""
    (STATE / "results.json").write_text(json.dumps(results, indent=2, default=str))


def _ms(stats: dict[str, Any], name: str, *quantiles: str) -> str:
    s = stats.get(name)
    return "/".join(f"{s[q]:.0f}" for q in quantiles) + " ms" if s else "-"


def web_rows(r: dict[str, Any]) -> list[tuple[str, Callable[[dict[str, Any]], str]]]:
    """The links and browsing figures, one row each, a function of one worker class's results."""
    def links(f: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
        return lambda c: f(c["sign_links"]) if "sign_links" in c else "-"

    def browsing(f: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
        return lambda c: f(c["browsing"]) if "browsing" in c else "-"

    def errors(stats: dict[str, Any]) -> str:
        return f"{sum(s['failures'] for s in stats.values())} / {sum(s['429'] for s in stats.values())}"

    records = f"{r['database']['record']:,}"
    return [
        ("gunicorn", lambda c: f"{c['web']['workers']} x {c['web']['worker_class']}, {c['web']['threads']} thr."),
        ("links, 50 at once: link page p50/p95 (target p95 < 50 ms)", links(lambda k: _ms(k["fifty_at_once"], "link page", "p50", "p95"))),
        ("links, 50 at once: review PDF p95", links(lambda k: _ms(k["fifty_at_once"], "review PDF", "p95"))),
        ("links, 50 at once: decision p95", links(lambda k: _ms(k["fifty_at_once"], "decision", "p95"))),
        ("links, 50 at once: errors / 429s", links(lambda k: errors(k["fifty_at_once"]))),
        ("links, 50 at once: decided of 50 / more than once",
         links(lambda k: f"{k['records_decided']} / {k['decided_more_than_once']}")),
        ("links, 1 user: link page p50/p95", links(lambda k: _ms(k["baseline_1_user"], "link page", "p50", "p95"))),
        (f"browsing {records} records, 20 at once: dashboard p50/p95 (target 100)",
         browsing(lambda b: _ms(b["twenty_at_once"], "dashboard", "p50", "p95"))),
        ("browsing, 20 at once: record p50/p95 (target 100)", browsing(lambda b: _ms(b["twenty_at_once"], "record", "p50", "p95"))),
        ("browsing, 20 at once: report p50/p95 (target 300)",
         browsing(lambda b: _ms(b["twenty_at_once"], "compliance report", "p50", "p95"))),
        ("browsing, 20 at once: requests / errors",
         browsing(lambda b: f"{sum(s['count'] for s in b['twenty_at_once'].values())} / "
                            f"{sum(s['failures'] for s in b['twenty_at_once'].values())}")),
        ("browsing, 1 user: dashboard/record/report p95",
         browsing(lambda b: "/".join(f"{b['baseline_1_user'][n]['p95']:.0f}" if n in b["baseline_1_user"] else "-"
                                     for n in ("dashboard", "record", "compliance report")) + " ms")),
    ]


def print_report(r: dict[str, Any]) -> None:
    print(f"\ndocgen under load: {r['machine']['cpus']} CPUs, {r['machine']['memory_gb']} GB, "
          f"load average at start {r['machine']['load_average_at_start'][0]:.1f}; "
          f"scenarios {', '.join(r['settings']['scenarios'])}")
    classes = r["web_worker_classes"]
    if classes:
        rows = web_rows(r)
        width = max(len(label) for label, _ in rows)
        print("Sign links at 9 a.m. (through nginx, one address) and supervisors browsing, per web worker class:")
        print(f"  {'':{width}}  " + "  ".join(f"{name:>22}" for name in classes))
        for label, figure in rows:
            print(f"  {label:{width}}  " + "  ".join(f"{figure(c):>22}" for c in classes.values()))
    for key, consumers in (("bulk_start_1_consumer", 1), ("bulk_start_2_consumers", 2)):
        if key in r and "target_seconds" in r[key]:
            b = r[key]
            print(f"Bulk start, {consumers} consumer(s): {b['done']} of {b['total']} in {b['seconds']} s "
                  f"({b['failed']} failed; {b['distinct_counts_seen']} progress counts seen) vs target "
                  f"{b['target_seconds']} s = 1.5 x {b['total']} x {r['raw_docxtpl_render_ms']} ms raw docxtpl / {consumers}")
    if "finalisation_2_consumers" in r:
        f1, f2 = r["finalisation_1_consumer"], r["finalisation_2_consumers"]
        print(f"Finalisation: {f1['per_minute']}/min with 1 consumer, {f2['per_minute']}/min with 2; cold soffice one "
              f"after another {r['cold_soffice_per_minute']}/min (2 consumers = "
              f"{f2['per_minute'] / r['cold_soffice_per_minute']:.1f}x; target >= 6x)")
    if "soak" in r:
        s = r["soak"]
        print(f"Soak {r['settings']['soak_seconds']} s ({s['web']['worker_class']} web workers): RSS MB web "
              f"{s['rss_mb_start']['web']} -> {s['rss_mb_end']['web']}, consumers {s['rss_mb_start']['consumer']} -> "
              f"{s['rss_mb_end']['consumer']}; tasks lost {s['tasks_lost']}; e-mails {s['emails_during_soak']}, "
              f"sent twice {s['emails_sent_twice']}")


if __name__ == "__main__":
    main()
