"""Read an edited supervision record or agreement back from an uploaded DOCX.

Users edit docgen's records in Word or LibreOffice and upload them. What survives such
an edit was measured (``ROUNDTRIP.md``): bookmarks spanning a cell's text and custom
document properties do; content controls and table captions do not. So this parser:

* identifies the record from custom properties written by ``documents.render``;
* finds each cell by its bookmark (``dg_f_<field>``, ``dg_area<n>_<col>``,
  ``dg_act_<id>_<col>``) and reads the whole cell, so a bookmark that now spans only
  part of the retyped text still identifies it;
* finds structured tables by their ``dg_tbl_<name>`` header bookmark (or header text),
  maps columns by grid position and refuses a changed header or merged/missing cells;
* treats rows without an issued id, or with a ``_Copy_N``/repeated id, as new rows.

It is generic over templates: nothing here depends on the kind of form.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from docx.document import Document as WordDocument
from lxml import etree

from documents.docx_package import FormError, Package
from documents.render import (
    PROP_ACTION_IDS,
    PROP_AREA_KEYS,
    PROP_BASE,
    PROP_KIND,
    PROP_RECORD_ID,
    PROP_REVISION,
    PROP_SCHEMA_VERSION,
    PROP_TABLES,
    custom_properties,
    document_properties,
    joined,
)

__all__ = ["ActionRow", "AreaEntry", "FormContent", "FormError", "form_from_json", "form_json", "printed_form",
           "read_upload", "section_action_lines", "split_due"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
OFFICE_DOCUMENT_REL = "/officeDocument"
CUSTOM_PROPERTIES_REL = "/custom-properties"

TABLE_HEADERS: dict[str, tuple[str, ...]] = {
    "agreement": ("field", "details"),
    "areas": ("area discussed", "discussion", "actions & timescales"),
    "actions": ("date added", "action", "progress made", "completed?"),
    "signatures": ("", "signature", "date"),
}
COMPLETED_YES = frozenset({"yes", "y", "done", "\u2612", "x", "\u2713", "\u2714"})
COMPLETED_NO = frozenset({"no", "n", "\u2610", ""})

# How a record template prints an action's due date after its text in a welfare or area cell
# (``templates_docx/build.py`` builds its cells with this mark).
DUE_MARK = " \u2013 by "

_COPY = re.compile(r"_Copy_\d+$")
_FIELD = re.compile(r"dg_f_(\w+)")
_AREA = re.compile(r"dg_area(\d+)_[tda]")
_ACTION = re.compile(r"dg_act_([A-Za-z0-9]+)_[dtpc]")
# Last line of an action cell as render writes it: "Owner: X; Due: Y" (either part optional).
_OWNER_DUE = re.compile(r"(?:owner:\s*(?P<owner>[^;]*?))?\s*;?\s*(?:due:\s*(?P<due>.*?))?\s*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_P, _T, _TAB = f"{{{W}}}p", f"{{{W}}}t", f"{{{W}}}tab"
_TEXT_NODES = (_T, f"{{{W}}}br", f"{{{W}}}cr", _TAB)  # what a cell's visible text is made of
# The last " – by " (or a typed hyphen or em dash) before the due date; the text keeps any earlier one.
_DUE = re.compile(r"(?P<text>.*\S)\s+[-\u2013\u2014]\s*by\s+(?P<due>\S.*)", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class AreaEntry:
    """One row of "3. Various": ``key`` is None for an area the user added."""

    key: str | None
    title: str
    discussion: str
    actions: list[str]


@dataclass(frozen=True)
class ActionRow:
    """One row of the actions summary: ``id`` is None for a row the user added."""

    id: str | None
    date_added: str
    text: str
    owner: str
    due: str
    progress: str
    completed: bool | None


@dataclass
class FormContent:
    """Everything read back from an uploaded form."""

    record_id: str
    kind: str
    schema_version: str
    fields: dict[str, str]
    welfare_discussion: str
    welfare_actions: list[str]
    areas: list[AreaEntry]
    removed_areas: list[str]
    actions: list[ActionRow]
    warnings: list[str] = field(default_factory=list)
    # The edit revision the file was downloaded at, and the record as it printed then (sealed):
    # none in a file docgen rendered for another purpose, or downloaded before files carried them.
    revision: int | None = None
    sealed_base: str = ""


def form_json(content: FormContent) -> bytes:
    """The cells of ``content`` as JSON, to keep a download's printed record beside the file."""
    cells = dataclasses.asdict(content)
    for kept_apart in ("warnings", "revision", "sealed_base"):
        del cells[kept_apart]
    return json.dumps(cells, ensure_ascii=False).encode()


def form_from_json(data: bytes) -> FormContent:
    """``form_json``'s cells back as form content."""
    cells = json.loads(data)
    return FormContent(**{**cells, "areas": [AreaEntry(**area) for area in cells["areas"]],
                          "actions": [ActionRow(**row) for row in cells["actions"]]})


def read_upload(data: bytes, *, max_bytes: int = 10_000_000, expected_record_id: str | None = None) -> FormContent:
    """Parse an uploaded DOCX produced by ``documents.render`` and edited by a user.

    ``expected_record_id``, when given, refuses a file that belongs to another record.
    Raises ``FormError`` for anything that cannot be trusted to map back onto the record,
    the package's own dangers first (``documents.docx_package``).
    """
    with Package(data, max_bytes) as package:
        document_name = package.related_part(OFFICE_DOCUMENT_REL)
        props_name = package.related_part(CUSTOM_PROPERTIES_REL)
        if document_name is None:
            raise FormError("The file is not a Word document (.docx).", "file")
        if props_name is None:
            raise FormError("The document's docgen properties are missing: upload a record docgen produced.", "record_id")
        props = custom_properties(package.xml(props_name))
        document = package.xml(document_name)
    return _parse(document, props, expected_record_id)


def printed_form(document: WordDocument) -> FormContent:
    """The form as a document docgen has just rendered prints it, read by the same parser as an
    upload (``read_upload``) from the document still in memory, before it is saved: the package
    checks guard against a file from outside, and saving and unzipping it again would only cost
    time. Raises ``FormError`` for a template docgen cannot read back (a council's own without the
    form tables), as ``read_upload`` of the saved file would."""
    return _parse(document.element, document_properties(document), None)


def _parse(document: etree._Element, props: dict[str, str], expected_record_id: str | None) -> FormContent:
    record_id, kind = props.get(PROP_RECORD_ID, ""), props.get(PROP_KIND, "")
    if not record_id or not kind or PROP_TABLES not in props:
        raise FormError("The document's docgen properties are missing: upload a record docgen produced.", "record_id")
    if expected_record_id is not None and record_id != expected_record_id:
        raise FormError(f"This file is record {record_id}, not {expected_record_id}.", "record_id")
    action_ids = _json_list(props.get(PROP_ACTION_IDS, "[]"))
    area_keys = _json_list(props.get(PROP_AREA_KEYS, "[]"))

    bookmarks = list(_bookmarks(document))
    _refuse_foreign_actions(bookmarks, action_ids, record_id)
    tables = {name: _table(document, bookmarks, name) for name in filter(None, props[PROP_TABLES].split(","))}
    fields = {
        match.group(1): _cell_text(cell)
        for name, cell in bookmarks
        if cell is not None and not _COPY.search(name) and (match := _FIELD.fullmatch(name))
    }
    content = FormContent(
        record_id=record_id,
        kind=kind,
        schema_version=props.get(PROP_SCHEMA_VERSION, ""),
        fields=fields,
        welfare_discussion=fields.pop("welfare_discussion", ""),
        welfare_actions=_lines(fields.pop("welfare_actions", "")),
        areas=[],
        removed_areas=[],
        actions=[],
        revision=_revision(props.get(PROP_REVISION, "")),
        sealed_base=joined(PROP_BASE, props),
    )
    if "areas" in tables:
        content.areas = _areas(tables["areas"], area_keys)
        seen = {area.key for area in content.areas}
        content.removed_areas = [key for key in area_keys if key not in seen]
    if "actions" in tables:
        content.actions = _actions(tables["actions"], content.warnings)
    return content


def _refuse_foreign_actions(bookmarks: list[tuple[str, etree._Element | None]], action_ids: list[str],
                            record_id: str) -> None:
    """Refuse a file naming an action its record never issued (pasted from another record's file)."""
    for name, _ in bookmarks:
        match = _ACTION.fullmatch(_COPY.sub("", name))
        if match and match.group(1) not in action_ids:
            raise FormError(f"Action {match.group(1)} was not issued by record {record_id}.", "actions")


def _revision(value: str) -> int | None:
    """The revision a file says it was downloaded at; None if it does not say."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        raise FormError("The document's docgen properties were altered.", "record_id")
    return int(value)


def _json_list(value: str) -> list[str]:
    try:
        items = json.loads(value)
    except json.JSONDecodeError as exc:
        raise FormError("The document's docgen properties were altered.", "record_id") from exc
    if not isinstance(items, list):
        raise FormError("The document's docgen properties were altered.", "record_id")
    return [str(item) for item in items]


def _bookmarks(root: etree._Element) -> Iterable[tuple[str, etree._Element | None]]:
    """(bookmark name, enclosing table cell or None) in document order."""
    for start in root.iter(f"{{{W}}}bookmarkStart"):
        yield start.get(f"{{{W}}}name", ""), next(start.iterancestors(f"{{{W}}}tc"), None)


def _table(root: etree._Element, bookmarks: list[tuple[str, etree._Element | None]], name: str) -> etree._Element:
    """The structured table ``name``, its header and cell grid checked."""
    expected = TABLE_HEADERS.get(name)
    if expected is None:
        raise FormError(f"The document names an unknown table {name!r}.", "record_id")
    marked = next((cell for bookmark, cell in bookmarks if cell is not None and bookmark == f"dg_tbl_{name}"), None)
    if marked is not None:
        table = next(marked.iterancestors(f"{{{W}}}tbl"))
    else:
        table = next((t for t in root.iter(f"{{{W}}}tbl") if _header(t) == expected), None)
        if table is None:
            raise FormError(f"The {_label(name)} table is missing from the document.", name)
    found = _header(table)
    if found != expected:
        raise FormError(
            f"The header of the {_label(name)} table was changed: expected {' | '.join(expected)}, "
            f"found {' | '.join(found)}.",
            name,
        )
    for number, row in enumerate(_rows(table), start=1):
        if not _whole_row(row, len(expected)):
            raise FormError(f"Row {number} of the {_label(name)} table has merged or missing cells.", name)
    return table


def _label(table_name: str) -> str:
    return {"areas": "areas discussed", "actions": "Summary of Actions & Progress"}.get(table_name, table_name)


def _rows(table: etree._Element) -> list[etree._Element]:
    return list(table.iterchildren(f"{{{W}}}tr"))


def _cells(row: etree._Element) -> list[etree._Element]:
    return list(row.iterchildren(f"{{{W}}}tc"))


def _header(table: etree._Element) -> tuple[str, ...]:
    rows = _rows(table)
    return tuple(_SPACES.sub(" ", _cell_text(cell)).strip().lower() for cell in _cells(rows[0])) if rows else ()


def _whole_row(row: etree._Element, columns: int) -> bool:
    """One cell per grid column: no gridBefore/gridAfter, spans or vertical merges."""
    for skipped in row.iterfind(f"{{{W}}}trPr/*"):
        if skipped.tag in (f"{{{W}}}gridBefore", f"{{{W}}}gridAfter") and skipped.get(f"{{{W}}}val", "0") != "0":
            return False
    cells = _cells(row)
    merged = any(
        cell.find(f"{{{W}}}tcPr/{{{W}}}vMerge") is not None
        or cell.find(f"{{{W}}}tcPr/{{{W}}}gridSpan") is not None
        and cell.find(f"{{{W}}}tcPr/{{{W}}}gridSpan").get(f"{{{W}}}val", "1") != "1"
        for cell in cells
    )
    return len(cells) == columns and not merged


def _row_ids(row: etree._Element, pattern: re.Pattern[str]) -> tuple[str | None, bool]:
    """The id in a row's bookmarks and whether it is a pasted copy."""
    for start in row.iter(f"{{{W}}}bookmarkStart"):
        name = start.get(f"{{{W}}}name", "")
        match = pattern.fullmatch(_COPY.sub("", name))
        if match:
            return match.group(1), bool(_COPY.search(name))
    return None, False


def _areas(table: etree._Element, area_keys: list[str]) -> list[AreaEntry]:
    areas: list[AreaEntry] = []
    seen: set[str] = set()
    for row in _rows(table)[1:]:
        index, copied = _row_ids(row, _AREA)
        title, discussion, actions = (_cell_text(cell) for cell in _cells(row))
        key = None
        if index is not None:
            if int(index) >= len(area_keys):
                raise FormError(f"An area row was not issued by this record (area {index}).", "areas")
            key = area_keys[int(index)]
            if copied or key in seen:
                key = None
        if key is None and not (title or discussion or actions):
            continue  # an empty row the user added and left blank
        if key is not None:
            seen.add(key)
        areas.append(AreaEntry(key=key, title=title, discussion=discussion, actions=_lines(actions)))
    return areas


def _actions(table: etree._Element, warnings: list[str]) -> list[ActionRow]:
    rows: list[ActionRow] = []
    seen: set[str] = set()
    for row in _rows(table)[1:]:
        action_id, copied = _row_ids(row, _ACTION)
        date_added, action, progress, completed = (_cell_text(cell) for cell in _cells(row))
        if copied or action_id in seen:
            action_id = None
        if action_id is None and not (date_added or action or progress or completed):
            continue
        if action_id is not None:
            seen.add(action_id)
        text, owner, due = _split_action(action)
        rows.append(
            ActionRow(
                id=action_id,
                date_added=date_added,
                text=text,
                owner=owner,
                due=due,
                progress=progress,
                completed=_completed(completed, text, warnings),
            )
        )
    return rows


def _split_action(cell: str) -> tuple[str, str, str]:
    """Separate the "Owner: X; Due: Y" line render adds under the action text."""
    head, _, last = cell.rpartition("\n")
    if head and last.lower().startswith(("owner:", "due:")):
        match = _OWNER_DUE.fullmatch(last.strip())
        if match:
            return head.strip(), (match.group("owner") or "").strip(), (match.group("due") or "").strip()
    return cell, "", ""


def section_action_lines(text: str, due: str) -> list[str]:
    """The lines an action raised in welfare or an area prints in its section's cell, as parsed back."""
    return _lines(f"{text}{DUE_MARK}{due}" if due else text)


def split_due(lines: str) -> tuple[str, str]:
    """An action's lines in a section cell read back as (text, due): "Book leave – by 1 May" is
    ("Book leave", "1 May"). A user who types a hyphen or an em dash for the en dash means the same."""
    match = _DUE.fullmatch(lines.strip())
    return (match.group("text"), match.group("due").strip()) if match else (lines.strip(), "")


def _completed(value: str, action: str, warnings: list[str]) -> bool | None:
    answer = _SPACES.sub(" ", value).strip().lower().rstrip(".")
    if answer in COMPLETED_YES:
        return True
    if answer in COMPLETED_NO:
        return False
    warnings.append(f"Completed? '{value}' not understood for action \u201c{action[:60]}\u201d: left undecided.")
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _cell_text(cell: etree._Element) -> str:
    """Visible text of a table cell, one line per paragraph or line break.

    Read with XPath rather than python-docx's ``cell.text``, which misses text in
    content controls and tracked insertions; tracked deletions and hidden runs are
    skipped because the user does not see them.
    """
    lines = []
    for paragraph in cell.iter(_P):
        parts = []
        for node in paragraph.iter(*_TEXT_NODES):
            if _invisible(node):
                continue
            tag = node.tag
            parts.append(node.text or "" if tag == _T else "\t" if tag == _TAB else "\n")
        lines.append("".join(parts))
    return "\n".join(lines).strip()


def _invisible(node: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        tag = ancestor.tag
        local = tag[tag.rfind("}") + 1:]  # etree.QName(ancestor).localname, without an object per step
        if local in ("del", "moveFrom"):
            return True
        if local == "r":
            vanish = ancestor.find(f"{{{W}}}rPr/{{{W}}}vanish")
            if vanish is not None and vanish.get(f"{{{W}}}val", "true").lower() not in ("0", "false", "off"):
                return True
        if local == "p":
            return False
    return False
