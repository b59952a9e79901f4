"""E-mail through the outbox: written with the change it reports, sent only after that change
commits, retried until the mail server takes it, and sent once (or, after a crash between sending
and recording it, again with the same Message-ID: at-least-once).

A real SMTP server (aiosmtpd) on 127.0.0.1 captures what is sent. Tasks run inline
(DOCGEN_TASKS_URL=memory) except in the end-to-end tests, which run real Huey consumers.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

from docgen.documents import mailer
from tests.mailbox import Mailbox, _free_port, smtp_server_on
from docgen.bootstrap import build, connect_queue
from workflows.deployment import Deployment
from docgen.config import Config, ConfigError
from storage.models import OutboxMessage
from docgen.tasks import TaskQueue
from docgen.worker import run_worker, start_embedded_consumer
from storage import clock
from workflows.notifications import MAX_ATTEMPTS, Attachment, due_for_delivery, queue_email

SUPERVISEE = "alex.morgan@knowsley.example.org"
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


def _wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the consumer did not deliver in time"
        time.sleep(0.05)


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
    port = _free_port()  # nothing listens here yet: the mail server is down
    tasks = connect_queue(_with_config(services, smtp_port=port))  # the app's sessions deliver through it
    message_id = _record_ready_for_signoff(services)

    failed = _outbox_row(services, message_id)
    assert failed.sent_at is None and failed.attempts == 1
    assert f"127.0.0.1:{port}" in failed.last_error

    with smtp_server_on(port) as mailbox:
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

    def send_then_crash(message: OutboxMessage, config: Config) -> str:
        real_send(message, config)
        raise RuntimeError("worker killed before marking the message sent")

    monkeypatch.setattr(mailer, "send", send_then_crash)
    message_id = _record_ready_for_signoff(services)
    assert len(mailbox.envelopes) == 1
    assert _outbox_row(services, message_id).sent_at is None

    monkeypatch.undo()
    _later(2)
    services.enqueue("sweep_outbox")
    first, second = mailbox.emails()
    row = _outbox_row(services, message_id)
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    assert row.sent_at is not None


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
        _wait_until(lambda: _outbox_row(services, message_id).sent_at is not None)
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
        [sys.executable, "-c", "from docgen.bootstrap import build, connect_queue; from docgen.config import from_env; "
                               "from docgen.worker import run_worker; run_worker(connect_queue(build(from_env())))"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        message_id = _record_ready_for_signoff(queued)
        _wait_until(lambda: _outbox_row(services, message_id).sent_at is not None)
        assert len(mailbox.envelopes) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        queue.huey.flush()
    assert worker.returncode == 0, output
