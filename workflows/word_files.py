"""Records and agreements as Word files: downloaded filled in, edited, and uploaded back.

`documents.docx_form.read_upload` turns an uploaded file into plain values; this maps them
onto the record with the same rules as an edit in the browser (`workflows.records.update_record`),
in one transaction, so a refused upload changes nothing. The API and the pages call the same use
cases here.

Only what the user changed is applied: the record is printed again as it stands and read back by
the same parser, and each cell of the upload is compared with its printed twin. Comparing with the
stored values instead would see a change wherever printing is not the identity: an area's action
prints as "text – by due", dates are formatted, text is stripped. That comparison once raised a
second copy of every area action with a due date on each unchanged upload.
"""
from __future__ import annotations

import datetime as dt
import difflib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dateutil import parser as date_parser
from sqlalchemy.orm import Session

from documents.docx_form import ActionRow, FormContent, FormError, read_upload, section_action_lines, split_due
from kernel.errors import InvalidInput
from storage.models import Action, Record
from workflows import access, agreements, pipeline, records, revisions
from workflows import actions as actions_mod
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work
from workflows.forms import DATE_COLUMNS, Form
from workflows.profiles import Profile
from workflows.records import record_number, update_record

MAX_UPLOAD = 10_000_000  # bytes; an edge reads one more to tell a file over the limit
T = TypeVar("T")


def _date_field(form: FormContent, name: str, warnings: list[str]) -> tuple[bool, dt.date | None]:
    """(present, value) for a date typed in the form; unreadable text is a warning, not a guess."""
    if name not in form.fields:
        return False, None
    text = form.fields[name].strip()
    if not text:
        return True, None
    try:
        return True, date_parser.parse(text, dayfirst=True).date()
    except (ValueError, OverflowError):
        warnings.append(f"'{text}' in {name.replace('_', ' ')} is not a date; it was left unchanged")
        return False, None


def _kept(uploaded: T, printed: T, current: T) -> T:
    """The user's value where they changed what docgen printed, otherwise the record's own.

    A value is not always printed as it is stored (dates are formatted, text is stripped and cleaned
    of what XML cannot hold), so an untouched cell must leave the stored value alone, not re-store
    its printed form.
    """
    return current if uploaded == printed else uploaded


def _text_changes(record: Record, definition: Form, form: FormContent, printed: FormContent,
                  warnings: list[str]) -> dict[str, Any]:
    """Free-text fields and dates of the record's form whose cells the user changed."""
    def edited(name: str) -> bool:
        return name in form.fields and form.fields[name] != printed.fields.get(name)

    patch: dict[str, Any] = {}
    previous = record.sections.get("previous", {})
    if edited("previous_happy") or edited("previous_comments"):
        patch["previous"] = {part: form.fields[f"previous_{part}"] if edited(f"previous_{part}") else previous.get(part, "")
                             for part in ("happy", "comments")}
    if definition.has("welfare") and form.welfare_discussion != printed.welfare_discussion:
        patch["welfare"] = {"discussion": form.welfare_discussion}
    patch.update({name: form.fields[name] for name in definition.text_keys if edited(name)})
    for name in DATE_COLUMNS:
        if definition.field(name) and edited(name):
            present, value = _date_field(form, name, warnings)
            if present:
                patch[name] = value
    return patch


def _area_changes(record: Record, form: FormContent, printed: FormContent) -> list[dict[str, Any]] | None:
    """The areas in the form's order if the user changed any (added, removed, retitled or
    written in), else None; a form without a table of areas has none to change."""
    current = {a["key"]: a for a in record.sections["areas"]}

    def rows(content: FormContent) -> list[tuple[str | None, str, str]]:
        return [(a.key, a.title, a.discussion) for a in content.areas]

    if rows(form) == rows(printed) and not form.removed_areas:
        return None
    before = {a.key: a for a in printed.areas}
    return [{"key": a.key, "title": a.title, "discussion": a.discussion}
            if a.key not in before or a.key not in current else
            {"key": a.key, "title": _kept(a.title, before[a.key].title, current[a.key]["title"]),
             "discussion": _kept(a.discussion, before[a.key].discussion, current[a.key]["discussion"])}
            for a in form.areas]


@dataclass
class _ActionChanges:
    """What an upload does to actions: edits of existing ones by id, and new ones."""

    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    new: list[dict[str, Any]] = field(default_factory=list)

    def edit(self, action_id: str, parts: dict[str, Any]) -> None:
        if parts:
            self.edits.setdefault(action_id, {}).update(parts)

    def items(self) -> list[dict[str, Any]]:
        return [{"id": action_id, **parts} for action_id, parts in self.edits.items()] + self.new


def _summary_changes(form: FormContent, printed: FormContent, changes: _ActionChanges) -> list[ActionRow]:
    """Edits made in the summary table to the actions docgen printed there; returns the rows the user added."""
    before = {row.id: row for row in printed.actions}
    added = []
    for row in form.actions:
        if row.id is None:
            added.append(row)
        elif row.id not in before:  # printed by another state of the record: every part is the user's
            changes.edit(row.id, {"text": row.text, "owner": row.owner, "due": row.due, "progress": row.progress,
                                  **({} if row.completed is None else {"completed": row.completed})})
        else:
            was = before[row.id]
            parts = {name: getattr(row, name) for name in ("text", "owner", "due", "progress")
                     if getattr(row, name) != getattr(was, name)}
            if row.completed is not None and row.completed != was.completed:
                parts["completed"] = row.completed
            changes.edit(row.id, parts)
    return added


def _sections(db: Session, record: Record, form: FormContent, printed: FormContent,
              keys: list[str]) -> list[tuple[str, str, list[Action], list[str], list[str]]]:
    """(key, title, actions raised there in this record, printed lines, uploaded lines) per section
    cell; ``keys`` are the record's keys of the form's areas, an area the user added included."""
    raised: dict[str, list[Action]] = {}
    for entry in actions_mod.entries(db, record):
        if entry.action.raised_in_record_id == record.id:
            raised.setdefault(entry.action.section, []).append(entry.action)
    before = {a.key: a.actions for a in printed.areas if a.key is not None}
    cells = [("welfare", "Welfare", raised.get("welfare", []), printed.welfare_actions, form.welfare_actions)
             ] if "welfare" in record.sections else []
    return cells + [(key, area.title, raised.get(key, []), before.get(area.key, []), area.actions)
                    for area, key in zip(form.areas, keys)]


def _pair_block(spans: list[tuple[Action, int, int]], old: list[str],
                new: list[str]) -> tuple[list[tuple[Action, list[str], list[str]]], list[str], list[str]]:
    """Pair the actions printed on a changed block of lines with the lines that replaced them.

    ``spans`` are the actions printed exactly on ``old`` (empty when the block cuts through an
    action), with their lines' offsets. One-line actions pair in order with the new lines; longer
    ones only when the block kept its number of lines. Returns the pairs, the printed lines left
    unpaired (the user removed them) and the new lines left unpaired (new actions).
    """
    if spans and all(end - start == 1 for _, start, end in spans):
        count = min(len(spans), len(new))
        return [(action, old[start:end], new[n:n + 1]) for n, (action, start, end) in enumerate(spans[:count])], \
            old[count:], new[count:]
    if spans and len(old) == len(new):
        return [(action, old[start:end], new[start:end]) for action, start, end in spans], [], []
    return [], old, new


def _line_changes(section: str, title: str, actions: list[Action], printed: list[str], uploaded: list[str],
                  changes: _ActionChanges, warnings: list[str]) -> dict[str, dict[str, Any]]:
    """Compare a section cell's lines with the lines docgen printed there.

    Unchanged lines are the section's actions as they stand. A changed line is read back into text
    and due date and applied to the action it printed; lines typed beyond those are new actions.
    Returns the edits, for the caller to weigh against the summary table's.
    """
    counts = [len(section_action_lines(action.text, action.due)) for action in actions]
    starts = list(itertools.accumulate([0, *counts]))
    spans = [(action, starts[n], starts[n + 1]) for n, action in enumerate(actions)]
    if [line for a in actions for line in section_action_lines(a.text, a.due)] != printed:
        spans = []  # a council template prints its own way: new lines can be told, not edited ones
    edits: dict[str, dict[str, Any]] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=printed, b=uploaded, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        block = [(action, start - i1, end - i1) for action, start, end in spans if i1 <= start and end <= i2]
        whole = sum(end - start for _, start, end in block) == i2 - i1
        pairs, removed, typed = _pair_block(block if whole else [], printed[i1:i2], uploaded[j1:j2])
        for action, old, new in pairs:
            (text, due), (was_text, was_due) = split_due("\n".join(new)), split_due("\n".join(old))
            edits[action.id] = {**({"text": text} if text != was_text else {}), **({"due": due} if due != was_due else {})}
        warnings += [f"\u201c{line[:60]}\u201d was removed from {title}, but its action stays: mark it completed "
                     "in the summary of actions instead." for line in removed]
        changes.new += [{"section": section, "text": text, "due": due} for text, due in map(split_due, typed)]
    return edits


def _action_changes(db: Session, record: Record, form: FormContent, printed: FormContent, keys: list[str],
                    warnings: list[str]) -> list[dict[str, Any]]:
    """Action edits and new actions from the summary table and the welfare and area cells.

    An action edited both in its section and in the summary keeps the summary's version (the rolling
    plan the policy asks to be kept), and the user is told. A new action typed in its section and
    again in the summary is raised once, in its section, with the summary row's owner and progress.
    """
    changes = _ActionChanges()
    added = _summary_changes(form, printed, changes)
    for section, title, actions, before, after in _sections(db, record, form, printed, keys):
        for action_id, parts in _line_changes(section, title, actions, before, after, changes, warnings).items():
            summary = changes.edits.get(action_id, {})
            clash = [name for name in parts if name in summary and summary[name] != parts[name]]
            if clash:
                warnings.append(f"Action {action_id} was changed both in {title} and in the summary of actions; "
                                "the summary's version was kept.")
            changes.edit(action_id, {name: value for name, value in parts.items() if name not in summary})
    typed = {item["text"]: item for item in changes.new}
    for row in added:
        if row.text in typed:
            typed[row.text].update(owner=row.owner, due=typed[row.text]["due"] or row.due, progress=row.progress,
                                   completed=bool(row.completed))
        else:
            changes.new.append({"section": "summary", "text": row.text, "owner": row.owner, "due": row.due,
                                "progress": row.progress, "completed": bool(row.completed)})
    return changes.items()


def apply_upload(db: Session, profile: Profile, record: Record, form: FormContent, printed: FormContent) -> list[str]:
    """Apply to a record what the user changed in its Word file; returns warnings (nothing is guessed).

    ``printed`` is the record as docgen prints it now, read back by the same parser: every cell is
    compared with it, so a file uploaded unchanged changes nothing, whatever the template prints.
    """
    if form.record_id != record_number(record):
        raise InvalidInput(f"this file is record {form.record_id}, not {record_number(record)}", "file")
    warnings = list(form.warnings)
    patch = _text_changes(record, records.form_of(profile, record), form, printed, warnings)
    areas = _area_changes(record, form, printed)
    keys = [area.key for area in form.areas]
    if areas is not None:  # set first, so an area the user added has its key for the actions typed in it
        records.set_areas(record, areas)
        keys = [area["key"] for area in record.sections["areas"]]
    actions = _action_changes(db, record, form, printed, keys, warnings)
    if actions:
        patch["actions"] = actions
    if patch or areas is not None:
        update_record(db, profile, record, patch)
    return warnings


def _form(data: bytes, number: str) -> FormContent:
    """The uploaded file as form content; anything that cannot be trusted is InvalidInput."""
    try:
        return read_upload(data, max_bytes=MAX_UPLOAD, expected_record_id=number)
    except FormError as exc:
        raise InvalidInput(exc.message, exc.field) from None


def download_record(uow: Work, caller: Caller, record_id: int) -> tuple[bytes, str, int]:
    """The record as a filled-in Word file, its file name and the revision it shows (what an upload
    of it is made from), to anyone who may read it (audited)."""
    db = uow.session
    record = records.get_record(db, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.download")
    return (pipeline.record_docx(uow.deployment, db, record),
            pipeline.docx_filename(record_number(record), record.supervisee.name), record.revision)


@transaction
def upload_record(uow: Work, caller: Caller, record_id: int, read_file: Callable[[], bytes],
                  revision: int | None) -> dict[str, Any]:
    """Read an edited Word file back into the record (current supervisor only, audited as
    `record.upload`), made from `revision` (`workflows.revisions`: a stale one is refused);
    answers with the record as the API shows it and the warnings for the user.

    `read_file` gives the uploaded bytes (or raises InvalidInput when there are none); it is
    called only once the caller may change the record, so a stranger learns nothing from it.
    """
    db = uow.session
    record = records.get_record(db, record_id)
    access.write(uow, caller, record.supervisee, "record", record.id, "record.upload")
    revisions.expect(record, revision, "record")
    form = _form(read_file(), record_number(record))
    warnings = apply_upload(db, uow.deployment.profile, record, form,
                            read_upload(pipeline.record_docx(uow.deployment, db, record)))
    return {"record": records.record_json(db, record), "warnings": warnings}


def download_agreement(uow: Work, caller: Caller, agreement_id: int) -> tuple[bytes, str, int]:
    """The agreement as a filled-in Word file, its file name and the revision it shows, to anyone
    who may read it (audited)."""
    db = uow.session
    agreement = agreements.get_agreement(db, agreement_id)
    access.read(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.download")
    return (pipeline.agreement_docx(uow.deployment, db, agreement),
            pipeline.docx_filename(agreements.agreement_number(agreement), agreement.supervisee.name),
            agreement.revision)


def upload_agreement(uow: Work, caller: Caller, agreement_id: int, read_file: Callable[[], bytes],
                     revision: int | None) -> dict[str, Any]:
    """Read an edited Word agreement back into its fields (current supervisor only, audited as
    `agreement.upload`; `read_file` and `revision` as for `upload_record`)."""
    db = uow.session
    agreement = agreements.get_agreement(db, agreement_id)
    access.write(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.upload")
    revisions.expect(agreement, revision, "agreement")
    form = _form(read_file(), agreements.agreement_number(agreement))
    printed = read_upload(pipeline.agreement_docx(uow.deployment, db, agreement)).fields
    patch = {name: form.fields[cell] for name in uow.deployment.profile.agreement.text_keys
             if (cell := f"agreement_{name}") in form.fields and form.fields[cell] != printed.get(cell)}
    if patch:
        agreements.update_agreement(db, uow.deployment.profile, agreement, patch)
    uow.commit()
    return agreements.agreement_json(agreement)
