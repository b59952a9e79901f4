"""People, teams and supervision relationships over the JSON API, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import AuditEvent
from tests.etags import read_then_change
from tests.table_rows import table_rows


def test_admin_adds_person_and_reads_it_back(client: Any, org: Any) -> None:
    body = {"name": "Jo Bloggs", "email": "Jo.Bloggs@Knowsley.example.org", "role": "asye",
            "employment_start": "2026-09-01", "team_id": org.team.id, "line_manager_id": org.ids["manager"]}
    created = client.post("/api/v1/people", json=body, headers=org.auth("admin"))
    assert created.status_code == 201, created.json
    person = created.json
    assert person["email"] == "jo.bloggs@knowsley.example.org" and person["status"] == "active"
    fetched = client.get(f"/api/v1/people/{person['id']}", headers=org.auth("manager"))  # Jo's line manager
    assert fetched.json == person


def test_a_colleague_outside_the_line_is_told_there_is_no_such_person(client: Any, org: Any) -> None:
    """Alex may read Alex, not Priya beside them nor Sam above them; the refusal is the 404 an id
    never issued gets, and the list holds Alex alone."""
    assert client.get(f"/api/v1/people/{org.ids['worker']}", headers=org.auth("worker")).status_code == 200
    for colleague in ("asye", "manager"):
        refused = client.get(f"/api/v1/people/{org.ids[colleague]}", headers=org.auth("worker"))
        assert refused.status_code == 404 and refused.json["error"] == {
            "code": "not_found", "message": f"no person with id {org.ids[colleague]}", "field": "id"}
    listed = client.get("/api/v1/people", headers=org.auth("worker")).json
    assert [p["id"] for p in listed["items"]] == [org.ids["worker"]] and listed["total"] == 1


def test_people_list_pages_and_filters(client: Any, org: Any) -> None:
    first = client.get("/api/v1/people?per_page=3&page=1", headers=org.auth("hr")).json
    second = client.get("/api/v1/people?per_page=3&page=2", headers=org.auth("hr")).json
    assert first["total"] == 7 and len(first["items"]) == 3 and len(second["items"]) == 3
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    asye = client.get("/api/v1/people?role=asye", headers=org.auth("hr")).json
    assert [p["name"] for p in asye["items"]] == ["Priya Patel"]
    found = client.get("/api/v1/people?q=whit", headers=org.auth("hr")).json
    assert [p["name"] for p in found["items"]] == ["Sam Whitfield"]
    # Sam's own list, filtered and paged within the people Sam may read: himself and his team
    mine = client.get("/api/v1/people?per_page=2&page=2", headers=org.auth("manager")).json
    assert mine["total"] == 3 and [p["name"] for p in mine["items"]] == ["Sam Whitfield"]
    assert client.get("/api/v1/people?q=okafor", headers=org.auth("manager")).json["total"] == 0


def test_patch_changes_only_given_fields_and_is_audited(client: Any, org: Any, app: Any) -> None:
    url = f"/api/v1/people/{org.ids['worker']}"
    read = client.get(url, headers=org.auth("hr"))
    before = read.json
    changed = client.patch(url, json={"leave_date": "2026-12-31"},
                           headers={**org.auth("hr"), "If-Match": read.headers["ETag"]}).json
    # a leaving date goes the one way a leaving is recorded (`movers.mark_leaver`): the person is a leaver
    assert changed == before | {"leave_date": "2026-12-31", "status": "leaver", "revision": changed["revision"]}
    assert changed["revision"] > before["revision"]
    with app.extensions["docgen"].sessions() as db:
        for action in ("person.update", "person.leaver"):
            assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) == 1


def test_teams_and_relationships_round_trip(client: Any, org: Any) -> None:
    team = client.post("/api/v1/teams", json={"name": "Leaving Care", "service": "Children's Social Care"},
                       headers=org.auth("admin"))
    assert team.status_code == 201
    renamed = client.patch(f"/api/v1/teams/{team.json['id']}", json={"name": "Care Leavers"}, headers=org.auth("admin"))
    assert renamed.json["name"] == "Care Leavers"
    rels = client.get(f"/api/v1/relationships?supervisee_id={org.ids['worker']}", headers=org.auth("manager")).json
    assert rels["total"] == 1 and rels["items"][0]["supervisor_id"] == org.ids["manager"]
    rel_id = rels["items"][0]["id"]
    ended = client.patch(f"/api/v1/relationships/{rel_id}", json={"ends_on": "2026-06-30"},
                         headers=read_then_change(client, f"/api/v1/relationships/{rel_id}", org.auth("admin")))
    assert ended.status_code == 200 and ended.json["ends_on"] == "2026-06-30"
    new = client.post("/api/v1/relationships", json={"supervisee_id": org.ids["worker"], "supervisor_id": org.ids["head"],
                                                     "starts_on": "2026-07-01"}, headers=org.auth("admin"))
    assert new.status_code == 201


BAD_INPUTS = [
    ("unknown role", "POST", "/api/v1/people",
     {"name": "X", "email": "x@knowsley.example.org", "role": "wizard", "employment_start": "2026-01-01"}, 422, "role"),
    ("bad e-mail", "POST", "/api/v1/people",
     {"name": "X", "email": "not-an-address", "role": "asye", "employment_start": "2026-01-01"}, 422, "email"),
    ("duplicate e-mail", "POST", "/api/v1/people",
     {"name": "X", "email": "WORKER@knowsley.example.org", "role": "asye", "employment_start": "2026-01-01"}, 409, "email"),
    ("dates out of order", "POST", "/api/v1/people",
     {"name": "X", "email": "x@knowsley.example.org", "role": "asye", "employment_start": "2026-01-01",
      "leave_date": "2025-12-31"}, 422, "leave_date"),
    ("not a date", "POST", "/api/v1/people",
     {"name": "X", "email": "x@knowsley.example.org", "role": "asye", "employment_start": "first of May"}, 422,
     "employment_start"),
    ("unknown field", "POST", "/api/v1/people",
     {"name": "X", "email": "x@knowsley.example.org", "role": "asye", "employment_start": "2026-01-01", "salary": 1},
     422, "salary"),
    ("missing name", "POST", "/api/v1/people",
     {"email": "x@knowsley.example.org", "role": "asye", "employment_start": "2026-01-01"}, 422, "name"),
    ("manager loop", "PATCH", "/api/v1/people/{head}", {"line_manager_id": "{worker}"}, 422, "line_manager_id"),
    ("own manager", "PATCH", "/api/v1/people/{worker}", {"line_manager_id": "{worker}"}, 422, "line_manager_id"),
    ("no such team", "PATCH", "/api/v1/people/{worker}", {"team_id": 99999}, 422, "team_id"),
    ("relationship dates out of order", "POST", "/api/v1/relationships",
     {"supervisee_id": "{asye}", "supervisor_id": "{head}", "starts_on": "2027-01-01", "ends_on": "2026-01-01"}, 422,
     "ends_on"),
    ("overlapping supervisor", "POST", "/api/v1/relationships",
     {"supervisee_id": "{asye}", "supervisor_id": "{head}", "starts_on": "2026-01-01"}, 409, "starts_on"),
    ("self supervision", "POST", "/api/v1/relationships",
     {"supervisee_id": "{asye}", "supervisor_id": "{asye}", "starts_on": "2026-01-01"}, 422, "supervisor_id"),
    ("duplicate team", "POST", "/api/v1/teams", {"name": "Children in Need 1"}, 409, "name"),
    ("bad page", "GET", "/api/v1/people?per_page=500", None, 422, "per_page"),
]


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize("case,method,path,body,status,field", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
        client: Any, org: Any, app: Any, case: str, method: str, path: str, body: Any, status: int, field: str) -> None:
    before = table_rows(app)
    url = path.format(**org.ids)
    headers = read_then_change(client, url, org.auth("admin")) if method == "PATCH" else org.auth("admin")
    response = client.open(url, method=method, json=_fill(body, org.ids), headers=headers)
    assert response.status_code == status, response.json
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]
    assert table_rows(app) == before


def test_malformed_json_is_400_and_changes_nothing(client: Any, org: Any, app: Any) -> None:
    before = table_rows(app)
    response = client.post("/api/v1/people", data="{'name': oops", content_type="application/json",
                           headers=org.auth("admin"))
    assert response.status_code == 422 and response.json["error"]["field"] == "body"
    assert table_rows(app) == before


def test_writes_need_a_granted_role(client: Any, org: Any, app: Any) -> None:
    before = table_rows(app)
    denied = client.post("/api/v1/teams", json={"name": "Shadow team"}, headers=org.auth("manager"))
    assert denied.status_code == 403 and denied.json["error"]["code"] == "forbidden"
    anonymous = client.get("/api/v1/people")
    assert anonymous.status_code == 401
    forged = client.get("/api/v1/people", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401
    assert table_rows(app) == before


def test_unknown_id_is_404_json(client: Any, org: Any) -> None:
    response = client.get("/api/v1/people/424242", headers=org.auth("admin"))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_openapi_document_lists_every_route_with_schemas(client: Any, org: Any) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for path in ("/people", "/people/{person_id}", "/teams", "/relationships/{rel_id}"):
        assert path in doc["paths"]
    create = doc["paths"]["/people"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("PersonCreate")
    assert {"PersonCreate", "PersonOut", "Error"} <= set(doc["components"]["schemas"])
    json.dumps(doc)


def test_health_answers_and_headers_are_strict(client: Any, org: Any) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json["status"] == "ok"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
