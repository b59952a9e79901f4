"""Subject access requests as pages (UK GDPR Art. 15; issue 25 item 1): HR, or an administrator
acting as the data protection officer, records a request, reads its deadline and days left,
extends it, reviews the redaction schedule and withholds mentions with a reason (one at a time, or
one text in every file at once), asks for the export (a POST: the worker builds and files it, so
no link, prefetch or HEAD starts one), downloads it once filed (a GET, checked against its SHA-256,
audited and marked no-store) and closes the request with the day it was answered, or as withdrawn
with a reason. The rules are
`workflows.subject_access`'s (which tells anyone else there is no such page); each view parses,
calls one use case and shapes the answer."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, DomainError, InvalidInput, PreconditionFailed, PreconditionRequired
from workflows import subject_access
from workflows.inputs.subject_access import (REASON_LIMIT, CloseRequest, ExtendRequest, RecordRequest,
                                             ReleaseEverywhere, ReleaseMention, WithdrawRequest, WithholdEverywhere,
                                             WithholdMention)

bp = Blueprint("subject_access", __name__, url_prefix="/hr/subject-access")

REFUSALS = (InvalidInput, Conflict, PreconditionFailed, PreconditionRequired)


class NewRequestForm(FlaskForm):
    email = StringField("Email address of the person asking", widget=GovTextInput(),
                        description="Their work email address in docgen, a leaver’s too")
    received_on = forms.GovDateField("Date the request was received", required=True,
                                     description=forms.ThisYearHint("For example, 2 11 {year}"))
    submit = SubmitField("Record the request", widget=GovSubmitInput())


class CloseForm(forms.RevisionedForm):
    answered_on = forms.GovDateField("Date the request was answered", required=True,
                                     description=forms.ThisYearHint("For example, 20 11 {year}"))
    submit = SubmitField("Close the request", widget=GovSubmitInput())


@bp.get("")
@page()
def requests() -> Any:
    """The open requests, the nearest deadline first."""
    return render_template("subject_access/list.html", shown=subject_access.open_requests(uow(), caller()),
                           warn_days=subject_access.WARN_DAYS)


def _new_page(form: NewRequestForm, status: int = 200) -> Any:
    return render_template("subject_access/new.html", form=form), status


@bp.get("/new")
@page()
def new() -> Any:
    subject_access.require_officer(caller())
    return _new_page(NewRequestForm())


@bp.post("/new")
@page()
def record() -> Any:
    subject_access.require_officer(caller())
    form = NewRequestForm()
    try:
        forms.filled_in(form)
        made = subject_access.record_request(uow(), caller(), form_to(RecordRequest, form))
    except forms.Incomplete:
        return _new_page(form, 400)
    except (InvalidInput, Conflict) as exc:
        forms.show_error(form, exc)
        return _new_page(form, exc.status)
    return redirect(url_for(".request_page", request_id=made.id), 303)


def _request_page(request_id: int, refused: Exception | None = None, field: str = "", close: CloseForm | None = None,
                  status: int = 200) -> Any:
    """A request's page; after a refused change, again with the problem named at `field`'s box and
    the reason typed there put back in it."""
    shown = subject_access.review(uow(), caller(), request_id)
    close = close or CloseForm(formdata=None, revision=shown.shown.request.revision)
    close.revision.data = shown.shown.request.revision
    problem = None
    if refused is not None:
        field = _on_page(shown, field)
        message = str(getattr(refused, "message", refused))
        problem = {"field": field, "message": message[:1].upper() + message[1:],
                   "typed": request.form.get("reason", "")[:REASON_LIMIT],
                   "summary": {"titleText": "There is a problem",
                               "errorList": [{"text": message[:1].upper() + message[1:], "href": f"#{field}"}]}}
    return render_template("subject_access/request.html", review=shown, shown=shown.shown, close=close,
                           problem=problem, warn_days=subject_access.WARN_DAYS,
                           lost_minutes=subject_access.EXPORT_LOST_AFTER // dt.timedelta(minutes=1)), status


ALWAYS_SHOWN = ("request", "redaction-schedule", "export")  # the page's boxes that are there in every state


def _on_page(shown: subject_access.Review, box: str) -> str:
    """`box` if the page as it now stands shows it, "request" (by the heading) if not: a request
    closed since shows no form, a text withheld in every file since no form to withhold it, so a
    412 or a refusal for a closed request is still named where the reader can see it."""
    there = {"extension-reason": shown.shown.can_extend, "withdrawal-reason": shown.shown.open,
             "everywhere-text": bool(shown.to_withhold_everywhere),
             "everywhere-reason": bool(shown.to_withhold_everywhere),
             "release-everywhere": bool(shown.to_release_everywhere)}
    if box.startswith("reason-"):
        there[box] = shown.shown.open and any(f"reason-{row.mention.key}" == box and row.withheld is None
                                              for row in shown.schedule)
    return box if box in ALWAYS_SHOWN or there.get(box, False) else "request"


@bp.get("/<int:request_id>")
@page()
def request_page(request_id: int) -> Any:
    """The request: its deadline, the redaction schedule with HR's decisions, the export and closing."""
    return _request_page(request_id)


def _back(request_id: int, anchor: str = "") -> Any:
    return redirect(url_for(".request_page", request_id=request_id) + anchor, 303)


def _acted(request_id: int, act: Callable[[], object], box: str | Callable[[DomainError], str], anchor: str = "",
           refusals: tuple[type[DomainError], ...] = REFUSALS) -> Any:
    """Back to the request's page (at `anchor`) once `act` is done; refused, the page again with the
    refusal named at `box` (or at the box `box` picks for it, where a form has two), what was typed
    kept."""
    try:
        act()
    except refusals as exc:
        return _request_page(request_id, exc, box if isinstance(box, str) else box(exc), status=exc.status)
    return _back(request_id, anchor)


@bp.post("/<int:request_id>/extend")
@page()
def extend(request_id: int) -> Any:
    return _acted(request_id, lambda: subject_access.extend(uow(), caller(), request_id, form_to(ExtendRequest)),
                  "extension-reason")


@bp.post("/<int:request_id>/withhold")
@page()
def withhold(request_id: int) -> Any:
    return _acted(request_id, lambda: subject_access.withhold(uow(), caller(), request_id, form_to(WithholdMention)),
                  f"reason-{_typed_key()}", "#redaction-schedule")


@bp.post("/<int:request_id>/release")
@page()
def release(request_id: int) -> Any:
    return _acted(request_id, lambda: subject_access.release(uow(), caller(), request_id, form_to(ReleaseMention)),
                  "redaction-schedule", "#redaction-schedule")


@bp.post("/<int:request_id>/withhold-everywhere")
@page()
def withhold_everywhere(request_id: int) -> Any:
    """Withhold one text in every file of the export, with one reason."""
    return _acted(request_id, lambda: subject_access.withhold_everywhere(uow(), caller(), request_id,
                                                                         form_to(WithholdEverywhere)),
                  _everywhere_box, "#redaction-schedule")  # its form is gone once nothing is left to withhold


@bp.post("/<int:request_id>/release-everywhere")
@page()
def release_everywhere(request_id: int) -> Any:
    """Put a text back into every file of the export it was withheld from with the reason chosen."""
    return _acted(request_id, lambda: subject_access.release_everywhere(uow(), caller(), request_id,
                                                                        form_to(ReleaseEverywhere)),
                  "release-everywhere", "#redaction-schedule")


def _everywhere_box(refused: DomainError) -> str:
    """The text chosen when it is the one at fault, the reason box otherwise (a stale read too)."""
    return "everywhere-text" if refused.field == "text" else "everywhere-reason"


def _typed_key() -> str:
    """The mention a refused withholding was for, as its reason box's id ends."""
    return "".join(ch for ch in request.form.get("key", "") if ch.isalnum() or ch in "-_")[:100]


@bp.post("/<int:request_id>/export")
@page()
def export(request_id: int) -> Any:
    """Ask the worker for the export; the page then says it is being prepared."""
    return _acted(request_id, lambda: subject_access.ask_export(uow(), caller(), request_id), "export", "#export",
                  refusals=(Conflict,))


@bp.get("/<int:request_id>/export.zip")
@page()
def download(request_id: int) -> Any:
    """The filed export (checked against its SHA-256 and audited before it leaves); an out-of-date
    one is refused on the request's page, a damaged one with the error page every damaged document
    gets."""
    try:
        made = subject_access.download_export(uow(), caller(), request_id)
    except Conflict as exc:
        return _request_page(request_id, exc, "export", status=exc.status)
    return Response(made.data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"',
                             "Cache-Control": "no-store"})  # a copy of a person's records: kept by no cache


@bp.post("/<int:request_id>/withdraw")
@page()
def withdraw(request_id: int) -> Any:
    return _acted(request_id, lambda: subject_access.withdraw(uow(), caller(), request_id, form_to(WithdrawRequest)),
                  "withdrawal-reason")


@bp.post("/<int:request_id>/close")
@page()
def close(request_id: int) -> Any:
    form = CloseForm()
    try:
        forms.filled_in(form)
        subject_access.close(uow(), caller(), request_id, form_to(CloseRequest, form, revision=form.opened_at()))
    except forms.Incomplete:
        return _request_page(request_id, close=form, status=400)
    except REFUSALS as exc:
        forms.show_error(form, exc, {"revision": "answered_on"})
        return _request_page(request_id, close=form, status=exc.status)
    return _back(request_id)
