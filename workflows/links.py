"""Single-use e-mailed links: a sign-off link (`workflows.signoff`) and a consent link
(`workflows.consent`) are the same thing, kept once here.

A link is 32 random bytes (URL-safe), e-mailed and never stored: the database keeps only its
SHA-256, so a copy of the database or a backup holds no live link. It expires, and it is spent
once, by a conditional UPDATE in the transaction that records what it was used for: of two
requests that both read it as open, only one finds it still unspent, and the other is Gone (410)
before anything is recorded or sent. What a link is for (which row, which columns mark it spent)
stays with its owner; the token, its hash, its expiry and spending it once live here.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import NotFound

Row = TypeVar("Row")


@dataclass(frozen=True)
class Issued:
    """A new link: the token for the e-mail alone, and what the row keeps (its hash and expiry)."""

    token: str
    token_hash: str
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(days: int) -> Issued:
    """A fresh token that expires `days` from now."""
    token = secrets.token_urlsafe(32)
    return Issued(token, token_hash(token), clock.now() + dt.timedelta(days=days))


def url(base_url: str, path: str, token: str) -> str:
    """The address e-mailed: `<base_url>/<path>/<token>`."""
    return f"{base_url.rstrip('/')}/{path}/{token}"


def find(db: Session, model: type[Row], token: str, what: str) -> Row:
    """The row of `model` holding this token's hash; NotFound, naming `what` link it is not, otherwise."""
    row = db.scalar(select(model).where(model.token_hash == token_hash(token or "")))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"this {what} link is not recognised", "token")
    return row


def expired(expires_at: dt.datetime) -> bool:
    """Whether a link issued to expire at `expires_at` no longer works."""
    return expires_at < clock.now()


def spend(db: Session, model: type[Any], row_id: int, unspent: list[ColumnElement[bool]], **values: Any) -> bool:
    """Spend a link once: set `values` on the row only while every `unspent` condition still holds.

    Returns whether this request spent it; False means another got there first, and the caller
    says why it is Gone (used, answered, replaced) after refreshing the row.
    """
    result = db.execute(update(model).where(model.id == row_id, *unspent).values(**values)
                        .execution_options(synchronize_session=False))
    return result.rowcount == 1

