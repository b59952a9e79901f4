"""Who is signed in, and the service navigation they get: only the areas their roles open."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import current_app, g, request, url_for

from docgen.auth import caller, current_account, uow
from storage.models import Account
from storage import clock
from workflows import access, people
from storage.errors import DomainError, Forbidden, Unauthenticated


def signed_in() -> Account:
    """The signed-in account of a page request; a browser without one is sent to sign in."""
    account = current_account()
    if account is None:
        raise Unauthenticated("sign in first")
    return account


def page(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for signed-in people, and when roles are given only for accounts holding one."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            account = signed_in()
            if roles and not set(roles) & set(account.roles or []):
                raise Forbidden("this page is for other roles")
            return view(*args, **kwargs)
        return wrapped
    return decorate


def supervises_anyone(account: Account) -> bool:
    _, total = people.list_relationships(g.db, supervisor_id=account.person_id, current_on=clock.today(), per_page=1)
    return total > 0


def home_endpoint(account: Account) -> str:
    """Where a person lands after signing in: their main piece of work."""
    roles = set(account.roles or [])
    if "admin" in roles:
        return "admin.people_list"
    if "hr" in roles:
        return "hr.leavers"
    return "supervisor.dashboard" if supervises_anyone(account) else "supervisee.my_records"


def _items(account: Account) -> list[dict[str, Any]]:
    roles = set(account.roles or [])
    wanted: list[tuple[str, str, str]] = []
    if supervises_anyone(account):
        wanted.append(("My supervisees", "supervisor.dashboard", "supervisor"))
    wanted.append(("My records", "supervisee.my_records", "supervisee"))
    if access.may_see_reports(uow().session, caller()):
        wanted.append(("Compliance", "reports.compliance_report", "reports"))
    if "hr" in roles:
        wanted.append(("Leavers and transfers", "hr.leavers", "hr"))
    if "admin" in roles:
        wanted += [("People", "admin.people_list", "admin.people"), ("Teams", "admin.teams", "admin.teams"),
                   ("Supervision", "admin.relationships", "admin.relationships"),
                   ("Policy", "admin.policy", "admin.policy")]
    endpoint = request.endpoint or ""
    return [{"text": text, "href": url_for(target), "active": endpoint.startswith(prefix)}
            for text, target, prefix in wanted]


def context() -> dict[str, Any]:
    """Template globals for the layout: the account, its navigation and the service's name."""
    services = current_app.extensions["docgen"]
    try:
        account = current_account() if "db" in g else None
    except DomainError:
        account = None
    return {"account": account, "navigation": _items(account) if account else [],
            "council": services.profile.council, "marking": services.profile.marking}
