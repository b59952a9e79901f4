"""A disagreement is never sealed as "signed by both" (issue 23).

Alex (supervisee) disagreed with a document Sam (supervisor) sent; Dana is Sam's line manager.
Where the policy has both agree (K, S, H), Sam may not countersign over the disagreement until
Dana records the outcome of a three-way meeting; where it records "what has been agreed (or not)"
(W), Sam may, and the document says whose signature is missing. Either way it then reads
"finalised after a disagreement", never "signed".
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Agreement, DisagreementEscalation, Person, Record, SignoffEvent
from tests.e2e.test_consent import config, profile_name  # noqa: F401  (the profile by name, mail to a test server)
from tests.e2e.test_disagreement_route import _disagreed, _pdf_text, _told
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from tests.mailbox import Mailbox
from workflows import agreements, records

MEETING = "Agreed the caseload figure is 18; Alex's comment stands on the record"


def _disagreed_in_db(app: Any, org: Any, kind: str) -> int:
    """Alex disagreed with version 1 of a record (or, under Haringey, whose records only the
    supervisor signs, an agreement), which now waits for Sam."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        alex, sam = db.get_one(Person, org.ids["worker"]), db.get_one(Person, org.ids["manager"])
        document: Record | Agreement = (
            records.create_record(db, services.profile, alex, dt.date(2026, 9, 7)) if kind == "record"
            else agreements.create_agreement(db, services.profile, alex, sam, dt.date(2026, 9, 7)))
        document.status = "changes_requested"
        db.flush()
        owner = {"record_id": document.id} if kind == "record" else {"agreement_id": document.id}
        db.add(SignoffEvent(**owner, version=1, event="disagreed", person_id=alex.id,
                            at=dt.datetime(2026, 9, 10, 10), comment="The caseload figure is wrong"))
        return document.id


@pytest.mark.parametrize(("profile_name", "kind", "section"), [
    ("knowsley", "record", "K §9"), ("stockport", "record", "S 12.3"), ("haringey", "agreement", "H §9")])
def test_countersigning_over_a_disagreement_is_refused_until_the_route_records_an_outcome(
        app: Any, client: Any, org: Any, mailbox: Mailbox, kind: str, section: str) -> None:
    """K §9: "signed by both the supervisor and supervisee"; S 12.3: "The supervision record must
    always be agreed by both the supervisor and the supervisee."; H §9: "the final Agreement signed
    by both parties". Refused through the API and on the page, with nothing written."""
    document_id = _disagreed_in_db(app, org, kind)
    refused = client.post(f"/api/v1/{kind}s/{document_id}/countersign", json={"comment": "It stands"},
                          headers=org.auth("manager"))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "disagreement_unsettled"
    message = refused.json["error"]["message"]
    assert message.startswith(f"Alex Morgan disagreed with this version, and the policy has both agree it ({section}: ")
    assert "three-way meeting" in message

    sign_in(client, "manager")
    page_url = f"/records/{document_id}/edit" if kind == "record" else f"/agreements/{document_id}"
    page = text(client.get(page_url, headers=HTML))
    assert "and the policy has both agree it" in page and "Countersign with the disagreement recorded" not in page
    on_page = post(client, f"/{kind}s/{document_id}/countersign", {"countersign-comment": "It stands"}, page=page_url)
    assert on_page.status_code == 409
    assert "Alex Morgan disagreed with this version, and the policy has both agree it" in text(on_page)

    status = client.get(f"/api/v1/{kind}s/{document_id}/signoff", headers=org.auth("manager")).json
    assert status["status"] == "changes_requested"
    assert "countersigned" not in [e["event"] for e in status["events"]]
    with app.extensions["docgen"].sessions() as db:
        assert db.scalar(select(func.count(DisagreementEscalation.id))) == 0
    assert _told(mailbox) == []


@pytest.mark.libreoffice
@pytest.mark.parametrize("profile_name", ["southwark"])
def test_southwark_lets_the_supervisor_finalise_over_a_disagreement_and_says_whose_signature_is_missing(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    """W §10: "a record should be agreed and signed by both parties to reflect the issues discussed
    and what has been agreed (or not)". The line manager is told at once (W §17)."""
    record_id = _disagreed(client, org, mailbox, "I did not agree to the deadline")
    signed = client.post(f"/api/v1/records/{record_id}/countersign", json={"comment": "Deadline stands: court date"},
                         headers=org.auth("manager"))
    assert signed.status_code == 200 and signed.json["status"] == "signed"
    [told] = _told(mailbox)
    assert "I did not agree to the deadline" in told and "Deadline stands: court date" in told

    certificate = _pdf_text(client, org, record_id)
    assert "FINALISED AFTER A DISAGREEMENT" in certificate
    assert "Signed by Sam Whitfield only: Alex Morgan did not sign, having disagreed with this version." in certificate
    assert "Alex Morgan’s view: I did not agree to the deadline" in certificate
    assert "Sam Whitfield’s view: Deadline stands: court date" in certificate
    assert "Outcome: none recorded; the policy lets the supervisor finalise a record that was not agreed" in certificate
    assert "signed by both" not in certificate.lower()

    sign_in(client, "manager")
    page = text(client.get(f"/records/{record_id}/edit", headers=HTML))
    assert "Finalised after a disagreement" in page and "Alex Morgan did not sign" in page
    sign_in(client, "worker")
    mine = text(client.get("/my-records", headers=HTML))
    assert "Finalised after a disagreement" in mine


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_haringeys_disagreement_goes_to_the_supervisors_line_manager_and_not_to_hr(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    """H §13: "Where an issue remains unresolved, discussion and resolution should take place with
    the supervisor's line manager." H names no step beyond them, so HR is neither offered nor told."""
    agreement_id = _disagreed_in_db(app, org, "agreement")
    app.extensions["docgen"].enqueue("disagreement_route")
    [told] = _told(mailbox)
    assert "The caseload figure is wrong" in told
    [shown] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    assert shown["outcomes"] == ["three_way"]
    sign_in(client, "head")
    page = words(client.get(f"/disagreements/{shown['id']}", headers=HTML))
    assert "settled at a three-way meeting" in page and not re.search(r"\bHR\b", page)  # a fact, not a one-option radio
    to_hr = client.post(f"/api/v1/disagreements/{shown['id']}/outcome", json={"outcome": "hr", "outcome_text": "x"},
                        headers=org.auth("head"))
    assert to_hr.status_code == 422 and to_hr.json["error"]["field"] == "outcome"
    settled = client.post(f"/api/v1/disagreements/{shown['id']}/outcome",
                          json={"outcome": "three_way", "meeting_on": dt.date.today().isoformat(), "outcome_text": MEETING},
                          headers=org.auth("head"))
    assert settled.status_code == 200, settled.json
    assert not [m for m in mailbox.emails() if m["To"] == "hr@knowsley.example.org"]
    assert [m["To"] for m in mailbox.emails() if "Outcome of a supervision disagreement" in m["Subject"]] == [
        "worker@knowsley.example.org", "manager@knowsley.example.org"]
    events = client.get(f"/api/v1/agreements/{agreement_id}/signoff", headers=org.auth("manager")).json["events"]
    assert [e["event"] for e in events][-2:] == ["line_manager_told", "three_way_meeting"]
