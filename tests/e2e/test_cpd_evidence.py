"""CPD evidence for Social Work England (issue 25 item 2) through its pages, on SQLite and
PostgreSQL: Alex Morgan marks reflections from their signed supervision records as CPD, reads the
CPD year against SWE's minimum (two pieces, one with peer reflection), and downloads the pieces in
SWE's fields; nobody else marks Alex's records, the signed record never changes, a bad date or
an empty box is refused naming it, and a piece is removed only after a page asks, naming it. The
renewal reminder goes once a year to those below the minimum, only to roles on SWE's register (never
a social work student or a family support worker). As at 15 October 2026: the CPD year 1 December
2025 to 30 November 2026, in its renewal window."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from storage.models import (AuditEvent, CpdPiece, GroupAttendance, GroupSession, OutboxMessage, Person, Record,
                            SupervisionGroup)
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from workflows import cpd
from workflows.profiles import load_profile

NOW = dt.datetime(2026, 10, 15, 12, 0)
MARCH, JUNE = dt.date(2026, 3, 4), dt.date(2026, 6, 10)
CASE_AUDITS = "Audit of the Lee case showed the chronology lagged; we talked through keeping it live."


@pytest.fixture(autouse=True)
def mid_october() -> None:
    clock.set_clock(lambda: NOW)  # the conftest's real_clock puts the clock back


def _record(db: Any, org: Any, day: dt.date, status: str = "signed") -> int:
    record = Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                    session_date=day, status=status, sections={"areas": [
                        {"key": "case_audits", "title": "Case Audits and reflection on learning from audit",
                         "discussion": CASE_AUDITS},
                        {"key": "performance", "title": "Performance", "discussion": "Caseload of 18, manageable."}]})
    db.add(record)
    db.commit()
    return record.id


def _piece(day: dt.date, **typed: str) -> dict[str, str]:
    return {"title": "Keeping chronologies live", "type": "Supervision with my supervisor",
            "description": "Reflection on a case audit in supervision", "date-day": str(day.day),
            "date-month": str(day.month), "date-year": str(day.year),
            "learning": "A chronology written as events happen shows patterns a late one hides.",
            "impact": "I update chronologies within a day of each visit.", **typed}


def _as_it_stands(db: Any, record_id: int) -> tuple[Any, ...]:
    db.expire_all()
    record = db.get(Record, record_id)
    return record.sections, record.status, record.revision, record.version, record.updated_at


def test_a_supervisee_marks_two_reflections_and_the_minimum_is_met_with_swe_fields_in_the_csv(
        client: Any, org: Any, db: Any) -> None:
    march, june = _record(db, org, MARCH), _record(db, org, JUNE)
    before = _as_it_stands(db, march)
    sign_in(client, "worker")
    assert f'href="/my-records/{march}/cpd"' in text(client.get("/my-records", headers=HTML))
    assert "Minimum not met" in words(client.get("/my-records/cpd", headers=HTML))

    chosen = text(client.get(f"/my-records/{march}/cpd?area=case_audits", headers=HTML))
    assert f'<p class="govuk-body">{CASE_AUDITS}</p>' in chosen and "counts as peer reflection" in chosen
    saved = post(client, f"/my-records/{march}/cpd", _piece(MARCH, area_key="case_audits"),
                 page=f"/my-records/{march}/cpd?area=case_audits")
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/my-records/cpd?year=2026")
    whole = post(client, f"/my-records/{june}/cpd", _piece(JUNE, title="Supervision in June", area_key=""))
    assert whole.status_code == 303

    page = words(client.get("/my-records/cpd", headers=HTML))
    assert "CPD year 1 December 2025 to 30 November 2026" in page
    assert "from 1 December to 30 November" in page
    assert "Minimum met You have 2 pieces of CPD this year, 2 with peer reflection: the minimum is met." in page
    rows = list(csv.reader(io.StringIO(text(client.get("/my-records/cpd.csv?year=2026")))))
    assert rows[0] == ["Title", "Type", "Description", "Date", "What was learnt", "Impact", "Peer reflection"]
    assert [(r[0], r[1], r[3], r[6]) for r in rows[1:]] == [
        ("Keeping chronologies live", "Supervision with my supervisor", "2026-03-04", "yes"),
        ("Supervision in June", "Supervision with my supervisor", "2026-06-10", "yes")]
    printed = words(client.get("/my-records/cpd/print?year=2026", headers=HTML))
    assert "CPD from 1 December 2025 to 30 November 2026" in printed and "What was learnt" in printed
    pieces = db.scalars(select(CpdPiece).order_by(CpdPiece.id)).all()
    assert [(p.person_id, p.record_id, p.area_key, p.peer_reflection) for p in pieces] == [
        (org.ids["worker"], march, "case_audits", True), (org.ids["worker"], june, None, True)]
    assert _as_it_stands(db, march) == before  # the signed record is as it was signed


def attended_group_record(db: Any, org: Any) -> Record:
    """A signed record of a group session held on 6 May 2026, facilitated by the manager, at which
    Alex (the worker) was present and Priya (the ASYE) was not."""
    group = SupervisionGroup(name="Reflective group", facilitator_id=org.ids["manager"])
    db.add(group)
    db.flush()
    held = GroupSession(group_id=group.id, starts_at=dt.datetime(2026, 5, 6, 10), status="held", uid="g@test")
    db.add(held)
    db.flush()
    db.add(GroupAttendance(session_id=held.id, person_id=org.ids["worker"], attendance="present"))
    record = Record(kind="group_plain", supervisee_id=org.ids["manager"], supervisor_id=org.ids["manager"],
                    session_date=dt.date(2026, 5, 6), status="signed", sections={}, group_session_id=held.id)
    db.add(record)
    db.commit()
    return record


def test_a_group_record_attended_counts_as_group_supervision_with_peer_reflection(
        client: Any, org: Any, db: Any) -> None:
    record = attended_group_record(db, org)
    sign_in(client, "worker")
    assert "Group supervision counts as peer reflection" in words(client.get(f"/my-records/{record.id}/cpd", headers=HTML))
    assert post(client, f"/my-records/{record.id}/cpd", _piece(dt.date(2026, 5, 6), type="Group supervision")
                ).status_code == 303
    sign_in(client, "asye")  # a member who was not there
    assert client.get(f"/my-records/{record.id}/cpd", headers=HTML).status_code == 404


def test_nobody_but_the_supervisee_marks_their_record_or_touches_their_pieces(client: Any, org: Any, db: Any) -> None:
    march = _record(db, org, MARCH)
    sign_in(client, "worker")
    post(client, f"/my-records/{march}/cpd", _piece(MARCH))
    piece_id = db.scalar(select(CpdPiece.id))
    for who in ("asye", "manager"):  # another supervisee, and the record's own supervisor
        sign_in(client, who)
        assert client.get(f"/my-records/{march}/cpd", headers=HTML).status_code == 404
        assert post(client, f"/my-records/{march}/cpd", _piece(MARCH), page="/tokens").status_code == 404
        assert client.get(f"/my-records/cpd/{piece_id}", headers=HTML).status_code == 404
        assert post(client, f"/my-records/cpd/{piece_id}/remove", {}, page="/tokens").status_code == 404
    assert client.get("/my-records/999999/cpd", headers=HTML).status_code == 404
    assert db.scalar(select(CpdPiece.person_id)) == org.ids["worker"]


def test_a_bad_date_or_an_empty_box_is_refused_naming_it_and_a_draft_cannot_be_marked(
        client: Any, org: Any, db: Any) -> None:
    march, draft = _record(db, org, MARCH), _record(db, org, JUNE, status="draft")
    sign_in(client, "worker")
    bad_date = post(client, f"/my-records/{march}/cpd", _piece(MARCH, **{"date-day": "31", "date-month": "2"}))
    assert bad_date.status_code == 422
    assert "Date must be a date like 2026-04-01" in words(bad_date) and 'href="#date-day"' in text(bad_date)
    empty = post(client, f"/my-records/{march}/cpd", _piece(MARCH, learning="   "))
    assert empty.status_code == 422
    assert "What you learnt must not be empty" in words(empty) and 'href="#learning"' in text(empty)
    assert "I update chronologies within a day of each visit." in words(empty)  # kept as typed
    ahead = post(client, f"/my-records/{march}/cpd", _piece(dt.date(2026, 11, 2)))
    assert ahead.status_code == 422 and "Date must be today or earlier" in words(ahead)
    assert client.get(f"/my-records/{draft}/cpd", headers=HTML).status_code == 422
    assert db.scalar(select(CpdPiece.id)) is None


def test_a_piece_is_changed_and_removed_by_its_writer(client: Any, org: Any, db: Any) -> None:
    march = _record(db, org, MARCH)
    sign_in(client, "worker")
    post(client, f"/my-records/{march}/cpd", _piece(MARCH))
    piece_id = db.scalar(select(CpdPiece.id))
    changed = post(client, f"/my-records/cpd/{piece_id}", _piece(MARCH, impact="I now check chronologies weekly."))
    assert changed.status_code == 303
    assert "I now check chronologies weekly." in words(client.get("/my-records/cpd", headers=HTML))
    assert post(client, f"/my-records/cpd/{piece_id}/remove", {}, page=f"/my-records/cpd/{piece_id}").status_code == 303
    assert "You have marked no CPD in this year yet." in words(client.get("/my-records/cpd", headers=HTML))
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "cpd_piece")).all()
    assert actions == ["cpd.added", "cpd.changed", "cpd.removed"]


def test_the_renewal_reminder_tells_those_below_the_minimum_once_a_year(app: Any, org: Any, db: Any) -> None:
    march = _record(db, org, MARCH)
    db.add_all([CpdPiece(person_id=org.ids["asye"], record_id=march, title=f"Piece {n}", type="Supervision",
                         description="d", done_on=MARCH, learning="l", impact="i", peer_reflection=True)
                for n in (1, 2)])  # Priya has met it (the record is Alex's: the rows are only counted)
    db.commit()
    deployment = app.extensions["docgen"]
    assert cpd.remind_renewal(deployment.unit_of_work(), dt.date(2026, 8, 31)) == 0  # the window is shut
    deployment.enqueue("cpd_renewal_reminder")  # the worker's daily task, on 15 October: Alex and Sam
    assert cpd.remind_renewal(deployment.unit_of_work(), dt.date(2026, 10, 16)) == 0  # once a year
    told = db.scalars(select(OutboxMessage).where(OutboxMessage.subject == cpd.REMINDER_SUBJECT)).all()
    assert sorted(m.to_address for m in told) == ["manager@knowsley.example.org", "worker@knowsley.example.org"]
    assert "30 November 2026" in told[0].text_body and "/my-records/cpd" in told[0].text_body


@pytest.mark.parametrize("day,year_ending", [(dt.date(2026, 11, 30), 2026), (dt.date(2026, 12, 1), 2027),
                                             (dt.date(2027, 1, 1), 2027), (dt.date(2026, 9, 1), 2026)])
def test_the_cpd_year_runs_from_1_december_to_30_november(day: dt.date, year_ending: int) -> None:
    assert cpd.cpd_year(day).ends == year_ending and cpd.cpd_year(day).holds(day)


def test_the_csv_keeps_a_formula_typed_in_a_piece_as_text(client: Any, org: Any, db: Any) -> None:
    """The supervisee opens the CSV in a spreadsheet: what they typed is never run as a formula."""
    march = _record(db, org, MARCH)
    sign_in(client, "worker")
    typed = _piece(MARCH, title="=HYPERLINK(\"http://example.org\")", learning="+1 more visit a week", area_key="")
    assert post(client, f"/my-records/{march}/cpd", typed).status_code == 303
    [row] = list(csv.reader(io.StringIO(text(client.get("/my-records/cpd.csv?year=2026")))))[1:]
    assert (row[0], row[4]) == ("'=HYPERLINK(\"http://example.org\")", "'+1 more visit a week")


def test_removing_a_piece_asks_first_naming_it_and_then_says_which_went(client: Any, org: Any, db: Any) -> None:
    march = _record(db, org, MARCH)
    sign_in(client, "worker")
    post(client, f"/my-records/{march}/cpd", _piece(MARCH))
    piece_id = db.scalar(select(CpdPiece.id))
    assert f'href="/my-records/cpd/{piece_id}/remove"' in text(client.get(f"/my-records/cpd/{piece_id}", headers=HTML))
    asked = client.get(f"/my-records/cpd/{piece_id}/remove", headers=HTML)
    assert asked.status_code == 200
    shown = words(asked)
    assert "Are you sure you want to remove “Keeping chronologies live”?" in shown
    assert "Yes, remove it" in shown and "No, keep it" in shown and 'href="/my-records/cpd?year=2026"' in text(asked)
    assert db.scalar(select(CpdPiece.id)) == piece_id  # asking removes nothing
    sign_in(client, "asye")
    assert client.get(f"/my-records/cpd/{piece_id}/remove", headers=HTML).status_code == 404
    sign_in(client, "worker")
    removed = post(client, f"/my-records/cpd/{piece_id}/remove", {}, page=f"/my-records/cpd/{piece_id}/remove")
    assert removed.status_code == 303 and removed.headers["Location"].endswith("/my-records/cpd?year=2026")
    after = words(client.get(removed.headers["Location"], headers=HTML))
    assert "“Keeping chronologies live” was removed from your CPD." in after
    assert db.scalar(select(CpdPiece.id)) is None


def test_a_change_that_empties_a_box_or_the_date_is_refused_naming_it(client: Any, org: Any, db: Any) -> None:
    march = _record(db, org, MARCH)
    sign_in(client, "worker")
    post(client, f"/my-records/{march}/cpd", _piece(MARCH))
    piece_id = db.scalar(select(CpdPiece.id))
    blank = {f"date-{part}": "" for part in ("day", "month", "year")}
    no_date = post(client, f"/my-records/cpd/{piece_id}", _piece(MARCH, **blank))
    assert no_date.status_code == 422 and "Date must not be empty" in words(no_date)
    no_title = post(client, f"/my-records/cpd/{piece_id}", _piece(MARCH, title=" "))
    assert no_title.status_code == 422 and "Title must not be empty" in words(no_title)
    db.expire_all()
    piece = db.get(CpdPiece, piece_id)
    assert (piece.title, piece.done_on) == ("Keeping chronologies live", MARCH)


def test_the_renewal_reminder_never_goes_to_a_social_work_student(app: Any, org: Any, db: Any) -> None:
    """A student is not on Social Work England's register, so has no CPD renewal to be told of."""
    student = db.get(Person, org.ids["worker"])
    student.role = "student"
    db.commit()
    assert cpd.remind_renewal(app.extensions["docgen"].unit_of_work(), dt.date(2026, 10, 15)) == 2  # Sam and Priya
    told = db.scalars(select(OutboxMessage.to_address).where(OutboxMessage.subject == cpd.REMINDER_SUBJECT)).all()
    assert sorted(told) == ["asye@knowsley.example.org", "manager@knowsley.example.org"]


def test_the_renewal_reminder_never_goes_to_a_family_support_worker(app: Any, org: Any, db: Any) -> None:
    """Knowsley's family support workers, personal advisors and Early Help practitioners are supervised
    but not on Social Work England's register: their roles are not `swe_registered` in the profile."""
    worker = db.get(Person, org.ids["worker"])
    worker.role = "family_support_worker"
    db.commit()
    assert cpd.remind_renewal(app.extensions["docgen"].unit_of_work(), dt.date(2026, 10, 15)) == 2  # Sam and Priya
    told = db.scalars(select(OutboxMessage.to_address).where(OutboxMessage.subject == cpd.REMINDER_SUBJECT)).all()
    assert sorted(told) == ["asye@knowsley.example.org", "manager@knowsley.example.org"]


SOCIAL_WORK_ROLES = {"social_worker", "asye", "team_manager"}


@pytest.mark.parametrize("council,registered", [
    ("haringey", SOCIAL_WORK_ROLES), ("knowsley", SOCIAL_WORK_ROLES), ("lancashire", SOCIAL_WORK_ROLES),
    ("southwark", SOCIAL_WORK_ROLES | {"advanced_practitioner"}), ("stockport", SOCIAL_WORK_ROLES)])
def test_each_built_in_profile_marks_the_roles_on_social_work_englands_register_as_docgens_default(
        council: str, registered: set[str]) -> None:
    """docs/PROFILES.md: the built-in profiles mark social workers, ASYEs and team managers (and
    Southwark's advanced practitioners), each labelled docgen's default; a student is never marked."""
    profile = load_profile(council)
    assert profile.swe_registered_roles == registered
    assert "student" in profile.roles and "student" not in profile.swe_registered_roles
    for key in registered:
        assert profile.source(f"roles.{key}.swe_registered").startswith("default: docgen"), key


def test_a_cpd_date_in_the_year_1_is_refused_naming_the_date(client: Any, org: Any, db: Any) -> None:
    """"1 1 1" is a slip: saved, it would fall in no CPD year a page shows."""
    march = _record(db, org, MARCH)
    sign_in(client, "worker")
    tiny = {"date-day": "1", "date-month": "1", "date-year": "1"}

    refused = post(client, f"/my-records/{march}/cpd", _piece(MARCH, **tiny))

    assert refused.status_code == 422 and 'href="#date-day"' in text(refused)
    assert "Date must be on or after 1 January 2000 (a docgen default)" in words(refused)
    assert db.scalar(select(CpdPiece.id)) is None
    post(client, f"/my-records/{march}/cpd", _piece(MARCH))
    piece_id = db.scalar(select(CpdPiece.id))
    changed = post(client, f"/my-records/cpd/{piece_id}", _piece(MARCH, **tiny))
    assert changed.status_code == 422 and "Date must be on or after 1 January 2000" in words(changed)
    db.expire_all()
    assert db.get(CpdPiece, piece_id).done_on == MARCH


def in_role(db: Any, org: Any, who: str, role: str) -> None:
    """An administrator records `who` as holding `role` (a key of Knowsley's profile)."""
    db.get(Person, org.ids[who]).role = role
    db.commit()


def test_a_registered_social_worker_reads_the_year_against_swes_minimum(client: Any, org: Any, db: Any) -> None:
    """Alex is a social worker, a role Knowsley's profile marks `swe_registered`: judged, as before."""
    sign_in(client, "worker")

    page = words(client.get("/my-records/cpd", headers=HTML))

    assert "My CPD for Social Work England" in page
    assert "and see whether this year’s minimum is met, on My CPD" in words(client.get("/my-records", headers=HTML))
    assert "Social Work England asks for at least 2 pieces of CPD a year, at least one of them with peer reflection" in page
    assert "Minimum not met You have 0 pieces of CPD this year. You still need 2 more pieces of CPD and a piece with " \
           "peer reflection." in page
    assert "not marked as registered" not in page


@pytest.mark.parametrize("role,label", [("family_support_worker", "Family support worker"),
                                        ("student", "Social work student")])
def test_someone_off_the_register_records_and_exports_cpd_but_is_not_judged_against_swes_minimum(
        client: Any, org: Any, db: Any, role: str, label: str) -> None:
    """Knowsley's profile does not mark the role `swe_registered`: the page says so, and whom to ask,
    and shows no minimum; marking, the CSV and the printable page work as for anyone."""
    march = _record(db, org, MARCH)
    in_role(db, org, "worker", role)
    sign_in(client, "worker")

    empty = words(client.get("/my-records/cpd", headers=HTML))
    assert post(client, f"/my-records/{march}/cpd", _piece(MARCH)).status_code == 303
    page = words(client.get("/my-records/cpd", headers=HTML))

    for shown in (empty, page):
        assert f"Your role, “{label}”, is not marked as registered with Social Work England in docgen’s settings " \
               "for Knowsley Council, so this page does not show Social Work England’s minimum for CPD or whether " \
               "you meet it." in shown
        assert "If you are registered with Social Work England, ask your administrator to check your role, or " \
               "whether it is marked as registered with Social Work England." in shown
        assert "Minimum" not in shown and "at least 2 pieces" not in shown and "still need" not in shown
    assert "My CPD for Social Work England" not in page and "You have 1 piece of CPD this year." in page
    assert "Keeping chronologies live" in page
    [row] = list(csv.reader(io.StringIO(text(client.get("/my-records/cpd.csv?year=2026")))))[1:]
    assert (row[0], row[3], row[6]) == ("Keeping chronologies live", "2026-03-04", "yes")
    printed = words(client.get("/my-records/cpd/print?year=2026", headers=HTML))
    assert f"1 piece, 1 with peer reflection. The role “{label}” is not marked as registered" in printed
    assert "in docgen’s settings for Knowsley Council, so no minimum is shown: ask your administrator" in printed
    assert "Set out in Social Work England’s fields. Print this page" in printed and "minimum of two" not in printed
    records = words(client.get("/my-records", headers=HTML))
    assert "Mark a reflection in a signed record as CPD, and see this year’s pieces, on My CPD" in records
    assert "minimum" not in records
    removing = words(client.get(f"/my-records/cpd/{db.scalar(select(CpdPiece.id))}/remove", headers=HTML))
    assert "My CPD Are you sure you want to remove" in removing and "for Social Work England" not in removing


def test_once_the_role_is_recorded_as_registered_the_page_shows_swes_minimum(client: Any, org: Any, db: Any) -> None:
    """What an administrator asked to check changes: the role, not the page, decides."""
    march = _record(db, org, MARCH)
    in_role(db, org, "worker", "family_support_worker")
    sign_in(client, "worker")
    post(client, f"/my-records/{march}/cpd", _piece(MARCH))
    assert "Minimum" not in words(client.get("/my-records/cpd", headers=HTML))

    in_role(db, org, "worker", "social_worker")

    page = words(client.get("/my-records/cpd", headers=HTML))
    assert "Minimum not met You have 1 piece of CPD this year. You still need 1 more piece of CPD." in page
    assert "not marked as registered" not in page
