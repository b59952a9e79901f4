"""A subject access export holds copies of a leaver's records (UK GDPR Art. 15), so retention
destroys it with them (S 12.4); but a legal hold on any record it copies keeps it, as it keeps the
record: the plan and the run's report say which hold keeps which export, and what that hold is on,
and the first run after the hold is lifted destroys it and logs it in the destruction log. A group
session's record is in each attendee's file (issue 23), so a hold on it, or on another of its
holders, keeps an attendee's export too; a hold on what the export does not copy does not. An
export asked for and not made is marked not made even while a hold keeps the filed ones, and a hold
placed while the run is under way is honoured (PostgreSQL: the holds lock, `storage.legal_holds`).
On SQLite and PostgreSQL, the local encrypted store.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from storage import subject_access_exports
from storage.models import (DestructionLog, Person, Record, SubjectAccessExport, SubjectAccessRequest,
                            SupervisionRelationship)
from tests.e2e.test_groups import Southwark, _group, _held_session, config, group_org  # noqa: F401
from tests.etags import read_then_change
from tests.integration.test_archive_timestamp_renewal import waiting_for_a_lock
from tests.integration.test_retention import (DESTROY, LEAVE, RULE, at, bearer, run_retention, steps,
                                              supervision_file, tokens)  # noqa: F401  (tokens: a fixture)
from tests.waiting import wait_until
from workflows import holds, movers, retention
from workflows.profiles import load_profile


@dataclasses.dataclass(frozen=True)
class Export:
    """A subject access request of a person's, answered with an export filed in the store."""

    request_id: int
    filed: subject_access_exports.Filed


def filed_export(services: Any, person_id: int, recorded_by_id: int) -> Export:
    with services.sessions.begin() as db:
        request = SubjectAccessRequest(person_id=person_id, received_on=clock.today(), recorded_by_id=recorded_by_id)
        db.add(request)
        db.flush()
        filed = subject_access_exports.file_export(db, services.store, request, b"PK\x03\x04 the person's export")
        db.add(SubjectAccessExport(request_id=request.id, storage_key=filed.key, sha256=filed.sha256,
                                   size=filed.size, filed_at=clock.now(), withheld=""))
        return Export(request.id, filed)


def lift(services: Any, hold_id: int) -> None:
    with services.sessions.begin() as db:
        holds.lift_hold(db, services.store, holds.get_hold(db, hold_id), by=None, reason="Claim settled")


def export_row(services: Any, export: Export) -> SubjectAccessExport:
    with services.sessions() as db:
        row = db.scalars(select(SubjectAccessExport).where(SubjectAccessExport.request_id == export.request_id)).one()
        db.expunge(row)
        return row


def export_logs(services: Any, export: Export) -> list[DestructionLog]:
    with services.sessions() as db:
        logs = db.scalars(select(DestructionLog).where(DestructionLog.sha256 == export.filed.sha256)).all()
        db.expunge_all()
        return list(logs)


def assert_destroyed_and_logged(services: Any, export: Export, person_id: int, rule: str) -> None:
    assert not services.store.exists(export.filed.key)
    row = export_row(services, export)
    assert row.storage_key is None and row.sha256 is None
    assert row.problem.startswith(f"destroyed on {clock.today():%-d %B %Y} under the retention schedule")
    assert [(log.person_id, log.rule, log.description) for log in export_logs(services, export)] == [
        (person_id, rule, f"subject access export of request {export.request_id} ({export.filed.size} bytes)")]


def test_a_hold_on_one_record_keeps_the_export_copying_it_until_the_hold_is_lifted(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    export = filed_export(services, org.ids["worker"], org.ids["hr"])
    with services.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, org.ids["worker"]), LEAVE, None)
        hold = holds.place_hold(db, services.store, reason="Employment tribunal claim", by=None,
                                record=db.get_one(Record, file.record_id))

    with services.sessions() as db:
        plan = [(d.step, d.record_id, d.request_id, d.held_by) for d in retention.plan(db, services.profile, DESTROY)]
    assert plan == [("freeze", None, None, ()), ("forward_to_hr", None, None, ()), ("destroy", None, None, ()),
                    ("destroy", file.record_id, None, (hold.id,)), ("destroy", None, export.request_id, (hold.id,))]
    served = client.get(f"/api/v1/retention/plan?today={DESTROY}", headers=bearer(tokens, "hr"))
    assert served.status_code == 200, served.json
    assert [(i["record_id"], i["request_id"], i["held_by"]) for i in served.json["items"]][-2:] == [
        (file.record_id, None, [hold.id]), (None, export.request_id, [hold.id])]
    outcomes = run_retention(services, DESTROY)
    assert steps(outcomes) == [("freeze", "done"), ("forward_to_hr", "done"), ("destroy", "done"),
                               ("destroy", "held"), ("destroy", "held")]
    assert outcomes[-1].describe() == (
        f"held: destroy the subject access export (request {export.request_id}) of Alex Morgan "
        f"(person {org.ids['worker']}), due {DESTROY}: {RULE} "
        f"[held by legal hold {hold.id}, on R-{file.record_id:06d}]")
    assert services.store.exists(export.filed.key) and export_row(services, export).storage_key == export.filed.key
    assert export_logs(services, export) == []
    assert steps(run_retention(services, DESTROY + dt.timedelta(days=1))) == [("destroy", "held"), ("destroy", "held")]

    lift(services, hold.id)
    assert steps(run_retention(services, DESTROY + dt.timedelta(days=2))) == [("destroy", "done")]
    assert_destroyed_and_logged(services, export, org.ids["worker"], RULE)
    assert not any(services.store.exists(key) for key in file.keys)
    assert run_retention(services, DESTROY + dt.timedelta(days=3)) == []


def test_a_hold_on_a_group_record_or_on_another_present_keeps_an_attendees_export(
        client: Any, app: Any, group_org: Southwark) -> None:
    services, org = app.extensions["docgen"], group_org
    session = _held_session(client, org, _group(client, org)["id"])  # Sol and Tam present; Pat records it
    started = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=org.auth("pc"))
    assert started.status_code == 201, started.json
    sol, group_record = org.ids["sw1"], started.json["id"]
    saved = client.patch(f"/api/v1/group-records/{group_record}", json={"fields": {
        "reflective_discussion": "Tam Worker raised the father's absence."}}, headers=org.auth("pc"))
    assert saved.status_code == 200, saved.json
    export = filed_export(services, sol, org.ids["lead"])
    with services.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, sol), LEAVE, None)
        on_record = holds.place_hold(db, services.store, reason="Grievance", by=None,
                                     record=db.get_one(Record, group_record))
    destroy_on = retention.destruction_date(load_profile("southwark"), LEAVE)

    held = [o for o in run_retention(services, destroy_on) if o.due.step == "destroy"]
    assert [(o.due.request_id, o.due.held_by, o.result) for o in held] == [
        (export.request_id, (on_record.id,), "held")]
    rule = held[0].due.rule
    lift(services, on_record.id)
    with services.sessions.begin() as db:  # Tam, present at the session, is under a hold of their own
        on_tam = holds.place_hold(db, services.store, reason="Employment tribunal claim", by=None,
                                  person=db.get_one(Person, org.ids["sw2"]))
    kept = run_retention(services, destroy_on)
    assert [(o.due.request_id, o.due.held_by, o.result) for o in kept] == [(export.request_id, (on_tam.id,), "held")]
    assert kept[0].describe().endswith(f"[held by legal hold {on_tam.id}, on Tam Worker]")
    assert services.store.exists(export.filed.key) and export_logs(services, export) == []

    lift(services, on_tam.id)
    assert steps(run_retention(services, destroy_on + dt.timedelta(days=1))) == [("destroy", "done")]
    assert_destroyed_and_logged(services, export, sol, rule)
    with services.sessions() as db:  # the group record itself stays: Pat and Tam have not left
        assert "father's absence" in str(db.get_one(Record, group_record).sections)


def asked_export(services: Any, person_id: int, recorded_by_id: int) -> int:
    """A request whose export is asked for and not yet made (the worker has not built it): a new
    request, those before it answered."""
    with services.sessions.begin() as db:
        for earlier in db.scalars(select(SubjectAccessRequest).where(SubjectAccessRequest.person_id == person_id)):
            earlier.answered_on = earlier.answered_on or clock.today()
        request = SubjectAccessRequest(person_id=person_id, received_on=clock.today(), recorded_by_id=recorded_by_id)
        db.add(request)
        db.flush()
        db.add(SubjectAccessExport(request_id=request.id))
        return request.id


def test_an_export_not_yet_made_is_marked_not_made_while_a_hold_keeps_the_filed_one(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    export = filed_export(services, org.ids["worker"], org.ids["hr"])
    asked = asked_export(services, org.ids["worker"], org.ids["hr"])
    with services.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, org.ids["worker"]), LEAVE, None)
        hold = holds.place_hold(db, services.store, reason="Employment tribunal claim", by=None,
                                record=db.get_one(Record, file.record_id))

    outcomes = run_retention(services, DESTROY)
    assert [(o.due.record_id, o.due.request_id, o.result) for o in outcomes if o.due.step == "destroy"] == [
        (None, None, "done"), (file.record_id, None, "held"), (None, export.request_id, "held")]
    assert export_row(services, export).storage_key == export.filed.key and services.store.exists(export.filed.key)
    with services.sessions() as db:
        not_made = db.scalars(select(SubjectAccessExport).where(SubjectAccessExport.request_id == asked)).one()
        assert not_made.storage_key is None
        assert not_made.problem == (f"the records it would copy were destroyed on {DESTROY:%-d %B %Y} under the "
                                    "retention schedule before it was made")
        assert subject_access_exports.pending_requests(db, org.ids["worker"]) == subject_access_exports.Pending(
            filed=[export.request_id], unmade=[])


def one_to_one_record_naming(client: Any, services: Any, org: Southwark, supervisee: str, text: str) -> int:
    """A 1:1 record of `supervisee`'s, written by their supervisor (their line manager), whose text
    names someone else."""
    with services.sessions.begin() as db:
        db.add(SupervisionRelationship(supervisee_id=org.ids[supervisee], supervisor_id=org.ids["lead"],
                                       starts_on=dt.date(2024, 1, 8)))
    lead = org.auth("lead")
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids[supervisee],
                                                  "session_date": clock.today().isoformat()}, headers=lead)
    assert record.status_code == 201, record.json
    url = f"/api/v1/records/{record.json['id']}"
    saved = client.patch(url, headers=read_then_change(client, url, lead),
                         json={"welfare": {"discussion": text}})
    assert saved.status_code == 200, saved.json
    return int(record.json["id"])


def test_holds_on_what_the_export_does_not_copy_do_not_keep_it(client: Any, app: Any, group_org: Southwark) -> None:
    """Uma is marked absent from the group session, so its record is not in her file; Tam's own 1:1
    record only names her; Val has nothing to do with her. A hold on each keeps none of her export."""
    services, org = app.extensions["docgen"], group_org
    session = _held_session(client, org, _group(client, org)["id"])
    marked = client.put(f"/api/v1/group-sessions/{session['id']}/attendance", json={"attendance": [
        {"person_id": org.ids["sw1"], "attendance": "present"}, {"person_id": org.ids["sw2"], "attendance": "present"},
        {"person_id": org.ids["sw3"], "attendance": "absent"}]}, headers=org.auth("ap"))
    assert marked.status_code == 200, marked.json
    started = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=org.auth("pc"))
    assert started.status_code == 201, started.json
    names_uma = one_to_one_record_naming(client, services, org, "sw2", "Uma Worker covered Tam's duty week.")
    uma = org.ids["sw3"]
    export = filed_export(services, uma, org.ids["lead"])
    with services.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, uma), LEAVE, None)
        standing = [holds.place_hold(db, services.store, reason="Grievance", by=None,
                                     record=db.get_one(Record, started.json["id"])),
                    holds.place_hold(db, services.store, reason="Grievance", by=None,
                                     record=db.get_one(Record, names_uma)),
                    holds.place_hold(db, services.store, reason="Employment tribunal claim", by=None,
                                     person=db.get_one(Person, org.ids["outsider"]))]
        assert holds.keeping_exports_of(db, uma) == ()
    destroy_on = retention.destruction_date(load_profile("southwark"), LEAVE)

    outcomes = [o for o in run_retention(services, destroy_on) if o.due.step == "destroy"]
    assert [(o.due.request_id, o.due.held_by, o.result) for o in outcomes] == [(None, (), "done")]
    assert_destroyed_and_logged(services, export, uma, outcomes[0].due.rule)
    with services.sessions() as db:
        assert all(db.get_one(type(h), h.id).lifted_at is None for h in standing)


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_hold_placed_after_the_plan_and_before_the_step_runs_keeps_the_export(
        client: Any, app: Any, org: Any, tokens: dict[str, str]) -> None:
    """The run plans with no hold standing; a hold on the record is being placed, holding the holds
    lock, when the destroy step comes to re-check: the step waits for it, then sees it. Without the
    lock the step would have destroyed the export before the hold committed."""
    services = app.extensions["docgen"]
    at(dt.date(2027, 1, 4))
    file = supervision_file(client, services, org, tokens)
    export = filed_export(services, org.ids["worker"], org.ids["hr"])
    with services.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, org.ids["worker"]), LEAVE, None)
    assert steps(run_retention(services, DESTROY - dt.timedelta(days=1))) == [
        ("freeze", "done"), ("forward_to_hr", "done")]
    finished: list[list[retention.Outcome]] = []
    with services.sessions() as placing:
        hold = holds.place_hold(placing, services.store, reason="Employment tribunal claim", by=None,
                                record=placing.get_one(Record, file.record_id))
        run = threading.Thread(target=lambda: finished.append(run_retention(services, DESTROY)))
        run.start()
        wait_until(lambda: bool(finished) or waiting_for_a_lock(services, "advisory"),
                   "the destroy step to wait for the holds lock")
        placing.commit()
    run.join(120)

    assert services.store.exists(export.filed.key) and export_row(services, export).storage_key == export.filed.key
    assert export_logs(services, export) == []
    assert [(o.due.held_by, o.result) for o in finished[0]] == [((), "done")]  # planned before the hold
    with services.sessions() as db:
        assert holds.keeping_exports_of(db, org.ids["worker"]) == (hold.id,)
        assert "Bereavement" in str(db.get_one(Record, file.record_id).sections)
