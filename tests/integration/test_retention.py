"""Leavers, transfers and retention (S 12.4), driven through time with `clock.set_clock`.

A leaver's records freeze on the leave date, pass to HR six months later (HR gains access, the
supervisor and line managers lose it, HR is e-mailed), and are destroyed seven years after that
unless a legal hold stops it; destruction leaves a log of what went. The same flow runs on the
local encrypted store and on S3 with Object Lock (moto on 127.0.0.1), on SQLite and PostgreSQL.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import uuid
import zipfile
from typing import Any

import boto3
import pytest
from sqlalchemy import func, select

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from workflows.pipeline import record_docx
from storage.models import (
    Account,
    Action,
    ActionEntry,
    Agreement,
    AuditEvent,
    DestructionLog,
    DocumentVersion,
    OutboxMessage,
    Person,
    Record,
    SignoffEvent,
    SupervisionRelationship,
)
from docgen.cli.storage import export_command, hold_group, retention_group
from storage import audit, filing
from storage.backends.s3 import S3Store
from tests.etags import read_then_change
from kernel import clock
from workflows import accounts, agreements, holds, movers, people, retention
from workflows.profiles import load_profile

REGION = "eu-west-2"
MARKER = "WELFARE-MARKER-BEREAVEMENT-9Q4Z"
LEAVE = dt.date(2027, 1, 29)
FORWARD = dt.date(2027, 7, 29)
DESTROY = dt.date(2034, 7, 29)
# Knowsley's policy sets no retention period (K §9: "in line with GDPR"): the log cites the
# profile's own source, docgen's default of S 12.4's periods, not S 12.4 as if it were K's rule.
SOURCE = load_profile("knowsley").source("retention.keep_for").split(";")[0]
assert SOURCE.startswith("default: docgen, for the council to confirm — S 12.4's periods")
RULE = f"{SOURCE}: leave date 2027-01-29 + 6 months + 7 years"


def at(day: dt.date) -> None:
    """Move docgen's clock to 10:00 UTC on `day`."""
    moment = dt.datetime.combine(day, dt.time(10))
    clock.set_clock(lambda: moment)


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(params=["local", "s3"])
def services(request: pytest.FixtureRequest, app: Any) -> Any:
    """The app's services, with the store swapped for an Object Lock bucket in the S3 case (in
    place: each request's unit of work takes the deployment's store when it opens)."""
    if request.param == "local":
        return app.extensions["docgen"]
    client = s3_client(request.getfixturevalue("s3_endpoint"))
    bucket = f"docgen-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION},
                         ObjectLockEnabledForBucket=True)
    app.extensions["docgen"].store = S3Store(bucket, client=client)
    return app.extensions["docgen"]


@pytest.fixture
def tokens(app: Any, org: Any) -> dict[str, str]:
    """Bearer tokens that outlive the seven and a half years these tests travel through."""
    with app.extensions["docgen"].sessions.begin() as db:
        return {who: accounts.issue_api_token(db, db.scalar(select(Account).where(Account.person_id == pid)),
                                              "retention test", days=None)
                for who, pid in org.ids.items()}


def bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


@dataclasses.dataclass
class File:
    """The worker's supervision file: one record (with an action) and one agreement, filed."""

    record_id: int
    agreement_id: int
    action_id: str
    keys: list[str]


def supervision_file(client: Any, services: Any, org: Any, tokens: dict[str, str]) -> File:
    """A record written over HTTP, its DOCX and final PDF filed, signed; an agreement filed."""
    manager = bearer(tokens, "manager")
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2027-01-04"},
                         headers=manager).json
    record = client.patch(f"/api/v1/records/{record['id']}",
                          headers=read_then_change(client, f"/api/v1/records/{record['id']}", manager), json={
        "welfare": {"discussion": f"Bereavement leave discussed. {MARKER}"},
        "actions": [{"section": "welfare", "text": "Refer to employee assistance programme"}]}).json
    with services.sessions.begin() as db:
        row = db.get_one(Record, record["id"])
        docx = filing.file_document(db, services.store, record=row, version=1, kind="docx",
                                    data=record_docx(services, db, row))
        pdf = filing.file_document(db, services.store, record=row, version=1, kind="final_pdf",
                                   data=b"%PDF-1.7\n" + MARKER.encode() + b"\n%%EOF")
        db.add_all([SignoffEvent(record_id=row.id, version=1, event="agreed", person_id=org.ids["worker"],
                                 at=clock.now(), comment=f"Agreed. {MARKER}"),
                    SignoffEvent(record_id=row.id, version=1, event="countersigned", person_id=org.ids["manager"],
                                 at=clock.now())])
        worker, manager_person = db.get_one(Person, org.ids["worker"]), db.get_one(Person, org.ids["manager"])
        agreement = agreements.create_agreement(db, load_profile("knowsley"), worker, manager_person,
                                                dt.date(2027, 1, 4))
        agreement_docx = filing.file_document(db, services.store, agreement=agreement, version=1, kind="docx",
                                              data=b"agreement bytes " + MARKER.encode())
        return File(row.id, agreement.id, record["actions"][0]["id"],
                    [docx.storage_key, pdf.storage_key, agreement_docx.storage_key])


def run_retention(services: Any, day: dt.date) -> list[retention.Outcome]:
    at(day)
    with services.unit_of_work() as uow:
        return retention.run(uow, day)


def steps(outcomes: list[retention.Outcome]) -> list[tuple[str, str]]:
    return [(o.due.step, o.result) for o in outcomes]


def s3_lock(services: Any, key: str) -> dict[str, Any]:
    head = services.store._client.head_object(Bucket=services.store.bucket, Key=key)
    return {"hold": head.get("ObjectLockLegalHoldStatus"), "until": head.get("ObjectLockRetainUntilDate")}


def test_leaver_is_frozen_forwarded_to_hr_then_destroyed_once_no_hold_stands(
        client: Any, org: Any, services: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    worker = org.ids["worker"]
    record_url = f"/api/v1/records/{file.record_id}"

    # HR records the leave date ahead of time: nothing is due before it.
    answer = client.post(f"/api/v1/people/{worker}/leaver", json={"leave_date": "2027-01-29"},
                         headers=bearer(tokens, "hr"))
    assert answer.status_code == 200, answer.json
    assert (answer.json["forward_to_hr_on"], answer.json["destroy_on"]) == ("2027-07-29", "2034-07-29")
    assert answer.json["records_frozen_on"] is None
    assert run_retention(services, dt.date(2027, 1, 28)) == []

    # A record finalised after the leave date is known is filed protected until destruction (S3).
    with services.sessions.begin() as db:
        row, person = db.get_one(Record, file.record_id), db.get_one(Person, worker)
        protection = retention.protection_for(db, services.profile, services.store, person, row)
        late = filing.file_document(db, services.store, record=row, version=2, kind="final_pdf",
                                    data=b"%PDF-1.7 late", retain_until=protection.retain_until)
        file.keys.append(late.storage_key)
    if services.store.name == "s3":
        assert protection.retain_until == DESTROY
        assert s3_lock(services, late.storage_key)["until"].date() == DESTROY

    # Leave date: frozen. The supervisor (also the line manager) still reads but cannot edit.
    assert steps(run_retention(services, LEAVE)) == [("freeze", "done")]
    assert client.patch(record_url, json={"decisions": "x"}, headers=bearer(tokens, "manager")).status_code == 403
    assert client.get(record_url, headers=bearer(tokens, "manager")).status_code == 200
    assert client.get(record_url, headers=bearer(tokens, "hr")).status_code == 404
    if services.store.name == "s3":
        assert {s3_lock(services, key)["until"].date() for key in file.keys} == {DESTROY}

    # Six months on: forwarded to HR. HR reads, the manager no longer does, HR is e-mailed.
    assert steps(run_retention(services, FORWARD)) == [("forward_to_hr", "done")]
    assert client.get(record_url, headers=bearer(tokens, "hr")).status_code == 200
    assert client.get(record_url, headers=bearer(tokens, "manager")).status_code == 404
    with services.sessions() as db:
        mail = db.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("forwarded to HR"))).all()
        assert [m.to_address for m in mail] == ["hr@knowsley.example.org"]
        assert f"/hr/leavers/{worker}/bundle" in mail[0].text_body
    bundle = client.get(f"/api/v1/people/{worker}/export", headers=bearer(tokens, "hr"))
    assert bundle.status_code == 200 and bundle.mimetype == "application/zip"
    assert run_retention(services, FORWARD + dt.timedelta(days=1)) == []  # nothing twice

    # A legal hold placed before the destruction date keeps everything.
    hold = client.post("/api/v1/legal-holds", json={"person_id": worker, "reason": "Employment tribunal claim"},
                       headers=bearer(tokens, "hr"))
    assert hold.status_code == 201, hold.json
    if services.store.name == "s3":
        assert {s3_lock(services, key)["hold"] for key in file.keys} == {"ON"}
    assert steps(run_retention(services, DESTROY)) == [("destroy", "held")]
    assert all(services.store.exists(key) for key in file.keys)

    # Lifted: destroyed. On S3 the bucket's own lock has the last word until its date passes.
    lifted = client.post(f"/api/v1/legal-holds/{hold.json['id']}/lift", json={"reason": "Claim settled"},
                         headers=bearer(tokens, "hr"))
    assert lifted.status_code == 200 and lifted.json["lifted_at"]
    if services.store.name == "s3":
        assert {s3_lock(services, key)["hold"] for key in file.keys} == {"OFF"}
        assert steps(run_retention(services, DESTROY)) == [("destroy", "refused")]
        assert all(services.store.exists(key) for key in file.keys)
        simulate_years_passing(services, file.keys)
    assert steps(run_retention(services, DESTROY)) == [("destroy", "done")]
    assert run_retention(services, DESTROY + dt.timedelta(days=1)) == []

    assert not any(services.store.exists(key) for key in file.keys)
    if services.store.name == "s3":
        assert "Versions" not in services.store._client.list_object_versions(Bucket=services.store.bucket)
    with services.sessions() as db:
        assert db.get_one(Record, file.record_id).sections == {}
        assert db.get_one(Agreement, file.agreement_id).fields == {}
        assert db.get_one(Action, file.action_id).text == ""
        assert {e.progress for e in db.scalars(select(ActionEntry))} == {""}
        assert {e.comment for e in db.scalars(select(SignoffEvent))} == {""}
        versions = {v.id: v for v in db.scalars(select(DocumentVersion))}
        assert all(v.destroyed_at is not None for v in versions.values())
        logs = db.scalars(select(DestructionLog).order_by(DestructionLog.id)).all()
        assert {log.rule for log in logs} == {RULE}
        object_logs = [log for log in logs if log.document_version_id is not None]
        assert sorted((log.document_version_id, log.sha256) for log in object_logs) == sorted(
            (v.id, v.sha256) for v in versions.values())
        assert {log.description for log in logs if log.document_version_id is None} == {
            f"content of record R-{file.record_id:06d} held in the database",
            f"content of agreement AG-{file.agreement_id:06d} held in the database"}
        destroyed = db.scalar(select(AuditEvent).where(AuditEvent.action == "retention.destroy"))
        assert destroyed is not None and destroyed.detail["rule"] == RULE
        assert destroyed.detail["records"] == [file.record_id]
        assert audit.verify_chain(db).ok


def simulate_years_passing(services: Any, keys: list[str]) -> None:
    """moto lets a COMPLIANCE date be shortened (real S3 refuses): the only way to reach 2034."""
    for key in keys:
        services.store._client.put_object_retention(
            Bucket=services.store.bucket, Key=key,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": dt.datetime(2020, 1, 1)})


def test_a_hold_on_one_record_keeps_that_record_while_the_rest_is_destroyed(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    with services.sessions.begin() as db:
        person = db.get_one(Person, org.ids["worker"])
        movers.mark_leaver(db, person, LEAVE, None)
        hold = holds.place_hold(db, services.store, reason="Subject access request", by=None,
                                record=db.get_one(Record, file.record_id))
    with services.sessions() as db:
        plan = [(d.step, d.record_id, d.held_by) for d in retention.plan(db, services.profile, DESTROY)]
    assert plan == [("freeze", None, ()), ("forward_to_hr", None, ()), ("destroy", None, ()),
                    ("destroy", file.record_id, (hold.id,))]
    assert steps(run_retention(services, DESTROY)) == [
        ("freeze", "done"), ("forward_to_hr", "done"), ("destroy", "done"), ("destroy", "held")]
    record_keys, agreement_key = file.keys[:2], file.keys[2]
    assert all(services.store.exists(key) for key in record_keys) and not services.store.exists(agreement_key)
    with services.sessions() as db:
        assert MARKER in db.get_one(Record, file.record_id).sections["welfare"]["discussion"]
        assert db.get_one(Agreement, file.agreement_id).fields == {}


def test_retention_dry_run_says_what_is_due_and_why_but_changes_nothing(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    assert client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "2027-01-29"},
                       headers=bearer(tokens, "hr")).status_code == 200
    with services.sessions() as db:
        audit_count = db.scalar(select(func.count(AuditEvent.id)))

    result = app.test_cli_runner().invoke(retention_group, ["run", "--dry-run", "--today", "2034-07-29"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("would do: freeze records of Alex Morgan")
    assert "forward records to HR of Alex Morgan" in lines[1] and f"{SOURCE}: leave date 2027-01-29 + 6 months" in lines[1]
    assert lines[2].startswith("would do: destroy records of Alex Morgan") and RULE in lines[2]
    assert lines[-1] == "3 step(s) due on 2034-07-29 (dry run: nothing changed)"
    with services.sessions() as db:
        person = db.get_one(Person, org.ids["worker"])
        assert (person.records_frozen_on, person.forwarded_to_hr_on) == (None, None)
        assert db.scalar(select(func.count(AuditEvent.id))) == audit_count
        assert db.scalar(select(func.count(DestructionLog.id))) == 0
        assert MARKER in db.get_one(Record, file.record_id).sections["welfare"]["discussion"]
    assert all(services.store.exists(key) for key in file.keys)


def test_retention_plan_is_served_to_hr_only(client: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    assert client.post(f"/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": "2027-01-29"},
                       headers=bearer(tokens, "hr")).status_code == 200
    plan = client.get("/api/v1/retention/plan?today=2027-07-29", headers=bearer(tokens, "hr"))
    assert plan.status_code == 200
    assert [(i["step"], i["due_on"], i["held"]) for i in plan.json["items"]] == [
        ("freeze", "2027-01-29", False), ("forward_to_hr", "2027-07-29", False)]
    assert client.get("/api/v1/retention/plan", headers=bearer(tokens, "manager")).status_code == 403
    bad = client.get("/api/v1/retention/plan?today=soon", headers=bearer(tokens, "admin"))
    assert bad.status_code == 422 and bad.json["error"]["field"] == "today"


def test_leaver_input_is_checked_and_names_the_field(client: Any, org: Any, tokens: dict[str, str]) -> None:
    worker = f"/api/v1/people/{org.ids['worker']}/leaver"
    for body, field in (({}, "leave_date"), ({"leave_date": "someday"}, "leave_date"),
                        ({"leave_date": "2020-01-01"}, "leave_date"), ({"leave_date": "2027-01-29", "x": 1}, "x")):
        answer = client.post(worker, json=body, headers=bearer(tokens, "hr"))
        assert answer.status_code == 422 and answer.json["error"]["field"] == field, (body, answer.json)
    assert client.post(worker, json={"leave_date": "2027-01-29"}, headers=bearer(tokens, "manager")).status_code == 403


def test_a_leaving_supervisor_leaves_their_supervisees_without_one(client: Any, org: Any,
                                                                   tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    answer = client.post(f"/api/v1/people/{org.ids['manager']}/leaver", json={"leave_date": "2027-01-29"},
                         headers=bearer(tokens, "hr"))
    assert answer.status_code == 200
    assert sorted(p["id"] for p in answer.json["unsupervised"]) == sorted([org.ids["worker"], org.ids["asye"]])


def supervision_ends(app: Any, org: Any) -> dict[tuple[str, str], dt.date | None]:
    """When each of the organisation's supervision relationships ends, by (supervisee, supervisor)."""
    keys = {person_id: key for key, person_id in org.ids.items()}
    with app.extensions["docgen"].sessions() as db:
        return {(keys[r.supervisee_id], keys[r.supervisor_id]): r.ends_on
                for r in db.scalars(select(SupervisionRelationship))}


def record_leaving(client: Any, tokens: dict[str, str], who: int, day: str) -> None:
    answer = client.post(f"/api/v1/people/{who}/leaver", json={"leave_date": day}, headers=bearer(tokens, "hr"))
    assert answer.status_code == 200, answer.json


def test_a_leaving_date_corrected_later_carries_on_the_supervision_it_ended_and_earlier_ends_it_sooner(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    rel = client.get(f"/api/v1/relationships?supervisee_id={org.ids['worker']}", headers=bearer(tokens, "admin"))
    rel_url = f"/api/v1/relationships/{rel.json['items'][0]['id']}"
    # Alex's supervision by Sam ends on 29 January for another reason, before Sam's leaving is recorded
    ended = client.patch(rel_url, json={"ends_on": "2027-01-29"},
                         headers=read_then_change(client, rel_url, bearer(tokens, "admin")))
    assert ended.status_code == 200, ended.json
    record_leaving(client, tokens, org.ids["manager"], "2027-01-29")
    assert supervision_ends(app, org)[("asye", "manager")] == dt.date(2027, 1, 29)

    record_leaving(client, tokens, org.ids["manager"], "2027-02-26")

    later = supervision_ends(app, org)
    assert later[("asye", "manager")] == later[("manager", "head")] == dt.date(2027, 2, 26)  # no gap in between
    assert later[("worker", "manager")] == dt.date(2027, 1, 29)  # not ended by the leaving: left as it was

    record_leaving(client, tokens, org.ids["manager"], "2027-01-15")

    earlier = supervision_ends(app, org)
    assert set(earlier.values()) == {dt.date(2027, 1, 15)}  # nobody is supervised by, or supervises, a leaver
    with app.extensions["docgen"].sessions() as db:
        corrections = [e.detail for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "person.leaver")
                                                    .order_by(AuditEvent.id))]
    assert [(d["previous_leave_date"], d["leave_date"]) for d in corrections] == [
        (None, "2027-01-29"), ("2027-01-29", "2027-02-26"), ("2027-02-26", "2027-01-15")]


def test_a_later_leaving_date_never_gives_a_supervisee_two_supervisors_at_once(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    record_leaving(client, tokens, org.ids["manager"], "2027-01-29")
    with app.extensions["docgen"].sessions() as db:  # Priya is handed to Dana from the day after Sam leaves
        people.create_relationship(db, org.ids["asye"], org.ids["head"], dt.date(2027, 1, 30))
        db.commit()

    record_leaving(client, tokens, org.ids["manager"], "2027-02-26")

    assert supervision_ends(app, org)[("asye", "manager")] == dt.date(2027, 1, 29)
    assert supervision_ends(app, org)[("worker", "manager")] == dt.date(2027, 2, 26)


def test_a_leaving_date_sent_with_a_change_to_the_person_is_recorded_as_a_leaving(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    url = f"/api/v1/people/{org.ids['manager']}"

    edited = client.patch(url, json={"leave_date": "2027-01-29", "job_title": "Team manager"},
                          headers=read_then_change(client, url, bearer(tokens, "admin")))

    assert edited.status_code == 200, edited.json
    assert (edited.json["status"], edited.json["leave_date"]) == ("leaver", "2027-01-29")
    assert set(supervision_ends(app, org).values()) == {dt.date(2027, 1, 29)}
    with app.extensions["docgen"].sessions() as db:
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "person.leaver", AuditEvent.object_id == str(org.ids["manager"]))) == 1
    removed = client.patch(url, json={"leave_date": None}, headers=read_then_change(client, url, bearer(tokens, "admin")))
    assert removed.status_code == 422 and removed.json["error"]["field"] == "leave_date"
    assert f"/api/v1/people/{org.ids['manager']}/leaver" in removed.json["error"]["message"]


# --- Transfers --------------------------------------------------------------------------------


def new_manager(app: Any, org: Any) -> tuple[int, int, str]:
    """A second team whose manager reports to the head of service; returns ids and a token."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        team = people.create_team(db, db.get_one(type(org.org), org.org.id), "Children in Need 2")
        tom = people.create_person(db, db.get_one(type(org.org), org.org.id), services.profile, {
            "name": "Tom Tranter", "email": "tom@knowsley.example.org", "role": "team_manager", "team_id": team.id,
            "line_manager_id": org.ids["head"], "employment_start": dt.date(2024, 1, 8)})
        token = accounts.issue_api_token(db, accounts.create_account(db, tom, "correct-horse-battery"), "t", days=None)
        return team.id, tom.id, token


def test_transfer_to_a_new_team_moves_access_to_the_new_supervisor(client: Any, app: Any, org: Any,
                                                                  tokens: dict[str, str]) -> None:
    at(dt.date(2027, 3, 1))
    team_id, tom_id, tom_token = new_manager(app, org)
    tom = {"Authorization": f"Bearer {tom_token}"}
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2027-02-22"},
                         headers=bearer(tokens, "manager")).json
    url = f"/api/v1/records/{record['id']}"
    assert client.get(url, headers=tom).status_code == 404

    person = f"/api/v1/people/{org.ids['worker']}"
    moved = client.post(f"{person}/transfer", headers=read_then_change(client, person, bearer(tokens, "hr")), json={
        "on": "2027-03-01", "supervisor_id": tom_id, "team_id": team_id, "line_manager_id": tom_id})

    assert moved.status_code == 200, moved.json
    assert moved.json["ended"]["ends_on"] == "2027-02-28" and moved.json["started"]["starts_on"] == "2027-03-01"
    assert (moved.json["agreement"]["status"], moved.json["agreement"]["supervisor_id"]) == ("draft", tom_id)
    assert client.get(url, headers=tom).status_code == 200
    assert client.patch(url, json={"decisions": "Carry on"}, headers=read_then_change(client, url, tom)).status_code == 200
    assert client.get(url, headers=bearer(tokens, "manager")).status_code == 404  # neither supervisor nor chain
    assert client.get(url, headers=bearer(tokens, "head")).status_code == 200  # still up the chain
    agreement = client.get(f"/api/v1/agreements/{moved.json['agreement']['id']}", headers=tom)
    assert agreement.status_code == 200


def test_a_dated_supervisor_change_keeps_the_old_supervisor_reading_as_line_manager(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 3, 1))
    _, tom_id, tom_token = new_manager(app, org)
    tom = {"Authorization": f"Bearer {tom_token}"}
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["asye"], "session_date": "2027-02-22"},
                         headers=bearer(tokens, "manager")).json
    url = f"/api/v1/records/{record['id']}"
    person = f"/api/v1/people/{org.ids['asye']}"
    moved = client.post(f"{person}/transfer", headers=read_then_change(client, person, bearer(tokens, "admin")),
                        json={"on": "2027-04-01", "supervisor_id": tom_id})
    assert moved.status_code == 200, moved.json
    assert client.get(url, headers=tom).status_code == 404  # not yet

    at(dt.date(2027, 4, 1))
    assert client.get(url, headers=tom).status_code == 200
    assert client.get(url, headers=bearer(tokens, "manager")).status_code == 200  # line manager still
    assert client.patch(url, json={"decisions": "x"}, headers=bearer(tokens, "manager")).status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"on": "2027-03-01"}, "supervisor_id"),
    ({"supervisor_id": 1}, "on"),
    ({"on": "2027-03-01", "supervisor_id": 999999}, "supervisor_id"),
    ({"on": "2027-03-01", "team_id": 999999}, "team_id"),
    ({"on": "2030-01-01", "team_id": 1}, "on"),
])
def test_transfer_input_is_checked_and_names_the_field(client: Any, org: Any, tokens: dict[str, str],
                                                       body: dict[str, Any], field: str) -> None:
    at(dt.date(2027, 3, 1))
    person = f"/api/v1/people/{org.ids['worker']}"
    answer = client.post(f"{person}/transfer", json=body, headers=read_then_change(client, person, bearer(tokens, "hr")))
    assert answer.status_code == 422 and answer.json["error"]["field"] == field, answer.json


def test_a_transfer_to_the_current_supervisor_is_refused(client: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 3, 1))
    person = f"/api/v1/people/{org.ids['worker']}"
    answer = client.post(f"{person}/transfer", headers=read_then_change(client, person, bearer(tokens, "hr")),
                         json={"on": "2027-03-01", "supervisor_id": org.ids["manager"]})
    assert answer.status_code == 409 and answer.json["error"]["field"] == "supervisor_id"


def test_hr_bundle_holds_final_documents_a_manifest_and_how_to_verify(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    assert client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "2027-01-29"},
                       headers=bearer(tokens, "hr")).status_code == 200
    at(dt.date(2027, 1, 30))
    with services.sessions() as db:
        before = db.scalar(select(func.count(AuditEvent.id)))

    answer = client.get(f"/api/v1/people/{org.ids['worker']}/export", headers=bearer(tokens, "hr"))

    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    folder = f"Alex-Morgan-{org.ids['worker']}"
    assert sorted(archive.namelist()) == sorted([
        f"{folder}/R-{file.record_id:06d}-practitioner.pdf", f"{folder}/AG-{file.agreement_id:06d}-agreement.docx",
        f"{folder}/manifest.csv", f"{folder}/manifest.json", f"{folder}/VERIFY.txt"])
    assert archive.read(f"{folder}/R-{file.record_id:06d}-practitioner.pdf").startswith(b"%PDF-1.7")
    manifest = archive.read(f"{folder}/manifest.csv").decode().splitlines()
    assert manifest[0] == "document_number,kind,date,status,file,document_kind,version,sha256,size,signed_by"
    record_line = next(line for line in manifest if line.startswith(f"R-{file.record_id:06d}"))
    assert "Alex Morgan agreed 2027-01-04T10:00:00Z; Sam Whitfield countersigned 2027-01-04T10:00:00Z" in record_line
    with services.sessions() as db:
        pdf = db.scalar(select(DocumentVersion).where(DocumentVersion.kind == "final_pdf"))
        assert pdf.sha256 in record_line
        assert db.scalar(select(func.count(AuditEvent.id))) == before + 1
        event = db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert (event.action, event.actor_id, event.detail["basis"]) == ("person.export", org.ids["hr"], "hr")
    assert "docgen verify FILE" in archive.read(f"{folder}/VERIFY.txt").decode()
    export_url = f"/api/v1/people/{org.ids['worker']}/export"
    assert client.get(export_url, headers=bearer(tokens, "manager")).status_code == 403  # reads, but not HR
    assert client.get(export_url, headers=bearer(tokens, "asye")).status_code == 404


def test_a_leave_date_typed_on_the_person_is_completed_by_the_retention_run(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    at(dt.date(2027, 1, 4))
    edited = client.patch(f"/api/v1/people/{org.ids['worker']}", json={"leave_date": "2027-01-29"},
                          headers=read_then_change(client, f"/api/v1/people/{org.ids['worker']}", bearer(tokens, "hr")))
    assert edited.status_code == 200, edited.json

    assert steps(run_retention(app.extensions["docgen"], LEAVE)) == [("freeze", "done")]

    with app.extensions["docgen"].sessions() as db:
        person = db.get_one(Person, org.ids["worker"])
        assert (person.status, person.records_frozen_on) == ("leaver", LEAVE)
        assert people.current_supervisor(db, person.id, LEAVE + dt.timedelta(days=1)) is None


def test_cli_exports_a_bundle_and_places_and_lifts_holds(client: Any, app: Any, org: Any, tokens: dict[str, str],
                                                         tmp_path: Any) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    runner = app.test_cli_runner()
    out = tmp_path / "alex.zip"

    exported = runner.invoke(export_command, ["--person", "worker@knowsley.example.org", "--out", str(out)])
    placed = runner.invoke(hold_group, ["place", "--record", str(file.record_id), "--reason", "Grievance"])

    assert exported.exit_code == 0, exported.output
    assert len([n for n in zipfile.ZipFile(out).namelist() if n.endswith((".pdf", ".docx"))]) == 2
    assert placed.exit_code == 0 and placed.output.startswith("Legal hold ")
    hold_id = placed.output.split()[2]
    assert services.store.lock_state(file.keys[1]).legal_hold
    lifted = runner.invoke(hold_group, ["lift", hold_id, "--reason", "Resolved"])
    assert lifted.exit_code == 0 and not services.store.lock_state(file.keys[1]).legal_hold
    again = runner.invoke(hold_group, ["lift", hold_id])
    assert again.exit_code != 0 and "was lifted" in str(again.exception)
    with services.sessions() as db:
        actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert {"person.export", "legal_hold.place", "legal_hold.lift"} <= set(actions)
