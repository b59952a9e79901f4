"""What changed between two sent versions of a document, in words a supervisee reads (issue 27).

A supervisee who disagreed with version 1 is sent version 2; without being told what changed they
must compare the two by eye. The versions compared are the Word files filed when each was sent
(`workflows.pipeline.send_for_signoff`): exactly what the supervisee read, not the record as it
stands now. Both are read back by the parser of uploads (`documents.docx_form`), so one printing
of a value is compared with the same printing of the other, and an area's action printed as
"text – by due" never reads as changed when only the summary of actions changed its progress.

The words name the area or action, never a field's key: "Welfare: text changed",
"Area 'Caseload' added", "Action 'Book training' added", "Action 'Book training': due date changed
to 30 January 2027".
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from documents.docx_form import ActionRow, AreaEntry, FormContent, FormError, read_upload, split_due


def read(data: bytes) -> FormContent | None:
    """The filed Word file of a version as values; None for one that cannot be read (a council's
    own template without docgen's bookmarks), whose changes are then not listed."""
    try:
        return read_upload(data)
    except FormError:
        return None


def described(before: FormContent, after: FormContent, labels: Mapping[str, str]) -> list[str]:
    """Each change from `before` to `after`, in the order the form prints: its fields (named by
    `labels`, the form's own wording), welfare, the areas, then the summary of actions."""
    summary = {row.text for row in (*before.actions, *after.actions)}
    return [*_fields(before.fields, after.fields, labels),
            *_section("Welfare", before.welfare_discussion, after.welfare_discussion,
                      before.welfare_actions, after.welfare_actions, summary),
            *_areas(before.areas, after.areas, summary),
            *_actions(before.actions, after.actions)]


def _fields(before: Mapping[str, str], after: Mapping[str, str], labels: Mapping[str, str]) -> list[str]:
    """A field whose printed value changed; the signature block is no field a writer changes."""
    keys = [key for key in after if not key.startswith("signature_")]
    return [f"{_label(key, labels)}: changed" for key in keys
            if key in before and _same(before[key]) != _same(after[key])]


def _label(key: str, labels: Mapping[str, str]) -> str:
    return (labels.get(key) or key.replace("_", " ").capitalize()).strip().rstrip(":?").strip()


def _same(text: str) -> str:
    """Text as compared: spacing and line breaks are not a change a reader sees as one."""
    return " ".join(text.split())


def _section(title: str, text_before: str, text_after: str, lines_before: Iterable[str],
             lines_after: Iterable[str], summary: set[str]) -> list[str]:
    """Welfare or an area: its text, and the actions written in it. An action also in the summary
    of actions is told of there, once."""
    said = [f"{title}: text changed"] if _same(text_before) != _same(text_after) else []
    old = [line for line in lines_before if split_due(line)[0] not in summary]
    new = [line for line in lines_after if split_due(line)[0] not in summary]
    said += [f"{title}: action '{split_due(line)[0]}' added" for line in new if line not in old]
    said += [f"{title}: action '{split_due(line)[0]}' removed" for line in old if line not in new]
    return said


def _areas(before: list[AreaEntry], after: list[AreaEntry], summary: set[str]) -> list[str]:
    old = {area.key: area for area in before if area.key is not None}
    new_keys = {area.key for area in after}
    said: list[str] = []
    for area in after:
        was = old.get(area.key) if area.key is not None else None
        if was is None:
            said.append(f"Area '{area.title}' added")
            continue
        if _same(was.title) != _same(area.title):
            said.append(f"Area '{was.title}' renamed '{area.title}'")
        said += _section(area.title, was.discussion, area.discussion, was.actions, area.actions, summary)
    return said + [f"Area '{area.title}' removed" for key, area in old.items() if key not in new_keys]


def _actions(before: list[ActionRow], after: list[ActionRow]) -> list[str]:
    old = {row.id: row for row in before if row.id is not None}
    new_ids = {row.id for row in after}
    said: list[str] = []
    for row in after:
        was = old.get(row.id) if row.id is not None else None
        said += [f"Action '{row.text}' added"] if was is None else _action(was, row)
    return said + [f"Action '{row.text}' removed" for key, row in old.items() if key not in new_ids]


def _action(was: ActionRow, now: ActionRow) -> list[str]:
    """The changes to one action of the summary, each in its own words."""
    said = [f"Action '{was.text}' reworded: '{now.text}'"] if _same(was.text) != _same(now.text) else []
    name = f"Action '{now.text}'"
    if _same(was.due) != _same(now.due):
        said.append(f"{name}: due date changed to {now.due}" if now.due else f"{name}: due date removed")
    if _same(was.owner) != _same(now.owner):
        said.append(f"{name}: owner changed to {now.owner}" if now.owner else f"{name}: owner removed")
    if _same(was.progress) != _same(now.progress):
        said.append(f"{name}: progress changed")
    if was.completed != now.completed:
        said.append(f"{name}: marked {'completed' if now.completed else 'not completed'}")
    return said
