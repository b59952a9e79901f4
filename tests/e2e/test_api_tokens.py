"""Personal API tokens, as their owner, an administrator and the operator at the command line use
them: made on a page or with `docgen token create`, shown once, kept hashed, used, expired, revoked."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from kernel.config import Config
from docgen.main import cli
from kernel import clock
from storage.models import ApiToken, Person
from tests.e2e.test_web_pages import HTML, csrf, sign_in
from workflows import movers

SECRET = re.compile(r'id="token" type="text" readonly spellcheck="false" value="([^"]+)"')


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, extra={"ratelimit_key_prefix": f"test-{uuid.uuid4().hex}"})


def _make(client: Any, name: str, expires: str = "90") -> Any:
    return client.post("/tokens", data={"csrf_token": csrf(client, "/tokens"), "name": name, "expires": expires},
                       headers=HTML)


def _secret(page: Any) -> str:
    match = SECRET.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def _me(client: Any, secret: str) -> Any:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})


def _row(db: Any, name: str) -> ApiToken:
    db.expire_all()
    return db.scalar(select(ApiToken).where(ApiToken.label == name))


def test_a_token_made_on_the_page_is_shown_once_kept_hashed_and_signs_in_its_owner(client: Any, org: Any,
                                                                                   db: Any) -> None:
    sign_in(client, "worker")
    made = _make(client, "Case system sync")
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = _secret(made)
    listed = client.get("/tokens", headers=HTML).get_data(as_text=True)
    assert "Case system sync" in listed and secret not in listed
    row = _row(db, "Case system sync")
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and row.last_used_at is None
    me = _me(client.application.test_client(), secret)
    assert me.status_code == 200
    assert me.json["person"]["email"] == "worker@knowsley.example.org" and me.json["roles"] == []
    assert _row(db, "Case system sync").last_used_at is not None
    listed = client.get("/tokens", headers=HTML).get_data(as_text=True)
    used = listed.split("Case system sync", 1)[1].split("</tr>", 1)[0]
    assert "Last used\">Not yet" not in used and "Last used\">" in used


def test_a_token_needs_a_name_unique_among_its_owners_live_tokens(client: Any, org: Any) -> None:
    sign_in(client, "worker")
    nameless = _make(client, "  ")
    assert nameless.status_code == 400 and "Give the token a name" in nameless.get_data(as_text=True)
    assert _make(client, "Sync").status_code == 201
    twice = _make(client, "Sync")
    assert twice.status_code == 400 and "already have a token named" in twice.get_data(as_text=True)


def test_a_revoked_token_stops_working_at_once(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "worker")
    secret = _secret(_make(client, "Laptop script"))
    api = client.application.test_client()
    assert _me(api, secret).status_code == 200
    row = _row(db, "Laptop script")
    revoked = client.post(f"/tokens/{row.id}/revoke", data={"csrf_token": csrf(client, "/tokens")}, headers=HTML)
    assert revoked.status_code == 302
    assert _me(api, secret).status_code == 401
    assert "Revoked" in client.get("/tokens", headers=HTML).get_data(as_text=True)


def test_a_token_stops_working_when_it_expires(client: Any, org: Any) -> None:
    sign_in(client, "worker")
    secret = _secret(_make(client, "Month-long pilot", expires="30"))
    api = client.application.test_client()
    assert _me(api, secret).status_code == 200
    later = clock.now() + dt.timedelta(days=31)
    clock.set_clock(lambda: later)
    answer = _me(api, secret)
    assert answer.status_code == 401 and answer.json["error"]["message"] == "the bearer token is not valid"


def test_an_administrator_revokes_anyones_token_and_nobody_else_can(app: Any, client: Any, org: Any,
                                                                    db: Any) -> None:
    sign_in(client, "worker")
    secret = _secret(_make(client, "Worker's export"))
    row = _row(db, "Worker's export")
    other = app.test_client()
    sign_in(other, "manager")
    assert "Worker's export" not in other.get("/tokens", headers=HTML).get_data(as_text=True)
    refused = other.post(f"/tokens/{row.id}/revoke", data={"csrf_token": csrf(other, "/tokens")}, headers=HTML)
    assert refused.status_code == 404
    admin = app.test_client()
    sign_in(admin, "admin")
    listed = admin.get("/tokens", headers=HTML).get_data(as_text=True)
    assert "Other people’s live tokens" in listed and "Worker&#39;s export" in listed
    assert admin.post(f"/tokens/{row.id}/revoke", data={"csrf_token": csrf(admin, "/tokens")},
                      headers=HTML).status_code == 302
    assert _me(app.test_client(), secret).status_code == 401
    assert _row(db, "Worker's export").revoked_by_id == org.ids["admin"]


def test_the_operator_makes_and_revokes_a_token_for_someone_who_already_has_a_sign_in(app: Any, org: Any) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(cli, ["token", "create", "--email", "manager@knowsley.example.org", "--name", "HR sync",
                               "--expires-in-days", "365"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    api = app.test_client()
    assert _me(api, secret).json["person"]["name"] == "Sam Whitfield"
    revoked = runner.invoke(cli, ["token", "revoke", "--email", "manager@knowsley.example.org", "--name", "HR sync"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert _me(api, secret).status_code == 401


def test_the_token_commands_name_the_field_at_fault_in_one_line(app: Any, org: Any, db: Any) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(cli, ["token", "create", "--email", "ghost@knowsley.example.org", "--name", "x"])
    assert unknown.exit_code == 2 and "ghost@knowsley.example.org" in unknown.output
    assert unknown.output.strip().count("\n") == 0 and "Traceback" not in unknown.output
    missing = runner.invoke(cli, ["token", "revoke", "--email", "worker@knowsley.example.org", "--name", "nope"])
    assert missing.exit_code == 2 and "no live token named 'nope'" in missing.output


def test_someone_serving_notice_signs_in_until_their_leaving_date(app: Any, client: Any, org: Any) -> None:
    """HR records a leaving date in advance; the person still signs their last records until the
    day comes, then their password and their tokens stop working."""
    with app.extensions["docgen"].sessions.begin() as session:
        movers.mark_leaver(session, session.get_one(Person, org.ids["worker"]), clock.today() + dt.timedelta(days=14),
                           None)
    assert sign_in(client, "worker").status_code == 302
    assert client.get("/api/v1/me", headers=org.auth("worker")).status_code == 200

    later = dt.datetime.combine(clock.today() + dt.timedelta(days=14), dt.time(9))
    clock.set_clock(lambda: later)
    client.post("/sign-out", data={"csrf_token": csrf(client, "/my-records")}, headers=HTML)
    refused = sign_in(client, "worker")
    assert refused.status_code == 400 and "Enter a correct email address and password" in refused.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=org.auth("worker")).status_code == 401
