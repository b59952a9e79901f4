"""What issue 23 found left out of the profiles (its item 11), each now a profile value with the
policy's own words, checked here against the line it follows: the forms each role may use (W App E
beside the role's own form; S §10's line manager beside the reflective 1-1), the appraisal and the
observation of team leaders as due items (S App C 7, S §8), and Haringey's copy to the supervisee
(H §15)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from kernel.errors import InvalidInput
from storage.models import OutboxMessage, Person, Record
from tests.unit.test_group_records_belong_to_attendees import group  # noqa: F401  (the group fixture)
from workflows import notices, notifications, pipeline, records, signoff
from workflows.deployment import Deployment, Work
from workflows.due_dates import first_year
from workflows.due_list import due_list
from workflows.profiles import load_profile

START = dt.date(2026, 1, 5)
NO_TITLE = "default: docgen — the policy gives the person who leads a group no title: its facilitator"
WORKER = "worker@knowsley.example.org"


@pytest.mark.parametrize("council,role,kinds,words", [
    # W App E: "Where casework is discussed outside group supervision ... The supervisor needs to record this"
    ("southwark", "social_worker", ["practitioner", "casework"],
     "W App E (docgen's reading: the roles that hold casework, discussed outside the group)"),
    ("southwark", "asye", ["practitioner", "casework"],
     "W App E (docgen's reading: the roles that hold casework, discussed outside the group)"),
    # S §10: "Case management responsibility and decision making remains with the line manager."
    ("stockport", "asye", ["reflective", "line_management"], "S §10"),
    ("southwark", "team_manager", ["team_manager"], ""),
    ("knowsley", "social_worker", ["practitioner"], ""),
])
def test_each_role_may_use_its_own_form_first_and_the_others_its_policy_gives_it(
        council: str, role: str, kinds: list[str], words: str) -> None:
    profile = load_profile(council)

    assert profile.kinds_for(role) == kinds
    if words:
        assert profile.source(f"roles.{role}.also_kinds") == words
        assert profile.quote(f"roles.{role}.also_kinds")


def test_a_casework_record_may_be_started_for_a_southwark_social_worker_but_not_for_a_team_manager(
        uow: Work, team: dict[str, int]) -> None:
    """W App E: "Where casework is discussed outside group supervision ... The supervisor needs to
    record this on the child's electronic social care record"; a team manager holds no casework."""
    southwark, db = load_profile("southwark"), uow.session
    worker = db.get(Person, team["worker"])

    record = records.create_record(db, southwark, worker, dt.date(2025, 3, 3), kind="casework")
    assert record.kind == "casework"

    manager = db.get(Person, team["manager"])
    manager.line_manager_id = team["stranger"]
    with pytest.raises(InvalidInput) as refused:
        records.create_record(db, southwark, manager, dt.date(2025, 3, 3), db.get(Person, team["stranger"]),
                              kind="casework")
    assert refused.value.field == "kind"
    assert "Team manager" in refused.value.message


@pytest.mark.parametrize("role", ["social_worker", "team_manager", "service_manager"])
def test_stockports_formal_appraisal_falls_at_six_months_then_every_year_after(role: str) -> None:
    """S App C 7: "There will be a formal appraisal at, 6 months (Probationary Appraisal) and every
    year after this"."""
    profile = load_profile("stockport")
    assert profile.source(f"roles.{role}.also_due").startswith(("S App C 7", "S §8; S App C 7"))

    appraisals = [due.on for due in first_year(profile, role, START) if due.what == "Formal appraisal"]

    assert appraisals == [START + relativedelta(months=6)]
    on = START + relativedelta(months=18)
    items = _due_for(profile, role, on)
    assert ("appraisal", "due", f"Formal appraisal due {on:%-d %B %Y}") in items


def test_stockports_team_leaders_are_observed_in_supervision_each_year() -> None:
    """S §8: "Service leaders in Stockport Family will directly observe each team leader in
    supervison and audit at least 1 supervision file for each of the team leaders for which they
    have responsibility at least annually"."""
    profile = load_profile("stockport")

    observed = [due.on for due in first_year(profile, "team_manager", START)
                if due.what == "Observed in supervision by a service leader"]

    assert observed == [START + relativedelta(years=1)]
    assert not any(due.what.startswith("Observed") for due in first_year(profile, "social_worker", START))


def _due_for(profile: Any, role: str, today: dt.date) -> list[tuple[str, str, str]]:
    """What the due list shows on `today` for one person in `role` who started on START."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from storage.models import Base, Organisation
    from workflows import people

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        org = Organisation(name="Stockport Council", profile="stockport")
        db.add(org)
        db.flush()
        team = people.create_team(db, org, "Team 1", "Stockport Family")
        boss = people.create_person(db, org, profile, {"name": "Lee Boss", "email": "boss@s.example.org",
                                                       "role": "head_of_service", "team_id": team.id,
                                                       "employment_start": START})
        person = people.create_person(db, org, profile, {"name": "Kim Role", "email": "kim@s.example.org",
                                                         "role": role, "team_id": team.id,
                                                         "line_manager_id": boss.id, "employment_start": START})
        people.create_relationship(db, person.id, boss.id, START)
        db.flush()
        items = due_list(db, profile, today, supervisee_ids=frozenset({person.id}))
        return [(i.kind, i.state, i.label) for i in items]


@pytest.mark.parametrize("council,told", [("haringey", True), ("knowsley", False)])
def test_haringeys_supervisee_is_told_their_copy_of_the_sealed_record_is_in_my_records(
        deployment: Deployment, uow: Work, team: dict[str, int], council: str, told: bool) -> None:
    """H §15: "Supervisees will receive a copy of their personal supervision record." (Where the
    supervisee signs, as K §9 has it, sign-off itself tells them.)"""
    deployment.profile = load_profile(council)
    db = uow.session
    record = records.create_record(db, deployment.profile, db.get(Person, team["worker"]), dt.date(2025, 3, 3))

    _seal(uow, record)

    with deployment.sessions() as db:
        copies = [notifications.letter_for(db, message).text for message in db.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == WORKER))]
    assert bool(copies) is told
    if told:
        assert "Your copy is in My records" in copies[0] and "/my-records" in copies[0]


@pytest.mark.parametrize("council,title,source", [
    # H §1: "Every six to eight weeks led by a trained Practice Lead"; H §8: "Group supervision will
    # generally be led by SOS Practice Leads, although other practitioners might also facilitate sessions"
    ("haringey", "Practice Lead", "H §1; H §8"),
    ("knowsley", "Facilitator", NO_TITLE), ("southwark", "Facilitator", NO_TITLE),
])
def test_the_person_who_leads_a_group_is_called_what_the_policy_calls_them(council: str, title: str,
                                                                            source: str) -> None:
    profile = load_profile(council)

    assert profile.groups.facilitator_title == title
    assert profile.source("groups.facilitator_title") == source


@pytest.mark.parametrize("council,either,source", [
    # S App C 8: "either supervisee or the supervisor may approach a senior manager for help and
    # advice or to request a three way meeting to resolve the situation"
    ("stockport", True, "S App C 8"),
    # W §17: "the next step would be to involve the supervisor's line manager in a three-way
    # discussion with a view to resolving the matter. Either party may request this."
    ("southwark", True, "W §17"),
    ("knowsley", False, None), ("haringey", False, None), ("lancashire", False, None),
])
def test_either_party_may_ask_for_a_three_way_meeting_where_the_policy_says_so(council: str, either: bool,
                                                                                source: str | None) -> None:
    profile = load_profile(council)

    assert profile.disagreement.either_may_request is either
    cited = profile.source("disagreement.either_may_request")
    assert cited == source if source else cited.startswith("default: docgen")


def _seal(uow: Work, record: Any) -> None:
    """The record signed and its sealed PDF filed, as the worker does (the conversion left out),
    heard by the e-mailed notices as every process wires them (`docgen.bootstrap.subscribe`)."""
    notices.tell_in(uow.deployment)
    record.status = signoff.SIGNED
    uow.commit()
    pipeline._file_final_pdf(uow, pipeline._ToSeal(record, record.version, b"docx", {}), b"%PDF-1.7 sealed")


def _mail_to(deployment: Deployment) -> dict[str, str]:
    with deployment.sessions() as db:
        return {m.to_address: notifications.letter_for(db, m).text for m in db.scalars(select(OutboxMessage))}


@pytest.mark.parametrize("supervisor,told", [("stranger", True), ("manager", False)])
def test_a_southwark_casework_record_by_another_supervisor_is_brought_to_the_line_managers_attention(
        deployment: Deployment, uow: Work, team: dict[str, int], supervisor: str, told: bool) -> None:
    """W App E: "The supervisor needs to record this on the child's electronic social care record
    and if the supervisor is not the operational line manager, bring the record or contents to
    their attention"."""
    deployment.profile = southwark = load_profile("southwark")
    assert southwark.source("record_kinds.casework.tell_line_manager") == "W App E"
    db = uow.session
    record = records.create_record(db, southwark, db.get(Person, team["worker"]), dt.date(2025, 3, 3),
                                   db.get(Person, team[supervisor]), kind="casework")

    _seal(uow, record)

    mail = _mail_to(deployment)
    assert ("manager@knowsley.example.org" in mail) is told
    if told:
        assert "Alex Morgan" in mail["manager@knowsley.example.org"]
        assert f"/records/{record.id}" in mail["manager@knowsley.example.org"]


def test_a_stockport_group_record_is_notified_to_each_attendees_line_manager(
        deployment: Deployment, uow: Work, group: dict[str, int]) -> None:
    """S §5: "The line manager should be aware of consultations/group or partnership supervision
    taking place and notified of any advice given by the case holding practitioner." Kim's line
    manager, Lee, is outside the group and told; Sam, who ran it, is not told of his own record."""
    deployment.profile = stockport = load_profile("stockport")
    assert stockport.source("groups.tell_line_managers") == "S §5"
    record = uow.session.get(Record, group["record"])

    _seal(uow, record)

    mail = _mail_to(deployment)
    assert [to for to in mail if "line-manage" in mail[to]] == ["lee@knowsley.example.org"]
    assert "Kim Lee" in mail["lee@knowsley.example.org"]
    assert f"/group-records/{record.id}" in mail["lee@knowsley.example.org"]


def test_knowsley_tells_no_line_manager_of_a_sealed_group_record(deployment: Deployment, uow: Work,
                                                                 group: dict[str, int]) -> None:
    _seal(uow, uow.session.get(Record, group["record"]))

    assert not [to for to, text in _mail_to(deployment).items() if "line-manage" in text]


def test_haringeys_agreement_settles_cover_for_absences(deployment: Deployment, uow: Work,
                                                         team: dict[str, int]) -> None:
    """H §9: "Arrangements must be made to cover planned and unplanned absences of supervisor or
    supervisee." Haringey gives no agreement form: Knowsley's fields (K App A) with a box for the
    cover, pre-filled from H §9's own arrangements."""
    from workflows import agreements

    haringey = load_profile("haringey")
    assert haringey.agreement_form == "haringey_agreement"
    assert haringey.source("agreement_form").startswith("H §9")
    assert haringey.source("agreement_defaults.absence_cover") == "H §9"
    assert [f.key for f in haringey.agreement.fields] == [
        *(f.key for f in load_profile("knowsley").agreement.fields[:-1]), "absence_cover", "review_date"]
    db = uow.session
    drafted = agreements.create_agreement(db, haringey, db.get(Person, team["worker"]), db.get(Person, team["manager"]),
                                          dt.date(2025, 3, 3))
    assert drafted.fields["absence_cover"].startswith("If the supervisor is unexpectedly absent")
    assert "absence_cover" not in agreements.create_agreement(
        db, load_profile("knowsley"), db.get(Person, team["worker"]), db.get(Person, team["manager"]),
        dt.date(2025, 3, 4)).fields
