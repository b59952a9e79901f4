"""The main journey with the app's tasks on Redis, as the README's deployment runs them: the
supervisor starts a record and sends it; docgen's own consumer (the one `docgen run` embeds,
consuming the queue `docgen worker` consumes) delivers each e-mail to a real SMTP server and seals
the final PDF with the warm LibreOffice; the PDF is filed, verifies as genuine and goes into HR's
export of the person's file.

Every other e-mail and PDF test runs the tasks inline (DOCGEN_TASKS_URL=memory): here each runs in
a consumer thread, after the request that queued it has answered, through a queue of the test's
own on the machine's Redis (flushed after), on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import replace
from typing import Any, Iterator

import pytest
from huey.storage import RedisStorage
from sqlalchemy import select

from docgen.tasks import TaskQueue
from docgen.worker import start_embedded_consumer
from kernel import clock
from kernel.config import Config
from storage import filing
from storage.models import DocumentVersion
from tests.mailbox import Mailbox, sign_links_for
from tests.sealing import mailing_and_sealing
from tests.waiting import wait_until
from workflows import pipeline

pytestmark = pytest.mark.libreoffice

WORKER, MANAGER = "worker@knowsley.example.org", "manager@knowsley.example.org"
SEALING_SECONDS = 120  # a consumer's LibreOffice conversion and seal, on a busy machine


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    queue = f"docgen_test_{uuid.uuid4().hex}"
    return mailing_and_sealing(replace(config, tasks_url=f"redis://127.0.0.1:6379/0?queue={queue}"), smtp_server.port)


@pytest.fixture
def consumer(app: Any) -> Iterator[TaskQueue]:
    """The app's queue, consumed by docgen's consumer in threads of this process; stopped, and the
    queue flushed from Redis, after the test."""
    queue: TaskQueue = app.extensions["docgen.tasks"]
    stop = start_embedded_consumer(queue)
    try:
        yield queue
    finally:
        stop()
        queue.huey.flush()
        queue.huey.storage.conn.connection_pool.disconnect()


def _link_for(mailbox: Mailbox, address: str) -> str:
    """The token of the sign-off link e-mailed to `address`, once the consumer has delivered it."""
    return wait_until(lambda: sign_links_for(mailbox, address) or None,
                      f"a sign-off link e-mailed to {address} by the consumer")[-1]


def _sign(client: Any, token: str, name: str) -> str:
    answer = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": name})
    assert answer.status_code == 200, answer.json
    return str(answer.json["status"])


def test_a_record_is_sent_signed_sealed_verified_and_exported_by_tasks_on_a_redis_consumer(
        app: Any, client: Any, org: Any, mailbox: Mailbox, consumer: TaskQueue) -> None:
    assert isinstance(consumer.huey.storage, RedisStorage) and not consumer.huey.immediate, \
        "the tasks would run in memory, inline, not on Redis"
    manager = org.auth("manager")
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"},
                          headers=manager)
    assert created.status_code == 201, created.json
    record_id = created.json["id"]
    edited = client.patch(f"/api/v1/records/{record_id}", headers={**manager, "If-Match": created.headers["ETag"]},
                          json={"welfare": {"discussion": "Settled after the team move."}})
    assert edited.status_code == 200, edited.json
    sent = client.post(f"/api/v1/records/{record_id}/send", headers=manager)
    assert sent.status_code == 200 and sent.json["status"] == "awaiting_supervisee", sent.json

    assert _sign(client, _link_for(mailbox, WORKER), "Alex Morgan") == "awaiting_supervisor"
    assert _sign(client, _link_for(mailbox, MANAGER), "Sam Whitfield") == "signed"

    def sealed() -> str | None:
        state = client.get(f"/api/v1/records/{record_id}/signoff", headers=manager).json
        return state.get("final_pdf_sha256") or None
    sha256 = wait_until(sealed, "the consumer to seal the final PDF", SEALING_SECONDS)

    deployment = app.extensions["docgen"]
    with deployment.sessions() as db:
        row = db.scalars(select(DocumentVersion).where(DocumentVersion.record_id == record_id,
                                                       DocumentVersion.kind == "final_pdf")).one()
        pdf = filing.read_document(db, deployment.store, row)  # from the store, checked against its hash
    assert row.sha256 == sha256 and pdf.startswith(b"%PDF-")
    with deployment.unit_of_work() as uow:
        verdict = pipeline.verify(uow, pdf)  # what `docgen verify FILE` asks
    assert verdict.status == "genuine" and verdict.record_id == f"R-{record_id:06d}", verdict.details
    assert [s["name"] for s in verdict.details["record"]["signatures"]] == ["Alex Morgan", "Sam Whitfield"]

    hr = org.auth("hr")
    left = client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": clock.today().isoformat()},
                       headers=hr)
    assert left.status_code == 200, left.json
    exported = client.get(f"/api/v1/people/{org.ids['worker']}/export", headers=hr)
    assert exported.status_code == 200 and exported.mimetype == "application/zip", exported.data[:500]
    bundle = zipfile.ZipFile(io.BytesIO(exported.data))
    assert pdf in [bundle.read(name) for name in bundle.namelist() if name.endswith(".pdf")], bundle.namelist()
