"""Sign-in accounts: argon2 password hashes for pages, hashed bearer tokens for the API.

Granted roles are few (hr, auditor, admin, senior_manager); supervisee, supervisor and line
manager are never granted, they follow from relationships and the management chain.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, ApiToken, Person
from storage import clock
from storage.errors import Conflict, InvalidInput

GRANTED_ROLES = ("hr", "auditor", "admin", "senior_manager")
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
