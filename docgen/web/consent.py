"""Consent pages: a manager asks a supervisee to let them read (W §10, H §11); the supervisee answers
at an e-mailed single-use link; where the policy allows (H §11), the supervisee's own manager may
override a refusal.

The link's page needs no account (the link is the credential), so, like a sign-off link's, it is
rate limited, not cached, and a used or expired link gets a page saying so.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from docgen.auth import caller, link_holder, uow
from docgen.web import limits
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from workflows import consent
from workflows.inputs.consent import AnswerConsent, AskConsent, OverrideConsent

bp = Blueprint("consent", __name__)

LINK_LIMIT = "10/minute"


def _requests_page(form: Any = None, error: Any = None, failed: int | None = None, status: int = 200) -> Any:
    shown = consent.readers_page(uow(), caller())
    return render_template("consent/requests.html", shown=shown, form=form or {}, error=error, failed=failed), status


@bp.get("/consent-requests")
@page()
def requests() -> Any:
    return _requests_page()


@bp.post("/consent-requests")
@page()
def ask() -> Any:
    form = request.form
    try:
        asked = form_to(AskConsent)
        consent.ask(uow(), caller(), asked.supervisee_id, asked.reason)
    except (InvalidInput, Conflict, Forbidden, NotFound) as exc:
        return _requests_page(form, exc, None, exc.status)
    return redirect(url_for("consent.requests"), 303)


@bp.post("/consent-requests/<int:request_id>/override")
@page()
def override(request_id: int) -> Any:
    form = request.form
    try:
        consent.override(uow(), caller(), request_id, form_to(OverrideConsent).reason)
    except (InvalidInput, Conflict, Forbidden) as exc:
        return _requests_page(form, exc, request_id, exc.status)
    return redirect(url_for("consent.requests"), 303)


@bp.after_request
def not_cached(response: Response) -> Response:
    """The link's page carries a credential in its URL: keep it out of caches."""
    if request.path.startswith("/consent/"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Gone)
def dead_link(exc: Gone) -> tuple[str, int]:
    return render_template("consent/dead_link.html", message=exc.message), exc.status


@bp.get("/consent/<token>")
@limits.rate_limited(LINK_LIMIT, key=limits.address_and_link)
def link(token: str) -> Any:
    return render_template("consent/link.html", row=consent.link_view(uow(), token), token=token, form={},
                           error=None)


@bp.post("/consent/<token>")
@limits.rate_limited(LINK_LIMIT, key=limits.address_and_link)
def answer(token: str) -> Any:
    form = request.form
    try:
        given = form_to(AnswerConsent)
        row = consent.answer(uow(), link_holder(), token, given.answer, given.comment)
    except InvalidInput as exc:
        return render_template("consent/link.html", row=consent.link_view(uow(), token), token=token, form=form,
                               error=exc), exc.status
    return render_template("consent/answered.html", row=row)
