"""Subject access requests (UK GDPR Art. 15; issue 25 item 1) through HR's pages, on SQLite and
PostgreSQL: Harriet in HR records Alex Morgan's request and reads its deadline (one calendar month
from receipt) and the days left; it warns at 7 days; it extends by two months only within the first
month and only with a reason; a mention is withheld only with a reason; the request closes with the
day it was answered; nobody outside HR and the administrators learns that a request exists; every
step is in the audit log. The deadline moves to the next working day when it falls on a weekend or
a bank holiday; a withholding whose mention is no longer found can be released; the export is asked
for by a POST; a request can be closed as withdrawn with a reason. The export's contents, the redaction
schedule of a sealed group record and the CLI are in tests/e2e/test_subject_access_group_record.py; the
worker building, filing and serving the export in tests/e2e/test_subject_access_export_task.py."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from docgen.main import cli
from documents.pdf import ConversionError
from kernel import clock
from storage.models import Account, AuditEvent, Record, SubjectAccessRequest, SubjectAccessWithholding
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from workflows import subject_access

NOW = dt.datetime(2026, 11, 16, 12, 0)  # a Monday
ALEX = "worker@knowsley.example.org"
LIST = "/hr/subject-access"


@pytest.fixture(autouse=True)
def mid_november() -> None:
    clock.set_clock(lambda: NOW)  # the conftest's real_clock puts the clock back


def _date(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def _record(client: Any, received: dt.date, email: str = ALEX) -> Any:
    return post(client, f"{LIST}/new", {"email": email, "received_on": _date(received)})


def _recorded(client: Any, received: dt.date) -> str:
    """The request's page, once HR has recorded it."""
    made = _record(client, received)
    assert made.status_code == 303, words(made)
    return made.headers["Location"]


def _audited(db: Any, request_url: str) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "subject_access_request",
                                                           AuditEvent.object_id == request_url.rsplit("/", 1)[1])
                           .order_by(AuditEvent.id)))


def test_hr_records_a_request_and_sees_the_deadline_a_month_on_and_the_days_left(client: Any, org: Any,
                                                                                db: Any) -> None:
    sign_in(client, "hr")
    assert 'href="/hr/subject-access"' in text(client.get("/hr/leavers", headers=HTML))  # in HR's navigation
    url = _recorded(client, dt.date(2026, 11, 2))
    page = words(client.get(url, headers=HTML))
    assert "Alex Morgan" in page and "Received 2 November 2026" in page
    assert "Deadline 2 December 2026, one month after it was received" in page
    assert "16 days left" in page and "Warning" not in page
    listed = words(client.get(LIST, headers=HTML))
    assert "Alex Morgan 2 November 2026 2 December 2026 16 days left" in listed

    again = _record(client, dt.date(2026, 11, 10))  # one open request a person
    assert again.status_code == 409 and "already has an open request" in words(again)
    request = db.scalar(select(SubjectAccessRequest))
    assert (request.person_id, request.received_on, request.recorded_by_id) == (
        org.ids["worker"], dt.date(2026, 11, 2), org.ids["hr"])
    assert _audited(db, url)[0] == "subject_access.recorded"


def test_a_month_from_the_31st_ends_on_the_last_day_of_a_shorter_month(client: Any, org: Any) -> None:
    clock.set_clock(lambda: dt.datetime(2028, 2, 20, 9, 0))
    sign_in(client, "hr")
    page = words(client.get(_recorded(client, dt.date(2028, 1, 31)), headers=HTML))
    assert "Deadline 29 February 2028" in page and "9 days left" in page  # a Tuesday


@pytest.mark.parametrize(("received", "due"), [
    (dt.date(2026, 10, 21), dt.date(2026, 11, 23)),  # 21 November is a Saturday: the Monday
    (dt.date(2027, 1, 31), dt.date(2027, 3, 1)),  # 28 February 2027 is a Sunday
    (dt.date(2026, 11, 25), dt.date(2026, 12, 29)),  # Christmas Day (Friday), the weekend, Boxing Day's substitute
])
def test_a_deadline_on_a_weekend_or_bank_holiday_moves_to_the_next_working_day(
        client: Any, org: Any, received: dt.date, due: dt.date) -> None:
    clock.set_clock(lambda: dt.datetime.combine(received, dt.time(9)))
    sign_in(client, "hr")
    page = words(client.get(_recorded(client, received), headers=HTML))
    assert f"Deadline {due.day} {due:%B %Y}" in page, page


def test_the_first_month_for_an_extension_ends_on_a_working_day_too(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 10, 21))  # its month ends on Saturday 21 November
    clock.set_clock(lambda: dt.datetime(2026, 11, 23, 9, 0))  # the Monday after: still within it
    assert "Extend the deadline" in words(client.get(url, headers=HTML))
    extended = post(client, f"{url}/extend", {"reason": "Records across two teams"}, page=url)
    assert extended.status_code == 303, words(extended)
    assert "Deadline 21 January 2027, extended on 23 November 2026" in words(client.get(url, headers=HTML))


def test_it_warns_at_seven_days_left_and_once_the_deadline_has_passed(client: Any, org: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 10, 23))  # due 23 November: 7 days left
    page = words(client.get(url, headers=HTML))
    assert "Warning 7 days left to answer this request." in page and "7 days left" in page
    assert "govuk-tag--yellow" in text(client.get(LIST, headers=HTML))
    clock.set_clock(lambda: dt.datetime(2026, 11, 25, 9, 0))
    late = words(client.get(url, headers=HTML))
    assert "The deadline has passed: answer this request now." in late and "Overdue by 2 days" in late


def test_a_request_extends_by_two_months_within_the_first_month_and_only_with_a_reason(client: Any, org: Any,
                                                                                      db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 10, 20))
    blank = post(client, f"{url}/extend", {"reason": "  "}, page=url)
    assert blank.status_code == 422 and "Reason must not be empty" in words(blank)
    assert 'href="#extension-reason"' in text(blank)
    extended = post(client, f"{url}/extend", {"reason": "Ten years of records across two teams"}, page=url)
    assert extended.status_code == 303
    page = words(client.get(url, headers=HTML))
    assert ("Deadline 20 January 2027, extended on 16 November 2026 because: Ten years of records across two teams"
            in page)
    assert "Extend the deadline" not in page  # once is all Art. 12(3) gives

    late = _recorded_for(client, "asye@knowsley.example.org", dt.date(2026, 10, 2))  # its month ended 2 November
    assert "Extend the deadline" not in words(client.get(late, headers=HTML))
    refused = post(client, f"{late}/extend", {"reason": "Many records"}, page=late)
    assert refused.status_code == 422 and "can only be extended within a month of receipt" in words(refused)
    db.expire_all()
    assert db.scalar(select(SubjectAccessRequest.extended_on).where(SubjectAccessRequest.id == int(
        late.rsplit("/", 1)[1]))) is None
    assert "subject_access.extended" in _audited(db, url)


def _recorded_for(client: Any, email: str, received: dt.date) -> str:
    made = _record(client, received, email)
    assert made.status_code == 303, words(made)
    return made.headers["Location"]


def test_a_change_made_from_a_stale_read_is_refused_and_changes_nothing(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    read = text(client.get(url, headers=HTML))
    token = re.search(r'name="csrf_token" value="([^"]+)"', read).group(1)
    revision = re.search(r'name="revision" value="(\d+)"', read).group(1)
    first = client.post(f"{url}/extend", data={"csrf_token": token, "revision": revision, "reason": "Complex"},
                        headers=HTML)
    assert first.status_code == 303
    second = client.post(f"{url}/close", data={"csrf_token": token, "revision": revision,
                                               "answered_on": _date(dt.date(2026, 11, 16))}, headers=HTML)
    assert second.status_code == 412 and "Someone else changed this subject access request" in words(second)
    db.expire_all()
    assert db.scalar(select(SubjectAccessRequest.answered_on)) is None


def test_withholding_a_mention_needs_a_reason(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    blank = post(client, f"{url}/withhold", {"key": "anything", "reason": ""}, page=url)
    assert blank.status_code == 422 and "Reason must not be empty" in words(blank)
    unknown = post(client, f"{url}/withhold", {"key": "not-on-the-schedule", "reason": "Third party"}, page=url)
    assert unknown.status_code == 422 and "not a mention on this request" in words(unknown)
    assert db.scalar(select(SubjectAccessWithholding.id)) is None


def test_a_bad_date_is_refused_naming_its_box(client: Any, org: Any) -> None:
    sign_in(client, "hr")
    ahead = _record(client, dt.date(2026, 12, 1))
    assert ahead.status_code == 422 and 'href="#received_on-day"' in text(ahead)
    assert "Date the request was received must be today or earlier" in words(ahead)
    nobody = _record(client, dt.date(2026, 11, 2), "nobody@knowsley.example.org")
    assert nobody.status_code == 422 and "Nobody in docgen has the e-mail address" in words(nobody)
    not_a_date = post(client, f"{LIST}/new", {"email": ALEX, "received_on": ["31", "2", "2026"]})
    assert not_a_date.status_code == 400 and "must be a real date" in words(not_a_date)


def test_closing_records_the_day_answered_and_every_step_is_audited(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    before = post(client, f"{url}/close", {"answered_on": _date(dt.date(2026, 11, 1))}, page=url)
    assert before.status_code == 422 and "when the request was received, and today" in words(before)
    closed = post(client, f"{url}/close", {"answered_on": _date(dt.date(2026, 11, 13))}, page=url)
    assert closed.status_code == 303
    page = words(client.get(url, headers=HTML))
    assert "Answered 13 November 2026" in page and "Close the request" not in page
    assert "Alex Morgan" not in words(client.get(LIST, headers=HTML))  # no longer open
    db.expire_all()
    assert db.scalar(select(SubjectAccessRequest.answered_on)) == dt.date(2026, 11, 13)
    steps = _audited(db, url)
    assert steps[0] == "subject_access.recorded" and steps.count("subject_access.closed") == 1
    assert "subject_access.schedule_read" in steps[1:steps.index("subject_access.closed")]  # each page read
    closing = db.scalar(select(AuditEvent).where(AuditEvent.action == "subject_access.closed"))
    assert closing.actor_id == org.ids["hr"]
    assert closing.detail["answered_on"] == "2026-11-13" and closing.detail["on_time"] is True


def test_an_administrator_acting_as_data_protection_officer_may_act(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert client.get(url, headers=HTML).status_code == 200


@pytest.mark.parametrize("who", ["worker", "manager", "auditor", "head"])
def test_nobody_outside_hr_and_the_administrators_learns_a_request_exists(client: Any, org: Any, who: str) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    sign_in(client, who)
    for page in (LIST, f"{LIST}/new", url, f"{LIST}/999999"):
        assert client.get(page, headers=HTML).status_code == 404, page
    for change, data in (("close", {"answered_on": _date(dt.date(2026, 11, 13))}), ("extend", {"reason": "More"}),
                         ("withhold", {"key": "k", "reason": "Third party"}), ("release", {"key": "k"}),
                         ("withdraw", {"reason": "Withdrawn"}), ("export", {})):
        assert post(client, f"{url}/{change}", {"revision": "1", **data}, page="/tokens").status_code == 404, change
    assert client.get(f"{url}/export.zip", headers=HTML).status_code == 404


def _withheld_then_lost(db: Any, org: Any, url: str) -> None:
    """A withholding HR made on a mention the schedule no longer has (the record was changed since)."""
    db.add(SubjectAccessWithholding(request_id=int(url.rsplit("/", 1)[1]), mention_key="gone-mention-key",
                                    reason="Names a colleague", decided_by_id=org.ids["hr"]))
    db.commit()


def test_a_withholding_no_longer_on_the_schedule_is_shown_and_can_be_released(client: Any, org: Any,
                                                                              db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    _withheld_then_lost(db, org, url)
    page = words(client.get(url, headers=HTML))
    assert "No longer found" in page and "Withheld: Names a colleague" in page
    assert 'name="key" value="gone-mention-key"' in text(client.get(url, headers=HTML))
    refused = post(client, f"{url}/export", {}, page=url)  # what was reviewed is not what would go
    assert refused.status_code == 409 and "review the schedule again" in words(refused)
    released = post(client, f"{url}/release", {"key": "gone-mention-key"}, page=url)
    assert released.status_code == 303, words(released)
    assert "No longer found" not in words(client.get(url, headers=HTML))
    db.expire_all()
    assert db.scalar(select(SubjectAccessWithholding.id)) is None
    assert "subject_access.released" in _audited(db, url)
    assert post(client, f"{url}/export", {}, page=url).status_code == 303


def test_the_export_is_asked_for_by_a_post_and_reading_the_page_writes_only_its_read(client: Any, org: Any,
                                                                                    db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    before = _audited(db, url)
    assert client.get(f"{url}/export", headers=HTML).status_code == 405
    assert client.head(f"{url}/export", headers=HTML).status_code == 405
    page = text(client.get(url, headers=HTML))
    assert _audited(db, url)[len(before):] == ["subject_access.schedule_read"]  # the page's read, no export
    assert f'<form method="post" action="{url}/export"' in page and f'href="{url}/export' not in page
    assert client.get(f"{url}/export.zip", headers=HTML).status_code == 409  # nothing filed to download yet
    no_token = client.post(f"{url}/export", data={}, headers=HTML)
    assert no_token.status_code == 400 and "subject_access.export_asked" not in _audited(db, url)
    asked = post(client, f"{url}/export", {}, page=url)
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"{url}#export")
    steps = _audited(db, url)
    assert steps.count("subject_access.export_asked") == 1 and steps.count("subject_access.exported") == 1
    exported = client.get(f"{url}/export.zip", headers=HTML)
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert _audited(db, url).count("subject_access.export_downloaded") == 1


def test_an_answered_request_page_says_its_export_is_built_from_todays_data(client: Any, org: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert "as it is today" not in words(client.get(url, headers=HTML))
    assert post(client, f"{url}/close", {"answered_on": _date(dt.date(2026, 11, 13))}, page=url).status_code == 303
    assert "built from Alex Morgan’s data as it is today" in words(client.get(url, headers=HTML))


def test_a_request_received_more_than_a_year_ago_is_refused_naming_received_on(client: Any, org: Any,
                                                                                db: Any) -> None:
    sign_in(client, "hr")
    long_ago = _record(client, dt.date(1026, 11, 2))
    assert long_ago.status_code == 422 and 'href="#received_on-day"' in text(long_ago)
    assert "must be within the last year, on or after 16 November 2025" in words(long_ago)
    assert _record(client, dt.date(2025, 11, 15)).status_code == 422
    assert db.scalar(select(SubjectAccessRequest.id)) is None
    assert _record(client, dt.date(2025, 11, 16)).status_code == 303


def test_a_request_withdrawn_or_recorded_in_error_closes_with_a_reason_not_as_answered(client: Any, org: Any,
                                                                                        db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    blank = post(client, f"{url}/withdraw", {"reason": " "}, page=url)
    assert blank.status_code == 422 and 'href="#withdrawal-reason"' in text(blank)
    withdrawn = post(client, f"{url}/withdraw", {"reason": "Alex withdrew it by e-mail on 15 November"}, page=url)
    assert withdrawn.status_code == 303, words(withdrawn)
    page = words(client.get(url, headers=HTML))
    assert "Withdrawn on 16 November 2026 because: Alex withdrew it by e-mail on 15 November" in page
    assert "Close the request" not in page and "Alex Morgan" not in words(client.get(LIST, headers=HTML))
    db.expire_all()
    request = db.scalar(select(SubjectAccessRequest))
    assert (request.answered_on, request.withdrawn_on) == (None, dt.date(2026, 11, 16))
    step = db.scalar(select(AuditEvent).where(AuditEvent.action == "subject_access.withdrawn"))
    assert step.detail["reason"] == "Alex withdrew it by e-mail on 15 November" and step.actor_id == org.ids["hr"]
    late = post(client, f"{url}/extend", {"revision": str(request.revision), "reason": "More"}, page=url)
    assert late.status_code == 409 and "withdrawn on 16 November 2026" in words(late)
    assert _record(client, dt.date(2026, 11, 10)).status_code == 303  # a new request may be recorded


def test_a_typed_reason_is_put_back_after_a_refusal(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    _withheld_then_lost(db, org, url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(url, headers=HTML))).group(1)
    assert post(client, f"{url}/release", {"key": "gone-mention-key"}, page=url).status_code == 303  # revision 2
    typed = "Ten years of records across two teams & three moves"
    for action, box in (("extend", "extension-reason"), ("withdraw", "withdrawal-reason")):
        stale = client.post(f"{url}/{action}", data={"csrf_token": token, "revision": "1", "reason": typed},
                            headers=HTML)
        assert stale.status_code == 412, (action, words(stale))
        assert re.search(rf'id="{box}"[^>]*>\s*Ten years of records across two teams &amp; three moves</textarea>',
                         text(stale)), (action, text(stale))


def test_administrators_see_subject_access_in_their_navigation_once(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "admin")
    assert text(client.get("/admin/people", headers=HTML)).count('href="/hr/subject-access"') == 1
    account = db.scalar(select(Account).where(Account.person_id == org.ids["hr"]))
    account.roles = ["hr", "admin"]
    db.commit()
    sign_in(client, "hr")
    assert text(client.get("/hr/leavers", headers=HTML)).count('href="/hr/subject-access"') == 1


def _draft_naming_sam(db: Any, org: Any) -> None:
    """Alex's draft record, which names Sam Whitfield, their supervisor: a mention on the schedule."""
    db.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                  session_date=dt.date(2026, 11, 4), status="draft", sections={}))
    db.commit()


def _sams_key(client: Any, url: str) -> str:
    page = text(client.get(url, headers=HTML))
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)
    row = next(row for row in rows if "Sam Whitfield" in row)
    return re.search(r'name="key" value="([^"]+)"', row).group(1)


def test_a_typed_withholding_reason_is_put_back_after_a_stale_read(client: Any, org: Any, db: Any) -> None:
    _draft_naming_sam(db, org)
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    key = _sams_key(client, url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(url, headers=HTML))).group(1)
    assert post(client, f"{url}/extend", {"reason": "Complex"}, page=url).status_code == 303  # revision 2
    stale = client.post(f"{url}/withhold", data={"csrf_token": token, "revision": "1", "key": key,
                                                 "reason": "Sam is another member of staff"}, headers=HTML)
    assert stale.status_code == 412
    box = re.search(r'<input[^>]*id="reason-[^"]*"[^>]*>', text(stale)).group(0)
    assert 'value="Sam is another member of staff"' in box, box


def test_an_administrator_extends_withholds_releases_closes_and_exports(client: Any, org: Any, db: Any) -> None:
    _draft_naming_sam(db, org)
    sign_in(client, "admin")
    url = _recorded(client, dt.date(2026, 11, 2))
    _withheld_then_lost(db, org, url)
    assert post(client, f"{url}/extend", {"reason": "Complex"}, page=url).status_code == 303
    key = _sams_key(client, url)
    withheld = post(client, f"{url}/withhold", {"key": key, "reason": "Another member of staff"}, page=url)
    assert withheld.status_code == 303, words(withheld)
    assert post(client, f"{url}/release", {"key": "gone-mention-key"}, page=url).status_code == 303
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    assert post(client, f"{url}/close", {"answered_on": _date(dt.date(2026, 11, 16))}, page=url).status_code == 303
    db.expire_all()
    steps = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "subject_access_request"))
    acted = {(step.action, step.actor_id) for step in steps}
    assert {(f"subject_access.{action}", org.ids["admin"])
            for action in ("recorded", "extended", "withheld", "released", "exported", "closed")} <= acted


def _cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(cli, ["sar", "export", "--person", ALEX, *args])


def _exports(db: Any) -> int:
    db.expire_all()
    return len(list(db.scalars(select(AuditEvent.id).where(AuditEvent.action == "subject_access.exported"))))


def test_the_cli_refuses_an_output_it_cannot_write_before_exporting(app: Any, client: Any, org: Any, db: Any,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    _recorded(client, dt.date(2026, 11, 2))
    folder = tmp_path / "out"  # the app's instance folder is in tmp_path
    folder.mkdir()
    (folder / "a-file").write_text("not a folder")
    monkeypatch.chdir(folder)
    for out, said in ((".", "is a folder"), (str(folder), "is a folder"),
                      (str(folder / "missing" / "alex.zip"), "cannot write in"),
                      (str(folder / "a-file" / "alex.zip"), "cannot write in")):
        refused = _cli(app, "--out", out)
        lines = refused.output.strip().splitlines()
        assert refused.exit_code == 2 and len(lines) == 1 and said in lines[0], (out, refused.output)
    assert _exports(db) == 0 and sorted(p.name for p in folder.iterdir()) == ["a-file"]


def test_the_cli_says_in_one_line_when_libreoffice_fails(app: Any, client: Any, org: Any, db: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    _recorded(client, dt.date(2026, 11, 2))

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise ConversionError("soffice exited with status 81")

    monkeypatch.setattr(subject_access, "export_zip", failing)  # LibreOffice, failing as it can
    folder = tmp_path / "out"
    folder.mkdir()
    failed = _cli(app, "--out", str(folder / "alex.zip"))
    lines = failed.output.strip().splitlines()
    assert failed.exit_code == 1 and len(lines) == 1, failed.output
    assert lines[0].startswith("docgen: LibreOffice could not make a PDF") and "status 81" in lines[0]
    assert _exports(db) == 0 and list(folder.iterdir()) == []


def test_the_cli_warns_once_for_each_document_not_enclosed(app: Any, client: Any, org: Any, db: Any,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    _recorded(client, dt.date(2026, 11, 2))
    real = subject_access.export_zip
    missing = [{"number": "R-000007", "kind": "record", "date": "2026-03-02",
                "reason": "unavailable: its file could not be read; we are looking into it"},
               {"number": "A-000002", "kind": "agreement", "date": "2025-09-01",
                "reason": "draft not available: no copy of it has been made yet"}]

    def with_missing(*args: Any, **kwargs: Any) -> Any:  # the manifest as H2 gives it for unreadable files
        data, manifest = real(*args, **kwargs)
        return data, {**manifest, "not_enclosed": missing}

    monkeypatch.setattr(subject_access, "export_zip", with_missing)
    made = _cli(app, "--out", str(tmp_path / "alex.zip"))
    assert made.exit_code == 0, made.output
    warnings = [line for line in made.output.splitlines() if line.startswith("Warning: not enclosed:")]
    assert warnings == ["Warning: not enclosed: record R-000007 of 2026-03-02: unavailable: its file could not be "
                        "read; we are looking into it",
                        "Warning: not enclosed: agreement A-000002 of 2025-09-01: draft not available: no copy of "
                        "it has been made yet"]
    assert (tmp_path / "alex.zip").exists() and _exports(db) == 1


def test_the_reason_boxes_of_a_request_page_open_empty(client: Any, org: Any) -> None:
    """A box not yet typed in is empty: the page once filled the withdrawal reason with "None"."""
    sign_in(client, "hr")
    page = text(client.get(_recorded(client, dt.date(2026, 11, 2)), headers=HTML))
    boxes = re.findall(r"<textarea[^>]*>(.*?)</textarea>", page, re.S)
    assert boxes and [box.strip() for box in boxes] == [""] * len(boxes)
