"""An ASYE's record of support (issue 25 item 3) through its pages: the frequency met phase by phase
(the supervision log's held sessions against the profile's phases), direct observations and reviews
at the profile's review points (only Stockport's sets them: S §10) recorded by the current
supervisor, read by the ASYE and their line managers, refused to anyone else (an administrator
included) as if it did not exist, exported as CSV and a printable page, every read and entry
audited; a leaver's phases after leaving are "left"; a former ASYE's record stays, read-only; the
entries go with the person's records at the end of retention. Knowsley's ASYE frequency (K §6):
weekly for six weeks, fortnightly to six months, then monthly. As at 15 October 2026, for Priya
Patel who started on 6 April 2026."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from docgen.cli.storage import retention_group
from kernel import clock
from kernel.config import Config
from storage.models import AsyeSupportEntry, AuditEvent, Person, PlannedSession, Record, SupervisionRelationship
from tests.e2e.test_web_pages import HTML, csrf, sign_in, text, words
from workflows import asye_support

START = dt.date(2026, 4, 6)
WEEKLY = [START + dt.timedelta(weeks=n) for n in range(1, 6)]  # 13 April to 11 May: on time
# Fortnightly from 18 May; the one due on 13 July is held on 27 July, fourteen days late
FORTNIGHTLY = [dt.date(2026, 5, 18), dt.date(2026, 6, 1), dt.date(2026, 6, 15), dt.date(2026, 6, 29),
               dt.date(2026, 7, 27), dt.date(2026, 8, 10), dt.date(2026, 8, 24), dt.date(2026, 9, 7),
               dt.date(2026, 9, 21), dt.date(2026, 10, 5)]


@pytest.fixture
def profile_name() -> str:
    """The deployment's council; a test names another with `parametrize("profile_name", ...)`."""
    return "knowsley"


@pytest.fixture
def config(config: Config, profile_name: str) -> Config:
    return dataclasses.replace(config, profile=profile_name)


STOCKPORT = pytest.mark.parametrize("profile_name", ["stockport"])  # S §10: reviews at 3, 6 and 12 months


@pytest.fixture
def asye(app: Any, org: Any, db: Any) -> int:
    """Priya Patel, an ASYE since 6 April 2026, supervised by Sam Whitfield: her one-to-ones written
    up, except one held as a planned session marked held (the log counts both)."""
    clock.set_clock(lambda: dt.datetime(2026, 10, 15, 12, 0))
    person = db.get(Person, org.ids["asye"])
    person.employment_start = START
    for day in WEEKLY + FORTNIGHTLY:
        if day == dt.date(2026, 8, 10):
            db.add(PlannedSession(supervisee_id=person.id, supervisor_id=org.ids["manager"], status="held",
                                  starts_at=dt.datetime.combine(day, dt.time(10)), uid=f"asye-{day}@test"))
            continue
        db.add(Record(kind="practitioner", supervisee_id=person.id, supervisor_id=org.ids["manager"],
                      session_date=day, status="signed", sections={}))
    db.commit()
    return person.id


def _post(client: Any, url: str, **fields: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf(client, url), **fields}, headers=HTML)


def _date(day: dt.date) -> dict[str, list[str]]:
    """The day typed in the date's three boxes (day, month, year), which share the field's name."""
    return {"on_date": [str(day.day), str(day.month), str(day.year)]}


def test_the_frequency_is_met_or_missed_phase_by_phase_from_the_supervision_held(client: Any, asye: int) -> None:
    sign_in(client, "manager")
    page = client.get(f"/supervision/{asye}/asye", headers=HTML)
    assert page.status_code == 200
    shown = words(page)
    assert "ASYE record of support" in shown and "Priya Patel, supervised by Sam Whitfield" in shown
    assert "6 April 2026 to 17 May 2026 Every 1 week 5 0 Met" in shown
    assert "18 May 2026 to 5 October 2026 Every 2 weeks 10 14 Missed" in shown
    assert "6 October 2026 to 5 April 2027 Every 1 month 0 0 Met so far" in shown
    assert "as the profile sets it for each phase (K §6" in shown
    # K sets no formal reviews: none shown, none to record, and the page says so
    assert "This council’s policy sets no formal reviews." in shown and "Review at" not in shown
    assert "review" not in words(client.get(f"/supervision/{asye}/asye.csv", headers=HTML)).lower()
    refused = _post(client, f"/supervision/{asye}/asye/reviews/3", **_date(dt.date(2026, 7, 8)),
                    by_name="Sam Whitfield", note="On track.")
    assert refused.status_code == 422 and "review_month" in words(refused)


@STOCKPORT
def test_the_reviews_are_the_profiles_and_share_the_due_lists_state(client: Any, asye: int, org: Any) -> None:
    """S §10's points from the start: 3 months is past its window unrecorded, 6 months is due (the due
    list says the same), 12 months is not yet due; never "overdue"."""
    sign_in(client, "manager")
    shown = words(client.get(f"/supervision/{asye}/asye", headers=HTML))
    assert "The review points are the profile’s (S §10): “weekly from their line manager" in shown
    assert "Review at 3 months 6 July 2026 Not recorded" in shown
    assert "Review at 6 months 6 October 2026 Due" in shown
    assert "Review at 12 months 6 April 2027 Not yet due" in shown
    assert "Overdue" not in shown.split("Reviews")[-1]
    due = client.get("/api/v1/due", headers=org.auth("manager")).json["items"]
    assert [(i["state"], i["due_on"]) for i in due if i["kind"] == "review" and i["supervisee_id"] == asye] == [
        ("due", "2026-10-06")]


@STOCKPORT
def test_a_review_recorded_on_the_page_settles_it_on_the_due_list(client: Any, asye: int, org: Any) -> None:
    """The 6-month review is due on 15 October; a review recorded at another point leaves it due, and
    once the supervisor records it on the record-of-support page the due list no longer lists it."""
    def reviews_due() -> list[tuple[str, str]]:
        due = client.get("/api/v1/due", headers=org.auth("manager")).json["items"]
        return [(i["due_on"], i["state"]) for i in due if i["kind"] == "review" and i["supervisee_id"] == asye]

    assert reviews_due() == [("2026-10-06", "due")]
    sign_in(client, "manager")
    late = _post(client, f"/supervision/{asye}/asye/reviews/3", **_date(dt.date(2026, 7, 8)), by_name="Sam Whitfield",
                 note="Late, but on track.")
    assert late.status_code == 303 and reviews_due() == [("2026-10-06", "due")]
    held = _post(client, f"/supervision/{asye}/asye/reviews/6", **_date(dt.date(2026, 10, 8)),
                 by_name="Sam Whitfield", note="Progressing well.")
    assert held.status_code == 303, words(held)
    assert reviews_due() == []
    assert "Review at 6 months 6 October 2026 8 October 2026, by Sam Whitfield" in words(
        client.get(f"/supervision/{asye}/asye", headers=HTML))


@pytest.mark.parametrize("profile_name", ["lancashire"])
def test_a_frequency_left_to_the_agreement_is_labelled_as_the_profiles_default(client: Any, asye: int) -> None:
    sign_in(client, "manager")
    shown = words(client.get(f"/supervision/{asye}/asye", headers=HTML))
    assert "(default: docgen — L sets no frequency: monthly until the agreement sets it)" in shown
    assert "the phases are docgen’s default, not the council’s rule" in shown
    assert "leaves the frequency to the supervision agreement" in shown
    assert "This council’s policy sets no formal reviews." in shown


def test_a_leavers_phases_after_leaving_are_left(client: Any, asye: int, db: Any) -> None:
    db.get(Person, asye).leave_date = dt.date(2026, 9, 25)
    db.commit()
    sign_in(client, "manager")
    shown = words(client.get(f"/supervision/{asye}/asye", headers=HTML))
    assert "18 May 2026 to 5 October 2026 Every 2 weeks 10 14 Missed" in shown  # up to leaving, as before
    assert "6 October 2026 to 5 April 2027 Every 1 month 0 0 Left" in shown  # no verdict, nothing overdue


@STOCKPORT
def test_the_supervisor_records_an_observation_and_a_review_and_the_portfolio_gets_them(
        client: Any, asye: int, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    saved = _post(client, f"/supervision/{asye}/asye/observations/new", **_date(dt.date(2026, 6, 10)),
                  by_name="Jo Practice-Educator", note="Home visit: clear, warm, kept the child's voice central.")
    assert saved.status_code == 303, words(saved)
    saved = _post(client, f"/supervision/{asye}/asye/reviews/3", **_date(dt.date(2026, 7, 8)),
                  by_name="Sam Whitfield", note="=On track; caseload to rise to 12.")
    assert saved.status_code == 303, words(saved)
    shown = words(client.get(f"/supervision/{asye}/asye", headers=HTML))
    assert "10 June 2026 Jo Practice-Educator Home visit: clear, warm, kept the child's voice central." in shown
    assert "Review at 3 months 6 July 2026 8 July 2026, by Sam Whitfield =On track; caseload to rise to 12." in shown

    answer = client.get(f"/supervision/{asye}/asye.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text(answer))))
    assert list(rows[0]) == asye_support.COLUMNS
    assert [(r["section"], r["sessions_held"], r["days_overdue"], r["outcome"]) for r in rows[:2]] == [
        ("frequency", "5", "0", "met"), ("frequency", "10", "0", "met so far")]  # S §10: weekly 6 weeks, monthly
    review = next(r for r in rows if r["item"] == "Review at 3 months")
    assert (review["on"], review["by"], review["note"], review["outcome"]) == (
        "2026-07-08", "Sam Whitfield", "'=On track; caseload to rise to 12.", "held")  # a formula is defused
    printable = words(client.get(f"/supervision/{asye}/asye/print", headers=HTML))
    assert "ASYE record of support, as at 15 October 2026" in printable and "Jo Practice-Educator" in printable

    entries = db.scalars(select(AsyeSupportEntry).order_by(AsyeSupportEntry.id)).all()
    assert [(e.kind, e.review_month, e.recorded_by_id) for e in entries] == [
        ("observation", None, org.ids["manager"]), ("review", 3, org.ids["manager"])]
    audited = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "asye_support")
                         .order_by(AuditEvent.id)).all()
    assert [(a.action, a.detail.get("basis"), a.detail.get("as")) for a in audited] == [
        ("asye_support.recorded", None, None), ("asye_support.recorded", None, None),
        ("asye_support.read", "supervisor", "page"), ("asye_support.read", "supervisor", "csv"),
        ("asye_support.read", "supervisor", "print")]  # one kind of read, and how it was shown
    assert {a.actor_id for a in audited} == {org.ids["manager"]}


def test_a_bad_entry_is_refused_naming_its_box(client: Any, asye: int, db: Any) -> None:
    sign_in(client, "manager")
    url = f"/supervision/{asye}/asye/observations/new"
    empty = _post(client, url, **_date(dt.date(2026, 6, 10)), by_name="Sam Whitfield", note="  ")
    assert empty.status_code == 400 and "What was observed must not be empty" in words(empty)
    ahead = _post(client, url, **_date(dt.date(2026, 10, 16)), by_name="Sam Whitfield", note="Seen")
    assert ahead.status_code == 400 and "Date of the observation must be today or earlier" in words(ahead)
    before = _post(client, url, **_date(dt.date(2026, 3, 1)), by_name="Sam Whitfield", note="Seen")
    assert before.status_code == 400 and "must be on or after the ASYE's start" in words(before)
    not_a_date = _post(client, url, on_date=["31", "2", "2026"],
                       by_name="Sam Whitfield", note="Seen")
    assert not_a_date.status_code == 400 and "must be a real date" in words(not_a_date)
    assert client.get(f"/supervision/{asye}/asye/reviews/9", headers=HTML).status_code == 422
    assert db.scalars(select(AsyeSupportEntry)).all() == []


def test_the_asye_and_their_line_managers_read_it_but_only_the_supervisor_records(
        client: Any, asye: int, org: Any, db: Any) -> None:
    for reader in ("asye", "head"):  # the ASYE, the supervisor's line manager
        sign_in(client, reader)
        page = client.get(f"/supervision/{asye}/asye", headers=HTML)
        assert page.status_code == 200, reader
        assert "Record a direct observation" not in words(page), reader
    sign_in(client, "asye")
    assert client.get(f"/supervision/{asye}/asye/observations/new", headers=HTML).status_code == 403
    assert "ASYE record of support" in words(client.get("/my-records", headers=HTML))
    sign_in(client, "head")  # the line manager reads it but does not record
    refused = _post(client, f"/supervision/{asye}/asye/observations/new", **_date(dt.date(2026, 10, 7)),
                    by_name="Dana Okafor", note="Seen.")
    assert refused.status_code == 403
    sign_in(client, "admin")  # access.read has no path for an administrator as such: no content either way
    assert client.get(f"/supervision/{asye}/asye", headers=HTML).status_code == 404
    refused = _post(client, f"/supervision/{asye}/asye/observations/new", **_date(dt.date(2026, 10, 7)),
                    by_name="Sam Whitfield", note="Progressing well.")
    assert refused.status_code == 404
    assert db.scalars(select(AsyeSupportEntry)).all() == []


def test_after_a_change_of_supervisor_only_the_new_one_records(client: Any, asye: int, org: Any, db: Any) -> None:
    """Sam Whitfield hands Priya to Dana Okafor on 1 October: Sam, still her line manager, reads but
    no longer records; Dana records, and the entry names who recorded it whatever name is typed."""
    old = db.scalars(select(SupervisionRelationship).where(SupervisionRelationship.supervisee_id == asye)).one()
    old.ends_on = dt.date(2026, 9, 30)
    db.add(SupervisionRelationship(supervisee_id=asye, supervisor_id=org.ids["head"], starts_on=dt.date(2026, 10, 1)))
    db.commit()
    url = f"/supervision/{asye}/asye/observations/new"
    sign_in(client, "manager")
    assert client.get(url, headers=HTML).status_code == 403
    assert "Record a direct observation" not in words(client.get(f"/supervision/{asye}/asye", headers=HTML))
    sign_in(client, "head")
    saved = _post(client, url, **_date(dt.date(2026, 10, 7)), by_name="Jo Practice-Educator", note="Seen.")
    assert saved.status_code == 303
    assert [(e.by_name, e.recorded_by_id) for e in db.scalars(select(AsyeSupportEntry))] == [
        ("Jo Practice-Educator", org.ids["head"])]


def test_a_former_asye_keeps_the_record_read_only(client: Any, asye: int, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    assert _post(client, f"/supervision/{asye}/asye/observations/new", **_date(dt.date(2026, 6, 10)),
                 by_name="Jo Practice-Educator", note="Home visit.").status_code == 303
    db.get(Person, asye).role = "social_worker"  # qualified year done
    db.commit()
    page = client.get(f"/supervision/{asye}/asye", headers=HTML)
    assert page.status_code == 200
    shown = words(page)
    assert "Jo Practice-Educator" in shown and "is no longer an ASYE" in shown
    assert "6 April 2026 to 17 May 2026 Every 1 week 5 0 Met" in shown  # still the ASYE role's frequency
    assert "Record a direct observation" not in shown
    assert _post(client, f"/supervision/{asye}/asye/observations/new", **_date(dt.date(2026, 6, 11)),
                 by_name="Jo", note="Again.").status_code == 403
    db.execute(AsyeSupportEntry.__table__.delete())
    db.commit()
    assert client.get(f"/supervision/{asye}/asye", headers=HTML).status_code == 404  # no entries: no record


def test_the_entries_are_destroyed_with_the_persons_records(app: Any, client: Any, asye: int, db: Any) -> None:
    sign_in(client, "manager")
    assert _post(client, f"/supervision/{asye}/asye/observations/new", **_date(dt.date(2026, 6, 10)),
                 by_name="Jo Practice-Educator", note="Home visit.").status_code == 303
    db.get(Person, asye).leave_date = dt.date(2026, 10, 15)
    db.commit()
    ran = app.test_cli_runner().invoke(retention_group, ["run", "--today", "2040-01-01"])
    assert ran.exit_code == 0, ran.output
    assert db.scalars(select(AsyeSupportEntry)).all() == []
    destroyed = db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.destroy",
                                                    AuditEvent.object_id == str(asye))).one()
    assert destroyed.detail["asye_entries"] == 1


def test_anyone_else_is_told_there_is_no_such_record(client: Any, asye: int, org: Any) -> None:
    sign_in(client, "worker")  # a colleague in the same team
    for url in (f"/supervision/{asye}/asye", f"/supervision/{asye}/asye.csv", f"/supervision/{asye}/asye/print",
                f"/supervision/{asye}/asye/observations/new"):
        assert client.get(url, headers=HTML).status_code == 404, url
    sign_in(client, "manager")  # someone who is not an ASYE has no record of support
    assert client.get(f"/supervision/{org.ids['worker']}/asye", headers=HTML).status_code == 404
    history = words(client.get(f"/supervision/{asye}", headers=HTML))
    assert "ASYE record of support of Priya Patel" in history
