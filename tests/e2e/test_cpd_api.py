"""CPD evidence for Social Work England over JSON (issue 25 item 2), on SQLite and PostgreSQL: Alex
Morgan marks reflections from their signed records through `/api/v1/cpd`, reads the CPD year against
SWE's minimum as the page shows it, changes a piece's words field by field and removes it; nobody
else marks Alex's records or touches Alex's pieces (404 as for a piece that does not exist), and a
draft, a date ahead or an emptied field is refused naming it. The API and the page read a piece
through the same input models. As at 15 October 2026: the CPD year 1 December 2025 to
30 November 2026."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, CpdPiece
from tests.e2e.test_cpd_evidence import (CASE_AUDITS, JUNE, MARCH, _as_it_stands, _record, attended_group_record,
                                         in_role)
from tests.e2e.test_web_pages import HTML, sign_in, words
from tests.unit.test_twin_inputs import _api_model, _page_models
from workflows.inputs.cpd import ChangeCpdPiece, CpdPieceInput

NOW = dt.datetime(2026, 10, 15, 12, 0)


@pytest.fixture(autouse=True)
def mid_october() -> None:
    clock.set_clock(lambda: NOW)  # the conftest's real_clock puts the clock back


def _piece(record_id: int, day: dt.date, **given: Any) -> dict[str, Any]:
    return {"record_id": record_id, "title": "Keeping chronologies live", "type": "Supervision with my supervisor",
            "description": "Reflection on a case audit in supervision", "date": day.isoformat(),
            "learning": "A chronology written as events happen shows patterns a late one hides.",
            "impact": "I update chronologies within a day of each visit.", **given}


def test_a_supervisee_marks_reads_changes_and_removes_their_cpd_over_json_as_the_page_shows_it(
        client: Any, org: Any, db: Any) -> None:
    march, june = _record(db, org, MARCH), _record(db, org, JUNE)
    before = _as_it_stands(db, march)
    alex = org.auth("worker")
    empty = client.get("/api/v1/cpd", headers=alex).json
    assert (empty["year"], empty["first"], empty["last"], empty["pieces"], empty["minimum_met"]) == (
        2026, "2025-12-01", "2026-11-30", [], False)
    assert (empty["swe_registered"], empty["minimum_pieces"], empty["minimum_peer_reflected"]) == (True, 2, 1)
    assert empty["still_needed"] == ["2 more pieces of CPD", "a piece with peer reflection"]

    marked = client.post("/api/v1/cpd", json=_piece(march, MARCH, area_key="case_audits"), headers=alex)
    assert marked.status_code == 201, marked.json
    assert {k: marked.json[k] for k in ("record_id", "area_key", "date", "peer_reflection")} == {
        "record_id": march, "area_key": "case_audits", "date": "2026-03-04", "peer_reflection": True}
    one = client.get("/api/v1/cpd", headers=alex).json
    assert (len(one["pieces"]), one["minimum_met"], one["still_needed"]) == (1, False, ["1 more piece of CPD"])
    whole = client.post("/api/v1/cpd", json=_piece(june, JUNE, title="Supervision in June"), headers=alex)
    assert whole.status_code == 201 and whole.json["area_key"] is None  # the record as a whole

    met = client.get("/api/v1/cpd?year=2026", headers=alex).json
    assert (met["minimum_met"], met["peer_reflected"], met["still_needed"]) == (True, 2, [])
    assert [p["title"] for p in met["pieces"]] == ["Keeping chronologies live", "Supervision in June"]
    sign_in(client, "worker")
    assert "the minimum is met" in words(client.get("/my-records/cpd", headers=HTML))  # the page says the same

    piece_id = marked.json["id"]
    changed = client.patch(f"/api/v1/cpd/{piece_id}", json={"impact": "I now check chronologies weekly."},
                           headers=alex)
    assert changed.status_code == 200, changed.json
    assert (changed.json["impact"], changed.json["title"], changed.json["date"]) == (
        "I now check chronologies weekly.", "Keeping chronologies live", "2026-03-04")  # the rest stays
    assert client.delete(f"/api/v1/cpd/{piece_id}", headers=alex).status_code == 204
    left = client.get("/api/v1/cpd", headers=alex).json
    assert [p["title"] for p in left["pieces"]] == ["Supervision in June"] and not left["minimum_met"]
    assert client.get("/api/v1/cpd?year=2025", headers=alex).json["pieces"] == []
    assert _as_it_stands(db, march) == before  # the signed record is as it was signed
    audited = db.scalars(select(AuditEvent).where(AuditEvent.object_type == "cpd_piece").order_by(AuditEvent.id)).all()
    assert [a.action for a in audited] == ["cpd.added", "cpd.added", "cpd.changed", "cpd.removed"]
    assert audited[2].detail == {"fields": ["impact"]}  # a change names the fields it changed


def test_nobody_else_marks_a_supervisees_record_or_touches_their_pieces_over_json(
        client: Any, org: Any, db: Any) -> None:
    march = _record(db, org, MARCH)
    piece_id = client.post("/api/v1/cpd", json=_piece(march, MARCH), headers=org.auth("worker")).json["id"]
    for who in ("asye", "manager", "admin"):  # another supervisee, the record's supervisor, an administrator
        theirs = org.auth(who)
        refused = [client.post("/api/v1/cpd", json=_piece(march, MARCH), headers=theirs),
                   client.patch(f"/api/v1/cpd/{piece_id}", json={"title": "Mine now"}, headers=theirs),
                   client.delete(f"/api/v1/cpd/{piece_id}", headers=theirs)]
        assert [r.status_code for r in refused] == [404, 404, 404], who
        assert client.get("/api/v1/cpd", headers=theirs).json["pieces"] == []
    assert client.delete("/api/v1/cpd/999999", headers=org.auth("worker")).status_code == 404
    assert client.get("/api/v1/cpd").status_code == 401
    db.expire_all()
    assert db.scalars(select(CpdPiece.title)).all() == ["Keeping chronologies live"]


@pytest.mark.parametrize("sent,field", [
    ({"date": "2026-11-02"}, "date"),  # ahead of today
    ({"date": "2026-02-31"}, "date"),
    ({"date": "0001-01-01"}, "date"),  # before docgen's floor, 1 January 2000: a slip, in no CPD year shown
    ({"learning": "   "}, "learning"),
    ({"title": "x" * 201}, "title"),
    ({"peer_reflection": False}, "peer_reflection"),  # set from the record, never typed
])
def test_a_bad_piece_is_refused_naming_its_field(client: Any, org: Any, db: Any, sent: dict[str, Any],
                                                 field: str) -> None:
    march = _record(db, org, MARCH)
    refused = client.post("/api/v1/cpd", json=_piece(march, MARCH, **sent), headers=org.auth("worker"))
    assert refused.status_code == 422 and refused.json["error"]["field"] == field, refused.json
    assert db.scalar(select(CpdPiece.id)) is None


def test_a_draft_cannot_be_marked_and_a_change_cannot_empty_a_field_or_move_the_piece(
        client: Any, org: Any, db: Any) -> None:
    march, draft = _record(db, org, MARCH), _record(db, org, JUNE, status="draft")
    alex = org.auth("worker")
    refused = client.post("/api/v1/cpd", json=_piece(draft, JUNE), headers=alex)
    assert refused.status_code == 422 and refused.json["error"]["field"] == "record_id"
    piece_id = client.post("/api/v1/cpd", json=_piece(march, MARCH, area_key="case_audits"), headers=alex).json["id"]
    for sent, field in (({"title": None}, "title"), ({"date": None}, "date"), ({"date": "2026-11-02"}, "date"),
                        ({"date": "0001-01-01"}, "date"), ({"impact": ""}, "impact"), ({"record_id": draft}, "record_id"),
                        ({"area_key": None}, "area_key")):
        answer = client.patch(f"/api/v1/cpd/{piece_id}", json=sent, headers=alex)
        assert answer.status_code == 422 and answer.json["error"]["field"] == field, (sent, answer.json)
    db.expire_all()
    piece = db.get(CpdPiece, piece_id)
    assert (piece.record_id, piece.area_key, piece.title) == (march, "case_audits", "Keeping chronologies live")


@pytest.mark.parametrize("operation,view,model", [
    ("POST /cpd", "cpd.add", CpdPieceInput),
    ("PATCH /cpd/<int:piece_id>", "cpd.change", ChangeCpdPiece),
])
def test_the_page_and_the_api_read_a_piece_through_the_same_input_model(operation: str, view: str,
                                                                         model: type) -> None:
    assert _api_model(operation) is model and _page_models(view) == {model}


def test_the_openapi_document_publishes_the_cpd_routes(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json
    year, piece = document["paths"]["/cpd"], document["paths"]["/cpd/{piece_id}"]
    assert set(year) == {"get", "post"} and set(piece) == {"patch", "delete"}
    assert [p["name"] for p in year["get"]["parameters"] if p["in"] == "query"] == ["year"]
    assert year["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CpdPieceInput")
    assert "201" in year["post"]["responses"] and "204" in piece["delete"]["responses"]
    change = document["components"]["schemas"]["ChangeCpdPiece"]
    assert "required" not in change and "default" not in change["properties"]["title"]  # a field left out stays
    assert set(change["properties"]) == {"title", "type", "description", "date", "learning", "impact"}
    year_out = document["components"]["schemas"]["CpdYearOut"]
    assert year_out["properties"]["swe_registered"]["type"] == "boolean" and "swe_registered" in year_out["required"]
    assert "in docgen's settings for the council" in year_out["properties"]["swe_registered"]["description"]
    for judged in ("minimum_pieces", "minimum_peer_reflected", "minimum_met", "still_needed"):  # null off the register
        assert {"type": "null"} in year_out["properties"][judged]["anyOf"], judged
    assert {"type": "boolean"} in year_out["properties"]["minimum_met"]["anyOf"]


def test_a_group_record_attended_is_marked_over_json_as_group_supervision(client: Any, org: Any, db: Any) -> None:
    """An attendee marks the group session's record; a member who was not there gets 404."""
    record = attended_group_record(db, org)
    body = _piece(record.id, dt.date(2026, 5, 6), type="Group supervision", learning=CASE_AUDITS)
    marked = client.post("/api/v1/cpd", json=body, headers=org.auth("worker"))
    assert marked.status_code == 201 and marked.json["peer_reflection"] is True
    assert client.post("/api/v1/cpd", json=body, headers=org.auth("asye")).status_code == 404


def test_someone_off_the_register_reads_their_cpd_over_json_with_no_minimum(client: Any, org: Any, db: Any) -> None:
    """A family support worker's role is not `swe_registered` in Knowsley's profile: the year comes
    with `swe_registered: false` and null for every part of SWE's minimum, as the page shows none;
    Priya, an ASYE, is on the register and is judged."""
    march = _record(db, org, MARCH)
    in_role(db, org, "worker", "family_support_worker")
    alex = org.auth("worker")
    assert client.post("/api/v1/cpd", json=_piece(march, MARCH), headers=alex).status_code == 201

    theirs = client.get("/api/v1/cpd", headers=alex).json
    priyas = client.get("/api/v1/cpd", headers=org.auth("asye")).json

    assert theirs["swe_registered"] is False
    assert [theirs[k] for k in ("minimum_pieces", "minimum_peer_reflected", "minimum_met", "still_needed")] == [
        None, None, None, None]
    assert [p["title"] for p in theirs["pieces"]] == ["Keeping chronologies live"] and theirs["peer_reflected"] == 1
    assert (priyas["swe_registered"], priyas["minimum_met"], priyas["minimum_pieces"]) == (True, False, 2)
