"""Records and agreements as Word files: downloaded filled in, edited, and uploaded back.

`documents.docx_form.read_upload` turns an uploaded file into plain values; this maps them
onto the record with the same rules as an edit in the browser (`workflows.records.update_record`),
in one transaction, so a refused upload changes nothing. The API and the pages call the same use
cases here.

Only what the user changed is applied: each cell of the upload is compared with its twin in the
record as the file printed it, read back by the same parser. Comparing with the stored values
instead would see a change wherever printing is not the identity: an area's action prints as
"text – by due", dates are formatted, text is stripped. That comparison once raised a second copy
of every area action with a due date on each unchanged upload.

A file knows the revision it was downloaded at, and carries the record as it printed then, sealed
with the storage keyring (issue 27). A file older than the record is merged three ways: what the
user changed in it since its download is applied to the record as it stands, so what was saved on
the page meanwhile stays; a cell changed on both sides is refused (`ChangedOnBothSides`) unless
the caller chose the file's text, having seen both.
"""
from __future__ import annotations

import datetime as dt
import difflib
import itertools
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from dateutil import parser as date_parser
from pydantic import Field
from sqlalchemy.orm import Session

from documents.docx_form import (ActionRow, AreaEntry, FormContent, FormError, form_from_json, form_json, printed_form,
                                 read_upload, section_action_lines, split_due)
from documents.render import (PROP_BASE, PROP_REVISION, WordDocument, docx_bytes, in_parts, opened,
                              set_custom_properties)
from kernel.errors import Conflict, InvalidInput, PreconditionFailed
from storage import sealing
from storage.backends.base import StorageError
from storage.models import Action, Agreement, Record
from workflows import access, agreements, pipeline, records, revisions
from workflows import actions as actions_mod
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work
from workflows.forms import DATE_COLUMNS, Form
from workflows.inputs import Query
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


def _merged_area(area: AreaEntry, before: dict[str | None, AreaEntry],
                 current: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """One area of the upload merged with the record as it stands: an area the file added is new;
    one removed on the page since the download stays removed (None) unless the user changed it in
    the file, and then comes back with the file's text; else its title and its discussion are each
    the file's where the user changed them."""
    was = before.get(area.key) if area.key is not None else None
    if was is None or area.key not in current:
        unchanged = was is not None and (area.title, area.discussion, area.actions) == (
            was.title, was.discussion, was.actions)
        return None if unchanged else {"title": area.title, "discussion": area.discussion}
    now = current[area.key]
    return {"key": area.key, "title": _kept(area.title, was.title, now["title"]),
            "discussion": _kept(area.discussion, was.discussion, now["discussion"])}


def _area_changes(record: Record, form: FormContent, printed: FormContent,
                  warnings: list[str]) -> list[dict[str, Any] | None] | None:
    """Each of the form's areas merged with the record's (`_merged_area`) if the user changed any
    (added, removed, retitled, written in or given actions), else None; a form without a table of
    areas has none to change. Actions typed in an area removed on the page since the download bring
    it back, for them to have a part of the record to be raised in."""
    def rows(content: FormContent) -> list[tuple[str | None, str, str, list[str]]]:
        return [(a.key, a.title, a.discussion, a.actions) for a in content.areas]

    if rows(form) == rows(printed) and not form.removed_areas:
        return None
    current = {a["key"]: a for a in record.sections["areas"]}
    before: dict[str | None, AreaEntry] = {a.key: a for a in printed.areas}
    merged = [_merged_area(area, before, current) for area in form.areas]
    warnings += [f"The area \u201c{area.title[:60]}\u201d was removed from the record after this file was downloaded; "
                 "it was changed in the file, so it was added again as the file has it."
                 for area, now in zip(form.areas, merged)
                 if now is not None and area.key is not None and area.key in before and area.key not in current]
    return merged


def _set_areas(record: Record, merged: list[dict[str, Any] | None], printed: FormContent) -> list[str | None]:
    """Give the record the merged areas, and after them those added on the page since the file was
    downloaded; returns the key each of the file's areas now has (None: it stays removed)."""
    known = {a["key"] for a in record.sections["areas"]}
    printed_keys = {a.key for a in printed.areas}
    records.set_areas(record, [a for a in merged if a is not None]
                      + [a for a in record.sections["areas"] if a["key"] not in printed_keys])
    fresh = iter([a["key"] for a in record.sections["areas"] if a["key"] not in known])
    return [None if area is None else area.get("key") or next(fresh) for area in merged]


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


def _recognised(rows: list[ActionRow], printed: list[ActionRow]) -> list[ActionRow]:
    """The summary's rows, a row that lost its ids to an editor taken for the printed action it
    still shows word for word (text, owner and due date) when no row carries that action's id:
    read as a new row, it would raise the action a second time (issue 27)."""
    present = {row.id for row in rows}
    lost = {(row.text, row.owner, row.due): row.id for row in printed if row.id not in present}
    return [replace(row, id=lost.pop((row.text, row.owner, row.due)))
            if row.id is None and (row.text, row.owner, row.due) in lost else row for row in rows]


def _row_edits(row: ActionRow, was: ActionRow) -> dict[str, Any]:
    """The parts of a summary row the user changed from what docgen printed in it."""
    parts: dict[str, Any] = {name: getattr(row, name) for name in ("text", "owner", "due", "progress")
                             if getattr(row, name) != getattr(was, name)}
    if row.completed is not None and row.completed != was.completed:
        parts["completed"] = row.completed
    return parts


def _summary_changes(form: FormContent, printed: FormContent, present: set[str],
                     changes: _ActionChanges) -> tuple[list[ActionRow], list[tuple[ActionRow, ActionRow]]]:
    """Edits made in the summary table to the actions docgen printed there; returns the rows the user
    added, and (row, as printed) for each action removed from the record (`present` holds those it
    has) since the download that the user changed in the file: as an area does (`_merged_area`),
    such an action comes back with the file's text, as a new action. One left alone stays removed."""
    before = {row.id: row for row in printed.actions}
    added, returned = [], []
    for row in _recognised(form.actions, printed.actions):
        if row.id is None:
            added.append(row)
        elif row.id not in before:  # printed by another state of the record: every part is the user's
            changes.edit(row.id, {"text": row.text, "owner": row.owner, "due": row.due, "progress": row.progress,
                                  **({} if row.completed is None else {"completed": row.completed})})
        elif row.id not in present:
            if _row_edits(row, before[row.id]) and row.text.strip():
                returned.append((row, before[row.id]))
        else:
            changes.edit(row.id, _row_edits(row, before[row.id]))
    return added, returned


def _printed_in(row: ActionRow, printed: FormContent, sections: dict[str | None, str]) -> str:
    """The part of the record whose cell printed the lines of the action in ``row`` (a row as
    printed): its welfare or an area (``sections``: the part each printed key is now, for those the
    record still has), else the summary of actions."""
    lines = section_action_lines(row.text, row.due)
    cells = [("welfare", printed.welfare_actions), *((area.key, area.actions) for area in printed.areas)]
    for key, cell in cells:
        if key in sections and any(cell[n:n + len(lines)] == lines for n in range(len(cell))):
            return sections[key]
    return "summary"


def _sections(db: Session, record: Record, form: FormContent, printed: FormContent,
              keys: list[str | None]) -> list[tuple[str, str, list[Action], list[str], list[str]]]:
    """(key, title, actions raised there in this record, printed lines, uploaded lines) per section
    cell; ``keys`` are the record's keys of the form's areas, an area the user added included, None
    for one that stays removed."""
    raised: dict[str, list[Action]] = {}
    for entry in actions_mod.entries(db, record):
        if entry.action.raised_in_record_id == record.id:
            raised.setdefault(entry.action.section, []).append(entry.action)
    before = {a.key: a.actions for a in printed.areas if a.key is not None}
    cells = [("welfare", "Welfare", raised.get("welfare", []), printed.welfare_actions, form.welfare_actions)
             ] if "welfare" in record.sections else []
    return cells + [(key, area.title, raised.get(key, []), before.get(area.key, []), area.actions)
                    for area, key in zip(form.areas, keys) if key is not None]


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


def _action_changes(db: Session, record: Record, form: FormContent, printed: FormContent, keys: list[str | None],
                    warnings: list[str]) -> list[dict[str, Any]]:
    """Action edits and new actions from the summary table and the welfare and area cells.

    An action edited both in its section and in the summary keeps the summary's version (the rolling
    plan the policy asks to be kept), and the user is told. A new action typed in its section and
    again in the summary is raised once, in its section, with the summary row's owner and progress.
    """
    changes = _ActionChanges()
    added, returned = _summary_changes(form, printed, {e.action_id for e in actions_mod.entries(db, record)}, changes)
    for section, title, actions, before, after in _sections(db, record, form, printed, keys):
        for action_id, parts in _line_changes(section, title, actions, before, after, changes, warnings).items():
            summary = changes.edits.get(action_id, {})
            clash = [name for name in parts if name in summary and summary[name] != parts[name]]
            if clash:
                warnings.append(f"Action {action_id} was changed both in {title} and in the summary of actions; "
                                "the summary's version was kept.")
            changes.edit(action_id, {name: value for name, value in parts.items() if name not in summary})
    areas = {area["key"] for area in record.sections.get("areas", [])}
    now_in = {area.key: key for area, key in zip(form.areas, keys) if key in areas}
    if "welfare" in record.sections:
        now_in["welfare"] = "welfare"
    warnings += [f"The action \u201c{row.text[:60]}\u201d was removed from the record after this file was downloaded; "
                 "it was changed in the file, so it was added again as the file has it." for row, _was in returned]
    typed = {item["text"]: item for item in changes.new}
    for row, section in [(row, "summary") for row in added] + [(row, _printed_in(was, printed, now_in))
                                                               for row, was in returned]:
        if row.text in typed:
            typed[row.text].update(owner=row.owner, due=typed[row.text]["due"] or row.due, progress=row.progress,
                                   completed=bool(row.completed))
        else:
            changes.new.append({"section": section, "text": row.text, "owner": row.owner, "due": row.due,
                                "progress": row.progress, "completed": bool(row.completed)})
    return changes.items()


def apply_upload(db: Session, profile: Profile, record: Record, form: FormContent, printed: FormContent) -> list[str]:
    """Apply to a record what the user changed in its Word file; returns warnings (nothing is guessed).

    ``printed`` is the record as the file printed it when it was downloaded, read back by the same
    parser: every cell is compared with it, so a file uploaded unchanged changes nothing, whatever
    the template prints, and a change saved on the page since the download is not undone.
    """
    if form.record_id != record_number(record):
        raise InvalidInput(f"this file is record {form.record_id}, not {record_number(record)}", "file")
    warnings = list(form.warnings)
    patch = _text_changes(record, records.form_of(profile, record), form, printed, warnings)
    areas = _area_changes(record, form, printed, warnings)
    keys: list[str | None] = [area.key for area in form.areas]
    before = records.areas_of(record)
    if areas is not None:  # set first, so an area the user added has its key for the actions typed in it
        keys = _set_areas(record, areas, printed)
    actions = _action_changes(db, record, form, printed, keys, warnings)
    if actions:
        patch["actions"] = actions
    if patch or areas is not None:
        update_record(db, profile, record, patch, areas_before=before)
    return warnings


def _form(data: bytes, number: str) -> FormContent:
    """The uploaded file as form content; anything that cannot be trusted is InvalidInput."""
    try:
        return read_upload(data, max_bytes=MAX_UPLOAD, expected_record_id=number)
    except FormError as exc:
        raise InvalidInput(exc.message, exc.field) from None


def _sealed_for(number: str, revision: int) -> str:
    """What a file's sealed base is bound to: a base copied into another record's file, or one
    claiming another revision, fails to open."""
    return f"word file {number} revision {revision}"


def download_record(uow: Work, caller: Caller, record_id: int) -> tuple[bytes, str, int]:
    """The record as a filled-in Word file, its file name and the revision it shows (what an upload
    of it is made from), to anyone who may read it (audited). The file carries that revision and,
    sealed, the record as it prints it, for an upload of it to be merged from."""
    db = uow.session
    record = records.get_record(db, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.download")
    number = record_number(record)
    return (_stamped(uow, pipeline.record_document(uow.deployment, db, record), number, record.revision),
            pipeline.docx_filename(number, record.supervisee.name), record.revision)


def _stamped(uow: Work, rendered: WordDocument | bytes, number: str, revision: int) -> bytes:
    """A rendered document (or a file saved from one) as it is downloaded: with the revision it shows
    and, sealed with the storage keyring (only docgen reads it, and only for this file), the form as
    it prints, for an upload of it to be merged from. The form is read from the document in memory
    and the properties are set before its one save (`printed_form`): reading the saved file back
    and zipping it again cost about as much as rendering it. A council's own template that docgen
    cannot read back (no form tables) is served as rendered: its upload is refused as before, and
    its download must still work."""
    document = opened(rendered) if isinstance(rendered, bytes) else rendered
    try:
        printed = printed_form(document)
    except FormError:
        return rendered if isinstance(rendered, bytes) else docx_bytes(document)
    sealed = sealing.seal(uow.deployment.keyring, zlib.compress(form_json(printed)), _sealed_for(number, revision))
    set_custom_properties(document, {PROP_REVISION: str(revision), **in_parts(PROP_BASE, sealed)})
    return docx_bytes(document)


@dataclass(frozen=True)
class Clash:
    """A cell changed both in the record and in a Word file since the file was downloaded."""

    label: str
    record: str  # what the record says now
    file: str  # what the file says


class ChangedOnBothSides(Conflict):
    """An upload that would replace, unseen, what was saved in the record since the file was
    downloaded at `file_revision`: the `clashes`, for the user to choose between, as the record
    stood at `record_revision` (the revision a choice of the file's text must be made from, so a
    save in between is refused as stale, not overwritten unseen)."""

    code = "changed_on_both_sides"

    def __init__(self, file_revision: int, clashes: list[Clash], record_revision: int) -> None:
        super().__init__(f"since this file was downloaded (revision {file_revision}), these parts were changed both "
                         f"in the record and in the file: {'; '.join(c.label for c in clashes)}. Nothing was read "
                         "in; download the record again, or upload the file choosing its text", "file")
        self.file_revision = file_revision
        self.clashes = clashes
        self.record_revision = record_revision


REMOVED = "(removed)"  # a clash's text where one side removed the part (an action, an area) the other changed


class UploadChoice(Query):
    """What an upload of a record's Word file answers to a clash (`ChangedOnBothSides`), once the
    caller has seen both texts: the clash page sends it in its form, the API in the query string."""

    keep: Literal["file"] | None = Field(
        None, description="`file`: where the record (or agreement) and the file both changed a part since the file "
                          "was downloaded, keep the file's text (an action or area the record removed meanwhile "
                          "comes back as the file has it). Send it with If-Match naming the `record_revision` the "
                          "clashes were listed at.")

    @property
    def keep_file(self) -> bool:
        return self.keep == "file"


def _cells(content: FormContent, definition: Form | None) -> dict[str, tuple[str, str]]:
    """Every cell of a form by a name that is the same in any state of the document: (label, text)."""
    def label(name: str) -> str:
        field_ = definition.field(name) if definition else None
        return field_.label if field_ else name.replace("_", " ").capitalize()

    cells = {f"field {name}": (label(name), text) for name, text in content.fields.items()}
    cells |= {"welfare": ("Welfare", content.welfare_discussion),
              "welfare actions": ("Welfare actions", "\n".join(content.welfare_actions))}
    for area in content.areas:
        parts = {"title": area.title, "discussion": area.discussion, "actions": "\n".join(area.actions)}
        cells |= {f"area {area.key} {part}": (f"{area.title}: {part}", text)
                  for part, text in parts.items() if area.key is not None}
    for row in content.actions:
        parts = {"action": row.text, "owner": row.owner, "due date": row.due, "progress": row.progress,
                 "completed": {True: "Yes", False: "No", None: ""}[row.completed]}
        cells |= {f"action {row.id} {part}": (f"Action \u201c{row.text[:40]}\u201d: {part}", text)
                  for part, text in parts.items() if row.id is not None}
    return cells


def _clashes(base: FormContent, now: FormContent, upload: FormContent, definition: Form | None) -> list[Clash]:
    """The cells the upload changed from ``base`` (the record as the file printed it) that the
    record changed too, to other text (``now``): a three-way merge's conflicts. An area the file
    removed that the record changed is one as well; a summary row left out of the file changes
    nothing (an action is completed, not deleted), so it is none."""
    was, theirs, yours = (_cells(content, definition) for content in (base, now, upload))
    found = []
    for name, (label, before) in was.items():
        if name in yours:
            text = yours[name][1]
        else:
            text = REMOVED if name.startswith("area ") else before
        label, saved = theirs.get(name, (label, REMOVED))
        if before not in (text, saved) and saved != text:
            found.append(Clash(label, saved, text))
    return found


def _base(uow: Work, revision: int, form: FormContent, now: FormContent, what: str) -> FormContent:
    """The document as the uploaded file printed it when it was downloaded: as it is now (`now`, at
    `revision`) for a file of the current revision or one that does not say its revision, else the
    file's sealed copy."""
    if form.revision is None or form.revision == revision:
        return now
    if form.revision > revision:
        raise InvalidInput(f"this file says it shows revision {form.revision} of the {what}, which is at revision "
                           f"{revision}: upload a file downloaded from this docgen", "file")
    try:
        return form_from_json(zlib.decompress(sealing.unseal(
            uow.deployment.keyring, form.sealed_base, _sealed_for(form.record_id, form.revision))))
    except (StorageError, zlib.error, ValueError, TypeError):
        raise Conflict(f"this file was downloaded at revision {form.revision} of the {what}, which has changed since, "
                       f"and the file no longer says what it showed then: download the {what} again and make your "
                       "changes in the new file", "file") from None


def _merge_base(uow: Work, revision: int, form: FormContent, now: FormContent, definition: Form | None,
                keep_file: bool, what: str) -> FormContent:
    """The base an upload is merged from (`_base`), once no cell changed on both sides, or the caller
    chose the file's text where one did (`keep_file`)."""
    base = _base(uow, revision, form, now, what)
    found = _clashes(base, now, form, definition)
    if found and not keep_file:
        raise ChangedOnBothSides(form.revision or revision, found, revision)
    return base


@transaction
def upload_record(uow: Work, caller: Caller, record_id: int, read_file: Callable[[], bytes],
                  revision: int | None, keep_file: bool = False) -> dict[str, Any]:
    """Read an edited Word file back into the record (current supervisor only, audited as
    `record.upload`), from a page or read made at `revision` (`workflows.revisions`: a stale one is
    refused); answers with the record as the API shows it, the warnings for the user, and the
    revision an older file was merged from when the record had changed since (`merged_from`, else
    None).

    A file older than the record is merged three ways. A cell changed both in the record and in
    the file is refused (`ChangedOnBothSides`), unless `keep_file`: the caller saw both texts at
    `revision` and chose the file's (an action or area removed from the record that the file
    changed then comes back as the file has it, and the warnings say so). `read_file` gives the
    uploaded bytes (or raises InvalidInput when there are none); it is called only once the caller
    may change the record, so a stranger learns nothing from it.
    """
    db = uow.session
    record = records.get_record(db, record_id)
    access.write(uow, caller, record.supervisee, "record", record.id, "record.upload")
    _expect(record, revision, keep_file, "record")
    form = _form(read_file(), record_number(record))
    now = printed_form(pipeline.record_document(uow.deployment, db, record))
    base = _merge_base(uow, record.revision, form, now, records.form_of(uow.deployment.profile, record), keep_file,
                       "record")
    warnings = apply_upload(db, uow.deployment.profile, record, form, base) + _undated(form)
    return {"record": records.record_json(db, record), "warnings": warnings,
            "merged_from": form.revision if base != now else None}


def _expect(row: Record | Agreement, revision: int | None, keep_file: bool, what: str) -> None:
    """`revisions.expect`, except that a choice of the file's text made before a later save is
    told to look again: re-reading the ETag and choosing again would keep the file's text over what
    was saved since without anyone having seen it."""
    if keep_file and revision is not None and row.revision != revision:
        raise PreconditionFailed(f"the {what} was saved again since its clashes with your file were shown "
                                 f"(revision {revision}, now {row.revision}): upload the file again without "
                                 "keeping its text, to see the clashes as they are now", "revision")
    revisions.expect(row, revision, what)


def _undated(form: FormContent) -> list[str]:
    """A file that does not say which revision it was made from (downloaded before docgen kept it,
    or its properties stripped) cannot be merged: the user is told what happened instead."""
    if form.revision is not None:
        return []
    return ["This Word file does not say when it was downloaded, so it could not be merged with what was saved "
            "since: wherever it differs from the record, its text was read in"]


def download_agreement(uow: Work, caller: Caller, agreement_id: int) -> tuple[bytes, str, int]:
    """The agreement as a filled-in Word file, its file name and the revision it shows, to anyone
    who may read it (audited)."""
    db = uow.session
    agreement = agreements.get_agreement(db, agreement_id)
    access.read(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.download")
    number = agreements.agreement_number(agreement)
    return (_stamped(uow, pipeline.agreement_document(uow.deployment, db, agreement), number, agreement.revision),
            pipeline.docx_filename(number, agreement.supervisee.name), agreement.revision)


def upload_agreement(uow: Work, caller: Caller, agreement_id: int, read_file: Callable[[], bytes],
                     revision: int | None, keep_file: bool = False) -> dict[str, Any]:
    """Read an edited Word agreement back into its fields (current supervisor only, audited as
    `agreement.upload`; `read_file`, `revision` and `keep_file` as for `upload_record`), an older
    file merged three ways as a record's is."""
    db = uow.session
    agreement = agreements.get_agreement(db, agreement_id)
    access.write(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.upload")
    _expect(agreement, revision, keep_file, "agreement")
    form = _form(read_file(), agreements.agreement_number(agreement))
    now = printed_form(pipeline.agreement_document(uow.deployment, db, agreement))
    printed = _merge_base(uow, agreement.revision, form, now, None, keep_file, "agreement").fields
    patch = {name: form.fields[cell] for name in uow.deployment.profile.agreement.text_keys
             if (cell := f"agreement_{name}") in form.fields and form.fields[cell] != printed.get(cell)}
    if patch:
        agreements.update_agreement(db, uow.deployment.profile, agreement, patch)
    uow.commit()
    return agreements.agreement_json(agreement)
