"""Sign-in with the council's OpenID provider (issue 15): whom a validated ID token signs in.

The edge (`docgen.web.oidc`, Authlib) has already checked state, nonce, PKCE, signature, issuer,
audience and expiry; this decides what the claims mean for docgen. A person is matched by e-mail,
and only by an e-mail the provider says it verified: an unverified address could be anyone's. The
person must already be known to docgen (people are added by an administrator or HR, with their
role and supervisor), so a stranger who can sign in at the provider is refused, as is a leaver.
A known person signing in for the first time gets an account with no password (local sign-in stays
closed to it). When a roles claim is configured, the provider decides the granted roles at every
sign-in, through the configured map; otherwise the roles given in docgen stay.
"""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage import audit
from kernel.errors import Forbidden, InvalidInput
from storage.models import Account, Person
from workflows import areas, people
from workflows.access import GRANTED_ROLES
from workflows.accounts import SignedIn
from workflows.deployment import Work

# An account made at a first single sign-on has this instead of a password hash: argon2 cannot
# verify against it, so no password opens it; its random tail keeps sessions' epochs apart.
NO_PASSWORD = "!single-sign-on:"


class SignInRefused(Forbidden):
    """The provider signed someone in whom docgen does not let in; the message says why, in words
    the person can take to their administrator."""

    code = "sign_in_refused"


def role_map(text: str) -> dict[str, str]:
    """`DOCGEN_OIDC_ROLE_MAP` ("HR Staff=hr,Auditors=auditor") as claim value -> granted role; a
    role docgen does not grant is refused, naming it."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        value, sep, role = pair.rpartition("=")
        if not sep or not value.strip():
            raise InvalidInput(f"'{pair}' is not claim value=role", "DOCGEN_OIDC_ROLE_MAP")
        if role.strip() not in GRANTED_ROLES:
            raise InvalidInput(f"'{role.strip()}' is not a role docgen grants ({', '.join(GRANTED_ROLES)})",
                               "DOCGEN_OIDC_ROLE_MAP")
        mapping[value.strip()] = role.strip()
    return mapping


def _claimed_roles(claims: Mapping[str, Any], claim: str, mapping: dict[str, str]) -> list[str]:
    values = claims.get(claim) or []
    if isinstance(values, str):
        values = [values]
    return sorted({mapping[v] for v in values if isinstance(v, str) and v in mapping})


def _refuse(uow: Work, why: str, email: str, person_id: int | None = None) -> SignInRefused:
    """The refusal, audited (an administrator can see who tried and why) and committed."""
    audit.record(uow.session, "sign_in.refused", actor_id=person_id, object_type="person" if person_id else "",
                 object_id=person_id or "", detail={"method": "oidc", "email": email, "why": why})
    uow.commit()
    return SignInRefused(why, "email")


def sign_in(uow: Work, claims: Mapping[str, Any], ip: str = "") -> SignedIn:
    """The account a validated ID token signs in (made at the first sign-in of a known person),
    with its roles from the provider when a roles claim is configured; SignInRefused otherwise."""
    config = uow.deployment.config
    db = uow.session
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise _refuse(uow, "Your organisation's sign-in did not give docgen your email address.", "")
    if claims.get(config.oidc_email_verified_claim) is not True:
        raise _refuse(uow, f"Your organisation's sign-in has not verified the email address {email}.", email)
    person = db.scalar(select(Person).where(Person.email == email))
    if person is None:
        raise _refuse(uow, f"Nobody with the email address {email} is set up in docgen.", email)
    if people.has_left(person, clock.today()):
        raise _refuse(uow, f"{person.name} has left, so their sign-in is closed.", email, person.id)
    account = db.scalar(select(Account).where(Account.person_id == person.id))
    if account is not None and not account.active:
        raise _refuse(uow, f"{person.name}'s sign-in to docgen is closed.", email, person.id)
    if account is None:
        account = Account(person_id=person.id, password_hash=NO_PASSWORD + secrets.token_urlsafe(24), roles=[])
        db.add(account)
        db.flush()
        audit.record(db, "account.create", actor_id=person.id, object_type="account", object_id=account.id, ip=ip,
                     detail={"method": "oidc"})
    if config.oidc_roles_claim:
        roles = _claimed_roles(claims, config.oidc_roles_claim, role_map(config.oidc_role_map))
        if roles != sorted(account.roles or []):
            audit.record(db, "account.roles", actor_id=person.id, object_type="account", object_id=account.id, ip=ip,
                         detail={"method": "oidc", "from": sorted(account.roles or []), "to": roles})
            account.roles = roles
    account.last_login_at = clock.now()
    uow.commit()
    return SignedIn(account, areas.home_of(db, account))
