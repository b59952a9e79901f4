"""Sign-off through the pages, on SQLite and PostgreSQL: the supervisor sends from the record's
page, the supervisee follows the link from a real e-mail (aiosmtpd) without an account, the
supervisor countersigns on the page, and anyone can check the sealed PDF on /verify.

Tasks run inline (tasks_url="memory"), so sending converts the review PDF and countersigning
seals the final PDF with this process's warm LibreOffice.
"""
from __future__ import annotations

import io
import logging
import re
from typing import Any, Iterator

import pytest

from tests.e2e import test_signoff
from tests.mailbox import Mailbox, sign_link_for, text_of
from tests.e2e.test_signoff import MANAGER, WORKER
from tests.e2e.test_web_pages import HTML, post, sign_in, start_record, text

pytestmark = pytest.mark.libreoffice
config = test_signoff.config  # the same mail server, base URL and organisation certificate


@pytest.fixture
def supervisee(app: Any) -> Any:
    """The supervisee's own browser: no account, no session, only the e-mailed link."""
    return app.test_client()


def _written_record(client: Any, org: Any) -> int:
    """A record the supervisor started and wrote on the pages, ready to send."""
    sign_in(client, "manager")
    record_id = start_record(client, org)
    saved = post(client, f"/records/{record_id}/edit", {"welfare": "Settled after the team move."})
    assert saved.status_code == 302, text(saved)
    return record_id


def _send(client: Any, record_id: int) -> Any:
    edit = f"/records/{record_id}/edit"
    response = post(client, f"/records/{record_id}/send", {}, page=edit)
    assert response.status_code == 302 and response.headers["Location"] == edit, text(response)
    return client.get(edit, headers=HTML)


def _decide(browser: Any, token: str, **answers: str) -> Any:
    return post(browser, f"/sign/{token}", answers, environ_base={"REMOTE_ADDR": "10.1.2.3"})


def _outside_own_urls(html: str, token: str) -> str:
    """The page without the two places its token belongs: the form's action and the PDF link."""
    return html.replace(f'action="/sign/{token}"', "").replace(f'href="/sign/{token}/pdf"', "")


def test_a_record_goes_from_the_supervisors_page_to_a_sealed_pdf_that_verify_calls_genuine(
        client: Any, supervisee: Any, org: Any, mailbox: Mailbox, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    record_id = _written_record(client, org)
    sent = _send(client, record_id)
    assert "was sent to Alex Morgan for sign-off" in text(sent) and "Awaiting supervisee" in text(sent)
    assert "Link e-mailed" in text(sent) and "Send the link again" in text(sent)
    assert "Waiting for Alex Morgan to agree (sent today)" in text(sent)
    assert "The record as sent to Alex Morgan" in text(sent) and "Settled after the team move." in text(sent)

    token = sign_link_for(mailbox, WORKER)
    link = supervisee.get(f"/sign/{token}", headers=HTML)
    assert link.status_code == 200 and link.headers["Cache-Control"] == "no-store"
    assert f"Supervision record R-{record_id:06d}" in text(link) and "For Alex Morgan to sign" in text(link)
    assert "Settled after the team move." in text(link) and "Type your full name to confirm" in text(link)
    assert token not in _outside_own_urls(text(link), token)

    wrong = _decide(supervisee, token, decision="agree", confirm_name="Sam Whitfield")
    assert wrong.status_code == 400 and "govuk-error-summary" in text(wrong)
    assert 'href="#confirm_name"' in text(wrong) and "Type your full name exactly as it appears" in text(wrong)

    agreed = _decide(supervisee, token, decision="agree", confirm_name="alex  morgan")
    assert agreed.status_code == 200 and "You agreed" in text(agreed) and token not in text(agreed)
    assert "Sam Whitfield has been asked to countersign it" in text(agreed)
    countersign_link = text(supervisee.get(f"/sign/{sign_link_for(mailbox, MANAGER)}", headers=HTML))
    assert "For Sam Whitfield to countersign" in countersign_link and "I disagree" not in countersign_link

    page = client.get(f"/records/{record_id}/edit", headers=HTML)
    assert "Awaiting supervisor" in text(page) and "Agreed" in text(page) and "/sign/" not in text(page)
    assert "Ready for you to countersign" in text(page)
    signed = post(client, f"/records/{record_id}/countersign", {"countersign-comment": "Good session"},
                  page=f"/records/{record_id}/edit")
    assert signed.status_code == 302
    page = client.get(f"/records/{record_id}/edit", headers=HTML)
    assert "<strong>Signed</strong>:" in text(page) and ">download PDF</a>" in text(page)
    assert "Good session" in text(page) and 'http-equiv="refresh"' not in text(page)
    assert f'href="/api/v1/records/{record_id}/pdf"' in text(page)

    pdf = client.get(f"/api/v1/records/{record_id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    genuine = post(supervisee, "/verify", {"file": (io.BytesIO(pdf.data), "record.pdf")})
    assert genuine.status_code == 200
    assert re.search(rf"Genuine and unaltered: record R-{record_id:06d}, signed by Alex Morgan on \d+ \w+ \d{{4}} "
                     r"at \d\d:\d\d UTC and Sam Whitfield on", text(genuine)), text(genuine)
    altered = bytearray(pdf.data)
    altered[len(altered) // 3] ^= 0x01
    assert "altered since it was sealed" in text(post(supervisee, "/verify", {"file": (io.BytesIO(bytes(altered)), "r.pdf")}))
    stranger = post(supervisee, "/verify", {"file": (io.BytesIO(b"%PDF-1.7 nothing"), "other.pdf")})
    assert "This is not a document sealed by Knowsley Council" in text(stranger)
    own_logs = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")  # mail.log: the inbox
    assert token not in own_logs


def test_a_disagreement_shows_on_the_supervisors_page_with_its_comment(
        client: Any, supervisee: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _written_record(client, org)
    _send(client, record_id)
    token = sign_link_for(mailbox, WORKER)

    missing = _decide(supervisee, token, decision="disagree", confirm_name="Alex Morgan")
    assert missing.status_code == 400 and 'href="#comment"' in text(missing)
    assert "Say what you disagree with or want noted" in text(missing)
    unanswered = _decide(supervisee, token, confirm_name="Alex Morgan")
    assert unanswered.status_code == 400 and 'href="#decision"' in text(unanswered)

    sent_back = _decide(supervisee, token, decision="disagree", confirm_name="Alex Morgan",
                        comment="The flexi day was agreed as two days")
    assert "Your disagreement was sent to Sam Whitfield" in text(sent_back)
    assert any("two days" in text_of(m) for m in mailbox.emails() if m["To"] == MANAGER)

    page = text(client.get(f"/records/{record_id}/edit", headers=HTML))
    assert "Changes requested" in page and "Disagreed" in page and "The flexi day was agreed as two days" in page
    assert "Alex Morgan disagreed</strong>:" in page and "revise or countersign" in page
    # K §9 "signed by both": no countersigning over the disagreement until its route has an outcome (issue 23)
    assert "Countersign with the disagreement recorded" not in page and "Send for sign-off" in page
    assert "Alex Morgan disagreed with this version, and the policy has both agree it (K §9: " in page


def test_a_used_or_unknown_link_gets_a_page_that_says_what_to_do(
        client: Any, supervisee: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _written_record(client, org)
    _send(client, record_id)
    token = sign_link_for(mailbox, WORKER)
    assert _decide(supervisee, token, decision="agree", confirm_name="Alex Morgan").status_code == 200

    used = supervisee.get(f"/sign/{token}", headers=HTML)
    assert used.status_code == 410 and used.mimetype == "text/html"
    assert "This link no longer works" in text(used) and "ask your supervisor to send it again" in text(used)
    assert "already been used" in text(used) and token not in text(used)
    unknown = supervisee.get("/sign/" + "x" * 43, headers=HTML)
    assert unknown.status_code == 404 and "ask your supervisor to send it again" in text(unknown)


def test_the_supervisors_link_spent_by_countersigning_in_docgen_says_so_and_links_to_the_record(
        client: Any, supervisee: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _written_record(client, org)
    _send(client, record_id)
    assert _decide(supervisee, sign_link_for(mailbox, WORKER), decision="agree", confirm_name="Alex Morgan").status_code == 200
    own_link = sign_link_for(mailbox, MANAGER)
    signed = post(client, f"/records/{record_id}/countersign", {}, page=f"/records/{record_id}/edit")
    assert signed.status_code == 302

    spent = supervisee.get(f"/sign/{own_link}", headers=HTML)
    assert spent.status_code == 410 and "You have already countersigned" in text(spent)
    assert re.search(r"You already countersigned in docgen on \d+ \w+ \d{4}\.", text(spent)), text(spent)
    assert f'href="/records/{record_id}/edit"' in text(spent) and "replaced by a newer one" not in text(spent)
    assert own_link not in text(spent)


def test_my_records_tell_the_supervisee_when_it_is_their_turn(client: Any, supervisee: Any, org: Any) -> None:
    record_id = _written_record(client, org)
    _send(client, record_id)
    sign_in(supervisee, "worker")
    mine = text(supervisee.get("/my-records", headers=HTML))
    assert "Ready for you to agree: open the link in your e-mail" in mine


def test_a_signed_records_page_offers_to_check_again_until_the_sealed_pdf_is_filed(
        app: Any, client: Any, supervisee: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _written_record(client, org)
    _send(client, record_id)
    assert _decide(supervisee, sign_link_for(mailbox, WORKER), decision="agree", confirm_name="Alex Morgan").status_code == 200
    deployment = app.extensions["docgen"]
    run, held = deployment.enqueue, []
    deployment.enqueue = lambda *task: held.append(task) if task[0] == "finalise_document" else run(*task)
    post(client, f"/records/{record_id}/countersign", {}, page=f"/records/{record_id}/edit")

    waiting = text(client.get(f"/records/{record_id}/edit", headers=HTML))
    assert f'data-docgen-await-pdf="/api/v1/records/{record_id}/signoff"' in waiting and "Check again</a>" in waiting
    assert 'http-equiv="refresh"' not in waiting and "Signed</strong>:" in waiting  # no page taken from its reader
    assert "the PDF is being sealed" in waiting and "Download final PDF" not in waiting
    deployment.enqueue = run
    run(*held[0])  # the worker seals it
    ready = text(client.get(f"/records/{record_id}/edit", headers=HTML))
    assert "data-docgen-await-pdf" not in ready and "Download final PDF" in ready and ">download PDF</a>" in ready


def test_a_step_the_state_does_not_allow_shows_the_workflow_message(client: Any, org: Any) -> None:
    record_id = _written_record(client, org)
    early = post(client, f"/records/{record_id}/countersign", {}, page=f"/records/{record_id}/edit")
    assert early.status_code == 409 and "govuk-error-summary" in text(early)
    assert "Cannot countersign: it is draft" in text(early) and 'href="#signoff"' in text(early)


def test_sign_off_forms_need_their_csrf_token(client: Any, supervisee: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _written_record(client, org)
    assert client.post(f"/records/{record_id}/send", headers=HTML).status_code == 400
    _send(client, record_id)
    token = sign_link_for(mailbox, WORKER)
    forged = supervisee.post(f"/sign/{token}", data={"decision": "agree", "confirm_name": "Alex Morgan"}, headers=HTML)
    assert forged.status_code == 400
    assert supervisee.get(f"/sign/{token}", headers=HTML).status_code == 200  # the link still works


def test_link_pages_are_rate_limited(supervisee: Any, org: Any) -> None:
    codes = [supervisee.get("/sign/" + "x" * 43, headers=HTML).status_code for _ in range(11)]
    assert codes[:10] == [404] * 10 and codes[10] == 429


def test_the_supervisor_edits_and_sends_a_draft_agreement(client: Any, supervisee: Any, org: Any,
                                                          mailbox: Mailbox) -> None:
    created = client.post("/api/v1/agreements", headers=org.auth("manager"),
                          json={"supervisee_id": org.ids["worker"], "started_on": "2025-03-03"}).json
    sign_in(client, "manager")
    url = f"/agreements/{created['id']}"
    assert "Agreement: draft" in text(client.get(f"/supervision/{org.ids['worker']}", headers=HTML))

    fields = {"job_roles": "Social worker; team manager", "frequency": "Every 4 weeks", "length": "1 hour",
              "location": "Face-to-face", "confidentiality": "Confidential unless someone is at risk of harm",
              "supervisee_expectations": "Prepare an agenda", "supervisor_expectations": "Protect the time",
              "started_on": ["3", "3", "2025"]}
    backwards = post(client, url, {**fields, "review_date": ["1", "1", "2025"]})
    assert backwards.status_code == 400 and 'href="#review_date-day"' in text(backwards)
    saved = post(client, url, {**fields, "review_date": ["3", "3", "2026"]})
    assert saved.status_code == 302

    assert post(client, f"{url}/send", {}, page=url).status_code == 302
    link = text(supervisee.get(f"/sign/{sign_link_for(mailbox, WORKER)}", headers=HTML))
    assert f"Supervision agreement AG-{created['id']:06d}" in link
    assert "Confidential unless someone is at risk of harm" in link and "Review Date for This Agreement" in link
    assert "Awaiting supervisee" in text(client.get(url, headers=HTML))
    assert client.get(f"/api/v1/agreements/{created['id']}/docx").data[:2] == b"PK"  # the page's Word link


@pytest.fixture
def queued_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Tasks wait in the app's in-memory queue until the test plays the worker."""
    huey = app.extensions["docgen.tasks"].huey
    monkeypatch.setattr(huey, "immediate", False)
    yield huey
    huey.flush()


def _worker_runs(huey: Any, name: str) -> None:
    """Play the worker for the queued tasks called `name`; the others go back in the queue."""
    queued = []
    while (task := huey.dequeue()) is not None:
        queued.append(task)
    for task in queued:
        if task.name == name:
            huey.execute(task)
        else:
            huey.enqueue(task)


def test_the_link_offers_the_pdf_once_the_worker_has_made_it(
        client: Any, supervisee: Any, org: Any, mailbox: Mailbox, queued_tasks: Any) -> None:
    record_id = _written_record(client, org)
    _send(client, record_id)
    _worker_runs(queued_tasks, "deliver_email")
    token = sign_link_for(mailbox, WORKER)
    waiting = text(supervisee.get(f"/sign/{token}", headers=HTML))
    assert "The PDF is being prepared; the document is shown below" in waiting and "/pdf" not in waiting

    _worker_runs(queued_tasks, "make_review_pdf")
    ready = text(supervisee.get(f"/sign/{token}", headers=HTML))
    assert f'href="/sign/{token}/pdf"' in ready, "no PDF link after the worker ran"
    assert supervisee.get(f"/sign/{token}/pdf").data.startswith(b"%PDF")
    assert supervisee.get(f"/api/v1/sign/{token}/pdf").data.startswith(b"%PDF")
