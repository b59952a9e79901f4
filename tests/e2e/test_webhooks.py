"""Webhooks as an administrator and an integrator meet them: subscribed over the API and on the
page, then a record followed from sending to its sealed PDF and a leaver recorded, each event
arriving at a real receiver on 127.0.0.1 that checks it with the README's snippet.

Tasks run inline (DOCGEN_TASKS_URL=memory), so each delivery is attempted as its change commits
and the sealed PDF is made by this process's warm LibreOffice.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from kernel.config import Config
from tests.e2e.test_web_pages import HTML, post, sign_in, text
from tests.mailbox import Mailbox, sign_link_for
from tests.sealing import mailing_and_sealing
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.libreoffice
WORKER, MANAGER = "worker@knowsley.example.org", "manager@knowsley.example.org"
CONTENT = "Settled after the team move."


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


def _subscribe(client: Any, org: Any, receiver: Receiver, events: list[str]) -> dict[str, Any]:
    created = client.post("/api/v1/webhooks", json={"url": f"{receiver.url}/hooks", "events": events,
                                                    "description": "Records archive"}, headers=org.auth("admin"))
    assert created.status_code == 201, created.json
    receiver.secret = created.json["secret"]
    return created.json


def _sign(client: Any, token: str, name: str) -> Any:
    signed = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": name})
    assert signed.status_code == 200, signed.json
    return signed.json


def test_a_record_from_sending_to_its_sealed_pdf_is_heard_by_the_receiver_without_its_content(
        client: Any, org: Any, mailbox: Mailbox, receiver: Receiver) -> None:
    subscription = _subscribe(client, org, receiver, ["record.sent", "record.decided", "record.signed",
                                                      "record.filed", "person.left"])
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"},
                          headers=org.auth("manager"))
    record_id = created.json["id"]
    edited = client.patch(f"/api/v1/records/{record_id}", json={"welfare": {"discussion": CONTENT}},
                          headers={**org.auth("manager"), "If-Match": created.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    assert client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager")).status_code == 200
    _sign(client, sign_link_for(mailbox, WORKER), "Alex Morgan")
    assert _sign(client, sign_link_for(mailbox, MANAGER), "Sam Whitfield")["status"] == "signed"

    assert [e["event"] for e in receiver.acted_on] == ["record.sent", "record.decided", "record.signed",
                                                       "record.filed"]
    assert all(e["data"]["record_id"] == record_id and e["data"]["version"] == 1 for e in receiver.acted_on)
    assert receiver.acted_on[1]["data"]["decision"] == "agreed"
    filed = receiver.acted_on[3]["links"]
    assert filed["pdf"] == f"https://docgen.example.org/api/v1/records/{record_id}/pdf"
    pdf = client.get(filed["pdf"].removeprefix("https://docgen.example.org"), headers=org.auth("manager"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")  # the link works, under the usual rules
    assert not any(CONTENT.encode() in d.body or b"Alex Morgan" in d.body for d in receiver.arrived)
    assert receiver.answers == [200, 200, 200, 200]

    log = client.get(f"/api/v1/webhooks/{subscription['id']}", headers=org.auth("admin")).json
    assert [d["event"] for d in log["deliveries"]] == ["record.filed", "record.signed", "record.decided",
                                                       "record.sent"]
    assert all(d["delivered_at"] and d["attempts"] == 1 for d in log["deliveries"])
    assert "secret" not in log and "sealed_secret" not in json.dumps(log)


def test_an_administrator_manages_subscriptions_over_the_api_and_others_cannot(
        client: Any, org: Any, receiver: Receiver) -> None:
    assert client.post("/api/v1/webhooks", json={"url": "https://hr.example.org/hooks", "events": ["person.left"]},
                       headers=org.auth("hr")).status_code == 403
    refused = client.post("/api/v1/webhooks", json={"url": "https://hr.example.org/hooks", "events": ["record.read"]},
                          headers=org.auth("admin"))
    assert refused.status_code == 422 and refused.json["error"]["field"] == "events"
    subscription = _subscribe(client, org, receiver, ["person.left"])
    listed = client.get("/api/v1/webhooks", headers=org.auth("admin")).json["items"]
    assert [s["url"] for s in listed] == [f"{receiver.url}/hooks"] and "secret" not in listed[0]

    paused = client.post(f"/api/v1/webhooks/{subscription['id']}/pause", headers=org.auth("admin")).json
    assert paused["paused_at"]
    left = client.post(f"/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": "2026-11-30"},
                       headers=org.auth("hr"))
    assert left.status_code == 200, left.json
    assert receiver.arrived == []  # held while paused
    assert client.post(f"/api/v1/webhooks/{subscription['id']}/resume", headers=org.auth("admin")).status_code == 200
    assert [e["event"] for e in receiver.acted_on] == ["person.left"]

    assert client.delete(f"/api/v1/webhooks/{subscription['id']}", headers=org.auth("admin")).status_code == 204
    assert client.get(f"/api/v1/webhooks/{subscription['id']}", headers=org.auth("admin")).status_code == 404


def test_the_webhooks_page_shows_the_secret_once_and_the_delivery_log(
        client: Any, org: Any, receiver: Receiver) -> None:
    sign_in(client, "admin")
    page = client.get("/admin/webhooks", headers=HTML)
    assert page.status_code == 200 and "No subscriptions yet" in text(page)
    empty = post(client, "/admin/webhooks", {"url": "", "events": []})
    assert empty.status_code == 400 and "Enter the address to deliver to" in text(empty)

    added = post(client, "/admin/webhooks", {"url": f"{receiver.url}/hooks", "events": ["person.left"],
                                             "secret": "a-secret-the-hr-system-already-has"})
    assert added.status_code == 201 and "a-secret-the-hr-system-already-has" in text(added)
    receiver.secret = "a-secret-the-hr-system-already-has"
    listing = client.get("/admin/webhooks", headers=HTML)
    assert f"{receiver.url}/hooks" in text(listing) and "a-secret-the-hr-system-already-has" not in text(listing)

    client.post(f"/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": "2026-11-30"}, headers=org.auth("hr"))
    subscription_id = client.get("/api/v1/webhooks", headers=org.auth("admin")).json["items"][0]["id"]
    log = client.get(f"/admin/webhooks/{subscription_id}", headers=HTML)
    assert "person.left" in text(log) and "Delivered" in text(log)
    paused = post(client, f"/admin/webhooks/{subscription_id}/pause", {}, page=f"/admin/webhooks/{subscription_id}",
                  follow_redirects=True)
    assert "Deliveries are paused" in text(paused) and "Resume deliveries" in text(paused)
