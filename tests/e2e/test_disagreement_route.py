"""The route for a disagreement (S §9, S App C, W §17, H §13), through the API and the pages.

Alex (supervisee) disagrees with a record Sam (supervisor) wrote; Dana is Sam's line manager.
Left for the profile's period, the hourly task tells Dana, once; Dana records a three-way meeting
and it is on the sealed PDF's certificate once Sam countersigns. Under Knowsley's "signed by both"
(K §9) Sam may countersign over the disagreement only after that outcome (issue 23: the test that
countersigned over it at once now runs under Southwark's policy, which allows it, in
`test_disagreement_signoff`).
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from kernel import clock
from storage.models import AuditEvent, DisagreementEscalation
from tests.e2e.test_signoff import WORKER, _draft, _send, _sign, config  # noqa: F401
from tests.e2e.test_web_pages import HTML, post, sign_in, text
from tests.mailbox import Mailbox, sign_link_for, text_of

pytestmark = pytest.mark.libreoffice
HEAD = "head@knowsley.example.org"


def _disagreed(client: Any, org: Any, mailbox: Mailbox, comment: str) -> int:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    answer = _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", comment)
    assert answer.json["status"] == "changes_requested"
    return record_id


def _later(days: int) -> None:
    moment = dt.datetime.utcnow() + dt.timedelta(days=days)
    clock.set_clock(lambda: moment)


def _told(mailbox: Mailbox) -> list[str]:
    return [text_of(m) for m in mailbox.emails() if m["To"] == HEAD and "disagreement" in m["Subject"]]


def _pdf_text(client: Any, org: Any, record_id: int) -> str:
    pdf = client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth("manager")).data
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_a_disagreement_left_for_the_period_reaches_the_line_manager_once_and_the_meeting_is_on_the_certificate(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    """K §9: records are "signed by both the supervisor and supervisee": countersigned over a
    disagreement only after the route's outcome, and sealed as finalised after a disagreement."""
    record_id = _disagreed(client, org, mailbox, "The caseload figure is wrong")
    services = app.extensions["docgen"]
    early = client.post(f"/api/v1/records/{record_id}/countersign", json={"comment": "It stands"},
                        headers=org.auth("manager"))
    assert early.status_code == 409 and early.json["error"]["code"] == "disagreement_unsettled"

    _later(20)  # within Knowsley's month: nobody is told yet
    services.enqueue("disagreement_route")
    assert _told(mailbox) == []
    assert client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"] == []

    _later(32)
    services.enqueue("disagreement_route")
    services.enqueue("disagreement_route")  # the task runs twice: Dana is told once
    [told] = _told(mailbox)
    assert "The caseload figure is wrong" in told and "Sam Whitfield" in told
    [shown] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    assert shown["cause"] == "overdue" and shown["outcomes"] == ["three_way"]  # Knowsley: docgen's default, no HR
    assert "line_manager_told" in [e["event"] for e in shown["events"]]

    # Nobody else sees it: not the supervisor, not the supervisee.
    for who in ("manager", "worker", "auditor"):
        assert client.get(f"/api/v1/disagreements/{shown['id']}", headers=org.auth(who)).status_code == 404

    url = f"/api/v1/disagreements/{shown['id']}/outcome"
    no_date = client.post(url, json={"outcome": "three_way", "outcome_text": "Figure corrected"}, headers=org.auth("head"))
    assert no_date.status_code == 422 and no_date.json["error"]["field"] == "meeting_on"
    to_hr = client.post(url, json={"outcome": "hr", "outcome_text": "x"}, headers=org.auth("head"))
    assert to_hr.status_code == 422 and to_hr.json["error"]["field"] == "outcome"
    meeting = dt.date.today().isoformat()
    done = client.post(url, json={"outcome": "three_way", "meeting_on": meeting,
                                  "outcome_text": "Agreed to correct the caseload figure to 18"}, headers=org.auth("head"))
    assert done.status_code == 200, done.json
    assert done.json["outcome"] == "three_way" and done.json["outcomes"] == []
    again = client.post(url, json={"outcome": "three_way", "meeting_on": meeting, "outcome_text": "Again"},
                        headers=org.auth("head"))
    assert again.status_code == 409

    signed = client.post(f"/api/v1/records/{record_id}/countersign", json={"comment": "Corrected as agreed"},
                         headers=org.auth("manager"))
    assert signed.json["status"] == "signed"
    assert len(_told(mailbox)) == 1  # the countersignature does not tell Dana of the same disagreement again
    certificate = _pdf_text(client, org, record_id)
    assert "three-way meeting" in certificate and "caseload figure to 18" in certificate
    assert "line manager told" in certificate
    assert "FINALISED AFTER A DISAGREEMENT" in certificate
    assert "Signed by Sam Whitfield only: Alex Morgan did not sign, having disagreed with this version." in certificate
    assert "Alex Morgan’s view: The caseload figure is wrong" in certificate
    assert "Sam Whitfield’s view: Corrected as agreed" in certificate
    assert (f"Outcome: Three-way meeting on {dt.date.today():%-d %B %Y}: Agreed to correct the caseload figure to 18"
            in certificate)
    assert client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json["status"] == "signed"
    sign_in(client, "worker")
    assert "Finalised after a disagreement" in text(client.get("/my-records", headers=HTML))
    with services.sessions() as db:
        actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "disagreement")))
        assert actions == {"disagreement.escalated", "disagreement.outcome"}
        assert db.scalar(select(func.count(DisagreementEscalation.id))) == 1


def test_the_line_manager_records_the_meeting_on_the_page(client: Any, org: Any, mailbox: Mailbox) -> None:
    _disagreed(client, org, mailbox, "Leave dates are wrong")
    _later(32)
    client.application.extensions["docgen"].enqueue("disagreement_route")
    sign_in(client, "head")
    listed = client.get("/disagreements", headers=HTML)
    assert listed.status_code == 200 and "To do" in text(listed)
    [escalation_id] = [d["id"] for d in client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]]
    url = f"/disagreements/{escalation_id}"
    refused = post(client, url, {"outcome": "three_way", "outcome_text": "Leave corrected"})
    assert refused.status_code == 422 and "date of the three-way meeting" in text(refused)
    today = clock.today()
    done = post(client, url, {"outcome": "three_way", "outcome_text": "Leave corrected",
                              "meeting_on": [str(today.day), str(today.month), str(today.year)]})
    assert done.status_code == 303
    shown = client.get(url, headers=HTML)
    assert "Three-way meeting on" in text(shown) and "Leave corrected" in text(shown)
    assert client.get(url, headers={**HTML}).status_code == 200
    sign_in(client, "worker")
    assert client.get(url, headers=HTML).status_code == 404
