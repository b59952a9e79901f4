"""Ten requests at once hold exactly as one does (issue 13): a sign-off link is decided once, a
document is countersigned once and sent once, the audit chain stays one chain, and ten edits made
from the same read save exactly one (the rest 412, nothing lost unseen), on SQLite and PostgreSQL.

Each thread has its own test client; a barrier releases them together.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from docgen.cli.storage import audit_group
from storage import audit
from storage.models import AuditEvent, DocumentVersion, OutboxMessage, SignoffEvent, SignoffLink
from tests.e2e.test_signoff import MANAGER, WORKER, _draft, _send, _sign, config  # noqa: F401
from tests.mailbox import Mailbox, sign_link_for, sign_links_for

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


def _decisions(app: Any, record_id: int) -> list[str]:
    with app.extensions["docgen"].sessions() as db:
        return list(db.scalars(select(SignoffEvent.event).where(
            SignoffEvent.record_id == record_id,
            SignoffEvent.event.in_(("agreed", "disagreed", "countersigned")))))


def test_ten_parallel_decisions_on_one_link_accept_exactly_one(app: Any, client: Any, org: Any,
                                                               mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    token = sign_link_for(mailbox, WORKER)
    assert len(sign_links_for(mailbox, MANAGER)) == 0

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
    assert len(sign_links_for(mailbox, MANAGER)) == 1
    status = client.get(f"/api/v1/records/{record_id}", headers=org.auth("manager")).json["status"]
    assert status == "awaiting_supervisor"
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel decisions, "
          f"{dict(codes)}, 1 decision recorded, 1 supervisor link e-mailed")


def test_ten_parallel_countersignatures_sign_once(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    agreed = client.post(f"/api/v1/sign/{sign_link_for(mailbox, WORKER)}",
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


def _record_url(client: Any, org: Any) -> str:
    return f"/api/v1/records/{_draft(client, org)}"


def _agreement_url(client: Any, org: Any) -> str:
    created = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-09-01"},
                          headers=org.auth("manager"))
    assert created.status_code == 201, created.json
    return f"/api/v1/agreements/{created.json['id']}"


def _person_url(client: Any, org: Any) -> str:
    return f"/api/v1/people/{org.ids['worker']}"


def _relationship_url(client: Any, org: Any) -> str:
    found = client.get(f"/api/v1/relationships?supervisee_id={org.ids['asye']}", headers=org.auth("admin")).json
    return f"/api/v1/relationships/{found['items'][0]['id']}"


@dataclass(frozen=True)
class Edit:
    """A change to one revisioned thing: where it is (made by `make`), who changes it, and the
    field each thread writes its own text into, so the text that survives names its writer."""

    make: Callable[[Any, Any], str]
    who: str
    field: str
    text: Callable[[int], str]
    shown: Callable[[dict[str, Any]], Any]  # the field as a GET shows it

    def body(self, n: int) -> dict[str, str]:
        return {self.field: self.text(n)}


EDITS = {
    "record": Edit(_record_url, "manager", "decisions", lambda n: f"Decision written by thread {n}",
                   lambda body: body["sections"]["decisions"]),
    "agreement": Edit(_agreement_url, "manager", "location", lambda n: f"Meeting room {n}",
                      lambda body: body["fields"]["location"]),
    "person": Edit(_person_url, "hr", "job_title", lambda n: f"Social worker (post {n})",
                   lambda body: body["job_title"]),
    "relationship": Edit(_relationship_url, "admin", "ends_on", lambda n: f"2027-01-{n + 10:02d}",
                         lambda body: body["ends_on"]),
}


@pytest.mark.parametrize("kind", ["record", "agreement", "person"])
def test_ten_edits_from_one_read_save_exactly_one(app: Any, client: Any, org: Any, kind: str) -> None:
    edit = EDITS[kind]
    url, who = edit.make(client, org), edit.who
    read = client.get(url, headers=org.auth(who))
    etag = read.headers["ETag"]

    answers = _at_once(app, THREADS, lambda c, n: c.patch(url, json=edit.body(n),
                                                         headers={**org.auth(who), "If-Match": etag}))

    codes = Counter(a.status_code for a in answers)
    assert (codes[200], codes[412]) == (1, THREADS - 1), (codes, [a.json for a in answers if a.status_code != 200])
    winner = next(n for n, a in enumerate(answers) if a.status_code == 200)
    for answer in answers:
        if answer.status_code == 412:
            assert answer.json["error"]["code"] == "stale" and "someone else changed" in answer.json["error"]["message"]
    now = client.get(url, headers=org.auth(who))
    assert edit.shown(now.json) == edit.text(winner)
    assert now.headers["ETag"] == answers[winner].headers["ETag"] != etag
    assert now.json["revision"] == read.json["revision"] + 1
    # Refused by the check on the row as read, or by the UPDATE's own compare-and-set (the row moved
    # between this request's read and its write: PostgreSQL's concurrent transactions).
    at_write = sum("at the same time" in a.json["error"]["message"] for a in answers if a.status_code == 412)
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel {kind} edits with one If-Match, "
          f"{dict(codes)} ({codes[412] - at_write} refused on reading, {at_write} by the UPDATE), "
          f"thread {winner}'s text kept")


@pytest.mark.parametrize("kind", list(EDITS))
def test_an_edit_needs_if_match_and_a_stale_one_changes_nothing(app: Any, client: Any, org: Any, kind: str) -> None:
    edit = EDITS[kind]
    url, who, body, shown = edit.make(client, org), edit.who, edit.body, edit.shown
    first = client.get(url, headers=org.auth(who))

    missing = client.patch(url, json=body(1), headers=org.auth(who))
    assert missing.status_code == 428, missing.json
    assert missing.json["error"]["code"] == "precondition_required" and "If-Match" in missing.json["error"]["message"]
    anything = client.patch(url, json=body(1), headers={**org.auth(who), "If-Match": "*"})
    assert anything.status_code == 428, anything.json

    saved = client.patch(url, json=body(2), headers={**org.auth(who), "If-Match": first.headers["ETag"]})
    assert saved.status_code == 200, saved.json
    for stale_tag in (first.headers["ETag"], f'W/{first.headers["ETag"]}', '"not-one-of-ours"'):
        stale = client.patch(url, json=body(3), headers={**org.auth(who), "If-Match": stale_tag})
        assert stale.status_code == 412, (stale_tag, stale.json)
        assert stale.json["error"]["field"] == "revision" and stale.json["error"]["message"]
    after = client.get(url, headers=org.auth(who))
    assert shown(after.json) == shown(saved.json) != shown(first.json)
    assert after.headers["ETag"] == saved.headers["ETag"]
    weak = client.patch(url, json=body(4), headers={**org.auth(who), "If-Match": f'W/{after.headers["ETag"]}'})
    assert weak.status_code == 200, weak.json  # a proxy may weaken the tag; it still names the revision


def test_ten_parallel_sends_send_once(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)

    answers = _at_once(app, THREADS, lambda c, n: c.post(f"/api/v1/records/{record_id}/send",
                                                         headers=org.auth("manager")))

    codes = Counter(a.status_code for a in answers)
    assert (codes[200], codes[409]) == (1, THREADS - 1), (codes, [a.json for a in answers if a.status_code != 200])
    with app.extensions["docgen"].sessions() as db:
        asked = db.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.to_address == WORKER, OutboxMessage.subject.startswith("Ready for you to agree")))
        filed = db.scalar(select(func.count()).select_from(DocumentVersion).where(
            DocumentVersion.record_id == record_id, DocumentVersion.kind == "docx"))
        events = list(db.scalars(select(SignoffEvent.event).where(SignoffEvent.record_id == record_id)))
    assert (asked, filed) == (1, 1)
    assert sorted(events) == ["filed", "sent"]
    assert len(sign_links_for(mailbox, WORKER)) == 1
    status = client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json
    assert (status["status"], status["version"]) == ("awaiting_supervisee", 1)
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel sends, {dict(codes)}, "
          f"{asked} sign-off e-mail queued, {filed} Word file filed")


def test_parallel_resends_leave_one_live_link(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)

    answers = _at_once(app, THREADS, lambda c, n: c.post(f"/api/v1/records/{record_id}/resend",
                                                         headers=org.auth("manager")))

    codes = Counter(a.status_code for a in answers)
    assert codes[200] >= 1 and set(codes) <= {200, 409}, codes
    with app.extensions["docgen"].sessions() as db:
        live = db.scalar(select(func.count()).select_from(SignoffLink).where(
            SignoffLink.record_id == record_id, SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None)))
        asked = db.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.to_address == WORKER, OutboxMessage.subject.startswith("Ready for you to agree")))
    assert live == 1
    assert asked == 1 + codes[200]  # the send, then one e-mail per accepted re-send
    # The e-mails of accepted re-sends may reach the mailbox in any order: of every link sent,
    # exactly one still opens, and it signs.
    tokens = sign_links_for(mailbox, WORKER)
    opened = {token: client.get(f"/api/v1/sign/{token}").status_code for token in tokens}
    assert sorted(opened.values()) == [200] + [410] * (len(tokens) - 1), opened
    live_token = next(token for token, status in opened.items() if status == 200)
    assert _sign(client, live_token, "agree", "Alex Morgan").status_code == 200
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: {THREADS} parallel re-sends, {dict(codes)}, "
          f"{live} live link")
