"""Who is signed in, and the service navigation they get: only the areas open to them
(`workflows.areas` decides which; this module names their pages)."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import current_app, g, request, url_for

from docgen.auth import caller, current_account, uow
from kernel.errors import DomainError, Forbidden, Unauthenticated
from workflows import areas

# Each area's landing page, and its entries in the navigation: (text, endpoint, prefix of the
# endpoints that show it as the current one).
HOME = {areas.SUPERVISION: "supervisor.dashboard", areas.OWN_RECORDS: "supervisee.my_records",
        areas.LEAVERS: "hr.leavers", areas.ADMINISTRATION: "admin.people_list"}
ENTRIES = {
    areas.SUPERVISION: [("My supervisees", "supervisor.dashboard", "supervisor"),
                        ("Start records for a team", "bulk_start.bulk_starts", "bulk_start")],
    areas.OWN_RECORDS: [("My records", "supervisee.my_records", "supervisee"), ("My CPD", "cpd.summary", "cpd.")],
    areas.REPORTS: [("Compliance", "reports.compliance_report", "reports")],
    areas.LEAVERS: [("Leavers and transfers", "hr.leavers", "hr"),
                    ("Subject access", "subject_access.requests", "subject_access")],
    areas.DISAGREEMENTS: [("Disagreements", "disagreements.listed", "disagreements")],
    areas.ADMINISTRATION: [("People", "admin.people_list", "admin.people"), ("Teams", "admin.teams", "admin.teams"),
                           ("Supervision", "admin.relationships", "admin.relationships"),
                           ("Policy", "admin.policy", "admin.policy"),
                           ("Webhooks", "webhooks.subscriptions", "webhooks"),
                           # An administrator acts as the data protection officer (workflows.subject_access)
                           ("Subject access", "subject_access.requests", "subject_access")],
}


# Open to everyone signed in, after their areas' entries (issue 15: personal API tokens).
EVERYONE = [("Group supervision", "groups.overview", "groups"),  # issue 14: anyone may be in a group
            ("API tokens", "tokens.list_tokens", "tokens")]


def page(roles: frozenset[str] = frozenset()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for signed-in people (a browser without a sign-in is sent to sign in) and, given one
    of `workflows.access`'s role sets, only for accounts holding one of its roles."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            account = current_account()
            if account is None:
                raise Unauthenticated("sign in first")
            if roles and not roles & set(account.roles or []):
                raise Forbidden("this page is for other roles")
            return view(*args, **kwargs)
        return wrapped
    return decorate


def home_page(area: str) -> str:
    """The endpoint of an area's landing page."""
    return HOME[area]


def _items(open_areas: tuple[str, ...]) -> list[dict[str, Any]]:
    endpoint = request.endpoint or ""
    # An entry in two open areas (subject access, for HR and administrators) is shown once.
    entries = list(dict.fromkeys(entry for area in open_areas for entry in ENTRIES[area])) + EVERYONE
    return [{"text": text, "href": url_for(target), "active": endpoint.startswith(prefix)}
            for text, target, prefix in entries]


def context() -> dict[str, Any]:
    """Template globals for the layout: the account, its navigation and the service's name."""
    profile = current_app.extensions["docgen"].profile
    try:
        account = current_account() if "uow" in g else None
    except DomainError:
        account = None
    return {"account": account, "navigation": _navigation(account.id) if account else [],
            "council": profile.council, "marking": profile.marking}


def _navigation(account_id: int) -> list[dict[str, Any]]:
    """The account's navigation, worked out once a request: the GOV.UK form macros render each
    field through Flask's `render_template`, which asks for the layout's globals again, so a page
    with a form would read the account's open areas once per field."""
    known: dict[int, list[dict[str, Any]]] = g.setdefault("navigation_of", {})
    if account_id not in known:
        known[account_id] = _items(areas.areas_of(uow(), caller()))
    return known[account_id]
