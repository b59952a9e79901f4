"""Versions told apart, and nobody called a signer before they signed (issue 27: 3, 4, 8, 10, 11, 19).

Alex Morgan (supervisee) is sent a record by Sam Whitfield (supervisor), on SQLite and PostgreSQL,
through the pages and real e-mails (aiosmtpd). When Alex disagrees with version 1 and Sam sends
version 2, Alex's page says what changed; Sam's countersign link shows what Alex said; the sealed
PDF names version 1's disagreement as an earlier version's and lists each version's decision; and
until someone signs, every page and the Word file say "To be signed by", never "Signed by".
"""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from docx import Document
from sqlalchemy import select

from storage.filing import read_document
from storage.models import DocumentVersion
from tests.e2e.test_consent import config, profile_name  # noqa: F401  (the profile by name, mail to a test server)
from tests.e2e.test_disagreement_route import _pdf_text
from tests.e2e.test_signoff import MANAGER, WORKER, _draft, _send, _sign
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from tests.etags import read_then_change
from tests.mailbox import Mailbox, sign_link_for, text_of

pytestmark = pytest.mark.libreoffice  # sending makes the review PDF, countersigning seals the final one
DISAGREEMENT = "The flexi day was agreed as two days, not one"


def _page(client: Any, path: str) -> str:
    """The words of a page, as its reader reads them: no tags, entities decoded, spaces squeezed."""
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, text(response)
    return words(response)


def _revised(client: Any, org: Any, record_id: int) -> None:
    """Sam revises what Alex disagreed with: the welfare text, and a new action."""
    revised = client.patch(f"/api/v1/records/{record_id}", json={
        "welfare": {"discussion": "Settled after the team move; two flexi days owed."},
        "actions": [{"section": "welfare", "text": "Book training", "due": "30 January 2027"}]},
        headers=read_then_change(client, f"/api/v1/records/{record_id}", org.auth("manager")))
    assert revised.status_code == 200, revised.json


def _disagreed_then_resent(client: Any, org: Any, mailbox: Mailbox) -> int:
    """Version 1 sent, Alex disagreed with it, Sam revised it and sent version 2."""
    record_id = _draft(client, org)
    _send(client, org, record_id)
    assert _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", DISAGREEMENT).status_code == 200
    _revised(client, org, record_id)
    assert _send(client, org, record_id)["version"] == 2
    return record_id


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_a_resent_version_shows_the_supervisee_what_changed_since_they_disagreed(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    first = _page(client, f"/sign/{sign_link_for(mailbox, WORKER)}")
    assert "revised after you disagreed" not in first and "What changed" not in first

    _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", DISAGREEMENT)
    _revised(client, org, record_id)
    _send(client, org, record_id)
    resent = [m for m in mailbox.emails() if m["To"] == WORKER][-1]
    assert "version 2, revised" in resent["Subject"]
    assert "This is version 2, revised after you disagreed with the version before it." in text_of(resent)
    page = _page(client, f"/sign/{sign_link_for(mailbox, WORKER)}")
    assert "Version 2: revised after you disagreed" in page
    assert "You disagreed with version 1 on" in page and f"Your comment on version 1: “{DISAGREEMENT}”" in page
    changes = page[page.index("What changed since version 1"):page.index("Sam Whitfield has written this")]
    assert "Welfare: text changed" in changes and "Action 'Book training' added" in changes
    assert "Take the flexi day owed" not in changes  # an action left as it was is not a change


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_a_version_sent_again_unchanged_says_nothing_was_changed(client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", DISAGREEMENT)
    _send(client, org, record_id)
    page = _page(client, f"/sign/{sign_link_for(mailbox, WORKER)}")
    assert "Nothing in the record was changed since version 1: it was sent to you again as it was." in page


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_countersign_link_from_the_email_shows_what_the_supervisee_said(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _disagreed_then_resent(client, org, mailbox)
    _sign(client, sign_link_for(mailbox, WORKER), "agree_with_comment", "Alex Morgan", "Thanks for correcting it")

    [asked] = [m for m in mailbox.emails() if m["To"] == MANAGER and "Ready for you to countersign" in m["Subject"]]
    assert "including any comment from the supervisee" in text_of(asked)
    page = _page(client, f"/sign/{sign_link_for(mailbox, MANAGER)}")
    said = page[page.index("What Alex Morgan said"):page.index("The record")]
    assert "Version 2 (this version) Alex Morgan agreed, with comment, on" in said
    assert "“Thanks for correcting it”" in said
    assert "Version 1 Alex Morgan disagreed, with comment, on" in said and f"“{DISAGREEMENT}”" in said
    assert said.index("Version 2") < said.index("Version 1")  # the version to countersign first
    assert f"R-{record_id:06d}" in page


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_sealed_pdf_names_an_earlier_versions_disagreement_and_lists_each_versions_decision(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _disagreed_then_resent(client, org, mailbox)
    _sign(client, sign_link_for(mailbox, WORKER), "agree", "Alex Morgan")
    assert _sign(client, sign_link_for(mailbox, MANAGER), "agree", "Sam Whitfield").json["status"] == "signed"

    certificate = _pdf_text(client, org, record_id)
    assert "DISAGREEMENT RECORDED" not in certificate
    assert "DISAGREEMENT WITH AN EARLIER VERSION" in certificate
    assert re.search(r"Alex Morgan disagreed with version 1 on [\d-]+ [\d:]+ UTC, which was revised after it; "
                     r"this PDF holds version 2\.", certificate), certificate
    assert "version 1: disagreed, with comment; version 2: agreed" in certificate
    assert "Alex Morgan (signed electronically)" in certificate and "Sam Whitfield (signed electronically)" in certificate
    assert "To be signed by" not in certificate


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_nothing_calls_anyone_a_signer_before_they_signed(app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    sign_in(client, "manager")
    record_id = _draft(client, org)
    check = _page(client, f"/records/{record_id}/send")
    assert "To be signed by Alex Morgan (supervisee), then Sam Whitfield (supervisor)." in check
    assert "Signed by" not in check

    _send(client, org, record_id)
    waiting = _page(client, f"/sign/{sign_link_for(mailbox, WORKER)}")
    assert "Waiting for Alex Morgan (supervisee) to agree and sign." in waiting
    assert "To be countersigned by Sam Whitfield (supervisor)." in waiting and "Signed by" not in waiting
    services = app.extensions["docgen"]
    with services.sessions() as db:
        filed = db.scalar(select(DocumentVersion).where(DocumentVersion.record_id == record_id,
                                                        DocumentVersion.kind == "docx"))
        word = Document(io.BytesIO(read_document(db, services.store, filed)))
    signatures = next(t for t in word.tables if t.cell(0, 1).text == "Signature")
    assert [row.cells[1].text for row in signatures.rows[1:]] == [
        "To be signed by Alex Morgan", "To be signed by Sam Whitfield"]  # the review PDF prints this file

    _sign(client, sign_link_for(mailbox, WORKER), "agree", "Alex Morgan")
    countersign = _page(client, f"/sign/{sign_link_for(mailbox, MANAGER)}")
    assert re.search(r"Signed by Alex Morgan \(supervisee\) on \d+ \w+ \d{4}\.", countersign)
    assert "Waiting for Sam Whitfield (supervisor) to countersign." in countersign
    record_page = _page(client, f"/records/{record_id}/edit")
    assert "Waiting for Sam Whitfield (supervisor) to countersign." in record_page


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_disagreement_email_links_to_the_page_where_the_supervisor_revises_or_countersigns(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", DISAGREEMENT)
    [told] = [m for m in mailbox.emails() if m["To"] == MANAGER and "disagreed" in m["Subject"]]
    assert DISAGREEMENT in text_of(told)
    assert f"https://docgen.example.org/records/{record_id}/edit" in text_of(told)


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_after_deciding_the_supervisee_has_a_way_back_to_the_record(client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _draft(client, org)
    _send(client, org, record_id)
    token = sign_link_for(mailbox, WORKER)
    done = post(client, f"/sign/{token}", {"decision": "agree", "confirm_name": "Alex Morgan"})
    assert done.status_code == 200 and "You agreed" in text(done)
    assert f'href="/records/{record_id}"' in text(done) and 'href="/my-records"' in text(done)


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_countersigning_over_a_disagreement_on_the_page_asks_for_the_typed_name_and_tells_the_supervisee(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    """W §10 lets Sam finalise over Alex's disagreement: as on the e-mailed link, only with his full
    name typed, and Alex hears of it at once, with both views and where to read the record."""
    record_id = _draft(client, org)
    _send(client, org, record_id)
    _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", DISAGREEMENT)
    sign_in(client, "manager")
    edit = f"/records/{record_id}/edit"
    assert "Type your full name to countersign over the disagreement" in _page(client, edit)

    one_click = post(client, f"/records/{record_id}/countersign", {"countersign-comment": "Two days stands"}, page=edit)
    assert one_click.status_code == 422 and 'href="#countersign-confirm_name"' in text(one_click)
    assert "Type your full name to countersign over the disagreement" in text(one_click)
    status = client.get(f"/api/v1/records/{record_id}/signoff", headers=org.auth("manager")).json
    assert status["status"] == "changes_requested"
    assert not [m for m in mailbox.emails() if m["To"] == WORKER and "countersigned" in m["Subject"]]
    by_api = client.post(f"/api/v1/records/{record_id}/countersign", headers=org.auth("manager"),
                         json={"comment": "Two days stands", "confirm_name": "Not Me"})  # a name given is checked
    assert by_api.status_code == 422 and by_api.json["error"]["field"] == "confirm_name"

    signed = post(client, f"/records/{record_id}/countersign",
                  {"countersign-comment": "Two days stands", "countersign-confirm_name": "sam  whitfield"}, page=edit)
    assert signed.status_code == 302, text(signed)
    [told] = [m for m in mailbox.emails() if m["To"] == WORKER and "countersigned over your disagreement" in m["Subject"]]
    body = " ".join(text_of(told).split())
    assert f"Your comment: {DISAGREEMENT}" in body and "Sam Whitfield's comment: Two days stands" in body
    assert "https://docgen.example.org/my-records" in body
    sealed = _pdf_text(client, org, record_id)
    assert "Not signed by Alex Morgan" in sealed and "Sam Whitfield (signed electronically)" in sealed
    assert "version 1: disagreed, with comment" in sealed and "DISAGREEMENT RECORDED" in sealed


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_a_resent_agreement_names_its_changed_field_in_the_forms_words(client: Any, org: Any, mailbox: Mailbox) -> None:
    created = client.post("/api/v1/agreements", headers=org.auth("manager"), json={
        "supervisee_id": org.ids["worker"], "started_on": "2026-11-02", "fields": {"frequency": "Monthly"}})
    assert created.status_code == 201, created.json
    agreement_id = created.json["id"]
    assert client.post(f"/api/v1/agreements/{agreement_id}/send", headers=org.auth("manager")).status_code == 200
    _sign(client, sign_link_for(mailbox, WORKER), "disagree", "Alex Morgan", "We agreed fortnightly")
    changed = client.patch(f"/api/v1/agreements/{agreement_id}", json={"frequency": "Fortnightly"},
                           headers=read_then_change(client, f"/api/v1/agreements/{agreement_id}", org.auth("manager")))
    assert changed.status_code == 200, changed.json
    assert client.post(f"/api/v1/agreements/{agreement_id}/send", headers=org.auth("manager")).status_code == 200

    page = _page(client, f"/sign/{sign_link_for(mailbox, WORKER)}")
    changes = page[page.index("What changed since version 1"):page.index("Sam Whitfield has written this")]
    assert changes.split() == "What changed since version 1 Frequency of Supervision (e.g., monthly): changed".split()
