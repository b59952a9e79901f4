"""E-mail through the outbox: written with the change it reports, sent only after that change
commits, retried until the mail server takes it, and sent once (or, after a crash between sending
and recording it, again with the same Message-ID: at-least-once). A sign-off link travels only in
the e-mail: the database holds it sealed until sent, and never in clear.

A real SMTP server (aiosmtpd) on 127.0.0.1 captures what is sent. Tasks run inline
(DOCGEN_TASKS_URL=memory) except in the end-to-end tests, which run real Huey consumers; the
Redis fault test runs a private redis-server of its own, so stopping it disturbs nobody else.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from docgen.app import create_app
from documents import mailer
from storage.db import make_engine, upgrade
from storage.models import DocumentVersion
from tests.conftest import _pg_database
from tests.mailbox import Mailbox, ReservedPort, smtp_server_on, text_of
from tests.waiting import wait_until
from docgen.bootstrap import build, connect_queue
from workflows.deployment import Deployment
from kernel.config import Config, ConfigError
from storage.models import OutboxMessage
from docgen.tasks import TaskQueue
from docgen.worker import run_worker, start_embedded_consumer
from kernel import clock
from workflows import notifications
from workflows.notifications import MAX_ATTEMPTS, Attachment, due_for_delivery, queue_email

SUPERVISEE = "alex.morgan@knowsley.example.org"
THREADS = 10
LINK = re.compile(r"https://docgen\.knowsley\.example\.org/sign/([A-Za-z0-9_-]{43})")
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//docgen//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
       b"UID:session-1@docgen\r\nDTSTART:20250310T100000Z\r\nSUMMARY:Supervision\r\nEND:VEVENT\r\n"
       b"END:VCALENDAR\r\n")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return replace(config, smtp_port=smtp_server.port, mail_from="supervision@knowsley.example.org",
                   base_url="https://docgen.knowsley.example.org")


@pytest.fixture
def services(app: Any) -> Deployment:
    """The app's deployment; its tasks run inline (DOCGEN_TASKS_URL=memory)."""
    return app.extensions["docgen"]


def _with_config(services: Deployment, **changes: Any) -> Deployment:
    return replace(services, config=replace(services.config, **changes))


def _record_ready_for_signoff(services: Deployment, attachments: tuple[Attachment, ...] = ()) -> int:
    with services.sessions.begin() as db:
        message = queue_email(db, to=SUPERVISEE, subject="Supervision record ready for your sign-off",
                              text="Please read and sign your record of 10 March.",
                              html="<p>Please read and sign your record of <strong>10 March</strong>.</p>",
                              attachments=attachments)
    return message.id


def _outbox_row(services: Deployment, message_id: int) -> OutboxMessage:
    with services.sessions() as db:
        return db.get_one(OutboxMessage, message_id)


def _later(minutes: int) -> None:
    start = clock.now()
    clock.set_clock(lambda: start + dt.timedelta(minutes=minutes))


def test_committed_email_arrives_with_text_html_and_attachments(services: Deployment, mailbox: Mailbox) -> None:
    message_id = _record_ready_for_signoff(services, (
        Attachment("supervision.ics", "text/calendar; method=REQUEST", ICS),
        Attachment("record.pdf", "application/pdf", PDF)))

    [envelope] = mailbox.envelopes
    assert envelope.mail_from == "supervision@knowsley.example.org" and envelope.rcpt_tos == [SUPERVISEE]
    [sent] = mailbox.emails()
    assert sent["Subject"] == "Supervision record ready for your sign-off"
    assert sent.get_body(("plain",)).get_content().strip() == "Please read and sign your record of 10 March."
    assert "<strong>10 March</strong>" in sent.get_body(("html",)).get_content()
    invitation, record = sent.iter_attachments()
    assert invitation.get_filename() == "supervision.ics" and invitation.get_content_type() == "text/calendar"
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_content().replace("\r\n", "\n") == ICS.decode().replace("\r\n", "\n")
    assert record.get_filename() == "record.pdf" and record.get_content() == PDF
    row = _outbox_row(services, message_id)
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert sent["Message-ID"] == row.message_id
    assert row.message_id.startswith(f"<outbox.{message_id}.")
    assert row.message_id.endswith("@docgen.knowsley.example.org>")


def test_nothing_is_sent_before_the_change_commits(services: Deployment, mailbox: Mailbox) -> None:
    with services.sessions() as db:
        queue_email(db, to=SUPERVISEE, subject="Record signed", text="Your supervisor has countersigned.")
        db.flush()
        assert mailbox.envelopes == []
        db.commit()
    assert len(mailbox.envelopes) == 1


def test_rolled_back_change_sends_nothing(services: Deployment, mailbox: Mailbox) -> None:
    with services.sessions() as db:
        queue_email(db, to=SUPERVISEE, subject="Record signed", text="Your supervisor has countersigned.")
        db.rollback()
    _later(60)
    services.enqueue("sweep_outbox")
    assert mailbox.envelopes == []
    with services.sessions() as db:
        assert db.query(OutboxMessage).count() == 0


def test_smtp_down_then_up_delivers_exactly_once(services: Deployment) -> None:
    reserved = ReservedPort()  # nothing listens here yet: the mail server is down
    port = reserved.port
    tasks = connect_queue(_with_config(services, smtp_port=port))
    services.enqueue = tasks.enqueue  # the app's units of work deliver through it
    message_id = _record_ready_for_signoff(services)

    failed = _outbox_row(services, message_id)
    assert failed.sent_at is None and failed.attempts == 1
    assert f"127.0.0.1:{port}" in failed.last_error

    with reserved, smtp_server_on(reserved) as mailbox:
        tasks.enqueue("sweep_outbox")  # too soon: the next attempt is due a minute after the first
        assert mailbox.envelopes == []
        _later(2)
        tasks.enqueue("sweep_outbox")
        assert len(mailbox.envelopes) == 1
        _later(60)
        tasks.enqueue("sweep_outbox")
        tasks.enqueue("deliver_email", message_id)
        assert len(mailbox.envelopes) == 1

    delivered = _outbox_row(services, message_id)
    assert delivered.sent_at is not None and delivered.attempts == 2 and delivered.last_error == ""


def test_crash_after_sending_resends_with_the_same_message_id(services: Deployment, mailbox: Mailbox,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """At-least-once: a crash between the server's "250 OK" and the commit that marks the row sent
    rolls the mark back, so the message goes again; its Message-ID shows it is the same message."""
    real_send = mailer.send

    def send_then_crash(letter: mailer.Letter, config: Config) -> str:
        real_send(letter, config)
        raise RuntimeError("worker killed before marking the message sent")

    monkeypatch.setattr(mailer, "send", send_then_crash)
    message_id = _record_ready_for_signoff(services)
    assert len(mailbox.envelopes) == 1
    assert _outbox_row(services, message_id).sent_at is None

    monkeypatch.undo()
    _later(2)
    services.enqueue("sweep_outbox")  # the crashed delivery's lease has not run out yet
    assert len(mailbox.envelopes) == 1
    _later(6)
    services.enqueue("sweep_outbox")
    first, second = mailbox.emails()
    row = _outbox_row(services, message_id)
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert row.sent_at is not None


def _database_writable_now(services: Deployment, message_id: int) -> bool:
    """Could another request write while this runs? SQLite: take the write lock without waiting;
    PostgreSQL: lock the outbox row without waiting."""
    url = services.config.resolved_database_url
    if url.startswith("sqlite:///"):
        probe = sqlite3.connect(url[len("sqlite:///"):], timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # "database is locked"
            return False
        finally:
            probe.close()
    with services.sessions() as db:
        try:
            db.execute(select(OutboxMessage.id).where(OutboxMessage.id == message_id).with_for_update(nowait=True))
            return True
        except OperationalError:  # "could not obtain lock on row"
            return False


def test_no_transaction_is_held_while_the_mail_server_talks(services: Deployment, mailbox: Mailbox,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow relay must not stall the web requests: the row is claimed and the claim committed
    before the SMTP conversation, and marked sent in a transaction of its own after it."""
    real_send = mailer.send
    writable: list[bool] = []

    def send_and_probe(letter: mailer.Letter, config: Config) -> str:
        writable.append(_database_writable_now(services, letter.outbox_id))
        return real_send(letter, config)

    monkeypatch.setattr(mailer, "send", send_and_probe)
    message_id = _record_ready_for_signoff(services)
    assert writable == [True] and len(mailbox.envelopes) == 1
    assert _outbox_row(services, message_id).sent_at is not None


def test_ten_workers_delivering_one_message_at_once_send_it_once(app: Any, services: Deployment, mailbox: Mailbox,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The post-commit task, a sweep and a stray retry may all reach one message together: the
    claim lets one of them send it; the others find it claimed or sent and do nothing."""
    monkeypatch.setattr(app.extensions["docgen.tasks"].huey, "immediate", False)  # held back: nobody sends yet
    message_id = _record_ready_for_signoff(services)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def deliver() -> None:
        with services.sessions() as db:
            barrier.wait()
            outcomes.append(notifications.deliver(db, message_id, lambda letter: mailer.send(letter, services.config)))

    workers = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert Counter(outcomes) == {"sent": 1, "skipped": THREADS - 1}
    assert len(mailbox.envelopes) == 1 and _outbox_row(services, message_id).attempts == 1


def test_sweep_waits_for_backoff_and_gives_up_after_max_attempts(services: Deployment) -> None:
    written = dt.datetime(2025, 3, 10, 9, 0)
    with services.sessions.begin() as db:
        for attempts in (0, 3, MAX_ATTEMPTS):
            db.add(OutboxMessage(to_address=SUPERVISEE, subject=f"after {attempts}", text_body="-",
                                 created_at=written, attempts=attempts))
    with services.sessions() as db:
        fresh, thrice, exhausted = (m.id for m in db.query(OutboxMessage).order_by(OutboxMessage.id))
        assert due_for_delivery(db, written + dt.timedelta(seconds=59)) == []
        assert due_for_delivery(db, written + dt.timedelta(minutes=1)) == [fresh]
        assert due_for_delivery(db, written + dt.timedelta(minutes=6)) == [fresh]
        assert due_for_delivery(db, written + dt.timedelta(minutes=7)) == [fresh, thrice]
        assert exhausted not in due_for_delivery(db, written + dt.timedelta(days=30))


def test_tasks_url_chooses_the_queue(tmp_path: Path) -> None:
    def configured(tasks_url: str) -> tuple[Deployment, TaskQueue]:
        services = build(Config(env="test", instance_path=tmp_path, database_url=f"sqlite:///{tmp_path}/d.db",
                                tasks_url=tasks_url))
        return services, connect_queue(services)

    services, queue = configured("memory")
    assert services.enqueue == queue.enqueue and queue.huey.immediate
    _, queue = configured(f"sqlite:///{tmp_path}/queue/tasks.db")
    assert not queue.huey.immediate and queue.huey.storage.filename == f"{tmp_path}/queue/tasks.db"
    _, queue = configured("redis://127.0.0.1:6379/0?queue=docgen_stockport")
    assert queue.huey.storage.name == "docgen_stockport"
    assert queue.huey.storage.conn.connection_pool.connection_kwargs["db"] == 0
    with pytest.raises(ConfigError, match="DOCGEN_TASKS_URL"):
        configured("amqp://127.0.0.1")
    with pytest.raises(ConfigError, match="no queue to consume"):
        run_worker(configured("memory")[1])


def _consumer_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "Scheduler" or t.name.startswith("Worker-")]


def test_embedded_consumer_delivers_from_the_sqlite_queue_and_stops(services: Deployment, mailbox: Mailbox,
                                                                     tmp_path: Path) -> None:
    queued = _with_config(services, tasks_url=f"sqlite:///{tmp_path}/tasks.db")
    stop = start_embedded_consumer(connect_queue(queued))
    try:
        message_id = _record_ready_for_signoff(queued)
        wait_until(lambda: _outbox_row(services, message_id).sent_at is not None, "the consumer to deliver the e-mail")
    finally:
        stop()
    assert len(mailbox.envelopes) == 1 and _consumer_threads() == []


def test_worker_process_delivers_from_redis_and_stops_on_sigterm(services: Deployment, mailbox: Mailbox,
                                                                  tmp_path: Path) -> None:
    tasks_url = f"redis://127.0.0.1:6379/0?queue=docgen_test_{uuid.uuid4().hex}"
    queued = _with_config(services, tasks_url=tasks_url)
    queue = connect_queue(queued)
    config = queued.config
    env = {**os.environ, "DOCGEN_ENV": "test", "DOCGEN_INSTANCE_PATH": str(tmp_path / "worker"),
           "DOCGEN_DATABASE_URL": config.database_url, "DOCGEN_TASKS_URL": tasks_url,
           "DOCGEN_SMTP_PORT": str(config.smtp_port), "DOCGEN_MAIL_FROM": config.mail_from,
           "DOCGEN_BASE_URL": config.base_url}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from docgen.bootstrap import build, connect_queue; from kernel.config import from_env; "
                               "from docgen.worker import run_worker; run_worker(connect_queue(build(from_env())))"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        message_id = _record_ready_for_signoff(queued)
        # A new Python process imports docgen before it consumes: seconds on a quiet machine, and
        # 20 s was once not enough with the suite and more beside it on two cores.
        wait_until(lambda: _outbox_row(services, message_id).sent_at is not None,
                   "the worker process to deliver the e-mail", seconds=90)
        assert len(mailbox.envelopes) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        queue.huey.flush()
    assert worker.returncode == 0, output


# --- no live link at rest -------------------------------------------------------------------

def _backup(config: Config) -> bytes:
    """What someone holding the database or a backup of it can read: the SQLite files byte for
    byte (WAL and free pages included), or a pg_dump of the PostgreSQL database's rows."""
    url = config.resolved_database_url
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return b"".join(part.read_bytes() for part in sorted(path.parent.glob(path.name + "*")))
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--data-only", "--dbname", dsn], check=True, capture_output=True).stdout


def _start_and_send(client: Any, org: Any, supervisee: str) -> Any:
    """The supervisor starts a record for `supervisee` and sends it for sign-off; the answer to the send."""
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids[supervisee], "session_date": "2026-11-02"},
                         headers=org.auth("manager"))
    assert record.status_code == 201, record.json
    return client.post(f"/api/v1/records/{record.json['id']}/send", headers=org.auth("manager"))


def _outbox_to(services: Deployment, address: str) -> list[OutboxMessage]:
    with services.sessions() as db:
        return list(db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                               .order_by(OutboxMessage.id)))


def test_a_sign_off_link_rests_in_the_database_neither_before_nor_after_it_is_sent(
        app: Any, client: Any, org: Any, services: Deployment, config: Config, mailbox: Mailbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    worker = "worker@knowsley.example.org"
    tasks = app.extensions["docgen.tasks"]
    monkeypatch.setattr(tasks.huey, "immediate", False)  # no worker yet: the e-mail waits in the outbox
    sent = _start_and_send(client, org, "worker")
    assert sent.status_code == 200, sent.json
    [waiting] = _outbox_to(services, worker)
    assert waiting.sent_at is None and waiting.sealed_body.startswith("v1.")
    assert "/sign/[redacted]" in waiting.text_body and 'href="https://docgen.knowsley.example.org/sign/[redacted]"' \
        in waiting.html_body
    before_delivery = _backup(config)

    monkeypatch.setattr(tasks.huey, "immediate", True)  # the worker comes: the sweep finds the e-mail
    _later(2)
    services.enqueue("sweep_outbox")
    [email] = mailbox.emails()
    token = LINK.search(text_of(email)).group(1)
    assert f"/sign/{token}" in email.get_body(("html",)).get_content()
    after_delivery = _backup(config)

    for backup in (before_delivery, after_delivery):
        assert b"/sign/[redacted]" in backup  # the scan reads the outbox's rows...
        assert token.encode() not in backup  # ...and the live token is in none of them
    [delivered] = _outbox_to(services, worker)
    assert delivered.sent_at is not None and delivered.sealed_body is None
    assert delivered.text_body == waiting.text_body and email["Message-ID"] == delivered.message_id
    assert client.get(f"/api/v1/sign/{token}").status_code == 200  # the link the supervisee got works


def test_a_sealed_message_copied_onto_another_row_does_not_open(services: Deployment, mailbox: Mailbox) -> None:
    """Someone who can write to the database cannot redirect a link: the sealed body is bound to its
    row and recipient, so pasting it into a message to themselves sends nothing."""
    token = secrets.token_urlsafe(32)
    with services.sessions.begin() as db:  # both wait in the outbox until this commits
        original = queue_email(db, to=SUPERVISEE, subject="Please sign", text=f"/sign/{token}", redact=(token,))
        theirs = queue_email(db, to="intruder@example.net", subject="Please sign", text="-")
        theirs.sealed_body = original.sealed_body

    assert [e.rcpt_tos for e in mailbox.envelopes] == [[SUPERVISEE]]
    assert token in text_of(mailbox.emails()[0])
    stolen = _outbox_row(services, theirs.id)
    assert stolen.sent_at is None and "sealed for another row" in stolen.last_error


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrading_redacts_the_links_in_e_mails_already_sent(backend: str, tmp_path: Path) -> None:
    """Databases written before the outbox sealed its e-mails held live links in the sent ones."""
    databases = iter([f"sqlite:///{tmp_path}/before.db"]) if backend == "sqlite" else _pg_database()
    url = next(databases)
    sent_token, unsent_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    upgrade(url, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for token, sent_at in ((sent_token, dt.datetime(2026, 11, 2, 9)), (unsent_token, None)):
                link = f"https://docgen.knowsley.example.org/sign/{token}"
                conn.execute(text("INSERT INTO outbox_message (to_address, subject, text_body, html_body, attachments, "
                                  "created_at, sent_at, attempts, last_error, message_id) VALUES (:to, 'Please sign', "
                                  ":text, :html, '[]', :at, :sent_at, 0, '', '')"),
                             {"to": SUPERVISEE, "text": f"Open {link}\n", "html": f'<a href="{link}">Sign</a>',
                              "at": dt.datetime(2026, 11, 2, 9), "sent_at": sent_at})
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT text_body, html_body, sealed_body FROM outbox_message ORDER BY id")).all()
    finally:
        engine.dispose()
        for _ in databases:  # drops the PostgreSQL database
            pass
    sent, unsent = rows
    assert sent_token not in sent.text_body + sent.html_body
    assert "/sign/[redacted]" in sent.text_body and 'href="https://docgen.knowsley.example.org/sign/[redacted]"' \
        in sent.html_body
    assert unsent_token in unsent.text_body  # not yet sent: it goes out as written
    assert sent.sealed_body is None and unsent.sealed_body is None


# --- faults: the mail server down, Redis down -----------------------------------------------

def _sign_link_email(services: Deployment, n: int) -> tuple[str, str]:
    """Queue an e-mail carrying a fresh sign-off link; its subject (unique) and token."""
    token, subject = secrets.token_urlsafe(32), f"Please sign: supervision record {n}"
    url = f"https://docgen.knowsley.example.org/sign/{token}"
    with services.sessions.begin() as db:
        queue_email(db, to=SUPERVISEE, subject=subject, text=f"Open {url} to sign.\n",
                    html=f'<p><a href="{url}">Open the record to sign</a></p>', redact=(token,))
    return subject, token


def _lost_and_duplicated(expected: list[str], received: list[EmailMessage]) -> tuple[list[str], list[str]]:
    """Subjects expected but never received, and subjects received more than once."""
    counts = Counter(str(e["Subject"]) for e in received)
    return [s for s in expected if counts[s] == 0], sorted(s for s, n in counts.items() if n > 1)


def test_messages_queued_while_the_mail_server_is_down_arrive_once_when_it_is_back(services: Deployment) -> None:
    reserved = ReservedPort()  # the mail server's port, held while it is down too
    port = reserved.port
    tasks = connect_queue(_with_config(services, smtp_port=port))
    services.enqueue = tasks.enqueue  # the app's units of work deliver through it
    with smtp_server_on(reserved) as before_outage:
        sent_early = [_sign_link_email(services, n) for n in range(2)]
    # The fault: the mail server stops. Five more links are sent for sign-off meanwhile.
    queued = [_sign_link_email(services, n) for n in range(2, 7)]
    _later(2)
    tasks.enqueue("sweep_outbox")  # the sweep's retry finds it still down
    with services.sessions() as db:
        waiting = list(db.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))))
    assert sorted(m.subject for m in waiting) == sorted(subject for subject, _ in queued)
    assert all(m.attempts == 2 and f"127.0.0.1:{port}" in m.last_error and m.sealed_body for m in waiting)

    with reserved, smtp_server_on(reserved) as after_outage:  # back on the same port
        _later(5)
        tasks.enqueue("sweep_outbox")
        _later(60)  # and later sweeps and stray tasks find nothing left to send
        tasks.enqueue("sweep_outbox")
        for message in waiting:
            tasks.enqueue("deliver_email", message.id)

    received = before_outage.emails() + after_outage.emails()
    expected = dict(sent_early + queued)
    lost, duplicated = _lost_and_duplicated(list(expected), received)
    assert (len(received), lost, duplicated) == (7, [], [])
    assert len({e["Message-ID"] for e in received}) == 7
    assert all(f"/sign/{expected[str(e['Subject'])]}" in text_of(e) for e in received)
    with services.sessions() as db:
        rows = list(db.scalars(select(OutboxMessage)))
    assert all(r.sent_at and r.sealed_body is None and "/sign/[redacted]" in r.text_body for r in rows)
    assert [r.attempts for r in rows if r.id in {m.id for m in waiting}] == [3] * 5


@dataclass
class PrivateRedis:
    """A redis-server of this test's own on a free port, without persistence: killing it loses
    whatever it held, as a crashed Redis without a snapshot does."""

    port: int
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, f"redis-server on port {self.port} to answer")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None
        self.kills += 1

    def _answers(self) -> bool:
        with redis.Redis(port=self.port, socket_connect_timeout=1) as client:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False


def _unused_port() -> int:
    """A port nothing listens on now. redis-server can neither be handed a socket nor share a port
    (SO_REUSEPORT), and it must come back on the same port after a kill, so this one test still picks
    a number and lets it go (the race issue 26 removes elsewhere; see tests/mailbox.py)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis(_unused_port())
    server.start()
    yield server
    if server.process is not None:
        server.kill()


@pytest.mark.libreoffice
def test_redis_down_while_records_are_sent_loses_and_duplicates_no_email(
        app: Any, config: Config, org: Any, mailbox: Mailbox, private_redis: PrivateRedis, warm_converter: Any) -> None:
    worker, asye = "worker@knowsley.example.org", "asye@knowsley.example.org"
    redis_app = create_app(replace(config, tasks_url=f"{private_redis.url}?queue=docgen_fault_{uuid.uuid4().hex}"))
    deployment = redis_app.extensions["docgen"]
    deployment.converter = warm_converter
    queue: TaskQueue = redis_app.extensions["docgen.tasks"]
    client = redis_app.test_client()
    try:
        received = _send_through_redis_faults(client, org, deployment, queue, private_redis, mailbox)
        lost, duplicated = _lost_and_duplicated([worker, asye], [_keyed_by_recipient(e) for e in received])
        assert (private_redis.kills, len(received), lost, duplicated) == (2, 2, [], [])
        for email in received:
            assert client.get(f"/api/v1/sign/{LINK.search(text_of(email)).group(1)}").status_code == 200
        assert all(m.sent_at and m.attempts == 1 and m.sealed_body is None
                   for m in _outbox_to(deployment, worker) + _outbox_to(deployment, asye))
        assert _review_pdfs(deployment) == 2
    finally:
        queue.huey.storage.conn.connection_pool.disconnect()
        deployment.engine.dispose()


def _send_through_redis_faults(client: Any, org: Any, deployment: Deployment, queue: TaskQueue,
                               private_redis: PrivateRedis, mailbox: Mailbox) -> list[EmailMessage]:
    """Two records sent for sign-off across two Redis failures, then a worker once Redis is back;
    returns the e-mails received."""
    worker, asye = "worker@knowsley.example.org", "asye@knowsley.example.org"
    # 1. Sent while Redis is up, then Redis dies before a worker takes the tasks: they die with it.
    assert _start_and_send(client, org, "worker").status_code == 200
    assert queue.huey.pending_count() == 2  # the e-mail and the review PDF
    private_redis.kill()
    private_redis.start()
    assert queue.huey.pending_count() == 0

    # 2. Sent while Redis is down: the change is made and answered; its work waits in the database.
    private_redis.kill()
    answer = _start_and_send(client, org, "asye")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "awaiting_supervisee"
    private_redis.start()
    assert queue.huey.pending_count() == 0 and mailbox.envelopes == []
    unsent = _outbox_to(deployment, worker) + _outbox_to(deployment, asye)
    assert [(m.sent_at, m.attempts) for m in unsent] == [(None, 0), (None, 0)]

    # 3. Redis is back and a worker starts: the sweeps (each minute, each five) find the work.
    stop = start_embedded_consumer(queue)
    try:
        _later(2)
        queue.enqueue("sweep_outbox")
        queue.enqueue("sweep_review_pdfs")
        wait_until(lambda: len(mailbox.envelopes) == 2 and _review_pdfs(deployment) == 2,
                   "the consumer to deliver both e-mails and make both review PDFs", seconds=60)
        _later(60)  # later sweeps and stray tasks find nothing left to do
        queue.enqueue("sweep_outbox")
        for message in unsent:
            queue.enqueue("deliver_email", message.id)
        wait_until(lambda: queue.huey.pending_count() == 0, "the consumer to empty the queue")
    finally:
        stop()
    return mailbox.emails()


def _review_pdfs(services: Deployment) -> int:
    with services.sessions() as db:
        return len(db.scalars(select(DocumentVersion.id).where(DocumentVersion.kind == "review_pdf")).all())


def _keyed_by_recipient(email: EmailMessage) -> EmailMessage:
    """The e-mail with its recipient as its subject, to count e-mails per recipient."""
    keyed = EmailMessage()
    keyed["Subject"] = email["To"]
    return keyed
