"""Asking an auditor or senior manager why they need to read a record, instead of refusing them.

An auditor reads with a stated reason and a senior manager may break glass with one (workflows
.access); without it `access.read` refuses with Forbidden on the `reason` field, and the error page
for a GET becomes this form. The reason is POSTed and kept in the session for that one document
for 15 minutes, rather than sent as `?reason=`: a reason can name a complaint or a safeguarding
concern, and a URL is kept in browser history and server logs, and would have to be carried on
every link (the Word download) to be reused. The page hands the kept reason to `access.read` the way
an API client does, in the X-Docgen-Reason header, so the read is audited with it as usual (and,
on break-glass, the supervisee is e-mailed on each read, as the API does).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from docgen.auth import caller
from docgen.web.navigation import page
from kernel import clock
from workflows import access

bp = Blueprint("reasons", __name__)

KEPT = dt.timedelta(minutes=15)
MAX_KEPT = 5  # documents with a reason at once: the session is a cookie, and cookies are small
SESSION_KEY = "read_reasons"
# The page URL arguments that name the document a read is about, and the kind of object it is.
DOCUMENT_ARGS = {"record_id": "record", "agreement_id": "agreement", "person_id": "person"}


class ReasonForm(FlaskForm):
    reason = TextAreaField("Why do you need to read this record?", widget=GovTextArea(),
                           validators=[DataRequired(message="Enter why you need to read this record"),
                                       Length(max=500, message="Reason must be 500 characters or fewer")])
    next = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


def _document(view_args: dict[str, Any] | None) -> str | None:
    """"record-12": the document a page is about, as the key its reason is kept under."""
    args = view_args or {}
    return next((f"{kind}-{args[arg]}" for arg, kind in DOCUMENT_ARGS.items() if arg in args), None)


def _kept() -> dict[str, dict[str, str]]:
    """The reasons still in time, newest last."""
    now = clock.now().isoformat()
    return {k: v for k, v in session.get(SESSION_KEY, {}).items() if v.get("until", "") > now}


@bp.before_app_request
def supply_reason() -> None:
    """Give a page's read the reason kept for its document, unless the request states its own."""
    if request.path.startswith("/api/") or request.headers.get("X-Docgen-Reason") or request.args.get("reason"):
        return
    key = _document(request.view_args)
    kept = _kept().get(key) if key else None
    if kept:
        request.environ["HTTP_X_DOCGEN_REASON"] = kept["reason"]


def ask(form: ReasonForm | None = None, status: int = 403) -> tuple[str, int]:
    """The reason form in place of a refused page (the error page for Forbidden on `reason`)."""
    form = form or ReasonForm(data={"next": request.path})
    return render_template("reasons/reason.html", form=form, break_glass=access.breaks_glass(caller())), status


def _target(path: str) -> tuple[str, str]:
    """The page to re-open (rebuilt from this site's routes, so never elsewhere) and its document."""
    try:
        endpoint, args = current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
    except (HTTPException, RequestRedirect):
        abort(400)
    key = _document(args)
    if key is None:
        abort(400)
    return url_for(endpoint, **args), key


@bp.post("/read-reason")
@page()
def give() -> Any:
    """Keep the reason for the document, then re-open its page, whose read is audited with it."""
    form = ReasonForm()
    url, key = _target(form.next.data or "")
    if not form.validate_on_submit():
        return ask(form, 400)
    until = (clock.now() + KEPT).isoformat()
    kept = _kept()
    kept.pop(key, None)
    kept[key] = {"reason": form.reason.data.strip(), "until": until}
    session[SESSION_KEY] = dict(list(kept.items())[-MAX_KEPT:])
    return redirect(url)
