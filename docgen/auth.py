"""Who is asking: a signed-in page session or an API bearer token, and what they may do.

Granted roles come from the account; supervisor and line-manager rights are checked per
document elsewhere, from relationships and the management chain.
"""
from __future__ import annotations

from dataclasses import replace
from functools import wraps
from typing import Any, Callable

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import validate_csrf
from sqlalchemy.orm import joinedload
from wtforms import ValidationError

from storage.models import Account
from workflows.access import Caller
from workflows.deployment import Work
from workflows import accounts
from kernel.errors import Forbidden, Unauthenticated


def uow() -> Work:
    """This request's unit of work (opened before the view, closed after it)."""
    return g.uow


def link_holder() -> Caller:
    """Whoever holds an e-mailed sign-off link: the link is their credential, so no account, only
    the address and browser kept on the sign-off event."""
    return Caller(ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", ""))


def caller() -> Caller:
    """Who is asking and from where, for the one use case a route calls: the signed-in account
    (or none), address, browser, and a reason given in `X-Docgen-Reason` or `?reason=`."""
    return replace(link_holder(), account=current_account(),
                   reason=request.headers.get("X-Docgen-Reason") or request.args.get("reason") or "")


def current_account() -> Account | None:
    """The caller's account, from `Authorization: Bearer` or the session cookie (cached per request)."""
    if "account" in g:
        return g.account
    account = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        account = accounts.bearer(g.uow, header[7:].strip())
        if account is None:
            raise Unauthenticated("the bearer token is not valid")
    elif session.get("account_id"):
        # With its person: every page asks who the caller is (navigation, access), one query for both.
        account = g.uow.session.get(Account, session["account_id"], options=[joinedload(Account.person)])
        if account is not None and (not account.active or session.get("epoch") != account.password_hash[-16:]):
            account = None
    g.account = account
    return account


def cookie_changes_carry_csrf() -> None:
    """A change (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry the CSRF
    token of a page in `X-CSRFToken`, as the forms do: a browser attaches the cookie to a request
    another site makes, but never a header. A bearer token is never sent by a browser on its own,
    so a request carrying one needs no token, and nor does a request without a signed-in session."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if not session.get("account_id"):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
    except ValidationError as exc:
        raise Forbidden(f"{exc} A change made with the session cookie needs the page's CSRF token in the "
                        "X-CSRFToken header; an API client uses a bearer token instead", "X-CSRFToken") from None


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            raise Unauthenticated("sign in first")
        return view(*args, **kwargs)
    return wrapped


class PageSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a stylesheet, script, font or image never sets
    the cookie. A signed-in session is permanent, so Flask would refresh the cookie on every
    response: an asset answered after a sign-out (or after a browser's cookies were cleared) then
    brought the old session back, and a link's form posted with it failed its CSRF check."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return request.endpoint != "static" and super().should_set_cookie(app, session)


def start_session(account: Account) -> None:
    """Remember the account in the signed session cookie; a password change ends old sessions."""
    session.clear()
    session["account_id"] = account.id
    session["epoch"] = account.password_hash[-16:]
    session.permanent = True
