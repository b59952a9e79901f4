"""Sign-in accounts: argon2 password hashes for pages, hashed bearer tokens for the API.

Granted roles are few (hr, auditor, admin, senior_manager); supervisee, supervisor and line
manager are never granted, they follow from relationships and the management chain.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit, clock
from storage.errors import Conflict, DomainError, InvalidInput
from storage.models import Account, ApiToken, Person
from workflows import access, areas, people
from workflows.access import GRANTED_ROLES, Caller
from workflows.deployment import Work

# What each granted role lets a person do, in the words an administrator chooses them by.
ROLE_DESCRIPTIONS = {"hr": "HR: leavers, transfers and records forwarded to HR",
                     "auditor": "Auditor: reads any record, giving a reason each time",
                     "admin": "Administrator: people, teams and who supervises whom",
                     "senior_manager": "Senior manager: may break glass to read a record; the supervisee is told"}
# Made on first use, not on import: hashing costs time and memory, and tests set cheaper parameters.
_hasher: PasswordHasher | None = None


def _password_hasher() -> PasswordHasher:
    global _hasher
    if _hasher is None:
        _hasher = PasswordHasher()
    return _hasher


@functools.cache
def _unknown_account_hash(hasher: PasswordHasher) -> str:
    """Verifying against this when the e-mail is unknown keeps the timing of a failed sign-in the
    same as a wrong password (made with the same parameters as real hashes)."""
    return hasher.hash("not-a-real-password")


def token_hash(token: str) -> str:
    """SHA-256 of a random token: enough for 256-bit secrets, and cheap to look up."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(db: Session, person: Person, password: str, roles: list[str] | None = None) -> Account:
    """Give a person a sign-in; the password must be 12+ characters."""
    roles = sorted(set(roles or []))
    bad = [r for r in roles if r not in GRANTED_ROLES]
    if bad:
        raise InvalidInput(f"unknown role '{bad[0]}'; grantable: {', '.join(GRANTED_ROLES)}", "roles")
    if len(password) < 12:
        raise InvalidInput("password must be at least 12 characters", "password")
    if db.scalar(select(Account.id).where(Account.person_id == person.id)):
        raise Conflict(f"{person.email} already has an account", "email")
    account = Account(person_id=person.id, password_hash=_password_hasher().hash(password), roles=roles)
    db.add(account)
    db.flush()
    return account


def authenticate(db: Session, email: str, password: str) -> Account | None:
    """The account for these credentials, or None (the caller shows one generic message)."""
    account = db.scalar(select(Account).join(Person).where(Person.email == email.strip().lower()))
    hasher = _password_hasher()
    try:
        hasher.verify(account.password_hash if account else _unknown_account_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or not account.active or account.person.status == "leaver":
        return None
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    account.last_login_at = clock.now()
    return account


def issue_api_token(db: Session, account: Account, label: str = "", days: int | None = 365) -> str:
    """A new bearer token; returned once, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    expires = clock.now() + dt.timedelta(days=days) if days else None
    db.add(ApiToken(account_id=account.id, token_hash=token_hash(token), label=label, expires_at=expires))
    db.flush()
    return token


def account_for_token(db: Session, token: str) -> Account | None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at < clock.now()):
        return None
    if not row.account.active:
        return None
    return row.account


# --- Use cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in and the area the person lands in (`workflows.areas`)."""

    account: Account
    home: str


@dataclass(frozen=True)
class Enrolment:
    """A sign-in made at the command line, and the API token asked for (shown once), if any."""

    person: Person
    account: Account
    token: str | None


def sign_in(uow: Work, email: str, password: str) -> SignedIn | None:
    """Check the credentials (None when wrong, whatever was wrong); the last sign-in time and a
    rehashed password are saved."""
    account = authenticate(uow.session, email, password)
    if account is None:
        return None
    uow.commit()
    return SignedIn(account, areas.home_of(uow.session, account))


def open_account(uow: Work, caller: Caller, person_id: int, password: str, roles: list[str]) -> Account:
    """An administrator gives an existing person a sign-in, with any granted roles; a refused one
    changes nothing."""
    access.require_role(caller, access.ADMINISTRATORS)
    try:
        account = create_account(uow.session, people.get_person(uow.session, person_id), password, roles)
    except DomainError:
        uow.rollback()
        raise
    audit.record(uow.session, "account.create", actor_id=caller.person_id, object_type="account",
                 object_id=account.id, ip=caller.ip)
    uow.commit()
    return account


def enrol(uow: Work, email: str, password: str, roles: list[str], *, name: str | None = None,
          role: str = "social_worker", token: bool = False) -> Enrolment:
    """The operator at the server's command line gives a person a sign-in; with `name`, the person
    is added too (employed from today, in the profile role `role`)."""
    db = uow.session
    if name:
        person = people.create_person(db, uow.deployment.organisation(db), uow.deployment.profile, {
            "name": name, "email": email, "role": role, "employment_start": clock.today()})
    else:
        person = people.person_by_email(db, email)
    account = create_account(db, person, password, roles)
    issued = issue_api_token(db, account, "cli") if token else None
    uow.commit()
    return Enrolment(person, account, issued)
