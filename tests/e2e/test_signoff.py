"""Sign-off as people do it: the supervisee follows a real e-mailed link, then the supervisor
countersigns; the sealed PDF is filed and anyone can verify it.

A real SMTP server (aiosmtpd) captures the mail; tasks run inline, so finalisation uses this
process's warm LibreOffice.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from typing import Any, Iterator

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from kernel.config import Config
from documents import seal
from tests.etags import read_then_change
from tests.mailbox import Mailbox, sign_link_for, text_of
from tests.sealing import mailing_and_sealing
from kernel import clock

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


def _draft(client: Any, org: Any, day: str = "2026-11-02") -> int:
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": day},
                          headers=org.auth("manager"))
    record = created.json
    edited = client.patch(f"/api/v1/records/{record['id']}", json={
        "welfare": {"discussion": "Settled after the team move."},
        "actions": [{"section": "welfare", "text": "Take the flexi day owed", "due": "end of month"}]},
        headers={**org.auth("manager"), "If-Match": created.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    return record["id"]


def _send(client: Any, org: Any, record_id: int) -> dict[str, Any]:
    response = client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager"))
    assert response.status_code == 200, response.json
    return response.json


def _sign(client: Any, token: str, decision: str, name: str, comment: str = "") -> Any:
    return client.post(f"/api/v1/sign/{token}", json={"decision": decision, "confirm_name": name, "comment": comment},
                       headers={"User-Agent": "Mozilla/5.0 (test)"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})


WORKER, MANAGER = "worker@knowsley.example.org", "manager@knowsley.example.org"


def test_record_goes_from_draft_to_sealed_pdf_anyone_can_verify(client: Any, org: Any, mailbox: Mailbox,
                                                                 app: Any) -> None:
    record_id = _draft(client, org)
    sent = _send(client, org, record_id)
    assert sent["status"] == "awaiting_supervisee"
    assert "token" not in str(sent) and "/sign/" not in str(sent)

    token = sign_link_for(mailbox, WORKER)
    view = client.get(f"/api/v1/sign/{token}")
    assert view.status_code == 200 and view.json["signer_name"] == "Alex Morgan"
    assert view.json["document"]["sections"]["welfare"]["discussion"] == "Settled after the team move."
    assert _sign(client, token, "agree", "alex  morgan").json["status"] == "awaiting_supervisor"

    manager_token = sign_link_for(mailbox, MANAGER)
    assert _sign(client, manager_token, "agree", "Sam Whitfield").json["status"] == "signed"

    status = client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json
    assert status["status"] == "signed" and status["final_pdf_sha256"]
    assert [e["event"] for e in status["events"]] == ["filed", "sent", "opened", "agreed", "sent", "countersigned"]

    pdf = client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth("worker")).data
    signer = seal.organisation_signer(app.extensions["docgen"].config)
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    result = validate_pdf_signature(embedded, ValidationContext(trust_roots=[signer.signing_cert]))
    assert result.intact and result.valid and result.bottom_line
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Signature and audit certificate" in text and "10.1.2.3" in text and "Alex Morgan" in text

    genuine = client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf), "record.pdf")})
    assert genuine.json["status"] == "genuine" and genuine.json["record_id"] == f"R-{record_id:06d}"
    assert [s["name"] for s in genuine.json["details"]["record"]["signatures"]] == ["Alex Morgan", "Sam Whitfield"]
    flipped = bytearray(pdf)
    flipped[len(flipped) // 3] ^= 0x01
    altered = client.post("/api/v1/verify", data={"file": (io.BytesIO(bytes(flipped)), "record.pdf")})
    assert altered.json["status"] == "altered"


def test_disagreement_goes_back_to_the_supervisor_and_a_new_version_kills_old_links(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    first = sign_link_for(mailbox, WORKER)
    missing = _sign(client, first, "disagree", "Alex Morgan")
    assert missing.status_code == 422 and missing.json["error"]["field"] == "comment"
    assert _sign(client, first, "disagree", "Alex Morgan", "The flexi day was agreed as two days").json[
        "status"] == "changes_requested"
    told = [m for m in mailbox.emails() if m["To"] == MANAGER]
    assert told and "two days" in text_of(told[-1])

    revised = client.patch(f"/api/v1/records/{record_id}", json={"decisions": "Two flexi days agreed."},
                           headers=read_then_change(client, f"/api/v1/records/{record_id}", org.auth("manager")))
    assert revised.status_code == 200, revised.json
    again = _send(client, org, record_id)
    assert again["version"] == 2 and again["status"] == "awaiting_supervisee"
    assert client.get(f"/api/v1/sign/{first}").status_code == 410
    second = sign_link_for(mailbox, WORKER)
    assert second != first
    assert _sign(client, second, "agree_with_comment", "Alex Morgan", "Thanks for correcting it").json[
        "status"] == "awaiting_supervisor"


def test_used_expired_and_unknown_links_are_refused(client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    token = sign_link_for(mailbox, WORKER)
    assert _sign(client, token, "agree", "Alex Morgan").status_code == 200
    reused = _sign(client, token, "agree", "Alex Morgan")
    assert reused.status_code == 410 and "already been used" in reused.json["error"]["message"]
    assert client.get("/api/v1/sign/" + "x" * 43).status_code == 404

    other = _draft(client, org, "2026-11-16")
    _send(client, org, other)
    late = sign_link_for(mailbox, WORKER)
    clock.set_clock(lambda: dt.datetime.utcnow() + dt.timedelta(days=15))
    expired = client.get(f"/api/v1/sign/{late}")
    assert expired.status_code == 410 and "expired" in expired.json["error"]["message"]


def test_resending_kills_the_old_link(client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    old = sign_link_for(mailbox, WORKER)
    assert client.post(f"/api/v1/records/{record_id}/resend", headers=org.auth("manager")).status_code == 200
    assert client.get(f"/api/v1/sign/{old}").status_code == 410
    assert client.get(f"/api/v1/sign/{sign_link_for(mailbox, WORKER)}").status_code == 200


def test_wrong_people_and_illegal_steps_are_refused(client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    early = client.post(f"/api/v1/records/{record_id}/countersign", json={}, headers=org.auth("manager"))
    assert early.status_code == 409 and "draft" in early.json["error"]["message"]
    assert client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("worker")).status_code == 403
    _send(client, org, record_id)
    twice = client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager"))
    assert twice.status_code == 409
    token = sign_link_for(mailbox, WORKER)
    wrong_name = _sign(client, token, "agree", "Sam Whitfield")
    assert wrong_name.status_code == 422 and wrong_name.json["error"]["field"] == "confirm_name"
    someone_else = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": "Alex Morgan"},
                               headers=org.auth("asye"))
    assert someone_else.status_code == 403
    edit = client.patch(f"/api/v1/records/{record_id}", json={"decisions": "late edit"},
                        headers=read_then_change(client, f"/api/v1/records/{record_id}", org.auth("manager")))
    assert edit.status_code == 409
    assert _sign(client, token, "agree", "Alex Morgan").status_code == 200  # the link still works for its owner


def test_reminder_sends_a_fresh_link_and_overdue_records_escalate(client: Any, org: Any, mailbox: Mailbox,
                                                                  app: Any) -> None:
    from workflows import deadlines

    services = app.extensions["docgen"]
    record_id = _draft(client, org, "2026-11-02")
    _send(client, org, record_id)
    first = sign_link_for(mailbox, WORKER)
    sent_at = dt.datetime.utcnow()
    with services.sessions.begin() as db:
        assert deadlines.remind(db, services.profile, services.config.base_url, sent_at + dt.timedelta(days=1)) == 0
        assert deadlines.remind(db, services.profile, services.config.base_url, sent_at + dt.timedelta(days=2, hours=1)) == 1
    assert client.get(f"/api/v1/sign/{first}").status_code == 410
    assert sign_link_for(mailbox, WORKER) != first
    with services.sessions.begin() as db:
        assert deadlines.escalate(db, services.profile, dt.date(2026, 11, 30)) == 1
        assert deadlines.escalate(db, services.profile, dt.date(2026, 12, 1)) == 0  # once per version
    escalation = [m for m in mailbox.emails() if m["To"] == "head@knowsley.example.org"]
    assert escalation and "Overdue supervision record" in escalation[-1]["Subject"]


@pytest.fixture
def timestamp_server(tmp_path: Any) -> Iterator[tuple[str, str]]:
    """A real RFC 3161 time-stamping authority over HTTP on 127.0.0.1 (pyHanko's test TSA)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import tsp
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from tests.integration.test_pdf_seal import timestamp_authority

    cert, key = timestamp_authority()
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ca = tmp_path / "tsa.der"
    ca.write_bytes(cert.dump())
    yield f"http://127.0.0.1:{server.server_address[1]}/", str(ca)
    server.shutdown()
    server.server_close()


def test_configured_timestamp_authority_stamps_the_seal_and_verify_trusts_it(
        client: Any, org: Any, mailbox: Mailbox, app: Any, timestamp_server: tuple[str, str]) -> None:
    services = app.extensions["docgen"]
    url, ca = timestamp_server
    services.config = replace(services.config, timestamp_url=url, timestamp_ca=ca)
    record_id = _draft(client, org)
    _send(client, org, record_id)
    _sign(client, sign_link_for(mailbox, WORKER), "agree", "Alex Morgan")
    _sign(client, sign_link_for(mailbox, MANAGER), "agree", "Sam Whitfield")
    pdf = client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth("manager")).data
    signer_info = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].signer_info
    assert "signature_time_stamp_token" in [a["type"].native for a in signer_info["unsigned_attrs"]]
    assert client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf), "r.pdf")}).json["status"] == "genuine"


def test_one_time_code_is_e_mailed_and_required_when_the_profile_asks(client: Any, org: Any, mailbox: Mailbox,
                                                                       app: Any) -> None:
    services = app.extensions["docgen"]
    services.profile = services.profile.model_copy(
        update={"signoff": services.profile.signoff.model_copy(update={"one_time_code": True})})
    record_id = _draft(client, org)
    _send(client, org, record_id)
    token = sign_link_for(mailbox, WORKER)
    assert client.get(f"/api/v1/sign/{token}").json["code_required"] is True
    code = re.search(r"code to sign .* is (\d{6})", text_of(mailbox.emails()[-1])).group(1)

    def sign(with_code: str) -> Any:
        return client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": "Alex Morgan",
                                                          "code": with_code})

    wrong = sign("000000" if code != "000000" else "111111")
    assert wrong.status_code == 422 and wrong.json["error"]["field"] == "code"
    assert sign(code).json["status"] == "awaiting_supervisor"


def test_freezing_a_leavers_records_kills_their_open_links(client: Any, org: Any, mailbox: Mailbox,
                                                          app: Any) -> None:
    from storage.models import Person
    from workflows import movers

    record_id = _draft(client, org)
    _send(client, org, record_id)
    token = sign_link_for(mailbox, WORKER)
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        worker = db.get(Person, org.ids["worker"])
        movers.mark_leaver(db, worker, dt.date(2026, 11, 20), None)  # left in the past: frozen at once
        assert worker.records_frozen_on is not None
    assert client.get(f"/api/v1/sign/{token}").status_code == 410
