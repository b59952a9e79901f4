"""CPD evidence for Social Work England as pages (issue 25 item 2): a supervisee marks a reflection
from one of their signed records as CPD, changes or removes their pieces (a removal asked on a page
of its own first, naming the piece), and reads the CPD year's pieces (against SWE's minimum, for a
role on its register) as a page, as CSV in SWE's fields and as a printable page. The rules are `workflows.cpd`'s, which the
JSON API (`docgen.api.cpd`) calls too; each view parses, calls one use case and shapes the answer."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from docgen.auth import caller, uow
from docgen.web.inputs import form_to, query_to
from docgen.web.navigation import page
from kernel.errors import InvalidInput
from storage.models import CpdPiece
from workflows import cpd
from workflows.inputs.cpd import ChangeCpdPiece, CpdPieceInput, CpdYearQuery

bp = Blueprint("cpd", __name__)

# Each field the workflow names, as the page labels it and the id of the box the summary links to
LABELS = {"title": ("Title", "title"), "type": ("Type of CPD", "type"), "description": ("Description", "description"),
          "date": ("Date", "date-day"), "learning": ("What you learnt", "learning"),
          "impact": ("Impact on your practice", "impact"), "area_key": ("Reflection", "area_key"),
          "record_id": ("Record", "title")}


def _problem(exc: InvalidInput) -> dict[str, Any]:
    """The error summary's and the box's message, the field's name read as its label."""
    label, target = LABELS.get(exc.field or "", ("", "title"))
    message = exc.message
    if label and exc.field and message.startswith(exc.field):
        message = label + message[len(exc.field):]
    message = message[:1].upper() + message[1:]
    return {"field": exc.field, "message": message,
            "summary": {"titleText": "There is a problem", "errorList": [{"text": message, "href": f"#{target}"}]}}


def _typed_date() -> dict[str, str]:
    """The date typed in its three boxes as one ISO date for the input model (left out when all
    three are empty, so the model says it is required); what is not a date is refused by it."""
    day, month, year = (request.form.get(f"date-{part}", "").strip() for part in ("day", "month", "year"))
    if not (day or month or year):
        return {}
    return {"done_on": f"{year.zfill(4)}-{month.zfill(2)}-{day.zfill(2)}"}


def _typed_change() -> dict[str, Any]:
    """The date of a change as typed: three empty boxes are the date emptied, which the model
    refuses naming it (only the API's change leaves a date out, to keep the piece's)."""
    return _typed_date() or {"done_on": None}


def _year() -> int | None:
    return query_to(CpdYearQuery).year


def _piece_page(shown: cpd.MarkForm | None = None, piece: CpdPiece | None = None,
                refused: InvalidInput | None = None) -> Any:
    """The page of a piece, to mark (`shown`) or to change (`piece`); once `refused`, again as typed,
    naming the problem."""
    if refused is None:
        return render_template("cpd/piece.html", shown=shown, piece=piece, typed=None, problem=None)
    return render_template("cpd/piece.html", shown=shown, piece=piece, typed=request.form,
                           problem=_problem(refused)), refused.status


def _in_its_year(piece: CpdPiece) -> Any:
    """To the CPD year a piece just saved, or removed, falls in."""
    return redirect(url_for(".summary", year=cpd.cpd_year(piece.done_on).ends), 303)


@bp.get("/my-records/cpd")
@page()
def summary() -> Any:
    """The CPD year's pieces and, for a role on SWE's register, whether its minimum is met; anyone
    else is told their role is not marked as registered, and whom to ask if that is wrong."""
    shown = cpd.summary(uow(), caller(), _year())
    return render_template("cpd/summary.html", shown=shown, minimum=cpd.MINIMUM_PIECES)


@bp.get("/my-records/cpd.csv")
@page()
def as_csv() -> Any:
    """The year's pieces in SWE's fields, to copy into the online account."""
    shown = cpd.summary(uow(), caller(), _year())
    return Response(cpd.pieces_csv(shown), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="cpd-{shown.year.ends}.csv"'})


@bp.get("/my-records/cpd/print")
@page()
def printable() -> Any:
    """The year's pieces, one after another in SWE's fields, to print or save as PDF."""
    return render_template("cpd/print.html", shown=cpd.summary(uow(), caller(), _year()))


@bp.get("/my-records/<int:record_id>/cpd")
@page()
def mark(record_id: int) -> Any:
    """The page to mark a reflection of a record as CPD (`?area=` chooses an area)."""
    return _piece_page(shown=cpd.mark_form(uow(), caller(), record_id, request.args.get("area") or None))


@bp.post("/my-records/<int:record_id>/cpd")
@page()
def add(record_id: int) -> Any:
    try:
        piece = cpd.add_piece(uow(), caller(), form_to(CpdPieceInput, record_id=record_id, **_typed_date()))
    except InvalidInput as exc:
        shown = cpd.mark_form_again(uow(), caller(), record_id, request.form.get("area_key") or None)
        return _piece_page(shown=shown, refused=exc)
    return _in_its_year(piece)


@bp.get("/my-records/cpd/<int:piece_id>")
@page()
def edit(piece_id: int) -> Any:
    """A piece of one's own, to change in one's own words, or remove."""
    return _piece_page(piece=cpd.piece_for_edit(uow(), caller(), piece_id))


@bp.post("/my-records/cpd/<int:piece_id>")
@page()
def change(piece_id: int) -> Any:
    try:
        piece = cpd.change_piece(uow(), caller(), piece_id, form_to(ChangeCpdPiece, **_typed_change()))
    except InvalidInput as exc:
        return _piece_page(piece=cpd.piece_for_edit(uow(), caller(), piece_id), refused=exc)
    return _in_its_year(piece)


@bp.get("/my-records/cpd/<int:piece_id>/remove")
@page()
def remove_check(piece_id: int) -> Any:
    """Ask before removing a piece, naming it: removing cannot be undone (GOV.UK's pattern for a
    destructive action is a page of its own that asks, with a warning button)."""
    piece = cpd.piece_for_edit(uow(), caller(), piece_id)
    return render_template("cpd/remove.html", piece=piece, year=cpd.cpd_year(piece.done_on).ends,
                           swe_registered=cpd.on_register(uow(), caller()))


@bp.post("/my-records/cpd/<int:piece_id>/remove")
@page()
def remove(piece_id: int) -> Any:
    """Remove the piece once confirmed, and say which went, on the CPD year it was in."""
    piece = cpd.remove_piece(uow(), caller(), piece_id)
    flash(f"“{piece.title}” was removed from your CPD. The record it came from is unchanged.")
    return _in_its_year(piece)
