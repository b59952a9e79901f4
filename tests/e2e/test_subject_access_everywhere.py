"""Withholding one text in every file of a subject access export at once (UK GDPR Art. 15(4);
issue 25 item 1), on SQLite and PostgreSQL: Alex Morgan's two draft records both name Sam Whitfield,
their supervisor. Harriet in HR withholds "Sam Whitfield" in every file in one step, with one reason:
the schedule then shows each of Sam's mentions withheld, each withholding is audited as one made
alone would be, and the worker's export has Sam's name in neither redacted PDF (read back with
poppler's pdftotext) nor in any other file. Releasing it in every file with that reason puts each
mention back. A mention HR withheld by hand keeps its own reason and decider through both steps. A
text left out, not on the schedule or too long, is refused naming its box, never a 500, and a
refusal for a request closed meanwhile is named where the page can show it; anyone outside HR is
told there is no such request. An export whose files name someone the schedule did not when HR
asked for it is not made, and the page says why."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, Record, SubjectAccessRequest, SubjectAccessWithholding
from tests.e2e.test_subject_access import NOW, _date, _recorded
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from tests.e2e.test_web_signoff import _worker_runs, queued_tasks  # noqa: F401  (a fixture)
from workflows.inputs.subject_access import TEXT_LIMIT

pytestmark = pytest.mark.libreoffice

REASON = "Sam Whitfield is another member of staff"


@pytest.fixture(autouse=True)
def mid_november() -> None:
    clock.set_clock(lambda: NOW)  # the conftest's real_clock puts the clock back


@pytest.fixture
def two_drafts_naming_sam(db: Any, org: Any) -> list[int]:
    """Alex's draft records of 4 and 11 November, each naming Sam Whitfield, their supervisor."""
    drafts = [Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                     session_date=day, status="draft", sections={})
              for day in (dt.date(2026, 11, 4), dt.date(2026, 11, 11))]
    db.add_all(drafts)
    db.commit()
    return [draft.id for draft in drafts]


def _sams_rows(client: Any, url: str) -> list[str]:
    """The schedule's rows for a mention of Sam Whitfield, one per file naming them."""
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', text(client.get(url, headers=HTML)), re.S)
    return [row for row in rows if "<strong>Sam Whitfield</strong>" in row]


def _withheld_keys(db: Any) -> set[str]:
    db.expire_all()
    return set(db.scalars(select(SubjectAccessWithholding.mention_key)))


def _pdftotext(pdf: bytes) -> str:
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
                    .stdout.decode().split())


def _exported(client: Any, url: str, queued_tasks: Any) -> dict[str, str]:
    """The export the worker builds, each file as its reader reads it (a PDF through pdftotext)."""
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    _worker_runs(queued_tasks, "make_subject_access_export")
    downloaded = client.get(f"{url}/export.zip", headers=HTML)
    assert downloaded.status_code == 200, words(downloaded)
    with zipfile.ZipFile(io.BytesIO(downloaded.data)) as archive:
        return {name: _pdftotext(archive.read(name)) if name.endswith(".pdf") else archive.read(name).decode(
            errors="replace") for name in archive.namelist()}


def test_a_text_withheld_in_every_file_is_gone_from_each_redacted_pdf_and_released_in_every_file(
        client: Any, org: Any, db: Any, two_drafts_naming_sam: list[int], queued_tasks: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    page = words(client.get(url, headers=HTML))
    records = [f"R-{draft:06d}" for draft in two_drafts_naming_sam]
    assert "Withhold a text in every file" in page and len(_sams_rows(client, url)) >= 2
    assert all(any(number in row for row in _sams_rows(client, url)) for number in records)

    withheld = post(client, f"{url}/withhold-everywhere", {"text": "sam  WHITFIELD", "reason": REASON}, page=url)
    assert withheld.status_code == 303 and withheld.headers["Location"].endswith("#redaction-schedule"), words(withheld)
    rows = _sams_rows(client, url)
    assert rows and all(f"Withheld: {REASON}" in row for row in rows)  # however HR typed it, every mention
    keys = _withheld_keys(db)
    assert len(keys) == len(rows)
    audited = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "subject_access.withheld")))
    assert {event.detail["key"] for event in audited} == keys
    assert all(event.detail["everywhere"] and event.detail["reason"] == REASON and event.actor_id == org.ids["hr"]
               for event in audited)

    files = _exported(client, url, queued_tasks)
    redacted = [name for name in files if name.endswith("-redacted.pdf")]
    assert sorted(redacted) == sorted(f"records/{number}-practitioner-redacted.pdf" for number in records), files
    for name in redacted:
        assert "[withheld]" in files[name] and "Alex Morgan" in files[name], files[name]
        assert "Sam Whitfield" not in files[name] and "Whitfield" not in files[name]
    assert not [name for name, read in files.items() if "Sam Whitfield" in read]

    released = post(client, f"{url}/release-everywhere", {"text": "Sam Whitfield", "reason": REASON}, page=url)
    assert released.status_code == 303, words(released)
    assert _withheld_keys(db) == set()
    assert not any("Withheld:" in row for row in _sams_rows(client, url))
    releases = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "subject_access.released")))
    assert {event.detail["key"] for event in releases} == keys and all(e.detail["everywhere"] for e in releases)
    assert "Out of date" in words(client.get(url, headers=HTML))  # the export built with them is not served


@pytest.mark.parametrize(("data", "box", "said"), [
    ({"text": "Sam Whitfield", "reason": " "}, "everywhere-reason", "Reason must not be empty"),
    ({"text": "", "reason": REASON}, "everywhere-text", "Text must not be empty"),
    ({"text": "Pat Nobody", "reason": REASON}, "everywhere-text", "Text is not on this request"),
    ({"text": "x" * (TEXT_LIMIT + 1), "reason": REASON}, "everywhere-text", "Text must be"),
])
def test_withholding_everywhere_is_refused_naming_its_box_and_withholds_nothing(
        client: Any, org: Any, db: Any, two_drafts_naming_sam: list[int], data: dict[str, str], box: str,
        said: str) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    refused = post(client, f"{url}/withhold-everywhere", data, page=url)
    assert refused.status_code == 422 and said in words(refused), words(refused)
    assert f'href="#{box}"' in text(refused) and f'id="{box}-error"' in text(refused)
    if box == "everywhere-reason":
        assert re.search(r'<option value="Sam Whitfield" selected>', text(refused)) is not None
    assert _withheld_keys(db) == set()
    unknown = post(client, f"{url}/release-everywhere", {"text": "Sam Whitfield", "reason": REASON}, page=url)
    assert unknown.status_code == 422 and "Text is not withheld with that reason in any file" in words(unknown)
    assert 'href="#request"' in text(unknown) and 'id="request"' in text(unknown)  # no release form to name


def test_withholding_everywhere_from_a_stale_read_is_refused_and_needs_the_csrf_token(
        client: Any, org: Any, db: Any, two_drafts_naming_sam: list[int]) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(url, headers=HTML))).group(1)
    assert post(client, f"{url}/extend", {"reason": "Complex"}, page=url).status_code == 303  # revision 2
    stale = client.post(f"{url}/withhold-everywhere", data={"csrf_token": token, "revision": "1",
                                                            "text": "Sam Whitfield", "reason": REASON}, headers=HTML)
    assert stale.status_code == 412
    assert 'value="Sam Whitfield is another member of staff"' in re.search(
        r'<input[^>]*id="everywhere-reason"[^>]*>', text(stale)).group(0)  # what was typed is kept
    forged = client.post(f"{url}/withhold-everywhere", data={"revision": "2", "text": "Sam Whitfield",
                                                             "reason": REASON}, headers=HTML)
    assert forged.status_code == 400
    assert _withheld_keys(db) == set()


@pytest.mark.parametrize("who", ["worker", "manager"])
def test_nobody_outside_hr_learns_of_the_request_by_withholding_everywhere(client: Any, org: Any, db: Any,
                                                                          two_drafts_naming_sam: list[int],
                                                                          who: str) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    sign_in(client, who)
    for change, data in (("withhold-everywhere", {"text": "Sam Whitfield", "reason": REASON}),
                         ("release-everywhere", {"text": "Sam Whitfield", "reason": REASON})):
        assert post(client, f"{url}/{change}", {"revision": "1", **data}, page="/tokens").status_code == 404, change
    assert _withheld_keys(db) == set()


HAND_MADE = "Sam Whitfield asked for their name to be left out of this one"


def test_withholding_everywhere_keeps_a_hand_made_reason_and_releasing_everywhere_releases_only_its_own(
        client: Any, org: Any, db: Any, two_drafts_naming_sam: list[int]) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    first, *others = _sams_rows(client, url)
    key = re.search(r'name="key" value="([0-9a-f]+)"', first).group(1)
    assert post(client, f"{url}/withhold", {"key": key, "reason": HAND_MADE}, page=url).status_code == 303
    hand_made = db.scalar(select(SubjectAccessWithholding).where(SubjectAccessWithholding.mention_key == key))
    decided_at = hand_made.decided_at

    assert post(client, f"{url}/withhold-everywhere", {"text": "Sam Whitfield", "reason": REASON},
                page=url).status_code == 303
    db.expire_all()
    kept = db.scalar(select(SubjectAccessWithholding).where(SubjectAccessWithholding.mention_key == key))
    assert (kept.reason, kept.decided_by_id, kept.decided_at) == (HAND_MADE, org.ids["hr"], decided_at)
    assert len(_withheld_keys(db)) == len(others) + 1
    everywhere = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "subject_access.withheld",
                                                          AuditEvent.detail["everywhere"].as_boolean())))
    assert len(everywhere) == len(others) and key not in {event.detail["key"] for event in everywhere}
    page = words(client.get(url, headers=HTML))
    assert f"Sam Whitfield : {len(others)} withholding" in page and f"because: {REASON} (1 with other reasons" in page
    assert f"Sam Whitfield : 1 withholding because: {HAND_MADE} ({len(others)} with other reasons" in page

    assert post(client, f"{url}/release-everywhere", {"text": "Sam Whitfield", "reason": REASON},
                page=url).status_code == 303
    assert _withheld_keys(db) == {key}  # the one withheld by hand, with its own reason, stays
    rows = _sams_rows(client, url)
    assert sum(f"Withheld: {HAND_MADE}" in row for row in rows) == 1 and not any(REASON in row for row in rows)


def test_a_refusal_for_a_request_closed_since_the_page_was_read_is_named_where_the_page_shows_it(
        client: Any, org: Any, db: Any, two_drafts_naming_sam: list[int]) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    read = text(client.get(url, headers=HTML))
    token = re.search(r'name="csrf_token" value="([^"]+)"', read).group(1)
    assert post(client, f"{url}/close", {"answered_on": _date(dt.date(2026, 11, 13))}, page=url).status_code == 303
    db.expire_all()
    revision = db.scalar(select(SubjectAccessRequest.revision))
    for sent in ("1", str(revision)):  # from the page read before it closed (412), and from the closed one (409)
        refused = client.post(f"{url}/withhold-everywhere", headers=HTML, data={
            "csrf_token": token, "revision": sent, "text": "Sam Whitfield", "reason": REASON})
        assert refused.status_code in (409, 412) and 'id="everywhere-reason"' not in text(refused)
        assert 'href="#request"' in text(refused) and 'id="request"' in text(refused), words(refused)
    assert "is closed" in words(refused) and _withheld_keys(db) == set()


def test_an_export_whose_files_name_someone_not_on_the_schedule_hr_reviewed_is_not_made(
        client: Any, org: Any, db: Any, two_drafts_naming_sam: list[int], queued_tasks: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert "<strong>Harriet Reid</strong>" not in text(client.get(url, headers=HTML))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    db.get(Record, two_drafts_naming_sam[0]).sections = {"welfare": {"discussion": "Harriet Reid joined us."}}
    db.commit()  # the draft names HR's Harriet after the schedule was reviewed, before the worker runs

    _worker_runs(queued_tasks, "make_subject_access_export")
    page = words(client.get(url, headers=HTML))
    assert "Not made" in page and ("the files changed since the schedule was reviewed: 1 new mention(s); review "
                                   "the schedule and prepare the export again") in page, page
    assert client.get(f"{url}/export.zip", headers=HTML).status_code == 409
    assert "<strong>Harriet Reid</strong>" in text(client.get(url, headers=HTML))  # now on the schedule to review
