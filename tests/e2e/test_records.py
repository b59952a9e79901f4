"""Records as a supervisor uses them: pre-filled, actions carried forward, edited in Word."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import docx
import pytest

from storage.models import Person
from tests.etags import read_then_change
from tests.table_rows import table_rows
from workflows import actions, records
from workflows.profiles import load_profile


def _record(client: Any, org: Any, who: str, day: str, as_: str = "manager") -> dict[str, Any]:
    response = client.post("/api/v1/records", json={"supervisee_id": org.ids[who], "session_date": day},
                           headers=org.auth(as_))
    assert response.status_code == 201, response.json
    return response.json


def _patch(client: Any, org: Any, record_id: int, body: dict[str, Any], as_: str = "manager") -> dict[str, Any]:
    url = f"/api/v1/records/{record_id}"
    response = client.patch(url, json=body, headers=read_then_change(client, url, org.auth(as_)))
    assert response.status_code == 200, response.json
    return response.json


def test_new_record_is_prefilled_from_role_profile_and_relationship(client: Any, org: Any) -> None:
    record = _record(client, org, "worker", "2026-11-02")
    assert record["kind"] == "practitioner" and record["status"] == "draft"
    assert record["supervisor_id"] == org.ids["manager"]
    assert [a["title"] for a in record["sections"]["areas"]] == [
        a.title for a in load_profile("knowsley").record_kinds["practitioner"].areas]
    assert record["due_date"] == "2026-11-09"  # 5 working days after Monday 2 November
    manager_record = _record(client, org, "manager", "2026-11-03", as_="head")
    assert manager_record["kind"] == "team_manager"
    assert "Budget & financial management" not in [a["title"] for a in manager_record["sections"]["areas"]]


def test_three_sessions_carry_open_actions_and_drop_completed_ones(client: Any, org: Any) -> None:
    # Session 1: two actions raised, one in welfare and one in an area.
    first = _record(client, org, "worker", "2026-09-07")
    first = _patch(client, org, first["id"], {"welfare": {"discussion": "Busy month; sleeping badly."}, "actions": [
        {"section": "welfare", "text": "Book an occupational health appointment", "due": "2 weeks"},
        {"section": "learning_development", "text": "Complete court skills training", "owner": "Alex"}]})
    assert {a["text"] for a in first["actions"]} == {"Book an occupational health appointment",
                                                   "Complete court skills training"}
    welfare_id = next(a["id"] for a in first["actions"] if a["section"] == "welfare")
    training_id = next(a["id"] for a in first["actions"] if a["section"] == "learning_development")

    # Session 2: both carried forward; one progressed, one completed.
    second = _record(client, org, "worker", "2026-10-05")
    assert [(a["id"], a["carried_forward"], a["completed"]) for a in second["actions"]] == [
        (welfare_id, True, False), (training_id, True, False)]
    second = _patch(client, org, second["id"], {"actions": [
        {"id": welfare_id, "progress": "Appointment booked for 20 October", "completed": True},
        {"id": training_id, "progress": "Module 1 of 3 done"}]})
    done = next(a for a in second["actions"] if a["id"] == welfare_id)
    assert done["completed"] is True  # completed shows in the record where it was completed

    # Session 3: the completed action is gone; the open one shows its latest progress.
    third = _record(client, org, "worker", "2026-11-02")
    assert [a["id"] for a in third["actions"]] == [training_id]
    docx_bytes = client.get(f"/api/v1/records/{third['id']}/docx", headers=org.auth("manager")).data
    text = "\n".join(c.text for t in docx.Document(io.BytesIO(docx_bytes)).tables for r in t.rows for c in r.cells)
    assert "Module 1 of 3 done" in text and "Book an occupational health appointment" not in text

    # History is intact and queryable.
    history = client.get(f"/api/v1/actions/{welfare_id}", headers=org.auth("worker")).json
    assert [(h["session_date"], h["progress"], h["completed"]) for h in history["history"]] == [
        ("2026-09-07", "", False), ("2026-10-05", "Appointment booked for 20 October", True)]
    assert history["completed_on"] == "2026-10-05"


def test_areas_can_be_removed_and_added_per_record(client: Any, org: Any) -> None:
    record = _record(client, org, "worker", "2026-11-02")
    kept = [{"key": "performance", "discussion": "On track"}, {"title": "Court work", "discussion": "Two hearings"}]
    record = _patch(client, org, record["id"], {"areas": kept})
    assert [(a["key"], a["title"]) for a in record["sections"]["areas"]] == [
        ("performance", "Performance"), ("custom_court_work", "Court work")]
    raised = _patch(client, org, record["id"], {"actions": [{"section": "custom_court_work", "text": "Prepare statement"}]})
    assert raised["actions"][0]["section"] == "custom_court_work"


def _edit_like_word(data: bytes, edits: dict[str, str]) -> bytes:
    """Retype cells as a Word user would: select the cell's text and type over it."""
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        for row in table.rows:
            cells = row.cells
            for i, cell in enumerate(cells):
                label = cell.text.strip()
                if label in edits and i + 1 < len(cells):
                    target = cells[i + 1].paragraphs[0]
                    for run in target.runs[1:]:
                        run.text = ""
                    if target.runs:
                        target.runs[0].text = edits[label]
                    else:
                        target.add_run(edits[label])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _progress_cell_edit(data: bytes, action_text: str, progress: str, completed: str) -> bytes:
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        for row in table.rows:
            cells = row.cells
            if len(cells) == 4 and action_text in cells[1].text:
                for cell, value in ((cells[2], progress), (cells[3], completed)):
                    paragraph = cell.paragraphs[0]
                    for run in paragraph.runs[1:]:
                        run.text = ""
                    paragraph.runs[0].text = value if paragraph.runs else paragraph.add_run(value).text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_word_round_trip_reads_discussion_progress_and_completion_back(client: Any, org: Any) -> None:
    record = _record(client, org, "worker", "2026-10-05")
    record = _patch(client, org, record["id"], {"welfare": {"discussion": "placeholder"}, "actions": [
        {"section": "summary", "text": "Update the chronology", "progress": "Started"}]})
    data = client.get(f"/api/v1/records/{record['id']}/docx", headers=org.auth("manager")).data
    edited = _progress_cell_edit(data, "Update the chronology", "Chronology up to date", "Yes")
    response = client.put(f"/api/v1/records/{record['id']}/docx", data=edited,
                          headers=read_then_change(client, f"/api/v1/records/{record['id']}/docx", org.auth("manager")),
                          content_type="application/octet-stream")
    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == f'"{response.json["record"]["revision"]}"'
    action = response.json["record"]["actions"][0]
    assert action["progress"] == "Chronology up to date" and action["completed"] is True


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def _bad_uploads(good: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    no_props = {n: b for n, b in parts.items() if "custom" not in n}
    macro = dict(parts, **{"word/vbaProject.bin": b"\x00" * 64})
    document = parts["word/document.xml"].replace(b"Progress made", b"Progress notes")
    return {
        "not a docx": b"%PDF-1.7 this is not a word file",
        "macro-enabled": _zip(macro),
        "oversize": b"PK" + b"\x00" * 10_000_001,
        "zip bomb": _zip({"[Content_Types].xml": parts["[Content_Types].xml"], "word/document.xml": b"\x00" * 60_000_000}),
        "lost the form's structure": _zip(dict(parts, **{"word/document.xml": document})),
        "properties removed": _zip(no_props),
    }


@pytest.mark.parametrize("case", ["not a docx", "macro-enabled", "oversize", "zip bomb", "lost the form's structure",
                                  "properties removed"])
def test_bad_upload_is_refused_with_a_message_and_changes_nothing(client: Any, org: Any, app: Any, case: str) -> None:
    record = _record(client, org, "worker", "2026-10-05")
    _patch(client, org, record["id"], {"actions": [{"section": "summary", "text": "Keep me"}]})
    good = client.get(f"/api/v1/records/{record['id']}/docx", headers=org.auth("manager")).data
    before = table_rows(app, leave_out=frozenset({"audit_event"}))
    response = client.put(f"/api/v1/records/{record['id']}/docx", data=_bad_uploads(good)[case],
                          headers=read_then_change(client, f"/api/v1/records/{record['id']}", org.auth("manager")),
                          content_type="application/octet-stream")
    assert 400 <= response.status_code < 500, response.json
    assert response.json["error"]["message"] and response.json["error"]["field"]
    assert table_rows(app, leave_out=frozenset({"audit_event"})) == before


def test_upload_of_another_records_file_is_refused(client: Any, org: Any) -> None:
    one = _record(client, org, "worker", "2026-10-05")
    two = _record(client, org, "worker", "2026-11-02")
    data = client.get(f"/api/v1/records/{one['id']}/docx", headers=org.auth("manager")).data
    response = client.put(f"/api/v1/records/{two['id']}/docx", data=data,
                          headers=read_then_change(client, f"/api/v1/records/{two['id']}", org.auth("manager")),
                          content_type="application/octet-stream")
    assert response.status_code == 422 and "R-" in response.json["error"]["message"]


def test_only_the_current_supervisor_edits_and_strangers_see_nothing(client: Any, org: Any) -> None:
    record = _record(client, org, "worker", "2026-10-05")
    assert client.patch(f"/api/v1/records/{record['id']}", json={"decisions": "x"},
                        headers=org.auth("worker")).status_code == 403
    assert client.get(f"/api/v1/records/{record['id']}", headers=org.auth("asye")).status_code == 404
    assert client.get(f"/api/v1/records/{record['id']}", headers=org.auth("admin")).status_code == 404
    assert client.get(f"/api/v1/records/{record['id']}", headers=org.auth("worker")).status_code == 200
    assert client.get(f"/api/v1/records/{record['id']}", headers=org.auth("head")).status_code == 200  # line chain
    auditor = client.get(f"/api/v1/records/{record['id']}", headers=org.auth("auditor"))
    assert auditor.status_code == 403 and auditor.json["error"]["field"] == "reason"
    assert client.get(f"/api/v1/records/{record['id']}?reason=S+8+file+audit",
                      headers=org.auth("auditor")).status_code == 200


def test_duplicate_session_and_leaver_are_refused(client: Any, org: Any, db: Any) -> None:
    _record(client, org, "worker", "2026-10-05")
    again = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-10-05"},
                        headers=org.auth("manager"))
    assert again.status_code == 409 and again.json["error"]["field"] == "session_date"
    early = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2020-01-01"},
                        headers=org.auth("manager"))
    assert early.status_code == 422 and early.json["error"]["field"] == "session_date"


def test_completed_elsewhere_cannot_be_completed_again(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        worker = db.get(Person, org.ids["worker"])
        one = records.create_record(db, services.profile, worker, dt.date(2026, 9, 7))
        action = actions.raise_action(db, one, section="summary", text="Finish report")
        actions.record_progress(db, one, action.id, completed=True)
        two = records.create_record(db, services.profile, worker, dt.date(2026, 10, 5))
        assert actions.entries(db, two) == []


def test_agreement_is_prefilled_flagged_and_renewed_on_a_new_supervisor(client: Any, org: Any) -> None:
    created = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2025-09-01"},
                          headers=org.auth("manager"))
    assert created.status_code == 201, created.json
    agreement = created.json
    assert agreement["review_date"] == "2026-09-01" and agreement["review_flag"] == "review overdue"
    assert agreement["fields"]["frequency"] == "Every 1 month"
    assert "confidential" in agreement["fields"]["confidentiality"]
    data = client.get(f"/api/v1/agreements/{agreement['id']}/docx", headers=org.auth("worker")).data
    body = "\n".join(c.text for t in docx.Document(io.BytesIO(data)).tables for r in t.rows for c in r.cells)
    assert "Review Date for This Agreement" in body and "Alex Morgan" in body

    rel = client.get(f"/api/v1/relationships?supervisee_id={org.ids['worker']}", headers=org.auth("admin")).json["items"][0]
    ended = client.patch(f"/api/v1/relationships/{rel['id']}", json={"ends_on": "2026-10-31"},
                         headers=read_then_change(client, f"/api/v1/relationships/{rel['id']}", org.auth("admin")))
    assert ended.status_code == 200, ended.json
    moved = client.post("/api/v1/relationships", json={"supervisee_id": org.ids["worker"], "supervisor_id": org.ids["head"],
                                                       "starts_on": "2026-11-01"}, headers=org.auth("admin"))
    assert moved.status_code == 201
    old = client.get(f"/api/v1/agreements/{agreement['id']}", headers=org.auth("worker")).json
    assert old["review_flag"] == "superseded" and old["superseded_by_id"]
    new = client.get(f"/api/v1/agreements/{old['superseded_by_id']}", headers=org.auth("worker")).json
    assert new["supervisor_id"] == org.ids["head"] and new["status"] == "draft"


def test_agreement_round_trip_through_word(client: Any, org: Any) -> None:
    agreement = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-09-01"},
                            headers=org.auth("manager")).json
    download = client.get(f"/api/v1/agreements/{agreement['id']}/docx", headers=org.auth("manager"))
    edited = _edit_like_word(download.data, {"Length of Sessions (e.g., 1 hour)": "90 minutes"})
    response = client.put(f"/api/v1/agreements/{agreement['id']}/docx", data=edited,
                          headers={**org.auth("manager"), "If-Match": download.headers["ETag"]},
                          content_type="application/octet-stream")
    assert response.status_code == 200, response.json
    assert response.json["fields"]["length"] == "90 minutes"
