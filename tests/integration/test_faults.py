"""Faults in the parts docgen depends on, injected for real: the S3 endpoint stopped during filing,
the process SIGKILLed between writing an object and committing its row, PostgreSQL dropping the
app's connections mid-request, LibreOffice killed mid-conversion.

Each ends the same way: nothing lost (the document is filed once the fault is gone), nothing twice
(one row and one object per file, one link e-mailed), and a clear state for the user (a 503 saying
"try again" and the record still a draft, never a 500).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import boto3
import psycopg
import pytest
from botocore.config import Config as BotoConfig
from moto.server import ThreadedMotoServer
from pypdf import PdfReader
from sqlalchemy import func, select

from kernel.config import Config
from documents.pdf import Converter
from kernel import clock
from storage import filing
from storage.backends.base import DocumentStore
from storage.backends.s3 import S3Store
from storage.models import AuditEvent, DocumentVersion, Record
from tests.e2e.test_web_pages import HTML, post, sign_in, text
from tests.integration.test_pdf_seal import libreoffice_pid
from tests.mailbox import Mailbox
from tests.sealing import mailing_and_sealing
from workflows import pipeline, retention, signoff

REGION = "eu-west-2"
WORKER = "worker@knowsley.example.org"
LATER = dt.timedelta(hours=7)  # past filing.ORPHAN_AGE: the orphan sweep may take what is left


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


def draft(client: Any, org: Any) -> int:
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"},
                         headers=org.auth("manager"))
    assert record.status_code == 201, record.json
    return record.json["id"]


def send(client: Any, org: Any, record_id: int) -> Any:
    return client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager"))


def status(client: Any, org: Any, record_id: int) -> str:
    return client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json["status"]


def filed(app: Any, record_id: int, kind: str = "docx") -> list[DocumentVersion]:
    with app.extensions["docgen"].sessions() as db:
        return list(db.scalars(select(DocumentVersion).where(DocumentVersion.record_id == record_id,
                                                             DocumentVersion.kind == kind)))


def objects(store: DocumentStore) -> list[str]:
    return sorted(key for key, _written in store.list_keys(filing.FILED_PREFIX))


def links_mailed(mailbox: Mailbox) -> int:
    return sum(1 for message in mailbox.emails() if message["To"] == WORKER)


def sweep_later(app: Any) -> list[str]:
    """The daily retention run, hours after the fault; returns what it destroyed as orphans."""
    services = app.extensions["docgen"]
    before = set(objects(services.store))
    clock.set_clock(lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + LATER)
    try:
        with services.unit_of_work() as uow:
            retention.run(uow, clock.today())
    finally:
        clock.set_clock(None)
    return sorted(before - set(objects(services.store)))


def orphan_entries(app: Any) -> int:
    with app.extensions["docgen"].sessions() as db:
        return db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "storage.orphans_destroyed"))


def assert_unavailable(response: Any) -> None:
    """A clear answer: 503, the error's code and a message saying to try again, no stack trace."""
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "unavailable"
    assert "try again" in response.json["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)


# --- the S3 endpoint down during filing ---------------------------------------------------------


@dataclass
class Endpoint:
    """A private moto S3 server for one test: stopped and started again on the same port."""

    port: int
    server: ThreadedMotoServer

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()


@pytest.fixture
def s3(app: Any) -> Iterator[Endpoint]:
    """The app's documents in an Object Lock bucket behind a moto server only this test uses."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = Endpoint(server.get_host_and_port()[1], server)
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{endpoint.port}", region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=BotoConfig(retries={"total_max_attempts": 2}, connect_timeout=2, read_timeout=10))
    bucket = f"docgen-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION},
                         ObjectLockEnabledForBucket=True)
    app.extensions["docgen"].store = S3Store(bucket, client=client, prefix="docgen")
    yield endpoint
    endpoint.stop()


def test_sending_while_s3_is_down_answers_503_and_files_once_when_retried(app: Any, client: Any, org: Any,
                                                                          mailbox: Mailbox, s3: Endpoint) -> None:
    record_id = draft(client, org)
    s3.stop()

    assert_unavailable(send(client, org, record_id))
    assert status(client, org, record_id) == signoff.DRAFT
    assert filed(app, record_id) == [] and links_mailed(mailbox) == 0

    s3.start()
    retried = send(client, org, record_id)

    assert retried.status_code == 200, retried.json
    [docx] = filed(app, record_id)
    store = app.extensions["docgen"].store
    assert docx.storage_key in objects(store) and len(filed(app, record_id, "review_pdf")) == 1
    assert objects(store) == sorted(row.storage_key for kind in ("docx", "review_pdf") for row in filed(app, record_id, kind))
    assert links_mailed(mailbox) == 1
    assert sweep_later(app) == []  # nothing was left behind to sweep


class _StopsBeforeReadBack:
    """The app's S3 store, but the endpoint goes down after the object is written and before filing
    reads it back: the rollback then cannot remove the object either."""

    def __init__(self, store: DocumentStore, endpoint: Endpoint) -> None:
        self._store, self._endpoint = store, endpoint

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def get(self, key: str) -> bytes:
        self._endpoint.stop()
        return self._store.get(key)


def test_s3_lost_after_the_write_leaves_an_orphan_that_the_sweep_destroys(app: Any, client: Any, org: Any,
                                                                          mailbox: Mailbox, s3: Endpoint,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    services = app.extensions["docgen"]
    s3_store = services.store
    record_id = draft(client, org)
    services.store = _StopsBeforeReadBack(s3_store, s3)

    with caplog.at_level(logging.ERROR, logger="storage.uow"):
        assert_unavailable(send(client, org, record_id))
    assert any("could not destroy" in r.getMessage() for r in caplog.records)
    services.store = s3_store
    s3.start()
    [orphan] = objects(s3_store)
    assert status(client, org, record_id) == signoff.DRAFT and filed(app, record_id) == []

    assert send(client, org, record_id).status_code == 200
    assert sweep_later(app) == [orphan]
    assert sweep_later(app) == []  # idempotent

    [docx] = filed(app, record_id)
    assert orphan not in objects(s3_store) and docx.storage_key in objects(s3_store)
    assert orphan_entries(app) == 1 and links_mailed(mailbox) == 1


# --- the process killed between writing an object and committing its row ------------------------

# Runs the real send in a process of its own, which stops at the commit (the object is written,
# its row is not committed) and tells the test, which then SIGKILLs it.
CHILD = """
import json, sys, time
from pathlib import Path
from docgen.app import create_app
from kernel.config import Config
from storage.uow import UnitOfWork

settings = json.loads(sys.argv[1])
app = create_app(Config(**{**settings, "instance_path": Path(settings["instance_path"])}))

def killed_here(self):
    print("object written, row not committed", flush=True)
    time.sleep(600)

UnitOfWork.commit = killed_here
app.test_client().post(f"/api/v1/records/{sys.argv[2]}/send", headers={"Authorization": "Bearer " + sys.argv[3]})
"""


def test_a_process_killed_before_its_commit_leaves_one_orphan_and_the_retry_files_once(
        app: Any, client: Any, org: Any, mailbox: Mailbox, config: Config) -> None:
    store = app.extensions["docgen"].store
    record_id = draft(client, org)
    settings = {"env": "test", "instance_path": str(config.instance_path), "database_url": config.database_url,
                "secret_key": config.secret_key, "tasks_url": "memory", "smtp_port": config.smtp_port,
                "base_url": config.base_url}
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(settings), str(record_id),
                              org.tokens["manager"]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "object written, row not committed", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    [orphan] = objects(store)
    assert filed(app, record_id) == [] and status(client, org, record_id) == signoff.DRAFT
    with app.extensions["docgen"].sessions() as db:
        assert filing.orphans(db, store, clock.now()) == []  # too recent: its transaction might still be open
        assert filing.orphans(db, store, clock.now() + LATER) == [orphan]

    assert send(client, org, record_id).status_code == 200
    assert sweep_later(app) == [orphan]
    assert sweep_later(app) == []

    [docx] = filed(app, record_id)
    assert orphan not in objects(store)
    assert objects(store) == sorted([docx.storage_key, filed(app, record_id, "review_pdf")[0].storage_key])
    assert links_mailed(mailbox) == 1 and orphan_entries(app) == 1


# --- PostgreSQL dropping the app's connections ----------------------------------------------------


def drop_connections(database_url: str) -> int:
    """What a server restart does to the app: every backend on its database ends (from a separate
    connection; only this test's private database is touched). Returns how many ended."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        return len(admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall())


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_postgres_dropping_connections_between_and_during_requests(app: Any, client: Any, org: Any,
                                                                   mailbox: Mailbox, config: Config,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store = app.extensions["docgen"].store
    record_id = draft(client, org)

    assert drop_connections(config.database_url) >= 1  # between requests: the pool's connection dies idle
    assert client.get(f"/api/v1/records/{record_id}", headers=org.auth("manager")).status_code == 200

    send_link = signoff.send

    def connection_lost_mid_send(*args: Any, **kwargs: Any) -> Any:
        # The DOCX is filed and its row flushed; the link and the status change come next.
        drop_connections(config.database_url)
        return send_link(*args, **kwargs)

    monkeypatch.setattr(signoff, "send", connection_lost_mid_send)
    assert_unavailable(send(client, org, record_id))
    monkeypatch.setattr(signoff, "send", send_link)

    assert status(client, org, record_id) == signoff.DRAFT  # the next request is served again
    assert filed(app, record_id) == [] and objects(store) == [] and links_mailed(mailbox) == 0

    assert send(client, org, record_id).status_code == 200
    assert len(filed(app, record_id)) == 1 and links_mailed(mailbox) == 1


# --- LibreOffice killed mid-conversion, in the finalise task --------------------------------------

LONG_DISCUSSION = "\n".join(
    f"Visit {i}: plan reviewed with the family and partner agencies; the school's concerns shared with "
    "the parents, next statutory visit booked and the chronology brought up to date." for i in range(300))


@pytest.mark.libreoffice
def test_libreoffice_killed_mid_conversion_still_files_one_sealed_pdf(app: Any, client: Any, org: Any,
                                                                      mailbox: Mailbox,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    services = app.extensions["docgen"]
    record_id = draft(client, org)
    with services.sessions.begin() as db:  # long discussions: a warm conversion then takes seconds
        record = db.get_one(Record, record_id)
        record.sections = {area.key: {"discussion": LONG_DISCUSSION}
                           for area in services.profile.record_kinds[record.kind].areas}
    assert send(client, org, record_id).status_code == 200
    with services.sessions.begin() as db:  # signed by both, its finalise task not run yet
        record = db.get_one(Record, record_id)
        record.status = signoff.SIGNED
        version = record.version

    converter = Converter()  # its own: the kill must not disturb the session's shared one
    converter.start()
    assert converter.wait_ready(60)
    convert = converter.convert

    def convert_while_killing(docx: bytes) -> bytes:
        converting, armed = threading.Event(), threading.Event()
        killer = threading.Thread(target=kill_once_busy, args=(converter.pid, armed, converting, killed))
        killer.start()
        armed.wait()
        try:
            return convert(docx)
        finally:
            converting.set()
            killer.join()

    killed = threading.Event()
    converter.convert = convert_while_killing  # type: ignore[method-assign]
    services.converter = lambda: converter
    try:
        with caplog.at_level(logging.WARNING, logger="documents.pdf"), services.unit_of_work() as uow:
            final = pipeline.finalise(uow, "record", record_id, version)
            assert final is not None
            final_id = final.id
        with services.unit_of_work() as uow:  # the task retried, or the sweep's duplicate
            again = pipeline.finalise(uow, "record", record_id, version)
            assert again is not None and again.id == final_id
            assert pipeline.unfinalised(uow) == []
    finally:
        converter.stop()

    assert killed.is_set()  # LibreOffice died while working on the document
    assert any("warm conversion failed" in r.getMessage() for r in caplog.records)
    [row] = filed(app, record_id, "final_pdf")
    pdf = client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth("manager")).data
    assert client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf), "record.pdf")},
                       headers=org.auth("manager")).json["status"] == "genuine"
    assert "Signature and audit certificate" in "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert row.id == final_id


BUSY_TICKS = 10  # 0.1 s of CPU: past unoserver's connection check, into the document itself


def kill_once_busy(group: int, armed: threading.Event, done: threading.Event, killed: threading.Event) -> None:
    """SIGKILL unoserver and its LibreOffice once soffice.bin has spent CPU time on the document
    sent to it: in the middle of the conversion, not before or after it. Armed only once soffice
    is idle (a freshly started one is still busy setting itself up)."""
    soffice = libreoffice_pid(group)
    idle = -1
    while idle != (idle := _cpu_ticks(soffice)):
        time.sleep(0.3)
    armed.set()
    while not done.wait(0.005):
        if _cpu_ticks(soffice) > idle + BUSY_TICKS:
            os.killpg(group, signal.SIGKILL)
            killed.set()
            return


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_a_supervisor_sending_from_the_page_while_s3_is_down_is_told_to_try_again(app: Any, client: Any, org: Any,
                                                                                  mailbox: Mailbox, s3: Endpoint) -> None:
    record_id = draft(client, org)
    sign_in(client, "manager")
    s3.stop()

    page = post(client, f"/records/{record_id}/send", {}, page=f"/records/{record_id}/edit")

    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "try again" in text(page) and "Traceback" not in text(page)
    assert status(client, org, record_id) == signoff.DRAFT and filed(app, record_id) == []
    s3.start()
    assert post(client, f"/records/{record_id}/send", {}, page=f"/records/{record_id}/edit").status_code == 302
    assert client.get(f"/records/{record_id}/edit", headers=HTML).status_code == 200
    assert links_mailed(mailbox) == 1
