"""One supervision record: read it, edit it in the browser, download it as Word and upload it back.

Every change is the API's edit (`workflows.records`), behind the same audited write check; the
edit page's forms go through `records.edit_from_page`, which reads them against the record as it
stands. The Word file is `workflows.word_files`, as for the API. Each form carries the revision
it was opened at; one refused because someone else saved the record since comes back as typed,
beside their saved text (`forms.Stale`).
"""
from __future__ import annotations

from typing import Any

from collections.abc import Callable

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from docgen.auth import caller, uow
from docgen.documents.render import DOCX_MEDIA_TYPE
from docgen.web import forms
from docgen.web.navigation import page
from storage.errors import Conflict, InvalidInput, PreconditionFailed
from storage.models import Record
from workflows import records, word_files
from workflows.records import EditPage, PageEdit, Patch

bp = Blueprint("records", __name__, url_prefix="/records")

# Where a workflow error belongs on a form (its `field` -> the form field); dates keep their names,
# and an error naming nothing on the form goes on its first input.
PROGRESS_FIELDS = {"actions.completed": "completed"}
ACTION_FIELDS = {"actions.text": "text"}


def _record_data(record: Record) -> dict[str, Any]:
    """The record form's fields as the record stands."""
    s = record.sections
    return {"previous_happy": s.get("previous", {}).get("happy") or None,
            "previous_comments": s.get("previous", {}).get("comments", ""),
            "welfare": s.get("welfare", {}).get("discussion", ""), "decisions": s.get("decisions", ""),
            "review_date": record.review_date, "next_supervision": record.next_supervision,
            **{f"area_{a['key']}": a["discussion"] for a in s.get("areas", [])}}


def _record_form(record: Record) -> forms.RecordForm:
    return forms.record_form(record.sections.get("areas", []), data=_record_data(record) | {"revision": record.revision})


def _progress_data(view: EditPage, action_id: str) -> dict[str, Any]:
    """An action's progress form as the record stands (empty if it has left the record)."""
    entry = next((e for e in view.entries if e.action_id == action_id), None)
    return {"progress": entry.progress, "completed": entry.completed} if entry else {}


def _action_form(record: Record) -> forms.ActionForm:
    form = forms.ActionForm(prefix="action", data={"revision": record.revision})
    form.section.choices = forms.options(("summary", "Summary of actions"), ("welfare", "Welfare"),
                                         *((a["key"], a["title"]) for a in record.sections.get("areas", [])))
    return form


def _edit_page(view: EditPage, status: int = 200, stale: forms.Stale | None = None, **given: Any) -> tuple[str, int]:
    """The edit page with its forms; `given` replaces the blank or pre-filled one that has errors.
    The fresh forms are opened at the record's current revision; a given one keeps its own."""
    record = view.record
    progress = {e.action_id: forms.ProgressForm(prefix=f"progress-{e.action_id}",
                                                data={"progress": e.progress, "completed": e.completed,
                                                      "revision": record.revision})
                for e in view.entries}
    progress |= given.pop("progress", {})
    page_forms = {"form": given.get("form") or _record_form(record),
                  "action_form": given.get("action_form") or _action_form(record),
                  "area_form": given.get("area_form") or forms.AreaForm(prefix="area",
                                                                          data={"revision": record.revision})}
    summaries = [forms.error_summary(f) for f in [*page_forms.values(), *progress.values()]]
    return render_template(
        "records/edit.html", record=record, number=view.number, entries=view.entries, editable=view.editable,
        progress_forms=progress, problems=[s for s in summaries if s], stale=stale, **page_forms,
        section_titles=view.section_titles), status


def _answer(edit: PageEdit[Any], saved: str, fields: dict[str, str] | None = None,
            against: Callable[[EditPage], dict[str, Any]] = lambda _view: {}, **given: Any) -> Any:
    """Back to the edit page with `saved` once the change is saved; else the page again (400) with
    the refused form in its place (`given`) and the workflow's refusal on the field it names. A
    form refused as stale (409) is shown as typed beside the saved values `against` gives."""
    if edit.saved:
        flash(saved)
        return redirect(url_for("records.edit", record_id=edit.page.record.id))
    if isinstance(edit.problem, PreconditionFailed):
        record = edit.page.record
        stale = (forms.stale(edit.form, against(edit.page), record.revision, "record") if edit.form is not None
                 else forms.Stale("record", [], "Nothing was changed: check the record as it is now, then try again."))
        return _edit_page(edit.page, 409, stale, **given)
    if edit.problem is not None:
        forms.show_error(edit.form, edit.problem, fields)
    return _edit_page(edit.page, 400, **given)


@bp.get("/<int:record_id>")
@page()
def view(record_id: int) -> Any:
    """The record as the supervisee (or anyone else with a basis to read it) sees it."""
    shown = records.record_page(uow(), caller(), record_id)
    return render_template("records/view.html", record=shown.record, doc=shown.doc)


@bp.get("/<int:record_id>/edit")
@page()
def edit(record_id: int) -> Any:
    return _edit_page(records.edit_page(uow(), caller(), record_id))


@bp.post("/<int:record_id>/edit")
@page()
def save(record_id: int) -> Any:
    def read(record: Record) -> tuple[forms.RecordForm, Patch | None, int | None]:
        form = forms.record_form(record.sections.get("areas", []))
        if not form.validate_on_submit():
            return form, None, None
        return form, {
            "previous": {"happy": form.previous_happy.data or "", "comments": form.previous_comments.data},
            "welfare": {"discussion": form.welfare.data}, "decisions": form.decisions.data,
            "review_date": form.review_date.data, "next_supervision": form.next_supervision.data,
            "areas": [{**a, "discussion": form[f"area_{a['key']}"].data or ""} for a in record.sections["areas"]]
        }, form.opened_at()

    edit = records.edit_from_page(uow(), caller(), record_id, read)
    return _answer(edit, "The record has been saved", against=lambda view: _record_data(view.record), form=edit.form)


@bp.post("/<int:record_id>/areas")
@page()
def add_area(record_id: int) -> Any:
    form = forms.AreaForm(prefix="area")

    def read(record: Record) -> tuple[forms.AreaForm, Patch | None, int | None]:
        if not form.validate_on_submit():
            return form, None, None
        return form, {"areas": [*record.sections["areas"], {"title": form.title.data}]}, form.opened_at()

    edit = records.edit_from_page(uow(), caller(), record_id, read)
    return _answer(edit, f"The area ‘{(form.title.data or '').strip()}’ has been added", area_form=form)


@bp.post("/<int:record_id>/areas/<key>/remove")
@page()
def remove_area(record_id: int, key: str) -> Any:
    def read(record: Record) -> tuple[None, Patch, int | None]:
        return (None, {"areas": [a for a in record.sections["areas"] if a["key"] != key]},
                forms.revision_in(request.form.get("revision")))

    edit = records.edit_from_page(uow(), caller(), record_id, read)
    if edit.problem is not None and not isinstance(edit.problem, PreconditionFailed):
        raise edit.problem  # no form to show it on: the error page says it
    return _answer(edit, "The area has been removed")


@bp.post("/<int:record_id>/actions")
@page()
def add_action(record_id: int) -> Any:
    def read(record: Record) -> tuple[forms.ActionForm, Patch | None, int | None]:
        form = _action_form(record)
        if not form.validate_on_submit():
            return form, None, None
        return form, {"actions": [{"section": form.section.data, "text": form.text.data, "owner": form.owner.data,
                                   "due": form.due.data}]}, form.opened_at()

    edit = records.edit_from_page(uow(), caller(), record_id, read)
    return _answer(edit, "The action has been added", ACTION_FIELDS, action_form=edit.form)


@bp.post("/<int:record_id>/actions/<action_id>")
@page()
def action_progress(record_id: int, action_id: str) -> Any:
    form = forms.ProgressForm(prefix=f"progress-{action_id}")

    def read(_record: Record) -> tuple[forms.ProgressForm, Patch | None, int | None]:
        if not form.validate_on_submit():
            return form, None, None
        return form, {"actions": [{"id": action_id, "progress": form.progress.data or "",
                                   "completed": bool(form.completed.data)}]}, form.opened_at()

    edit = records.edit_from_page(uow(), caller(), record_id, read)
    return _answer(edit, f"Progress on action {action_id} has been saved", PROGRESS_FIELDS,
                   against=lambda view: _progress_data(view, action_id), progress={action_id: form})


@bp.get("/<int:record_id>/docx")
@page()
def download(record_id: int) -> Any:
    data, name, _revision = word_files.download_record(uow(), caller(), record_id)
    return Response(data, mimetype=DOCX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _upload_page(view: EditPage, form: forms.UploadForm, status: int, stale: forms.Stale | None = None
                 ) -> tuple[str, int]:
    return render_template("records/upload.html", form=form, record=view.record, number=view.number,
                           stale=stale), status


@bp.get("/<int:record_id>/upload")
@page()
def upload(record_id: int) -> Any:
    """The form for an edited Word file, for the record's current supervisor."""
    view = records.edit_view(uow(), caller(), record_id)
    return _upload_page(view, forms.UploadForm(data={"revision": view.record.revision}), 200)


@bp.post("/<int:record_id>/upload")
@page()
def upload_file(record_id: int) -> Any:
    """Read an edited Word file back into the record; a refused file changes nothing. A file sent
    from a page opened before someone else saved the record is refused as stale (409): it would
    replace their text unseen."""
    form = forms.UploadForm()
    try:
        uploaded = word_files.upload_record(uow(), caller(), record_id, lambda: _file(form.file.data),
                                            form.opened_at())
    except PreconditionFailed:
        uow().rollback()
        view = records.edit_view(uow(), caller(), record_id)
        return _upload_page(view, form, 409, forms.stale(
            form, {}, view.record.revision, "record",
            note="Choose your file again to read it in over their changes, or download the record as it is now."))
    except (InvalidInput, Conflict) as exc:
        forms.show_error(form, exc, {"body": "file"})
        return _upload_page(records.edit_view(uow(), caller(), record_id), form, 400)
    for warning in uploaded["warnings"]:
        flash(warning, "warning")
    flash("The Word file has been read into the record")
    return redirect(url_for("records.edit", record_id=record_id))


def _file(upload: FileStorage | None) -> bytes:
    """The uploaded file's bytes; an empty form is an error on `file`."""
    data = upload.read(word_files.MAX_UPLOAD + 1) if upload else b""
    if not data:
        raise InvalidInput("Select the Word file to upload", "file")
    return data
