"""One supervision record: read it, edit it in the browser, download it as Word and upload it back.

The edit page is one form (issue 18): each of its buttons posts a `step` to `save`, which saves
everything typed first (`records.edit`, the API's edit, read through the same `RecordPatch` and
behind the same audited write check), then takes the step: back to the page, to the confirmation
before an area is removed, to the upload of an edited Word file, or to the check of the saved
record before it is sent. A form
with errors, refused, or opened before someone else saved the record (`forms.Stale`, beside their
saved text) comes back as typed, so no button loses typing. The Word file is `workflows.word_files`,
as for the API. An action is corrected or removed on its own page, and an area removed (its open
actions moved where chosen) on its confirmation: each through the same edit (issue 27).
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovTextInput
from werkzeug.datastructures import FileStorage
from wtforms import StringField, TextAreaField

from docgen.auth import caller, uow
from documents.render import DOCX_MEDIA_TYPE
from docgen.web import forms, signoff_panel
from docgen.web.navigation import page
from kernel.errors import Conflict, InvalidInput, PreconditionFailed
from workflows import disagreements, records, signoff, word_files
from workflows.forms import DATE_COLUMNS, PREVIOUS
from workflows.inputs.records import RecordPatch
from workflows.records import EditPage, Patch

bp = Blueprint("records", __name__, url_prefix="/records")

# The record form's buttons, by their `step`: each saves what was typed, then takes its step.
# "remove-area:<key>" asks to remove an area; its confirmation page removes it. "edit-action:<id>"
# opens the page correcting or removing an action.
SAVE, ADD_ACTION, ADD_AREA, UPLOAD, SEND = "save", "add-action", "add-area", "upload", "send"
REMOVE_AREA, EDIT_ACTION = "remove-area:", "edit-action:"
# A refused save says so: every box keeps its typing, and none of it is in the record yet (issue 27).
NOTHING_SAVED = "Nothing was saved. What you typed is still in the form: correct the problem, then save again."
SAVED = {SAVE: "The record has been saved", ADD_ACTION: "The action has been added",
         ADD_AREA: "The area has been added"}
# Where a workflow error belongs on the form (its `field` -> the form field); the new action is the
# last of the patch's actions, and an error naming nothing on the form goes on its first input.
FIELDS = {"actions.text": "new_action_text", "actions.owner": "new_action_owner", "actions.due": "new_action_due",
          "actions.section": "new_action_section"}
# The same errors on the pages correcting or removing one action.
ACTION_FIELDS = {"actions.text": "text", "actions.owner": "owner", "actions.due": "due", "actions.reason": "reason"}


class ActionForm(forms.RevisionedForm):
    """Correct one action: its words, who does it and by when (a date, or words flagged once the
    action is carried into a later session without one)."""

    text = TextAreaField("Action", widget=GovTextArea())
    owner = StringField("Who will do it", widget=GovTextInput())
    due = StringField("By when", widget=GovTextInput(),
                      description="A date, for example 27 March 2027. Words such as ‘next supervision’ are kept, "
                                  "but flagged ‘No date set’ when the action is carried into a later session.")
    reason = TextAreaField("Why is it no longer needed?", widget=GovTextArea())


def _field_value(view: EditPage, key: str) -> Any:
    """A field of the record's form as stored: a date column, a previous-session answer or text."""
    record = view.record
    if key in DATE_COLUMNS:
        return getattr(record, key)
    if key in PREVIOUS:
        return record.sections.get("previous", {}).get(PREVIOUS[key]) or (None if key == "previous_happy" else "")
    return record.sections.get(key, "")


def _record_data(view: EditPage) -> dict[str, Any]:
    """The record form's fields as the record stands."""
    record = view.record
    s = record.sections
    return {**{field.key: _field_value(view, field.key) for field in view.form.fields},
            **({"welfare": s.get("welfare", {}).get("discussion", "")} if view.form.has("welfare") else {}),
            **{f"area_{a['key']}": a["discussion"] for a in s.get("areas", [])},
            **{f"progress_{e.action_id}": e.progress for e in view.entries},
            **{f"completed_{e.action_id}": e.completed for e in view.entries}}


def _record_form(view: EditPage, **kwargs: Any) -> forms.RecordForm:
    """The page's one form for the record as it stands (`kwargs` empty), or as submitted."""
    form = forms.record_form(view.form, view.record.sections.get("areas", []), [e.action_id for e in view.entries],
                             **kwargs)
    form.new_action_section.choices = forms.options(*((key, "Summary of actions" if key == "summary" else title)
                                                      for key, title in view.section_titles.items()))
    return form


def _edit_page(view: EditPage, status: int = 200, stale: forms.Stale | None = None,
               form: forms.RecordForm | None = None) -> tuple[str, int]:
    """The edit page with its one form: as the record stands, or `form` as typed (with its errors)."""
    form = form or _record_form(view, data=_record_data(view) | {"revision": view.record.revision})
    summary = forms.error_summary(form)
    if summary and status == 400:
        summary["descriptionText"] = NOTHING_SAVED
    return render_template(
        "records/edit.html", record=view.record, number=view.number, entries=view.entries, editable=view.editable,
        panel=signoff_panel.panel(view.record), undated=view.undated,
        form=form, problems=[summary] if summary else [], stale=stale, section_titles=view.section_titles,
        definition=view.form), status


def _patch(form: forms.RecordForm, view: EditPage) -> Patch:
    """Everything typed into the form, as one edit: the text, the dates, progress changed on an
    action, and a new area or action when one was typed."""
    record = view.record
    actions: list[dict[str, Any]] = []
    for entry in view.entries:
        progress = form[f"progress_{entry.action_id}"].data or ""
        completed = bool(form[f"completed_{entry.action_id}"].data)
        if (progress.strip(), completed) != (entry.progress, entry.completed):
            actions.append({"id": entry.action_id, "progress": progress, "completed": completed})
    if form.new_action_typed():
        actions.append({"section": form.new_action_section.data, "text": form.new_action_text.data,
                        "owner": form.new_action_owner.data, "due": form.new_action_due.data})
    patch: Patch = {"actions": actions}
    typed_area = [{"title": form.new_area_title.data}] if (form.new_area_title.data or "").strip() else []
    if view.form.has("areas") or typed_area:  # a form without areas refuses one, naming the field
        patch["areas"] = [{**a, "discussion": form[f"area_{a['key']}"].data or ""}
                          for a in record.sections["areas"]] + typed_area
    if view.form.has("welfare"):
        patch["welfare"] = {"discussion": form.welfare.data or ""}
    for field in view.form.fields:
        value = form[field.key].data
        if field.key in PREVIOUS:
            patch.setdefault("previous", {})[PREVIOUS[field.key]] = value or ""
        else:
            patch[field.key] = value if field.key in DATE_COLUMNS else value or ""
    return patch


def _edit(form: forms.RecordForm, view: EditPage) -> Patch | None:
    """What was typed, read through `RecordPatch` as the API's edit is; None, with the refusal on
    its field, when the model refuses it."""
    try:
        return RecordPatch.validated(_patch(form, view)).patch()
    except InvalidInput as exc:
        forms.show_error(form, exc, FIELDS)
        return None


def _fill_new_boxes(form: forms.RecordForm, saved: dict[str, Any]) -> None:
    """Give the boxes someone else added since the form was opened (an area, an action's progress)
    their saved text: nothing was typed in them, and saving again must not empty them."""
    for name, value in saved.items():
        if name.startswith(("area_", "progress_")) and name not in request.form:
            form[name].data = value


def _after(record_id: int, step: str, changed: bool) -> Any:
    """Where a saved step leads: the check page before sending, the confirmation before removing
    an area, the form for an edited Word file, else the record page again with what was done."""
    if step == UPLOAD:
        return redirect(url_for("records.upload", record_id=record_id))
    if step == SEND:
        return redirect(url_for("records.send_check", record_id=record_id, **({"unsaved": "saved"} if changed else {})))
    if step.startswith(REMOVE_AREA):
        return redirect(url_for("records.remove_area_check", record_id=record_id, key=step[len(REMOVE_AREA):]))
    if step.startswith(EDIT_ACTION):
        return redirect(url_for("records.action_edit", record_id=record_id, action_id=step[len(EDIT_ACTION):]))
    flash(SAVED.get(step, SAVED[SAVE]))
    anchor = {ADD_ACTION: "actions", ADD_AREA: "areas"}.get(step)
    return redirect(url_for("records.edit", record_id=record_id, _anchor=anchor))


@bp.get("/<int:record_id>")
@page()
def view(record_id: int) -> Any:
    """The record as the supervisee (or anyone else with a basis to read it) sees it, with whose turn
    it is and, once sealed, its signed PDF (issue 27: the page had neither, nor a way back)."""
    shown = records.record_page(uow(), caller(), record_id)
    return render_template("records/view.html", record=shown.record, doc=shown.doc,
                           tag=signoff.tags(uow(), [shown.record])[shown.record.id],
                           progress=signoff.progress(uow(), shown.record, caller().person_id),
                           may_request_meeting=disagreements.may_request_meeting(uow(), caller(), shown.record))


@bp.get("/<int:record_id>/edit")
@page()
def edit(record_id: int) -> Any:
    return _edit_page(records.edit_page(uow(), caller(), record_id))


@bp.post("/<int:record_id>/edit")
@page()
def save(record_id: int) -> Any:
    """Any button of the record's one form: what was typed is saved first, then the button's step
    is taken. A form with errors, or refused, comes back as typed: nothing typed is lost. A form
    refused as stale (409) is shown as typed beside the saved values."""
    step = request.form.get("step", SAVE)
    view = records.edit_view(uow(), caller(), record_id)  # the form depends on the record's areas and actions
    form = _record_form(view)
    patch = _edit(form, view) if form.filled_in_for(step) else None
    if patch is None:
        return _edit_page(view, 400, form=form)
    try:
        changed = records.edit(uow(), caller(), record_id, patch, form.opened_at())
    except (InvalidInput, Conflict, PreconditionFailed) as problem:
        now = records.edit_view(uow(), caller(), record_id)  # as saved: the refused edit changed nothing
        if isinstance(problem, (PreconditionFailed, Conflict)) and not now.editable:  # sent meanwhile
            return _edit_page(now, 409, forms.locked_out(form, _record_data(now), "record"))
        if isinstance(problem, PreconditionFailed):
            saved = _record_data(now)
            _fill_new_boxes(form, saved)
            return _edit_page(now, 409, forms.stale(form, saved, now.record.revision, "record"), form)
        forms.show_error(form, problem, FIELDS)
        return _edit_page(now, 400, form=form)
    return _after(record_id, step, changed)


@bp.get("/<int:record_id>/send")
@page()
def send_check(record_id: int) -> Any:
    """Check the record before sending it: the saved record as its supervisee will read it, and the
    button that sends it (docgen/web/signoff.py). `unsaved` says the record page had typing that
    was saved on the way here."""
    shown = records.send_check(uow(), caller(), record_id)
    return render_template("records/send_check.html", record=shown.record, doc=shown.doc,
                           unsaved=request.args.get("unsaved") == "saved")


def _remove_area_page(removal: records.AreaRemoval, status: int = 200, error: str = "") -> tuple[str, int]:
    """The confirmation before an area goes: what is written in it, and where its open actions
    move to (radios), with `error` on that choice when it was refused."""
    return render_template("records/remove_area.html", record=removal.page.record, number=removal.page.number,
                           area=removal.area, open_actions=removal.open_actions,
                           destinations=removal.destinations, error=error), status


@bp.get("/<int:record_id>/areas/<key>/remove")
@page()
def remove_area_check(record_id: int, key: str) -> Any:
    """Ask before removing an area: what is written in it goes with it, and its open actions move
    to the part of the record chosen here."""
    return _remove_area_page(records.area_removal(uow(), caller(), record_id, key))


@bp.post("/<int:record_id>/areas/<key>/remove")
@page()
def remove_area(record_id: int, key: str) -> Any:
    """Remove an area once its removal is confirmed, from the revision the confirmation showed,
    moving its open actions where chosen; a refusal shows the confirmation again, saying why."""
    removal = records.removal_of(records.edit_view(uow(), caller(), record_id), key)
    moved = [{"id": action.id, "section": request.form.get("move_to") or ""} for action in removal.open_actions]
    try:
        kept = RecordPatch.validated({"areas": [a for a in removal.page.record.sections["areas"] if a["key"] != key],
                                      "actions": moved})
        if moved and not request.form.get("move_to"):
            raise InvalidInput("Choose where its open actions go", "move_to")
        records.edit(uow(), caller(), record_id, kept.patch(), forms.revision_in(request.form.get("revision")))
    except PreconditionFailed:
        return _edit_page(records.edit_view(uow(), caller(), record_id), 409, forms.Stale(
            "record", [], "The area was not removed: check the record as it is now, then remove it again."))
    except (InvalidInput, Conflict) as refused:
        return _remove_area_page(records.removal_of(records.edit_view(uow(), caller(), record_id), key), 400,
                                 refused.message[:1].upper() + refused.message[1:])
    flash(f"The area has been removed{' and its actions moved' if moved else ''}")
    return redirect(url_for("records.edit", record_id=record_id, _anchor="areas"))


def _action_page(view: EditPage, action_id: str, form: ActionForm | None = None, status: int = 200,
                 stale: forms.Stale | None = None, removing: bool = False) -> tuple[str, int]:
    """The page correcting one action, or (`removing`) confirming its removal; `form` as typed."""
    entry = view.entry(action_id)
    action = entry.action
    form = form or ActionForm(data={"text": action.text, "owner": action.owner, "due": action.due,
                                    "revision": view.record.revision})
    summary = forms.error_summary(form)
    if summary:
        summary["descriptionText"] = "The action was not removed." if removing else "Nothing was saved."
    return render_template("records/action_remove.html" if removing else "records/action_edit.html",
                           record=view.record, number=view.number, entry=entry, action=action, form=form,
                           carried=action.raised_in_record_id != view.record.id, undated=action_id in view.undated,
                           section_titles=view.section_titles, problems=[summary] if summary else [],
                           stale=stale), status


def _action_change(record_id: int, action_id: str, form: ActionForm, change: dict[str, Any], removing: bool) -> Any:
    """Save a correction or a removal of one action through the record's edit (`RecordPatch`, as
    the API's), from the revision its page was opened at; a refusal shows the page again as typed."""
    try:
        patch = RecordPatch.validated({"actions": [{"id": action_id, **change}]}).patch()
        records.edit(uow(), caller(), record_id, patch, form.opened_at())
    except PreconditionFailed:
        view = records.edit_view(uow(), caller(), record_id)
        action = view.entry(action_id).action
        saved = {"text": action.text, "owner": action.owner, "due": action.due}
        return _action_page(view, action_id, form, 409, forms.stale(form, saved, view.record.revision, "record"),
                            removing)
    except (InvalidInput, Conflict) as refused:
        forms.show_error(form, refused, ACTION_FIELDS)
        return _action_page(records.edit_view(uow(), caller(), record_id), action_id, form, 400, removing=removing)
    flash("The action has been removed" if removing else "The action has been corrected")
    return redirect(url_for("records.edit", record_id=record_id, _anchor="actions"))


@bp.get("/<int:record_id>/actions/<action_id>")
@page()
def action_edit(record_id: int, action_id: str) -> Any:
    """Correct one action of the record: its words, who does it and by when."""
    view, _entry = records.action_page(uow(), caller(), record_id, action_id)
    return _action_page(view, action_id)


@bp.post("/<int:record_id>/actions/<action_id>")
@page()
def action_save(record_id: int, action_id: str) -> Any:
    """Save the corrected action (audited with what it said before)."""
    form = ActionForm()
    return _action_change(record_id, action_id, form, {"text": form.text.data or "", "owner": form.owner.data or "",
                                                       "due": form.due.data or ""}, removing=False)


@bp.get("/<int:record_id>/actions/<action_id>/remove")
@page()
def action_remove_check(record_id: int, action_id: str) -> Any:
    """Ask before removing an action: one raised in this record goes; a carried one is closed as no
    longer needed, with the reason asked for here."""
    view, _entry = records.action_page(uow(), caller(), record_id, action_id)
    return _action_page(view, action_id, removing=True)


@bp.post("/<int:record_id>/actions/<action_id>/remove")
@page()
def action_remove(record_id: int, action_id: str) -> Any:
    """Remove the action once confirmed (audited with what it said)."""
    form = ActionForm()
    return _action_change(record_id, action_id, form, {"remove": True, "reason": form.reason.data or ""},
                          removing=True)


@bp.get("/<int:record_id>/docx")
@page()
def download(record_id: int) -> Any:
    data, name, _revision = word_files.download_record(uow(), caller(), record_id)
    return Response(data, mimetype=DOCX_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _upload_page(view: EditPage, form: forms.UploadForm, status: int, stale: Any = None, carried: str = ""
                 ) -> tuple[str, int]:
    return render_template("records/upload.html", form=form, record=view.record, number=view.number,
                           stale=stale, carried=carried), status


# A file the clash page holds for the user rides in a hidden field, so it must fit the form memory a
# request may use (Flask's MAX_FORM_MEMORY_SIZE, 500 kB) once in base64; a bigger one is chosen again.
CARRIED_MAX = 300_000


@dataclass(frozen=True)
class WordClashes:
    """The upload page's `stale` when a Word file and the record changed the same parts since the
    file was downloaded: each part's text in the record beside the file's (the stale-tab page's
    table), and the form below holds the file to read in keeping its text."""

    differences: list[forms.Difference]
    note: str = ""
    keeps_file: bool = True  # the form below reads the file in again keeping its text
    restores: bool = False  # the record removed a part the file changed: keeping the file's text adds it back
    caption: str = "The record now and your Word file"
    theirs_heading: str = "What the record says now"
    yours_heading: str = "What your Word file says (not read in yet)"

    @property
    def summary(self) -> dict[str, Any]:
        """Parameters for govukErrorSummary."""
        return {"titleText": "The record and your Word file changed the same parts",
                "descriptionText": "Nothing from the file has been read in. Since you downloaded your Word file, "
                                   "these parts were changed in the record as well. Check both texts, then read "
                                   "the file in keeping its text, or go back and keep the record as it is."
                                   + (f" Where the record says {word_files.REMOVED}, that action or area was removed "
                                      "from the record after you downloaded the file: keeping the file's text adds "
                                      "it back, as your file has it." if self.restores else ""),
                "errorList": [{"text": f"{d.label}: changed in the record and in your Word file", "href": d.href}
                              for d in self.differences]}

    @classmethod
    def of(cls, clash: word_files.ChangedOnBothSides) -> WordClashes:
        return cls([forms.Difference(c.label, c.record, c.file, "#stale-changes") for c in clash.clashes],
                   restores=any(c.record == word_files.REMOVED for c in clash.clashes))


def _carried(form: Any) -> bytes | None:
    """The file a clash page held for the user, if the form carries one."""
    text = str(form.get("carried") or "")
    try:
        return base64.b64decode(text, validate=True) if text else None
    except binascii.Error:
        raise InvalidInput("The Word file held on the page was damaged: choose it again", "file") from None


@bp.get("/<int:record_id>/upload")
@page()
def upload(record_id: int) -> Any:
    """The form for an edited Word file, for the record's current supervisor."""
    view = records.edit_view(uow(), caller(), record_id)
    return _upload_page(view, forms.UploadForm(data={"revision": view.record.revision}), 200)


@bp.post("/<int:record_id>/upload")
@page()
def upload_file(record_id: int) -> Any:
    """Read an edited Word file back into the record; a refused file changes nothing. A file older
    than the record is merged with what was saved since; where both changed the same part, the
    page shows both texts (409) and holds the file, to read it in keeping its text. A file sent
    from a page opened before someone else saved the record is refused as stale (409)."""
    form = forms.UploadForm()
    received: list[bytes] = []
    try:
        choice = word_files.UploadChoice.from_args(request.form)  # the clash page's choice, as the API's
        uploaded = word_files.upload_record(uow(), caller(), record_id, lambda: _file(form.file.data, received),
                                            form.opened_at(), keep_file=choice.keep_file)
    except word_files.ChangedOnBothSides as clash:
        view = records.edit_view(uow(), caller(), record_id)
        form.revision.data = str(clash.record_revision)  # the record the clashes were found in, no later one
        held = base64.b64encode(received[0]).decode() if len(received[0]) <= CARRIED_MAX else ""
        return _upload_page(view, form, 409, WordClashes.of(clash), held)
    except PreconditionFailed:
        view = records.edit_view(uow(), caller(), record_id)
        return _upload_page(view, form, 409, forms.stale(
            form, {}, view.record.revision, "record",
            note="Choose your file again: what you changed in it is read in beside their changes."))
    except (InvalidInput, Conflict) as exc:
        forms.show_error(form, exc, {"body": "file"})
        return _upload_page(records.edit_view(uow(), caller(), record_id), form, 400)
    for warning in uploaded["warnings"]:
        flash(warning, "warning")
    merged = ("; where the record and the file both changed, the file's text was kept"
              if choice.keep_file
              else "; what was saved in the record since you downloaded the file was kept")
    flash("The Word file has been read into the record" + (merged if uploaded["merged_from"] else ""))
    return redirect(url_for("records.edit", record_id=record_id))


def _file(upload: FileStorage | None, received: list[bytes]) -> bytes:
    """The uploaded file's bytes, else the file a clash page held; an empty form is an error on
    `file`. What was read is kept in `received`, for the clash page to hold."""
    data = upload.read(word_files.MAX_UPLOAD + 1) if upload else b""
    data = data or _carried(request.form) or b""
    if not data:
        raise InvalidInput("Select the Word file to upload", "file")
    received.append(data)
    return data
