"""Sign-in with the council's OpenID provider, against a real provider on loopback (tests/oidc.py):
a good sign-in, and each refusal a person or an attacker can cause."""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from kernel.config import Config
from storage.models import Account, AuditEvent
from tests.oidc import CLIENT_ID, OpenIdProvider, openid_provider  # noqa: F401  (fixture)
from workflows import accounts, people
from workflows.profiles import load_profile


@pytest.fixture
def config(config: Config, openid_provider: OpenIdProvider) -> Config:  # noqa: F811
    return dataclasses.replace(
        config, oidc_issuer=openid_provider.issuer, oidc_client_id=CLIENT_ID,
        oidc_client_secret=openid_provider.client_secret, oidc_scope="openid email profile groups",
        oidc_roles_claim="groups", oidc_role_map="Docgen HR=hr,Docgen Auditors=auditor",
        extra={"ratelimit_key_prefix": f"test-{uuid.uuid4().hex}"})


def _person(email: str, *, verified: bool = True, groups: list[str] | None = None) -> dict[str, Any]:
    return {"sub": f"sub-{email}", "email": email, "email_verified": verified, "name": email.split("@")[0],
            "groups": groups or []}


def _signed_in_as(client: Any) -> str | None:
    """The name the pages greet the browser with, or None when it is not signed in."""
    page = client.get("/tokens")
    if page.status_code != 200:
        return None
    text = page.get_data(as_text=True)
    return text.split("Signed in as ", 1)[1].split("<", 1)[0].strip()


def test_the_sign_in_page_offers_the_organisations_account(client: Any, org: Any) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Sign in with your organisation’s account" in page


def test_a_known_person_signs_in_with_their_organisation_account_and_gets_the_mapped_roles(
        client: Any, org: Any, openid_provider: OpenIdProvider, db: Any) -> None:  # noqa: F811
    callback = openid_provider.sign_in_as(client, _person("worker@knowsley.example.org", groups=["Docgen HR", "Staff"]))
    answer = client.get(callback)
    assert answer.status_code == 302
    assert _signed_in_as(client) == "Alex Morgan"
    roles = db.scalar(select(Account.roles).where(Account.person_id == org.ids["worker"]))
    assert roles == ["hr"]


def test_the_provider_takes_a_role_away_at_the_next_sign_in(client: Any, org: Any, openid_provider: OpenIdProvider,  # noqa: F811
                                                            db: Any) -> None:
    client.get(openid_provider.sign_in_as(client, _person("hr@knowsley.example.org", groups=[])))
    assert _signed_in_as(client) == "Harriet Reid"
    assert db.scalar(select(Account.roles).where(Account.person_id == org.ids["hr"])) == []
    change = db.scalar(select(AuditEvent).where(AuditEvent.action == "account.roles"))
    assert change.detail == {"method": "oidc", "from": ["hr"], "to": []}


def test_a_known_person_without_a_sign_in_gets_one_that_no_password_opens(
        app: Any, client: Any, org: Any, openid_provider: OpenIdProvider, db: Any) -> None:  # noqa: F811
    with app.extensions["docgen"].sessions.begin() as session:
        people.create_person(session, session.merge(org.org), load_profile("knowsley"), {
            "name": "Nia Evans", "email": "nia@knowsley.example.org", "role": "social_worker",
            "employment_start": org.org.created_at.date()})
    client.get(openid_provider.sign_in_as(client, _person("Nia@Knowsley.example.org")))
    assert _signed_in_as(client) == "Nia Evans"
    for password in ("", "!single-sign-on:", "correct-horse-battery"):
        assert accounts.authenticate(db, "nia@knowsley.example.org", password) is None


def test_an_id_token_for_another_client_is_refused(client: Any, org: Any, openid_provider: OpenIdProvider) -> None:  # noqa: F811
    callback = openid_provider.sign_in_as(client, _person("worker@knowsley.example.org"),
                                          tamper={"aud": "someone-else"})
    answer = client.get(callback)
    assert answer.status_code == 400
    assert "could not be completed" in answer.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_an_expired_id_token_is_refused(client: Any, org: Any, openid_provider: OpenIdProvider) -> None:  # noqa: F811
    callback = openid_provider.sign_in_as(client, _person("worker@knowsley.example.org"), tamper={"expired": True})
    answer = client.get(callback)
    assert answer.status_code == 400
    assert "could not be completed" in answer.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_a_replayed_callback_is_refused_in_the_same_browser_and_in_another(
        app: Any, client: Any, org: Any, openid_provider: OpenIdProvider) -> None:  # noqa: F811
    callback = openid_provider.sign_in_as(client, _person("worker@knowsley.example.org"))
    assert client.get(callback).status_code == 302
    again = client.get(callback)
    assert again.status_code == 400
    assert "could not be completed" in again.get_data(as_text=True)
    elsewhere = app.test_client()
    stolen = elsewhere.get(callback)
    assert stolen.status_code == 400
    assert _signed_in_as(elsewhere) is None


def test_an_unverified_email_address_is_refused_with_a_clear_page(
        client: Any, org: Any, openid_provider: OpenIdProvider, db: Any) -> None:  # noqa: F811
    answer = client.get(openid_provider.sign_in_as(client, _person("worker@knowsley.example.org", verified=False)))
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "You cannot sign in" in page and "has not verified the email address worker@knowsley.example.org" in page
    assert _signed_in_as(client) is None
    refused = db.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in.refused"))
    assert refused.detail["email"] == "worker@knowsley.example.org"


def test_a_person_unknown_to_docgen_is_refused_with_a_clear_page(
        client: Any, org: Any, openid_provider: OpenIdProvider) -> None:  # noqa: F811
    answer = client.get(openid_provider.sign_in_as(client, _person("stranger@knowsley.example.org")))
    assert answer.status_code == 403
    assert "Nobody with the email address stranger@knowsley.example.org is set up in docgen" in answer.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_a_leaver_is_refused(client: Any, org: Any, openid_provider: OpenIdProvider, app: Any) -> None:  # noqa: F811
    with app.extensions["docgen"].sessions.begin() as session:
        session.get(people.Person, org.ids["asye"]).status = "leaver"
    answer = client.get(openid_provider.sign_in_as(client, _person("asye@knowsley.example.org")))
    assert answer.status_code == 403
    assert "has left" in answer.get_data(as_text=True)


def test_the_api_still_takes_only_bearer_tokens(client: Any, org: Any) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=org.auth("worker")).json["person"]["name"] == "Alex Morgan"
