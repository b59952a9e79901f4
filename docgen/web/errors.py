"""Error pages in GOV.UK style for people in a browser; JSON stays the answer for the API.

The app's own handlers (docgen.app) answer every error in JSON. These wrap them: a request
outside /api/ from a client that takes HTML gets a page, anything else is passed to the JSON
handler that was registered before, so the API contract does not change. A page that needs a
signed-in person sends a browser to the sign-in page instead of showing a 401, and a read that
needs a reason (auditor, break-glass) asks for it (`docgen.web.reasons`) instead of showing a 403.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import Flask, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from docgen.web import reasons
from kernel.errors import DomainError, Forbidden, NotFound, Unauthenticated

log = logging.getLogger("docgen.web")

TITLES = {
    400: "There is a problem with your request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Page not found",
    413: "The file is too big",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def wants_page() -> bool:
    """A browser on a page URL: not the API, and the client takes HTML (or did not say)."""
    if request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    return best == "text/html"


def error_page(status: int, message: str = "") -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=TITLES.get(status, TITLES[400]),
                           message=message), status


def _page_for_domain_error(exc: DomainError) -> Any:
    if isinstance(exc, Unauthenticated):
        return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))
    if isinstance(exc, NotFound):
        return error_page(404)  # no detail: a stranger may not learn what exists
    if isinstance(exc, Forbidden):
        if exc.field == "reason" and request.method == "GET":
            return reasons.ask()  # an auditor or senior manager is asked why, not refused
        return error_page(403, exc.message)
    return error_page(exc.status, exc.message)  # a DomainError's message is for the user, 503's "try again" too


def _page_for_http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    message = exc.description if status in (400, 413, 429) else ""
    return error_page(status, message or "")


def _page_for_unexpected(exc: Exception) -> Any:
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_page(500)


def init_errors(app: Flask) -> None:
    """Put page handlers in front of the app's JSON ones for DomainError, HTTPException and Exception."""
    registered = app.error_handler_spec[None][None]
    pages: dict[type[Exception], Callable[[Any], Any]] = {
        DomainError: _page_for_domain_error, HTTPException: _page_for_http_error, Exception: _page_for_unexpected}
    for exc_class, page in pages.items():
        app.register_error_handler(exc_class, _either(page, registered[exc_class]))


def _either(page: Callable[[Any], Any], json: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def handle(exc: Any) -> Any:
        return page(exc) if wants_page() else json(exc)
    return handle
