"""Issue 27, items 7, 13, 16, 17, 18 and 19e, as a supervisor, an administrator, a line manager and a
supervisee meet them, on SQLite and PostgreSQL: a draft dated ahead of its session stays on the
dashboard; the person form and the disagreement outcome form name every problem at once in plain
words; My records lists open actions and says each thing once; the record page leads back and to
its signed PDF and marks carried actions; the supervisor's instructions stay on the edit page;
tables keep words whole; the marking line sits in a landmark.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from kernel import clock
from kernel.config import Config
from tests.e2e.test_disagreement_route import _disagreed, _later
from tests.e2e.test_signoff import MANAGER, WORKER, _draft, _send, _sign
from tests.e2e.test_web_pages import HTML, post, sign_in, start_record, text
from tests.mailbox import Mailbox, sign_link_for
from tests.sealing import mailing_and_sealing

INSTRUCTIONS = ("please delete any that are not relevant", "Include the positives", "should be summarised here")


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


def _person(org: Any, **typed: Any) -> dict[str, Any]:
    return {"name": "Jo Bloggs", "email": "jo.bloggs@knowsley.example.org", "role": "social_worker",
            "team_id": str(org.team.id), "line_manager_id": str(org.ids["manager"]), "employment_type": "employee",
            "employment_start": ["1", "4", "2025"], "leave_date": ["", "", ""], **typed}


def _errors(page: str) -> list[str]:
    """The messages of the page's error summary, in order."""
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert summary, "no error summary"
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'<a href="#[^"]+">(.*?)</a>', summary.group(1), re.S)]


# --- item 7 ----------------------------------------------------------------------------------

def test_a_draft_dated_after_today_stays_on_the_dashboard_as_upcoming(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    tomorrow = clock.today() + dt.timedelta(days=1)
    record_id = start_record(client, org, tomorrow)
    page = text(client.get("/supervision", headers=HTML))
    assert f'href="/records/{record_id}/edit"' in page
    assert f"Record of {tomorrow.day} {tomorrow:%B %Y} to complete" in page
    due = client.get("/api/v1/due", headers=org.auth("manager")).json["items"]
    [item] = [i for i in due if i["kind"] == "record"]
    assert item["state"] == "upcoming" and item["ref_id"] == record_id


# --- item 13: the person form ------------------------------------------------------------------

def test_adding_a_person_names_every_box_at_fault_at_once_in_plain_words(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    refused = post(client, "/admin/people/new", _person(org, email="jo.bloggs@", employment_start=["", "", ""]))
    assert refused.status_code == 400
    page = text(refused)
    assert _errors(page) == ["Enter an email address in the correct format, like name@example.com",
                             "Enter employment start date"]
    assert "@-sign" not in page and "is not a valid e-mail address" not in page
    assert 'value="jo.bloggs@"' in page  # kept as typed


def test_a_duplicate_address_is_named_as_typed_and_left_as_typed(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    refused = post(client, "/admin/people/new", _person(org, email=" Manager@Knowsley.example.org"))
    assert refused.status_code == 400
    page = text(refused)
    assert _errors(page) == ["Another person already has the email address Manager@Knowsley.example.org"]
    assert 'value=" Manager@Knowsley.example.org"' in page
    added = post(client, "/admin/people/new", _person(org, email=" Jo.Bloggs@Knowsley.example.org "))
    assert added.status_code == 302  # the spaces of a pasted address are not an error
    assert "jo.bloggs@knowsley.example.org" in text(client.get("/admin/people", headers=HTML))


# --- item 13: the disagreement outcome form ---------------------------------------------------------

@pytest.mark.libreoffice
def test_the_only_outcome_is_a_fact_every_problem_is_named_at_once_and_success_is_a_banner(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    _disagreed(client, org, mailbox, "Leave dates are wrong")
    _later(32)
    client.application.extensions["docgen"].enqueue("disagreement_route")
    [escalation] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    sign_in(client, "head")
    url = f"/disagreements/{escalation['id']}"
    form = text(client.get(url, headers=HTML))
    assert 'type="radio"' not in form and 'name="outcome" value="three_way"' in form
    assert "settled at a three-way meeting with Alex Morgan and Sam Whitfield" in form

    refused = post(client, url, {"outcome": "three_way", "outcome_text": ""})
    assert refused.status_code == 422
    assert _errors(text(refused)) == ["Enter the date of the three-way meeting", "Enter what was decided"]
    assert "three_way" not in "".join(_errors(text(refused)))

    today = clock.today()
    done = post(client, url, {"outcome": "three_way", "outcome_text": "Leave corrected",
                              "meeting_on": [str(today.day), str(today.month), str(today.year)]})
    assert done.status_code == 303
    shown = text(client.get(url, headers=HTML))
    assert "govuk-notification-banner--success" in shown
    assert "The three-way meeting’s outcome has been recorded. Alex Morgan and Sam Whitfield have been told" in shown


# --- items 16 and 18: My records, the record page, the instructions -------------------------------------

def _signed_record(client: Any, org: Any, mailbox: Mailbox) -> int:
    """A record with one open action ("Take the flexi day owed"), agreed and countersigned, sealed."""
    record_id = _draft(client, org)
    _send(client, org, record_id)
    assert _sign(client, sign_link_for(mailbox, WORKER), "agree", "Alex Morgan").json["status"] == "awaiting_supervisor"
    assert _sign(client, sign_link_for(mailbox, MANAGER), "agree", "Sam Whitfield").json["status"] == "signed"
    return record_id


@pytest.mark.libreoffice
def test_my_records_lists_open_actions_and_says_each_thing_once(client: Any, org: Any, mailbox: Mailbox) -> None:
    signed = _signed_record(client, org, mailbox)
    later = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-12-01"},
                        headers=org.auth("manager")).json["id"]  # a draft carrying the action on
    sign_in(client, "worker")
    page = text(client.get("/my-records", headers=HTML))
    actions = page[page.index('id="open-actions"'):page.index("</table>", page.index('id="open-actions"'))]
    assert "Take the flexi day owed" in actions and "end of month" in actions
    assert f'href="/records/{signed}"' in actions  # where it was raised
    assert "Signed: download PDF" not in page
    assert page.count(f"/api/v1/records/{signed}/pdf") == 1
    assert f'href="/records/{later}"' in page


@pytest.mark.libreoffice
def test_the_record_page_leads_back_to_my_records_and_to_its_signed_pdf_and_marks_carried_actions(
        client: Any, org: Any, mailbox: Mailbox) -> None:
    signed = _signed_record(client, org, mailbox)
    later = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-12-01"},
                        headers=org.auth("manager")).json["id"]
    sign_in(client, "worker")
    page = text(client.get(f"/records/{signed}", headers=HTML))
    assert '<a href="/my-records" class="govuk-back-link">Back to my records</a>' in page
    assert f'href="/api/v1/records/{signed}/pdf"' in page and "Download the signed PDF" in page
    assert "Carried forward" not in page  # raised in this record
    carried = text(client.get(f"/records/{later}", headers=HTML))
    assert "Carried forward from 2 November 2026" in carried
    assert f'href="/api/v1/records/{later}/pdf"' not in carried
    sign_in(client, "head")  # the supervisor's line manager goes back to the supervisee's history
    assert (f'<a href="/supervision/{org.ids["worker"]}" class="govuk-back-link">Back to the records of Alex Morgan'
            in text(client.get(f"/records/{signed}", headers=HTML)))
    pdf = client.get(f"/api/v1/records/{signed}/pdf", headers=org.auth("worker")).data
    sealed = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "3. Various" in sealed and not [words for words in INSTRUCTIONS if words in sealed]


def test_the_supervisors_instructions_are_hints_on_the_edit_page_only(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = text(client.get(f"/records/{record_id}/edit", headers=HTML))
    for hint in ("Remove any areas that are not relevant, or add new ones.",
                 "Include the positives as well as the things that the supervisee would like to change.",
                 "Summarise here the actions recorded in the sections above"):
        assert f'<p class="govuk-hint">{hint}' in edit
    shown = text(client.get(f"/records/{record_id}", headers=HTML))
    word = client.get(f"/records/{record_id}/docx", headers=HTML)
    assert word.status_code == 200
    with zipfile.ZipFile(io.BytesIO(word.data)) as docx:
        printed = docx.read("word/document.xml").decode()
    for where in (shown, printed):
        assert "3. Various" in where and not [words for words in INSTRUCTIONS if words in where]


# --- items 17 and 19e: whole words in tables, the marking in a landmark ---------------------------------

def test_tables_size_their_columns_by_whole_words() -> None:
    """The page's `overflow-wrap: anywhere` let table columns shrink to a letter ("Alex Morga n");
    the browser journey measures the words, this names the rule."""
    css = (Path(__file__).resolve().parents[2] / "docgen" / "static" / "docgen" / "app.css").read_text()
    assert re.search(r"\.govuk-table\s*\{\s*overflow-wrap:\s*break-word;", css)


def test_the_marking_and_who_is_signed_in_are_inside_the_banner_landmark(client: Any, org: Any) -> None:
    sign_in(client, "worker")
    page = text(client.get("/my-records", headers=HTML))
    header = page[page.index('<header class="govuk-template__header">'):page.index("</header>")]
    assert "OFFICIAL" in header and "Signed in as Alex Morgan" in header
