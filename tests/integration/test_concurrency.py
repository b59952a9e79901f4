"""Ten requests at once hold exactly as one does (issue 13): a sign-off link is decided once, a
document is countersigned once, and the audit chain stays one chain, on SQLite and PostgreSQL.

Each thread has its own test client; a barrier releases them together.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from docgen.cli.storage import audit_group
from storage import audit
from storage.models import AuditEvent, SignoffEvent
from tests.e2e.test_signoff import LINK, MANAGER, WORKER, _draft, _link_for, _send, config  # noqa: F401
from tests.mailbox import Mailbox, text_of

pytestmark = pytest.mark.libreoffice
THREADS = 10


def _at_once(app: Any, threads: int, request: Callable[[Any, int], Any]) -> list[Any]:
    """Run `request(client, n)` in `threads` threads released together; their answers in order."""
    barrier = threading.Barrier(threads)
    answers: list[Any] = [None] * threads

    def run(n: int) -> None:
        with app.test_client() as client:
            barrier.wait()
            try:
                answers[n] = request(client, n)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                answers[n] = exc

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers)
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    return answers


def _sign_links_to(mailbox: Mailbox, address: str) -> int:
    return sum(1 for m in mailbox.emails() if m["To"] == address and LINK.search(text_of(m)))


def _decisions(app: Any, record_id: int) -> list[str]:
    with app.extensions["docgen"].sessions() as db:
        return list(db.scalars(select(SignoffEvent.event).where(
            SignoffEvent.record_id == record_id,
            SignoffEvent.event.in_(("agreed", "disagreed", "countersigned")))))


def test_ten_parallel_decisions_on_one_link_accept_exactly_one(app: Any, client: Any, org: Any,
                                                               mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    token = _link_for(mailbox, WORKER)
    assert _sign_links_to(mailbox, MANAGER) == 0

    answers = _at_once(app, THREADS, lambda c, n: c.post(
        f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": "Alex Morgan", "comment": ""}))

    codes = Counter(a.status_code for a in answers)
    assert codes[200] == 1, codes
    assert set(codes) <= {200, 409, 410}, codes
    for answer in answers:
        if answer.status_code == 410:
            assert answer.json["error"]["field"] == "token", answer.json
            assert "already been used" in answer.json["error"]["message"], answer.json
    assert _decisions(app, record_id) == ["agreed"]
    assert _sign_links_to(mailbox, MANAGER) == 1
    status = client.get(f"/api/v1/records/{record_id}", headers=org.auth("manager")).json["status"]
    assert status == "awaiting_supervisor"
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel decisions, "
          f"{dict(codes)}, 1 decision recorded, 1 supervisor link e-mailed")


def test_ten_parallel_countersignatures_sign_once(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    agreed = client.post(f"/api/v1/sign/{_link_for(mailbox, WORKER)}",
                         json={"decision": "agree", "confirm_name": "Alex Morgan", "comment": ""})
    assert agreed.status_code == 200, agreed.json

    answers = _at_once(app, THREADS, lambda c, n: c.post(
        f"/api/v1/records/{record_id}/countersign", json={}, headers=org.auth("manager")))

    codes = Counter(a.status_code for a in answers)
    assert codes[200] == 1, (codes, [a.json for a in answers if a.status_code != 200])
    assert set(codes) <= {200, 409}, codes
    assert _decisions(app, record_id) == ["agreed", "countersigned"]
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel countersignatures, "
          f"{dict(codes)}, 1 countersignature recorded")


@pytest.mark.parametrize("threads", [20])
def test_parallel_audited_reads_keep_one_chain(app: Any, client: Any, org: Any, threads: int) -> None:
    record_id = _draft(client, org)
    with app.extensions["docgen"].sessions() as db:
        before = db.scalar(select(func.count()).select_from(AuditEvent))
    reads = 5

    def read(c: Any, n: int) -> list[int]:
        return [c.get(f"/api/v1/records/{record_id}", headers=org.auth("manager")).status_code
                for _ in range(reads)]

    answers = _at_once(app, threads, read)

    assert all(code == 200 for codes in answers for code in codes), answers
    with app.extensions["docgen"].sessions() as db:
        written = db.scalar(select(func.count()).select_from(AuditEvent)) - before
        report = audit.verify_chain(db)
    assert written >= threads * reads
    assert report.ok, report
    result = app.test_cli_runner().invoke(audit_group, ["verify"])
    assert result.exit_code == 0, result.output
    assert "audit log intact" in result.output
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {threads} threads x {reads} reads, "
          f"{written} audit entries written, chain of {report.checked} intact")
