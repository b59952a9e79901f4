"""One supervision record: read it, edit it in the browser, download it as Word and upload it back.

Every change goes through `workflows.records.update_record`, the function the API's PATCH calls,
behind the same audited write check; reads go through `docgen.api.guard.read` like the API's.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, url_for
from werkzeug.datastructures import FileStorage

from workflows import pipeline
from docgen.api import guard
from docgen.documents.docx_form import FormError, read_upload
from storage.models import Record
from docgen.web import forms
from docgen.web.navigation import page, signed_in
from workflows import access, actions, records
from storage.errors import Conflict, InvalidInput
from workflows.word_files import apply_upload

bp = Blueprint("records", __name__, url_prefix="/records")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_UPLOAD = 10_000_000
# Where a workflow error belongs on a form (its `field` -> the form field); dates keep their names,
# and an error naming nothing on the form goes on its first input.
PROGRESS_FIELDS = {"actions.completed": "completed"}
ACTION_FIELDS = {"actions.text": "text"}


def _services() -> Any:
    return current_app.extensions["docgen"]


def _record_for_edit(record_id: int) -> Record:
    """The record, if the signed-in person may change it (else 403/404 as the API answers)."""
    record = records.get_record(g.db, record_id)
    access.edit_access(g.db, signed_in(), record.supervisee)
    return record


def _record_form(record: Record) -> forms.RecordForm:
    s = record.sections
    data = {"previous_happy": s.get("previous", {}).get("happy") or None,
            "previous_comments": s.get("previous", {}).get("comments", ""),
            "welfare": s.get("welfare", {}).get("discussion", ""), "decisions": s.get("decisions", ""),
            "review_date": record.review_date, "next_supervision": record.next_supervision,
            **{f"area_{a['key']}": a["discussion"] for a in s.get("areas", [])}}
    return forms.record_form(s.get("areas", []), data=data)


def _action_form(record: Record) -> forms.ActionForm:
    form = forms.ActionForm(prefix="action")
    form.section.choices = forms.options(("summary", "Summary of actions"), ("welfare", "Welfare"),
                                         *((a["key"], a["title"]) for a in record.sections.get("areas", [])))
    return form


def _edit_page(record: Record, status: int = 200, **given: Any) -> tuple[str, int]:
    """The edit page with its forms; `given` replaces the blank or pre-filled one that has errors."""
    entries = actions.entries(g.db, record)
    progress = {e.action_id: forms.ProgressForm(prefix=f"progress-{e.action_id}",
                                                data={"progress": e.progress, "completed": e.completed})
                for e in entries}
    progress |= given.pop("progress", {})
    page_forms = {"form": given.get("form") or _record_form(record),
                  "action_form": given.get("action_form") or _action_form(record),
                  "area_form": given.get("area_form") or forms.AreaForm(prefix="area")}
    summaries = [forms.error_summary(f) for f in [*page_forms.values(), *progress.values()]]
    return render_template(
        "records/edit.html", record=record, number=records.record_number(record), entries=entries,
        editable=record.status in records.EDITABLE, progress_forms=progress, problems=[s for s in summaries if s],
        **page_forms, section_titles={"welfare": "Welfare", "summary": "Summary",
                        **{a["key"]: a["title"] for a in record.sections.get("areas", [])}}), status


def _saved(record: Record, message: str) -> Response:
    g.db.commit()
    flash(message)
    return redirect(url_for("records.edit", record_id=record.id))


@bp.get("/<int:record_id>")
@page()
def view(record_id: int) -> Any:
    """The record as the supervisee (or anyone else with a basis to read it) sees it."""
    record = records.get_record(g.db, record_id)
    guard.read(record.supervisee, "record", record.id, "record.read")
    services = _services()
    context = records.record_context(g.db, services.profile, services.organisation(g.db), record)
    return render_template("records/view.html", record=record, doc=context)


@bp.get("/<int:record_id>/edit")
@page()
def edit(record_id: int) -> Any:
    record = _record_for_edit(record_id)
    guard.read(record.supervisee, "record", record.id, "record.read")
    return _edit_page(record)


@bp.post("/<int:record_id>/edit")
@page()
def save(record_id: int) -> Any:
    record = _record_for_edit(record_id)
    form = forms.record_form(record.sections.get("areas", []))
    if form.validate_on_submit():
        patch = {"previous": {"happy": form.previous_happy.data or "", "comments": form.previous_comments.data},
                 "welfare": {"discussion": form.welfare.data}, "decisions": form.decisions.data,
                 "review_date": form.review_date.data, "next_supervision": form.next_supervision.data,
                 "areas": [{**a, "discussion": form[f"area_{a['key']}"].data or ""} for a in record.sections["areas"]]}
        try:
            guard.write(record.supervisee, "record", record.id, "record.update")
            records.update_record(g.db, record, patch)
            return _saved(record, "The record has been saved")
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    return _edit_page(record, 400, form=form)


@bp.post("/<int:record_id>/areas")
@page()
def add_area(record_id: int) -> Any:
    record = _record_for_edit(record_id)
    form = forms.AreaForm(prefix="area")
    if form.validate_on_submit():
        try:
            guard.write(record.supervisee, "record", record.id, "record.update")
            records.update_record(g.db, record, {"areas": [*record.sections["areas"], {"title": form.title.data}]})
            return _saved(record, f"The area ‘{form.title.data.strip()}’ has been added")
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    return _edit_page(record, 400, area_form=form)


@bp.post("/<int:record_id>/areas/<key>/remove")
@page()
def remove_area(record_id: int, key: str) -> Any:
    record = _record_for_edit(record_id)
    kept = [a for a in record.sections["areas"] if a["key"] != key]
    guard.write(record.supervisee, "record", record.id, "record.update")
    records.update_record(g.db, record, {"areas": kept})
    return _saved(record, "The area has been removed")


@bp.post("/<int:record_id>/actions")
@page()
def add_action(record_id: int) -> Any:
    record = _record_for_edit(record_id)
    form = _action_form(record)
    if form.validate_on_submit():
        item = {"section": form.section.data, "text": form.text.data, "owner": form.owner.data, "due": form.due.data}
        try:
            guard.write(record.supervisee, "record", record.id, "record.update")
            records.update_record(g.db, record, {"actions": [item]})
            return _saved(record, "The action has been added")
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, ACTION_FIELDS)
    return _edit_page(record, 400, action_form=form)


@bp.post("/<int:record_id>/actions/<action_id>")
@page()
def action_progress(record_id: int, action_id: str) -> Any:
    record = _record_for_edit(record_id)
    form = forms.ProgressForm(prefix=f"progress-{action_id}")
    if form.validate_on_submit():
        item = {"id": action_id, "progress": form.progress.data or "", "completed": bool(form.completed.data)}
        try:
            guard.write(record.supervisee, "record", record.id, "record.update")
            records.update_record(g.db, record, {"actions": [item]})
            return _saved(record, f"Progress on action {action_id} has been saved")
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, PROGRESS_FIELDS)
    return _edit_page(record, 400, progress={action_id: form})


@bp.get("/<int:record_id>/docx")
@page()
def download(record_id: int) -> Any:
    record = records.get_record(g.db, record_id)
    guard.read(record.supervisee, "record", record.id, "record.download")
    data = pipeline.record_docx(_services(), g.db, record)
    name = pipeline.docx_filename(records.record_number(record), record.supervisee.name)
    return Response(data, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<int:record_id>/upload", methods=["GET", "POST"])
@page()
def upload(record_id: int) -> Any:
    """Read an edited Word file back into the record; a refused file changes nothing."""
    record = _record_for_edit(record_id)
    form = forms.UploadForm()
    if form.validate_on_submit():
        try:
            parsed = _parse(form.file.data, records.record_number(record))
            guard.write(record.supervisee, "record", record.id, "record.upload")
            warnings = apply_upload(g.db, record, parsed)
            g.db.commit()
            for warning in warnings:
                flash(warning, "warning")
            flash("The Word file has been read into the record")
            return redirect(url_for("records.edit", record_id=record.id))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, {"body": "file"})
    return render_template("records/upload.html", form=form, record=record,
                           number=records.record_number(record)), 400 if form.errors else 200


def _parse(upload: FileStorage | None, number: str) -> Any:
    """The uploaded file as form content; an empty, foreign or broken file is an error on `file`."""
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data:
        raise InvalidInput("Select the Word file to upload", "file")
    try:
        return read_upload(data, max_bytes=MAX_UPLOAD, expected_record_id=number)
    except FormError as exc:
        raise InvalidInput(exc.message, "file") from None
