"""The API's edge under hostile input: ids and paging bounded to the database's integers, one 404
for every document a caller may not see, a valid OpenAPI document, CSRF for cookie-made changes,
Secure cookies in production and a rate limit on the JSON sign-off link."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kernel.config import Config
from storage.models import INTEGER_MAX
from tests.e2e.test_web_pages import TOKEN, csrf, sign_in

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
        bodies = [without_csrf_token(a.get_data(as_text=True)) for a in answers]
        assert bodies[0] == bodies[1], (path, bodies[0][:200], bodies[1][:200])


def without_csrf_token(body: str) -> str:
    """A page without its sign-out form's CSRF token, which is signed with the current second and
    so differs between two requests a second apart whatever they asked for."""
    return TOKEN.sub("csrf_token", body)


def _signed_in_by_cookie(client: Any, who: str) -> str:
    """Sign in through the page, as a browser does; returns a page's CSRF token."""
    signed_in = sign_in(client, who)
    assert signed_in.status_code == 302, signed_in.status_code
    return csrf(client, "/supervision")


def test_a_cookie_made_change_without_a_csrf_token_is_refused(client: Any, org: Any) -> None:
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-03-02"},
                         headers=org.auth("manager")).json
    _signed_in_by_cookie(client, "manager")
    forged = client.post(f"/api/v1/records/{record['id']}/send", headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403 and forged.json["error"]["field"] == "X-CSRFToken", forged.json
    assert "CSRF token is missing" in forged.json["error"]["message"]
    wrong = client.post(f"/api/v1/records/{record['id']}/send", headers={"X-CSRFToken": "guessed"})
    assert wrong.status_code == 403
    after = client.get(f"/api/v1/records/{record['id']}/signoff", headers=org.auth("manager")).json
    assert after["status"] == "draft" and after["events"] == [], after
    assert client.get(f"/api/v1/records/{record['id']}").status_code == 200  # reading needs no token


def test_a_cookie_made_change_with_the_pages_csrf_token_passes(client: Any, org: Any) -> None:
    token = _signed_in_by_cookie(client, "admin")
    made = client.post("/api/v1/teams", json={"name": "Leaving Care"}, headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.json


def test_a_sign_off_link_is_its_own_credential_even_beside_a_cookie(client: Any, org: Any) -> None:
    _signed_in_by_cookie(client, "worker")
    answer = client.post("/api/v1/sign/not-a-real-token", json={"decision": "agree", "confirm_name": "Alex Morgan"})
    assert answer.status_code == 404 and answer.json["error"]["field"] == "token", answer.json


@pytest.mark.parametrize("path", ["/api/v1/sign/not-a-real-token", "/api/v1/sign/not-a-real-token/pdf",
                                  "/sign/not-a-real-token"])
def test_guessing_sign_off_links_is_rate_limited_on_the_api_as_on_the_page(client: Any, path: str) -> None:
    codes = [client.get(path).status_code for _ in range(11)]
    assert codes[:10] == [404] * 10 and codes[10] == 429, codes


@pytest.mark.parametrize("base_url,allow_http", [("https://docgen.example.org", False),
                                                 ("http://docgen.internal", True)])
def test_production_session_cookies_are_secure_whatever_the_base_url(config: Config, base_url: str,
                                                                     allow_http: bool, org: Any) -> None:
    from docgen.app import create_app

    production = dataclasses.replace(config, env="production", base_url=base_url, allow_http=allow_http,
                                     org_p12_passphrase="pw")
    app = create_app(production)
    try:
        signed_in = sign_in(app.test_client(), "manager")
        cookie = signed_in.headers["Set-Cookie"]
        assert signed_in.status_code == 302 and "Secure" in cookie and "HttpOnly" in cookie, cookie
    finally:
        app.extensions["docgen"].engine.dispose()


@pytest.mark.parametrize("command", ["init", "run"])
def test_production_over_plain_http_stops_with_one_line(tmp_path: Path, command: str) -> None:
    env = {**os.environ, "DOCGEN_INSTANCE_PATH": str(tmp_path / "instance"), "DOCGEN_TASKS_URL": "memory",
           "DOCGEN_ENV": "production", "DOCGEN_SECRET_KEY": "s" * 40, "DOCGEN_ORG_P12_PASSPHRASE": "pw",
           "DOCGEN_BASE_URL": "http://docgen.example.org"}
    done = subprocess.run([sys.executable, "-m", "docgen.main", command], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "DOCGEN_BASE_URL must start with https://" in done.stderr


def test_an_empty_if_match_names_no_revision(client: Any, org: Any) -> None:
    """`If-Match: ""` (found by schemathesis: a 500) is a change that names no revision: 428."""
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-03-02"},
                         headers=org.auth("manager")).json
    answer = client.patch(f"/api/v1/records/{record['id']}", json={"decisions": "x"},
                          headers=org.auth("manager") | {"If-Match": '""'})
    assert answer.status_code == 428, answer.json


@pytest.mark.parametrize("path,body", [("/api/v1/sessions", {"supervisee_id": 1}), ("/api/v1/sessions/1/rebook", {})])
def test_a_time_that_leaves_the_calendar_in_utc_names_its_field(client: Any, org: Any, path: str,
                                                                body: dict[str, int]) -> None:
    """Found by schemathesis (a 500): 0001-01-01T00:00+01:00 is before year 1 once moved to UTC."""
    answer = client.post(path, json=body | {"starts_at": "0001-01-01T00:00:00+01:00"}, headers=org.auth("manager"))
    assert answer.status_code == 422 and answer.json["error"]["field"] == "starts_at", answer.json


def test_a_page_number_beyond_the_database_on_a_page_is_refused_not_a_500(client: Any, org: Any) -> None:
    answer = client.get(f"/admin/people?page={2**64}", headers=org.auth("admin") | {"Accept": "text/html"})
    assert answer.status_code == 422 and "page must be between 1 and" in answer.get_data(as_text=True)


def test_a_null_job_title_empties_it(client: Any, org: Any) -> None:
    """Found by schemathesis (a 500: NOT NULL constraint failed)."""
    url = f"/api/v1/people/{org.ids['worker']}"
    read = client.get(url, headers=org.auth("admin"))
    answer = client.patch(url, json={"job_title": None}, headers=org.auth("admin") | {"If-Match": read.headers["ETag"]})
    assert answer.status_code == 200 and answer.json["job_title"] == "", answer.json
