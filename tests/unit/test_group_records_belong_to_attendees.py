"""A group session's record belongs to every attendee (issue 23), not only to its recorder: each
person present finds it in My records, in their supervision file and in the bundle HR exports, and
it is kept on the longest retention schedule of its recorder and attendees.

Group supervision is "a separate meeting in addition to 1-1 supervision" (K, the list before §6)
and its record names "those present" (W App C 6): it is part of each attendee's supervision. Under
Knowsley's profile the facilitator, Sam, records the session; Alex and Kim are present, Jo sent
apologies. Kim's line manager, Lee, is outside the group.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.errors import NotFound
from storage.models import Account, AuditEvent, Organisation, Record
from workflows import accounts, export, groups, holds, people, retention, signoff, supervision_file
from workflows.access import Caller
from workflows.deployment import Work

SESSION = dt.datetime(2026, 1, 6, 10)
# A leaver's records go to HR 6 months after leaving and are destroyed 7 years after that
# (S 12.4, docgen's labelled default for Knowsley).
LEFT_EARLY, LEFT_LATE = dt.date(2026, 3, 31), dt.date(2027, 3, 31)
EARLY_GOES, LATE_GOES = dt.date(2033, 9, 30), dt.date(2034, 9, 30)


def _caller(uow: Work, person_id: int, reason: str = "") -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7", reason=reason)


@pytest.fixture
def group(uow: Work) -> dict[str, int]:
    """Sam's reflective group met on 6 January 2026: Alex and Kim present, Jo's apologies; Sam
    wrote the record. Lee manages Kim; Val is a stranger to all of them; Hana is HR."""
    db = uow.session
    org = Organisation(name="Knowsley Council", profile="knowsley")
    db.add(org)
    db.flush()
    team = people.create_team(db, org, "Children in Need 1", "Children's Social Care")
    ids: dict[str, int] = {}
    for key, name, role, manager, roles in (
            ("sam", "Sam Whitfield", "team_manager", None, []), ("lee", "Lee Grant", "team_manager", None, []),
            ("alex", "Alex Morgan", "social_worker", "sam", []), ("kim", "Kim Lee", "social_worker", "lee", []),
            ("jo", "Jo Bloggs", "social_worker", "sam", []), ("val", "Val Outside", "social_worker", None, []),
            ("hana", "Hana Reid", "social_worker", None, ["hr"])):
        person = people.create_person(db, org, uow.deployment.profile, {
            "name": name, "email": f"{key}@knowsley.example.org", "role": role, "team_id": team.id,
            "line_manager_id": ids.get(manager) if manager else None, "employment_start": dt.date(2024, 1, 8)})
        accounts.create_account(db, person, "correct-horse-battery", roles)
        ids[key] = person.id
    for supervisee, supervisor in (("alex", "sam"), ("kim", "lee"), ("jo", "sam")):
        people.create_relationship(db, ids[supervisee], ids[supervisor], dt.date(2024, 1, 8))
    uow.commit()
    sam = _caller(uow, ids["sam"])
    clock.set_clock(lambda: SESSION - dt.timedelta(days=1))
    made = groups.create_group(uow, sam, "Reflective group", ids["sam"], [ids["alex"], ids["kim"], ids["jo"]])
    session = groups.plan_session(uow, sam, made.id, SESSION)
    clock.set_clock(lambda: SESSION + dt.timedelta(hours=3))
    groups.record_attendance(uow, sam, session.id, {ids["alex"]: "present", ids["kim"]: "present",
                                                    ids["jo"]: "apologies"})
    record = groups.start_record(uow, sam, session.id)
    groups.save_record(uow, sam, record.id, {"cases": "104233", "reflective_discussion": "Stuck case mapped."})
    return ids | {"record": record.id}


def test_each_attendee_finds_the_group_record_in_my_records_but_not_one_who_sent_apologies(
        uow: Work, group: dict[str, int]) -> None:
    for who, finds in (("alex", True), ("kim", True), ("sam", True), ("jo", False)):
        mine = signoff.own_documents(uow, _caller(uow, group[who]))
        assert (group["record"] in {r.id for r in mine.records}) is finds, who


def test_the_group_record_is_in_each_attendees_supervision_file(uow: Work, group: dict[str, int]) -> None:
    listed, total = supervision_file.records_of(uow, _caller(uow, group["kim"]), group["kim"], 1, 20)
    assert ([r["id"] for r in listed], total) == ([group["record"]], 1)
    assert supervision_file.records_of(uow, _caller(uow, group["jo"]), group["jo"], 1, 20) == ([], 0)


def test_the_group_record_is_in_each_attendees_hr_bundle(uow: Work, group: dict[str, int]) -> None:
    """S 12.4: a leaver's records are "placed on the employee's file": Kim's include the group's."""
    bundle = export.by_operator(uow, "kim@knowsley.example.org")
    with zipfile.ZipFile(io.BytesIO(b"".join(bundle.chunks))) as archive:
        [manifest] = [name for name in archive.namelist() if name.endswith("manifest.json")]
        documents = json.loads(archive.read(manifest))["documents"]
    number = f"R-{group['record']:06d}"
    assert [(d["document_number"], d["kind"]) for d in documents] == [(number, "group_plain")]


def test_an_attendees_supervisor_reads_the_group_record_and_the_read_is_audited(
        uow: Work, group: dict[str, int]) -> None:
    """K §9: access is "limited to the supervisee, supervisor, and relevant line managers": the
    record is in Kim's file, so Kim's supervisor, Lee, reads it; a stranger is told it does not
    exist."""
    page = groups.read_record(uow, _caller(uow, group["lee"]), group["record"])
    assert page.basis == "supervisor"
    assert groups.read_record(uow, _caller(uow, group["kim"]), group["record"]).basis == "attendee"
    reads = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "record.read",
                                                         AuditEvent.object_id == str(group["record"])))
    assert [(e.actor_id, e.detail["basis"]) for e in reads] == [(group["lee"], "supervisor"),
                                                                (group["kim"], "attendee")]
    with pytest.raises(NotFound):
        groups.read_record(uow, _caller(uow, group["val"]), group["record"])


def _leave(uow: Work, group: dict[str, int], **leaving: dt.date) -> None:
    for who, day in leaving.items():
        retention.record_leaver(uow, _caller(uow, group["hana"]), group[who], day)


def _destroyed(uow: Work, group: dict[str, int]) -> bool:
    return not uow.session.get_one(Record, group["record"], populate_existing=True).sections


def test_the_group_record_outlives_its_recorder_while_an_attendee_is_still_employed(
        uow: Work, group: dict[str, int]) -> None:
    _leave(uow, group, sam=LEFT_EARLY)
    retention.run(uow, EARLY_GOES)
    assert not _destroyed(uow, group)  # Alex and Kim have not left


def test_the_group_record_is_destroyed_on_the_latest_schedule_of_its_recorder_and_attendees(
        uow: Work, group: dict[str, int]) -> None:
    _leave(uow, group, sam=LEFT_EARLY, alex=LEFT_EARLY, kim=LEFT_LATE)
    retention.run(uow, EARLY_GOES)
    assert not _destroyed(uow, group)  # Kim's retention still holds it
    retention.run(uow, LATE_GOES)
    assert _destroyed(uow, group)


def test_a_legal_hold_on_any_attendee_keeps_the_group_record(uow: Work, group: dict[str, int]) -> None:
    _leave(uow, group, sam=LEFT_EARLY, alex=LEFT_EARLY, kim=LEFT_EARLY)
    hold = holds.place(uow, _caller(uow, group["hana"]), "Employment tribunal claim", person_id=group["kim"])
    retention.run(uow, LATE_GOES)
    assert not _destroyed(uow, group)
    holds.lift(uow, _caller(uow, group["hana"]), hold.id, "Claim settled")
    retention.run(uow, LATE_GOES)
    assert _destroyed(uow, group)
