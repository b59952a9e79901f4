"""Sign-in accounts: argon2 password hashes for pages, hashed bearer tokens for the API.

Granted roles are few (hr, auditor, admin, senior_manager); supervisee, supervisor and line
manager are never granted, they follow from relationships and the management chain.
"""
from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from kernel import clock
from storage import audit
from kernel.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated
from storage.models import Account, ApiToken, Person
from workflows import access, areas, people
from workflows.access import GRANTED_ROLES, Caller
from workflows.deployment import Work
from workflows.links import token_hash

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
    if account is None or not account.active or people.has_left(account.person, clock.today()):
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
    row = _live_token(db, token)
    return row.account if row is not None else None


def _live_token(db: Session, token: str) -> ApiToken | None:
    """The token's row while it may be used: not revoked, not expired, its account active."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at < clock.now()):
        return None
    if not row.account.active or people.has_left(row.account.person, clock.today()):
        return None
    return row


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


def me(caller: Caller) -> Account:
    """The caller's own account (`GET /api/v1/me`): who a token or session signs in, with the
    roles granted to it."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    return caller.account


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


# --- Personal API tokens (issue 15) ----------------------------------------------------------------

TOKEN_NAME_MAX = 100
# A token's last use is written at most this often: every API request would otherwise be a write.
LAST_USED_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: `secret` is shown once and never stored; `row` is what is kept."""

    secret: str
    row: ApiToken


@dataclass(frozen=True)
class TokenList:
    """The tokens page: the caller's own tokens, and for an administrator everyone's live ones."""

    own: list[ApiToken]
    others: list[ApiToken]


def _token_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("give the token a name, so you know later where it is used", "name")
    if len(name) > TOKEN_NAME_MAX:
        raise InvalidInput(f"a token's name is at most {TOKEN_NAME_MAX} characters", "name")
    return name


def _expiry(expires_in_days: int | None) -> dt.datetime | None:
    if expires_in_days is None:
        return None
    if not 1 <= expires_in_days <= 3650:
        raise InvalidInput("a token expires after 1 to 3650 days, or never", "expires_in_days")
    return clock.now() + dt.timedelta(days=expires_in_days)


def _live_named(db: Session, account: Account, name: str) -> ApiToken | None:
    return db.scalar(select(ApiToken).where(ApiToken.account_id == account.id, ApiToken.label == name,
                                            ApiToken.revoked_at.is_(None)))


def _issue(uow: Work, account: Account, name: str, expires_in_days: int | None, actor_id: int | None,
           ip: str) -> IssuedToken:
    """A named token for the account: a name is unique among its live tokens, so it can be revoked
    by name at the command line."""
    db = uow.session
    name = _token_name(name)
    expires = _expiry(expires_in_days)
    if _live_named(db, account, name) is not None:
        raise Conflict(f"you already have a token named '{name}'; revoke it or choose another name", "name")
    secret = secrets.token_urlsafe(32)
    row = ApiToken(account_id=account.id, token_hash=token_hash(secret), label=name, expires_at=expires)
    db.add(row)
    db.flush()
    audit.record(db, "token.create", actor_id=actor_id, object_type="api_token", object_id=row.id, ip=ip,
                 detail={"owner": account.person_id, "name": name})
    uow.commit()
    return IssuedToken(secret, row)


def create_token(uow: Work, caller: Caller, name: str, expires_in_days: int | None) -> IssuedToken:
    """The signed-in person makes a personal API token for themselves (shown once)."""
    account = caller.account
    if account is None:
        raise Unauthenticated("sign in first")
    return _issue(uow, account, name, expires_in_days, caller.person_id, caller.ip)


def token_list(uow: Work, caller: Caller) -> TokenList:
    """The caller's tokens (newest first, revoked ones too, as their history), and for an
    administrator every other live token, which they may revoke."""
    account = caller.account
    if account is None:
        raise Unauthenticated("sign in first")
    db = uow.session
    own = list(db.scalars(select(ApiToken).where(ApiToken.account_id == account.id)
                          .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
    others: list[ApiToken] = []
    if access.ADMINISTRATORS & caller.roles:
        others = list(db.scalars(select(ApiToken).where(ApiToken.account_id != account.id, ApiToken.revoked_at.is_(None),
                                                        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at >= clock.now()))
                                 .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
    return TokenList(own, others)


def _revoke(uow: Work, row: ApiToken, actor_id: int | None, ip: str) -> ApiToken:
    """Revoke once: a compare-and-set on `revoked_at`, so of two revocations racing (the owner and
    an administrator, say) one wins and the other is told it was already revoked."""
    db = uow.session
    done = db.execute(update(ApiToken).where(ApiToken.id == row.id, ApiToken.revoked_at.is_(None))
                      .values(revoked_at=clock.now(), revoked_by_id=actor_id)
                      .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        uow.rollback()
        raise Conflict(f"the token '{row.label}' was already revoked", "token_id")
    audit.record(db, "token.revoke", actor_id=actor_id, object_type="api_token", object_id=row.id, ip=ip,
                 detail={"owner": row.account.person_id, "name": row.label})
    uow.commit()
    db.refresh(row)
    return row


def revoke_token(uow: Work, caller: Caller, token_id: int) -> ApiToken:
    """The owner, or an administrator, revokes a token: it stops working at once."""
    row = uow.session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("no such token", "token_id")
    access.token_holder(caller, row.account_id)
    return _revoke(uow, row, caller.person_id, caller.ip)


def _account_of(db: Session, email: str) -> Account:
    person = people.person_by_email(db, email)
    account = db.scalar(select(Account).where(Account.person_id == person.id))
    if account is None:
        raise NotFound(f"{person.email} has no sign-in; give them one first with `docgen user add`", "email")
    return account


def issue_token_for(uow: Work, email: str, name: str, expires_in_days: int | None) -> IssuedToken:
    """The operator at the server's command line makes a token for a person who has a sign-in."""
    return _issue(uow, _account_of(uow.session, email), name, expires_in_days, None, "")


def revoke_token_named(uow: Work, email: str, name: str) -> ApiToken:
    """The operator at the server's command line revokes a person's live token by its name."""
    account = _account_of(uow.session, email)
    row = _live_named(uow.session, account, _token_name(name))
    if row is None:
        raise NotFound(f"{account.person.email} has no live token named '{name.strip()}'", "name")
    return _revoke(uow, row, None, "")


def bearer(uow: Work, secret: str) -> Account | None:
    """The account a bearer token signs in, or None; its last use is saved (to the minute, so a
    busy client does not turn every read into a write)."""
    row = _live_token(uow.session, secret)
    if row is None:
        return None
    now = clock.now()
    if row.last_used_at is None or row.last_used_at <= now - LAST_USED_EVERY:
        uow.session.execute(update(ApiToken).where(ApiToken.id == row.id, or_(
            ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_EVERY))
            .values(last_used_at=now).execution_options(synchronize_session=False))
        uow.commit()
    return row.account
