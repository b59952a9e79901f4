"""The API's edge under hostile input: ids and paging bounded to the database's integers, one 404
for every document a caller may not see, a valid OpenAPI document, CSRF for cookie-made changes,
Secure cookies in production and a rate limit on the JSON sign-off link."""
from __future__ import annotations

from typing import Any

import pytest

from storage.models import INTEGER_MAX

BEYOND = [INTEGER_MAX + 1, 2**63, 10**30]
ID_PATHS = ["/api/v1/people/{id}", "/api/v1/records/{id}", "/api/v1/records/{id}/docx", "/api/v1/agreements/{id}",
            "/api/v1/relationships/{id}", "/api/v1/people/{id}/export", "/api/v1/records/{id}/signoff",
            "/api/v1/sessions/{id}/ics", "/records/{id}", "/supervision/{id}", "/agreements/{id}",
            "/admin/people/{id}"]


@pytest.mark.parametrize("beyond", BEYOND)
def test_ids_beyond_the_database_are_not_found(client: Any, org: Any, beyond: int) -> None:
    for path in ID_PATHS:
        answer = client.get(path.format(id=beyond), headers=org.auth("manager") | {"Accept": "application/json"})
        assert answer.status_code == 404, (path, answer.status_code)


@pytest.mark.parametrize("query,field", [("page=0", "page"), (f"page={INTEGER_MAX + 1}", "page"),
                                         ("page=99999999999999999999999", "page"), ("per_page=-1", "per_page"),
                                         (f"per_page={2**64}", "per_page"), (f"team_id={2**63}", "team_id"),
                                         ("page=two", "page")])
def test_paging_and_filters_beyond_the_database_name_the_argument(client: Any, org: Any, query: str,
                                                                 field: str) -> None:
    answer = client.get(f"/api/v1/people?{query}", headers=org.auth("worker"))
    assert answer.status_code == 422 and answer.json["error"]["field"] == field, answer.json


def test_an_id_beyond_the_database_in_a_body_names_the_field(client: Any, org: Any) -> None:
    answer = client.post("/api/v1/records", json={"supervisee_id": 2**63, "session_date": "2026-03-02"},
                         headers=org.auth("manager"))
    assert answer.status_code == 422 and answer.json["error"]["field"] == "supervisee_id", answer.json


@pytest.mark.parametrize("method,path,body,field", [
    ("POST", "/api/v1/teams", '{"name": "Leaving\\u0000Care", "service": ""}', "name"),
    ("POST", "/api/v1/teams", '{"name": "Leaving Care \\udbcb", "service": ""}', "name"),
    ("PATCH", "/api/v1/records/1", '{"areas": [{"title": "x", "discussion": "\\u0000"}]}', "areas.0.discussion"),
    ("GET", "/api/v1/people?q=%00", None, "q"),
    ("GET", "/api/v1/actions/A%00", None, "action_id"),
])
def test_text_no_database_can_store_is_refused_naming_the_field(client: Any, org: Any, method: str, path: str,
                                                                body: str | None, field: str) -> None:
    answer = client.open(path, method=method, data=body, content_type="application/json", headers=org.auth("admin"))
    assert answer.status_code == 422 and answer.json["error"]["field"] == field, answer.json


def test_a_relationship_cannot_lose_its_start(client: Any, org: Any) -> None:
    rel = client.get(f"/api/v1/relationships?supervisee_id={org.ids['worker']}", headers=org.auth("admin")).json
    url = f"/api/v1/relationships/{rel['items'][0]['id']}"
    read = client.get(url, headers=org.auth("admin"))
    answer = client.patch(url, json={"starts_on": None},
                          headers=org.auth("admin") | {"If-Match": read.headers.get("ETag", "*")})
    assert answer.status_code == 422 and answer.json["error"]["field"] == "starts_on", answer.json


def test_one_not_found_for_every_document_a_caller_may_not_see(client: Any, org: Any) -> None:
    """A colleague with no basis to read the worker's record gets exactly what an id that was never
    issued gets, on every route that names a document, in the API and on the pages."""
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-03-02"},
                         headers=org.auth("manager")).json
    agreement = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-03-02"},
                            headers=org.auth("manager")).json
    never = INTEGER_MAX
    routes = [("GET", "/api/v1/records/{}", record["id"]), ("GET", "/api/v1/records/{}/docx", record["id"]),
              ("PATCH", "/api/v1/records/{}", record["id"]), ("POST", "/api/v1/records/{}/send", record["id"]),
              ("GET", "/api/v1/records/{}/signoff", record["id"]), ("GET", "/api/v1/agreements/{}", agreement["id"]),
              ("POST", "/api/v1/agreements/{}/send", agreement["id"]), ("GET", "/records/{}", record["id"]),
              ("GET", "/agreements/{}", agreement["id"])]
    for method, path, existing in routes:
        answers = [client.open(path.format(i), method=method, json={}, headers=org.auth("asye"))
                   for i in (existing, never)]
        assert answers[0].status_code == answers[1].status_code == 404, (path, [a.status_code for a in answers])
        assert answers[0].data == answers[1].data, (path, answers[0].data[:200], answers[1].data[:200])
