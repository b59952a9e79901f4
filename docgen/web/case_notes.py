"""A record's case notes for the child's social care record (W §10, W App E, S §5): the page that
shows one note per case ID to copy into the case management system, and the same notes as a text
file to download (`workflows.case_notes`)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template

from docgen.auth import caller, uow
from docgen.web.navigation import page
from workflows import case_notes

bp = Blueprint("case_notes", __name__, url_prefix="/records")


@bp.app_context_processor
def offered() -> dict[str, bool]:
    """`case_notes_offered` for the record pages: whether they link to the case notes at all."""
    return {"case_notes_offered": current_app.extensions["docgen"].profile.case_notes}


@bp.get("/<int:record_id>/case-notes")
@page()
def shown(record_id: int) -> Any:
    """One note per case ID the record names, each to copy into the child's record."""
    return render_template("records/case_notes.html", shown=case_notes.case_notes(uow(), caller(), record_id))


@bp.get("/<int:record_id>/case-notes.txt")
@page()
def download(record_id: int) -> Any:
    """The same notes as a plain text file."""
    notes = case_notes.case_notes(uow(), caller(), record_id)
    return Response(notes.download(), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="{notes.number}-case-notes.txt"'})
