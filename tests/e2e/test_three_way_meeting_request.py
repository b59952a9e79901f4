"""Either party may ask for a three-way meeting over a disagreement (issue 23, item 11): S App C 8
"either supervisee or the supervisor may approach a senior manager for help and advice or to
request a three way meeting to resolve the situation"; W §17 "the next step would be to involve
the supervisor's line manager in a three-way discussion ... Either party may request this". The
button tells the supervisor's line manager at once, without waiting for the period; under a policy
that names no such request (K, H, L) there is no button."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from storage.models import DisagreementEscalation
from tests.e2e.test_consent import config, profile_name  # noqa: F401  (the profile by name, mail to a test server)
from tests.e2e.test_disagreement_signoff import _disagreed_in_db
from tests.e2e.test_web_pages import HTML, post, sign_in, text
from tests.mailbox import Mailbox

BUTTON = "Request a three-way meeting"


@pytest.mark.parametrize(("profile_name", "who", "page"), [
    ("stockport", "worker", "/records/{id}"),        # the supervisee, on the record as they read it
    ("stockport", "manager", "/records/{id}/edit"),  # the supervisor, on the record's sign-off block
    ("southwark", "worker", "/records/{id}"),
])
def test_either_party_may_ask_for_a_three_way_meeting_and_the_line_manager_is_told_at_once(
        app: Any, client: Any, org: Any, mailbox: Mailbox, who: str, page: str) -> None:
    record_id = _disagreed_in_db(app, org, "record")
    page_url = page.format(id=record_id)
    sign_in(client, who)
    assert BUTTON in text(client.get(page_url, headers=HTML))

    asked = post(client, f"/disagreements/request/records/{record_id}", {"back": page_url}, page=page_url)

    assert asked.status_code == 303 and asked.headers["Location"].endswith(page_url)
    after = text(client.get(page_url, headers=HTML))
    assert "has been told you asked for a three-way meeting" in after and BUTTON not in after
    with app.extensions["docgen"].sessions() as db:
        [escalation] = db.scalars(select(DisagreementEscalation)).all()
    assert escalation.cause == "requested" and escalation.line_manager_id is not None
    status = client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json
    told = [e for e in status["events"] if e["event"] == "line_manager_told"]
    assert told and "asked for a three-way meeting" in told[0]["comment"]


@pytest.mark.parametrize("profile_name", ["knowsley", "haringey"])
def test_a_policy_that_names_no_request_shows_no_button_and_refuses_one(app: Any, client: Any, org: Any) -> None:
    record_id = _disagreed_in_db(app, org, "record")
    sign_in(client, "manager")
    page_url = f"/records/{record_id}/edit"
    assert BUTTON not in text(client.get(page_url, headers=HTML))

    refused = post(client, f"/disagreements/request/records/{record_id}", {"back": page_url}, page=page_url)

    assert refused.status_code == 403
    with app.extensions["docgen"].sessions() as db:
        assert db.scalars(select(DisagreementEscalation)).all() == []


@pytest.mark.parametrize("profile_name", ["stockport"])
def test_after_asking_the_reader_returns_only_to_the_documents_own_pages(app: Any, client: Any, org: Any,
                                                                        mailbox: Mailbox) -> None:
    """A `back` naming another record whose number starts with this one's (record 1, then /records/12)
    leads to this record's page, never to the other."""
    record_id = _disagreed_in_db(app, org, "record")
    page_url = f"/records/{record_id}/edit"
    sign_in(client, "manager")

    asked = post(client, f"/disagreements/request/records/{record_id}", {"back": f"/records/{record_id}2/edit"},
                 page=page_url)

    assert asked.status_code == 303 and asked.headers["Location"].endswith(page_url)
