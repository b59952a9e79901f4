"""The GOV.UK pages through Flask's test client, on SQLite and PostgreSQL: sign-in, CSRF, who sees
which page, a record edited through its forms, error pages and security headers."""
from __future__ import annotations

import dataclasses
import html
import datetime as dt
import io
import re
import uuid
from typing import Any

import pytest

from kernel.config import Config
from storage.models import Record
from kernel import clock
from workflows import actions

PASSWORD = "correct-horse-battery"
HTML = {"Accept": "text/html"}
TOKEN = re.compile(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"|'
                   r'type="hidden" name="csrf_token" value="([^"]+)"')
# The revision a page's forms were opened at (workflows.revisions), each under its form's prefix.
REVISION = re.compile(r'name="((?:[\w-]+-)?revision)" type="hidden" value="(\d*)"|'
                      r'type="hidden" name="(revision)" value="(\d*)"')


@pytest.fixture
def config(config: Config) -> Config:
    """Each test counts its own sign-in attempts, even against a shared Redis."""
    return dataclasses.replace(config, extra={"ratelimit_key_prefix": f"test-{uuid.uuid4().hex}"})


def csrf(client: Any, url: str) -> str:
    page = client.get(url, headers=HTML)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1) or match.group(2)


def sign_in(client: Any, who: str) -> Any:
    token = csrf(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": f"{who}@knowsley.example.org",
                                         "password": PASSWORD}, headers=HTML)


def hidden(html: str) -> dict[str, str]:
    """The hidden revision fields of a page's forms, as a browser submits them."""
    return {m.group(1) or m.group(3): m.group(2) or m.group(4) for m in REVISION.finditer(html)}


def post(client: Any, url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any) -> Any:
    """Submit a form the way a browser does: with the CSRF token and the revision fields from the
    page it is on."""
    shown = client.get(page or url, headers=HTML)
    match = TOKEN.search(text(shown))
    assert match, f"no CSRF token on {page or url} ({shown.status_code})"
    return client.post(url, data={"csrf_token": match.group(1) or match.group(2), **hidden(text(shown)), **data},
                       headers=HTML, **kwargs)


def changed_in_another_tab(client: Any, org: Any, record_id: int, if_match: str, change: dict[str, Any]) -> Any:
    """The supervisor saves `change` through the API from another tab, which read `if_match`."""
    theirs = client.patch(f"/api/v1/records/{record_id}", json=change,
                          headers={**org.auth("manager"), "If-Match": if_match})
    assert theirs.status_code == 200, theirs.json
    return theirs


def text(response: Any) -> str:
    return response.get_data(as_text=True)


def words(response: Any) -> str:
    """The words of a page as its reader reads them: no tags or attributes (a random CSRF token can
    hold any two letters), entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text(response))).split())


def start_record(client: Any, org: Any, day: dt.date = dt.date(2025, 3, 3)) -> int:
    url = f"/supervision/{org.ids['worker']}/records/new"
    response = post(client, url, {"session_date": [str(day.day), str(day.month), str(day.year)]})
    assert response.status_code == 302, text(response)
    return int(re.search(r"/records/(\d+)/edit", response.headers["Location"]).group(1))


def test_sign_in_takes_a_supervisor_to_their_supervisees(client: Any, org: Any) -> None:
    response = sign_in(client, "manager")
    assert response.status_code == 302 and response.headers["Location"] == "/supervision"
    page = client.get("/supervision", headers=HTML)
    assert page.status_code == 200
    assert "Alex Morgan" in text(page) and "Priya Patel" in text(page)
    assert "Sign out" in text(page)
    # issue 14's pages for a supervisor are reached from the dashboard, and open
    for link in ('href="/disagreements"', 'href="/consent-requests"'):
        assert link in page.get_data(as_text=True)
        assert client.get(link.split('"')[1], headers=HTML).status_code == 200


@pytest.mark.parametrize("email, password", [("manager@knowsley.example.org", "wrong-password-here"),
                                             ("nobody@knowsley.example.org", PASSWORD)])
def test_failed_sign_in_gives_one_generic_message(client: Any, org: Any, email: str, password: str) -> None:
    response = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "email": email,
                                             "password": password}, headers=HTML)
    assert response.status_code == 400
    assert "Enter a correct email address and password" in text(response)
    assert 'href="#email"' in text(response)  # the error summary names the field
    assert client.get("/supervision", headers=HTML).status_code == 302


def test_a_form_without_its_csrf_token_is_refused(client: Any, org: Any) -> None:
    response = client.post("/sign-in", data={"email": "manager@knowsley.example.org", "password": PASSWORD},
                           headers=HTML)
    assert response.status_code == 400
    assert "There is a problem with your request" in text(response)
    sign_in(client, "manager")
    assert client.post("/sign-out", headers=HTML).status_code == 400
    assert client.get("/supervision", headers=HTML).status_code == 200


def test_the_api_needs_no_csrf_token(client: Any, org: Any) -> None:
    response = client.post("/api/v1/teams", json={"name": "Leaving Care"}, headers=org.auth("admin"))
    assert response.status_code == 201


def test_sign_out_ends_the_session(client: Any, org: Any) -> None:
    sign_in(client, "worker")
    assert post(client, "/sign-out", {}, page="/my-records").status_code == 302
    assert client.get("/my-records", headers=HTML).headers["Location"].startswith("/sign-in")


def test_sign_in_is_rate_limited(client: Any, org: Any) -> None:
    token = csrf(client, "/sign-in")
    codes = [client.post("/sign-in", data={"csrf_token": token, "email": "x@example.org", "password": "nope"},
                         headers=HTML).status_code for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429
    refused = client.post("/sign-in", data={"csrf_token": token, "email": "manager@knowsley.example.org",
                                            "password": PASSWORD}, headers=HTML)
    assert refused.status_code == 429 and "Too many attempts" in text(refused)  # even with the right password


def test_a_page_sends_a_browser_without_a_session_to_sign_in(client: Any, org: Any) -> None:
    response = client.get("/supervision", headers=HTML)
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/supervision?"


@pytest.mark.parametrize("who, url, status", [
    ("manager", "/supervision", 200),
    ("manager", "/supervision/{worker}", 200),
    ("manager", "/supervision/{worker}/records/new", 200),
    ("worker", "/supervision/{worker}/records/new", 403),
    ("asye", "/supervision/{worker}", 404),
    ("asye", "/supervision/{worker}/records/new", 404),
    ("worker", "/my-records", 200),
    ("hr", "/hr/leavers", 200),
    ("worker", "/hr/leavers", 403),
    ("admin", "/admin/people", 200),
    ("admin", "/admin/people/new", 200),
    ("admin", "/admin/people/{worker}", 200),
    ("admin", "/admin/teams", 200),
    ("admin", "/admin/relationships", 200),
    ("admin", "/admin/policy", 200),
    ("manager", "/admin/people", 403),
    ("hr", "/admin/policy", 403),
    ("admin", "/supervision/{worker}", 404),
])
def test_each_page_answers_by_role(client: Any, org: Any, who: str, url: str, status: int) -> None:
    sign_in(client, who)
    response = client.get(url.format(**org.ids), headers=HTML)
    assert response.status_code == status
    assert response.mimetype == "text/html"


def test_record_pages_answer_by_role(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    assert client.get(f"/records/{record_id}/edit", headers=HTML).status_code == 200
    client.get("/sign-in")
    sign_in(client, "worker")
    assert client.get(f"/records/{record_id}", headers=HTML).status_code == 200
    assert client.get(f"/records/{record_id}/edit", headers=HTML).status_code == 403
    assert "R-" in text(client.get("/my-records", headers=HTML))
    sign_in(client, "asye")
    assert client.get(f"/records/{record_id}", headers=HTML).status_code == 404
    assert client.get(f"/records/{record_id}/docx", headers=HTML).status_code == 404


def test_a_record_is_edited_through_its_one_form(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"
    page = text(client.get(edit, headers=HTML))
    assert "Learning and Development" in page and page.count("<form") - page.count('class="app-sign-out"') == 1

    saved = post(client, edit, {"step": "save", "welfare": "Feeling settled; caseload manageable.",
                                "previous_happy": "Yes", "area_performance": "Good progress on assessments.",
                                "next_supervision": ["31", "3", "2025"]})
    assert saved.status_code == 302
    assert "The record has been saved" in text(client.get(edit, headers=HTML))

    added = post(client, edit, {**typed(client, edit), "step": "add-action", "new_action_section": "welfare",
                                "new_action_text": "Book leave", "new_action_owner": "Alex", "new_action_due": "April"})
    assert added.status_code == 302 and added.headers["Location"].endswith("#actions")
    record = db.get(Record, record_id)
    action_id = actions.entries(db, record)[0].action_id
    db.commit()  # end the read: on SQLite a transaction holds the write lock (BEGIN IMMEDIATE)
    done = post(client, edit, {**typed(client, edit), "step": "save", f"progress_{action_id}": "Booked",
                               f"completed_{action_id}": "y"})
    assert done.status_code == 302
    asked = post(client, edit, {**typed(client, edit), "step": "remove-area:aob"})
    assert asked.headers["Location"] == f"/records/{record_id}/areas/aob/remove"
    assert post(client, asked.headers["Location"], {}).status_code == 302
    assert post(client, edit, {**typed(client, edit), "step": "add-area",
                               "new_area_title": "Court work"}).status_code == 302

    db.expire_all()
    record = db.get(Record, record_id)
    assert record.sections["welfare"]["discussion"] == "Feeling settled; caseload manageable."
    assert record.sections["previous"]["happy"] == "Yes"
    assert record.next_supervision == dt.date(2025, 3, 31)
    areas = {a["key"]: a for a in record.sections["areas"]}
    assert "aob" not in areas and areas["performance"]["discussion"] == "Good progress on assessments."
    assert record.sections["areas"][-1]["title"] == "Court work"
    entry = actions.entries(db, record)[0]
    assert (entry.action.text, entry.progress, entry.completed) == ("Book leave", "Booked", True)
    db.commit()

    word = client.get(f"/records/{record_id}/docx", headers=HTML)
    assert word.status_code == 200 and word.data[:2] == b"PK"


FIELD = re.compile(r'<textarea[^>]*name="([\w-]+)"[^>]*>\s*(.*?)</textarea>|'
                   r'<input[^>]*name="([\w-]+)"[^>]*type="text"[^>]*value="([^"]*)"|'
                   r'<input[^>]*name="([\w-]+)"[^>]*type="(?:radio|checkbox)"[^>]*value="([^"]*)"[^>]*checked', re.S)


def typed(client: Any, url: str) -> dict[str, list[str]]:
    """The record form's boxes as the page shows them, as a browser submits them unchanged (a date's
    three boxes under one name, a radio or checkbox only when ticked)."""
    boxes: dict[str, list[str]] = {}
    for m in FIELD.finditer(text(client.get(url, headers=HTML))):
        name, value = next((m.group(n), m.group(n + 1)) for n in (1, 3, 5) if m.group(n))
        boxes.setdefault(name, []).append(value)
    return boxes


WELFARE = "Struggling with the court timetable; agreed a lighter caseload for May."


@pytest.mark.parametrize("step, extra, then", [
    ("save", {}, "/records/{id}/edit"),
    ("add-action", {"new_action_text": "Ask for a court skills course"}, "/records/{id}/edit#actions"),
    ("add-area", {"new_area_title": "Court work"}, "/records/{id}/edit#areas"),
    ("remove-area:aob", {}, "/records/{id}/areas/aob/remove"),
    ("upload", {}, "/records/{id}/upload"),
    ("send", {}, "/records/{id}/send?unsaved=saved"),
])
def test_every_button_of_the_record_form_saves_what_was_typed_first(
        client: Any, org: Any, db: Any, step: str, extra: dict[str, str], then: str) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"

    pressed = post(client, edit, {"step": step, "welfare": WELFARE, "area_aob": "Parking permits", **extra})

    assert pressed.status_code == 302, text(pressed)
    assert pressed.headers["Location"] == then.format(id=record_id)
    record = db.get(Record, record_id)
    assert record.sections["welfare"]["discussion"] == WELFARE
    assert {a["key"]: a["discussion"] for a in record.sections["areas"]}["aob"] == "Parking permits"
    db.commit()


@pytest.mark.parametrize("step, missing, message", [
    ("add-action", "new_action_text", "Enter the action"),
    ("add-area", "new_area_title", "Enter the title of the area"),
    ("save", "new_action_text", "Enter the action"),  # an action typed in part, whichever button
])
def test_a_refused_button_keeps_what_was_typed_in_the_boxes(
        client: Any, org: Any, db: Any, step: str, missing: str, message: str) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"

    refused = post(client, edit, {"step": step, "welfare": WELFARE, "new_action_owner": "Alex"})

    page = text(refused)
    assert refused.status_code == 400
    assert message in page and f'href="#{missing}"' in page
    assert typed(client, edit)["welfare"] == [""] and re.search(rf'name="welfare"[^>]*>\s*{WELFARE}</textarea>', page)
    assert 'value="Alex"' in page  # the action typed in part too
    assert db.get(Record, record_id).sections["welfare"]["discussion"] == ""  # nothing saved until it is fixed
    db.commit()


def test_send_shows_the_saved_record_as_the_supervisee_will_read_it(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"

    check = client.get(post(client, edit, {"step": "send", "welfare": WELFARE}).headers["Location"], headers=HTML)

    page = text(check)
    assert check.status_code == 200 and f"Check record R-{record_id:06d} before you send it" in page
    assert WELFARE in page and "govuk-warning-text" in page and "were not saved" in page
    assert f'action="/records/{record_id}/send"' in page and "Send to Alex Morgan for sign-off" in page
    again = text(client.get(f"/records/{record_id}/send", headers=HTML))
    assert WELFARE in again and "govuk-warning-text" not in again  # nothing was unsaved this time


def test_a_record_changed_after_its_check_is_not_sent_but_checked_again(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    check = f"/records/{record_id}/send"
    shown = opened(client, check)
    changed_in_another_tab(client, org, record_id, f'"{shown["revision"]}"',
                           {"welfare": {"discussion": "Changed in another tab"}})

    refused = client.post(check, data=shown, headers=HTML)

    assert refused.status_code == 302 and refused.headers["Location"] == check
    page = text(client.get(check, headers=HTML))
    assert "changed after you checked it" in page and "Changed in another tab" in page
    assert db.get(Record, record_id).status == "draft"
    db.commit()


def test_removing_an_area_asks_first_and_keeps_it_when_not_confirmed(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"

    asked = client.get(post(client, edit, {"step": "remove-area:aob", "area_aob": "Parking permits"}
                            ).headers["Location"], headers=HTML)

    page = text(asked)
    assert asked.status_code == 200 and "Remove the area ‘A.O.B’?" in page and "Parking permits" in page
    assert "Yes, remove ‘A.O.B’" in page and f'href="/records/{record_id}/edit#areas"' in page
    assert "aob" in {a["key"] for a in db.get(Record, record_id).sections["areas"]}  # not removed yet
    db.commit()
    assert client.get(f"/records/{record_id}/areas/nothing/remove", headers=HTML).status_code == 404

    confirm = opened(client, f"/records/{record_id}/areas/aob/remove")
    changed_in_another_tab(client, org, record_id, f'"{confirm["revision"]}"', {"decisions": "Written in another tab"})
    late = client.post(f"/records/{record_id}/areas/aob/remove", data=confirm, headers=HTML)
    assert late.status_code == 409 and "The area was not removed" in text(late)
    assert "aob" in {a["key"] for a in db.get(Record, record_id).sections["areas"]}
    db.commit()


def test_form_errors_name_the_field_in_the_summary(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"
    bad_date = post(client, edit, {"next_supervision": ["31", "2", "2025"]})
    assert bad_date.status_code == 400
    assert 'href="#next_supervision-day"' in text(bad_date) and "Date of next supervision must be a real date" in text(bad_date)
    before = post(client, edit, {"next_supervision": ["1", "3", "2025"]})
    assert before.status_code == 400 and "Date of next supervision must be after the session" in text(before)
    clash = post(client, f"/supervision/{org.ids['worker']}/records/new", {"session_date": ["3", "3", "2025"]})
    assert clash.status_code == 400 and 'href="#session_date-day"' in text(clash)


def opened(client: Any, url: str) -> dict[str, str]:
    """The hidden fields of a page as it is now (CSRF token, revisions): a form kept open in a tab."""
    html = text(client.get(url, headers=HTML))
    match = TOKEN.search(html)
    assert match, url
    return {"csrf_token": match.group(1) or match.group(2), **hidden(html)}


def test_a_record_form_opened_before_someone_else_saved_is_shown_again_beside_their_text(
        client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"
    mine = opened(client, edit)
    theirs = changed_in_another_tab(client, org, record_id, f'"{mine["revision"]}"',
                                    {"welfare": {"discussion": "Their welfare notes"}})

    stale = client.post(edit, data={**mine, "welfare": "My welfare notes", "decisions": "My decisions"},
                        headers=HTML)

    page = text(stale)
    assert stale.status_code == 409
    assert "Someone else changed this record since you opened it" in page and "govuk-error-summary" in page
    assert 'href="#welfare"' in page and 'href="#decisions"' in page
    assert "Their welfare notes" in page and page.count("My welfare notes") == 2  # in the table and still in the form
    assert f'name="revision" type="hidden" value="{theirs.json["revision"]}"' in page
    assert db.get(Record, record_id).sections["welfare"]["discussion"] == "Their welfare notes"  # not overwritten
    db.commit()

    again = client.post(edit, data={**hidden(page), "csrf_token": mine["csrf_token"], "welfare": "My welfare notes",
                                    "decisions": "My decisions"}, headers=HTML)
    assert again.status_code == 302, text(again)
    db.expire_all()
    assert db.get(Record, record_id).sections["welfare"]["discussion"] == "My welfare notes"
    db.commit()


def test_a_stale_tab_keeps_every_typed_box_whichever_button_was_pressed(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"
    mine = opened(client, edit)
    theirs = changed_in_another_tab(client, org, record_id, f'"{mine["revision"]}"',
                                    {"welfare": {"discussion": "Their welfare notes"}})

    theirs = changed_in_another_tab(client, org, record_id, theirs.headers["ETag"],
                                    {"actions": [{"section": "welfare", "text": "Their action",
                                                  "progress": "Their progress"}]})

    stale = client.post(edit, data={**mine, "step": "add-action", "welfare": "My welfare notes",
                                    "area_aob": "My parking notes", "new_action_text": "Ring the court"}, headers=HTML)

    page = text(stale)
    assert stale.status_code == 409 and "Someone else changed this record since you opened it" in page
    assert re.search(r'name="welfare"[^>]*>\s*My welfare notes</textarea>', page)
    assert re.search(r'name="area_aob"[^>]*>\s*My parking notes</textarea>', page)
    assert re.search(r'name="new_action_text"[^>]*>\s*Ring the court</textarea>', page)
    assert re.search(r'name="progress_\w+"[^>]*>\s*Their progress</textarea>', page)  # their new box, not emptied
    assert [e.action.text for e in actions.entries(db, db.get(Record, record_id))] == ["Their action"]
    db.commit()


def test_typing_in_a_tab_whose_record_was_sent_meanwhile_is_shown_to_copy(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"
    mine = opened(client, edit)
    db.get(Record, record_id).status = "awaiting_supervisee"  # sent from another tab
    db.commit()

    late = client.post(edit, data={**mine, "step": "save", "welfare": "My welfare notes"}, headers=HTML)

    page = text(late)
    assert late.status_code == 409 and "This record can no longer be changed" in page
    assert re.search(r"Welfare discussion</th>\s*<td[^>]*>\(empty\)</td>\s*<td[^>]*>My welfare notes</td>", page)
    assert 'id="record-form"' not in page


def test_an_agreement_form_opened_before_someone_else_saved_is_not_saved_over_them(client: Any, org: Any) -> None:
    created = client.post("/api/v1/agreements", headers=org.auth("manager"),
                          json={"supervisee_id": org.ids["worker"], "started_on": "2025-03-03"})
    sign_in(client, "manager")
    url, api = f"/agreements/{created.json['id']}", f"/api/v1/agreements/{created.json['id']}"
    mine = opened(client, url)
    theirs = client.patch(api, json={"location": "Teams call"},
                          headers={**org.auth("manager"), "If-Match": created.headers["ETag"]})
    assert theirs.status_code == 200, theirs.json
    typed = {**created.json["fields"], "location": "Room 2.14",
             "started_on": ["3", "3", "2025"], "review_date": ["3", "3", "2026"]}

    stale = client.post(url, data={**mine, **typed}, headers=HTML)

    page = text(stale)
    assert stale.status_code == 409 and "Someone else changed this agreement since you opened it" in page
    assert re.search(r"Location/Method \(e.g., face-to-face, Teams\)</th>\s*<td[^>]*>Teams call</td>\s*<td[^>]*>Room 2.14</td>", page)
    assert client.get(api, headers=org.auth("manager")).json["fields"]["location"] == "Teams call"


def test_a_person_form_opened_before_someone_else_saved_keeps_what_was_typed(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    url = f"/admin/people/{org.ids['worker']}"
    mine = opened(client, url)
    api = f"/api/v1/people/{org.ids['worker']}"
    theirs = client.patch(api, json={"job_title": "Senior practitioner", "team_id": None},
                          headers={**org.auth("hr"), "If-Match": client.get(api, headers=org.auth("hr")).headers["ETag"]})
    assert theirs.status_code == 200, theirs.json
    typed = {"name": "Alex Morgan", "email": "worker@knowsley.example.org", "role": "social_worker",
             "job_title": "Advanced practitioner", "team_id": str(org.team.id), "line_manager_id": str(org.ids["manager"]),
             "employment_type": "employee", "employment_start": ["8", "1", "2024"], "leave_date": ["", "", ""]}

    stale = client.post(url, data={**mine, **typed}, headers=HTML)

    page = text(stale)
    assert stale.status_code == 409
    assert "Someone else changed this person’s details since you opened it" in page
    row = r"{}</th>\s*<td[^>]*>{}</td>\s*<td[^>]*>{}</td>"  # field, their saved text, the typed text
    assert re.search(row.format("Job title", "Senior practitioner", "Advanced practitioner"), page)
    assert re.search(row.format("Team", "No team", "Children in Need 1"), page)  # a choice by its label
    assert 'href="#job_title"' in page and 'value="Advanced practitioner"' in page  # still in the form
    assert client.get(api, headers=org.auth("hr")).json["job_title"] == "Senior practitioner"


def test_a_file_that_is_not_this_record_is_refused_with_the_error_summary(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    url = f"/records/{record_id}/upload"
    response = post(client, url, {"file": (io.BytesIO(b"not a word file"), "record.docx")},
                    content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'href="#file"' in text(response) and "govuk-error-summary" in text(response)


def test_admin_adds_a_person_after_fixing_the_email(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    data = {"name": "Jo Bloggs", "email": "not-an-address", "role": "social_worker", "team_id": str(org.team.id),
            "line_manager_id": str(org.ids["manager"]), "employment_type": "employee",
            "employment_start": ["1", "4", "2025"], "leave_date": ["", "", ""]}
    refused = post(client, "/admin/people/new", data)
    assert refused.status_code == 400 and 'href="#email"' in text(refused)
    added = post(client, "/admin/people/new", {**data, "email": "jo.bloggs@knowsley.example.org"})
    assert added.status_code == 302
    assert "Jo Bloggs" in text(client.get("/admin/people", headers=HTML))


def test_hr_sees_leavers_with_their_export_link(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    post(client, f"/admin/people/{org.ids['asye']}", {
        "name": "Priya Patel", "email": "asye@knowsley.example.org", "role": "asye", "team_id": str(org.team.id),
        "line_manager_id": str(org.ids["manager"]), "employment_type": "employee",
        "employment_start": ["8", "1", "2024"], "leave_date": ["30", "6", "2025"]})
    sign_in(client, "hr")
    page = text(client.get("/hr/leavers", headers=HTML))
    assert "Priya Patel" in page and f"/hr/leavers/{org.ids['asye']}/forward" in page


def test_unknown_pages_are_html_for_browsers_and_json_for_the_api(client: Any, org: Any) -> None:
    page = client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404 and "Page not found" in text(page) and page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-thing", headers=HTML)
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"


def test_pages_carry_the_security_headers(client: Any, org: Any) -> None:
    for response in (client.get("/sign-in", headers=HTML), sign_in(client, "manager"),
                     client.get("/supervision", headers=HTML)):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = sign_in(client, "manager").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_only_pages_refresh_the_session_cookie_and_assets_never_do(client: Any, org: Any) -> None:
    """An asset answered late (after a sign-out, or cookies cleared) must not bring a session back."""
    sign_in(client, "manager")
    assert "session=" in client.get("/supervision", headers=HTML).headers.get("Set-Cookie", "")
    with client.get("/assets/docgen/app.css") as asset:
        assert asset.status_code == 200 and "Set-Cookie" not in asset.headers


def test_pages_have_no_inline_script_or_style(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    page = text(client.get("/supervision", headers=HTML))
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert " style=" not in page and "<style" not in page


def test_the_dashboard_shows_when_supervision_is_next_due(client: Any, org: Any) -> None:
    clock.set_clock(lambda: dt.datetime(2025, 3, 10, 9, 0))
    sign_in(client, "manager")
    start_record(client, org, dt.date(2025, 3, 3))
    page = text(client.get("/supervision", headers=HTML))
    assert "3 April 2025" in page  # a month after the last session (social worker: monthly)


def test_a_page_of_many_form_fields_works_out_the_navigation_once(client: Any, org: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each GOV.UK field macro renders through Flask's render_template, which asks for the layout's
    globals again: the account's open areas are still read once a request, and every field's page
    shows the same navigation."""
    from workflows import areas

    sign_in(client, "manager")
    record_id = start_record(client, org)
    asked: list[int] = []
    real = areas.areas_of
    monkeypatch.setattr(areas, "areas_of", lambda uow, caller: asked.append(caller.person_id) or real(uow, caller))
    page = client.get(f"/records/{record_id}/edit", headers=HTML)
    assert page.status_code == 200 and text(page).count('class="govuk-input') > 3
    assert asked == [org.ids["manager"]]
    assert "My supervisees" in words(page)
