"""Render supervision paperwork from the Word templates in ``templates_docx/``.

docxtpl fills the templates; this module adds what the round trip needs
(``ROUNDTRIP.md``): custom document properties naming the record, its kind, the
template's schema version and every id the record issued, so an edited upload can
be matched back to the record by ``documents.docx_form``.

Context contract (built by the records workflow from the record's form, ``workflows.forms``;
every template takes the same shape, each form reads only its own fields)::

    {
     "organisation": "Knowsley Council",
     "marking": "OFFICIAL-SENSITIVE",        # "" hides the protective marking
     "record_id": "R-000042",
     "kind": "practitioner",  # "agreement" or the profile's record kind
     "title": "Supervision record for Practitioners",
     "supervisee": {"name": str, "job_role": str},
     "supervisor": {"name": str, "job_role": str},
     "team": str, "session_date": "25 November 2026",
     "next_supervision": str, "review_date": str,
     "previous": {"happy": str, "comments": str},
     "welfare": {"discussion": str, "actions": [{"id": "A7K2Q9", "text": str, "due": str}]},
     "areas": [{"key": "learning_development", "title": "Learning and Development",
                "discussion": str, "actions": [{"id", "text", "due"}]}],
     "decisions": str,
     "actions_section": 4,        # informational: each template fixes its own numbering
     "actions": [{"id": "A7K2Q9", "date_added": "3 November 2026", "text": str, "owner": str,
                  "due": str, "progress": str, "completed": "Yes" | "No"}],
     "signatures": {"supervisee": {"name": str, "date": str},   # a key per signer only:
                    "supervisor": {"name": str, "date": str}},   # no row for someone who does not sign
     # agreement only:
     "agreement": {"started", "frequency", "length", "location", "confidentiality",
                   "supervisee_expectations", "supervisor_expectations", "review_date",
                   "job_roles",
                   "access"},         # all str; access: who sees the records, the profile's line
     # every other text field of the record's form under its own key (all str), e.g. S App A's
     # "agenda", "pdr_date", "cases", "next_supervision_time"; W App E's "activity", "analysis",
     # "action_plan"; Lancashire's "family_views"
     "form": workflows.forms.Form,         # for the HTML view; templates do not read it
     "fields": {key: str},                 # each field as printed, for the HTML view
    }

Multi-line strings keep their line breaks (docxtpl turns ``\\n`` into line breaks).
Action ids must be letters and digits and area keys unique: both become parts of
bookmark names and of the issued-id lists.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docxtpl import DocxTemplate
from jinja2 import Environment, Template
from lxml import etree

# The repository's templates_docx/, installed as this package (pyproject.toml's package-dir), so the
# same lookup finds them in the wheel and in a checkout.
DEFAULT_TEMPLATE_DIR = Path(str(resources.files("documents.templates_docx")))
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PROP_RECORD_ID = "docgen.record_id"
PROP_KIND = "docgen.kind"
PROP_SCHEMA_VERSION = "docgen.schema_version"
PROP_ACTION_IDS = "docgen.action_ids"
PROP_AREA_KEYS = "docgen.area_keys"
PROP_TABLES = "docgen.tables"
# A downloaded file's edit revision, and the record as that revision printed it (sealed by the
# workflow, so only docgen reads it), in numbered parts of at most PART_LENGTH characters: Word
# keeps no longer text in a property. An upload of an older file is merged from this base.
PROP_REVISION = "docgen.revision"
PROP_BASE = "docgen.base."
PART_LENGTH = 255
DEFAULT_SCHEMA_VERSION = "1"

CUSTOM_PROPS_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
# The format id every Office application uses for user-defined properties.
USER_DEFINED_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

_ACTION_ID = re.compile(r"[A-Za-z0-9]+")
# Characters XML 1.0 cannot carry; docxtpl would write them and Word would refuse the file.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def template_path(name: str, search_dirs: list[Path]) -> Path:
    """Find template ``name`` (with or without ``.docx``) in the first directory holding it.

    Directories are searched in order, so a council's own template directory listed
    before ``DEFAULT_TEMPLATE_DIR`` overrides docgen's forms one file at a time.
    """
    filename = name if name.endswith(".docx") else f"{name}.docx"
    if Path(filename).name != filename or filename.startswith("."):
        raise ValueError(f"template name {name!r} must be a plain file name")
    for directory in search_dirs:
        candidate = Path(directory) / filename
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in search_dirs)
    raise FileNotFoundError(f"template {filename} not found in {searched}")


def render_docx(template: str | Path, context: dict) -> bytes:
    """Render ``template`` with ``context`` and stamp the record's custom properties."""
    return docx_bytes(rendered(template, context))


def rendered(template: str | Path, context: dict) -> WordDocument:
    """``template`` filled with ``context`` and the record's custom properties set, still in memory:
    what is known only once a file is handed to someone (the revision it shows) is set on it before
    the one save (``docx_bytes``), not by unzipping and zipping the saved file again."""
    action_ids, area_keys = issued_ids(context)
    document = fill(template, context)
    set_custom_properties(
        document,
        {
            PROP_RECORD_ID: str(context["record_id"]),
            PROP_KIND: str(context["kind"]),
            PROP_SCHEMA_VERSION: document_properties(document).get(PROP_SCHEMA_VERSION, DEFAULT_SCHEMA_VERSION),
            PROP_ACTION_IDS: json.dumps(action_ids),
            PROP_AREA_KEYS: json.dumps(area_keys),
        },
    )
    return document


def docx_bytes(document: WordDocument) -> bytes:
    """The document saved as a .docx file."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def opened(docx: bytes) -> WordDocument:
    """A saved .docx file in memory again, to be changed and saved (``docx_bytes``)."""
    return Document(io.BytesIO(docx))


def in_parts(prefix: str, text: str) -> dict[str, str]:
    """``text`` as properties ``prefix0``, ``prefix1``... of PART_LENGTH characters at most."""
    return {f"{prefix}{n}": text[start:start + PART_LENGTH]
            for n, start in enumerate(range(0, len(text), PART_LENGTH))}


def joined(prefix: str, props: Mapping[str, str]) -> str:
    """The text ``in_parts`` split into ``props``, joined back in the parts' order."""
    parts = {int(name[len(prefix):]): value for name, value in props.items()
             if name.startswith(prefix) and name[len(prefix):].isdigit()}
    return "".join(parts[n] for n in sorted(parts))


def fill(template: str | Path, context: Mapping[str, Any]) -> WordDocument:
    """The template with ``context`` filled in: text made XML-safe, markup characters escaped."""
    document = _Prepared(io.BytesIO(_template_bytes(Path(template))))
    document.render(_clean(context), jinja_env=_JINJA, autoescape=True)
    return document.docx


class _Prepared(DocxTemplate):
    """docxtpl's template, cleaning each part's XML for Jinja once per template text.

    docxtpl cleans every part with a dozen regular expressions (`patch_xml`) and compiles it on
    every render, though both depend on the template alone: together about a third of a
    200-action record's render (cProfile, `bench/render.py`'s record). What depends on the
    context (filling, `resolve_listing`, the table fixes) still runs on every render.
    """

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


@functools.lru_cache(maxsize=64)
def _patched(src_xml: str) -> str:
    """A part's XML as docxtpl cleans it for Jinja (its `patch_xml` reads nothing of the instance)."""
    return DocxTemplate.patch_xml(None, src_xml)  # type: ignore[arg-type]


class _CompiledOnce(Environment):
    """An autoescaping Jinja environment that compiles each template text once: docxtpl calls
    `from_string` for every part of every render. Jinja's templates are safe to render from
    several threads at once."""

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return _compiled(source)


_JINJA = _CompiledOnce(autoescape=True)


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return Environment.from_string(_JINJA, source)


def issued_ids(context: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Return (action ids, area keys) the rendered record will carry, checking they are usable.

    Area keys are listed in template order: area bookmarks are named by their index in
    this list, which keeps bookmark names short (Word truncates them at 40 characters)
    whatever a council calls its areas.
    """
    areas = context.get("areas") or []
    area_keys = [str(area["key"]) for area in areas]
    if len(set(area_keys)) != len(area_keys) or not all(area_keys):
        raise ValueError(f"area keys must be present and unique: {area_keys}")
    nested = [context.get("welfare", {}).get("actions") or []] + [a.get("actions") or [] for a in areas]
    action_ids: list[str] = []
    for action in [*(context.get("actions") or []), *(a for group in nested for a in group)]:
        action_id = str(action["id"])
        if not _ACTION_ID.fullmatch(action_id):
            raise ValueError(f"action id {action_id!r} must be letters and digits only")
        if action_id not in action_ids:
            action_ids.append(action_id)
    return action_ids, area_keys


def set_custom_properties(document: WordDocument, values: Mapping[str, str]) -> None:
    """Set user-defined document properties, adding the part, relationship and content type if absent.

    Existing properties (e.g. the schema version and table list stamped by
    ``templates_docx/build.py``) are kept unless ``values`` replaces them.
    """
    package = document.part.package
    part = _custom_properties_part(document)
    merged = {**(read_custom_properties(part.blob) if part else {}), **values}
    blob = _properties_xml(merged)
    if part is None:
        part = Part(PackURI("/docProps/custom.xml"), CUSTOM_PROPS_CT, blob, package)
        package.relate_to(part, RT.CUSTOM_PROPERTIES)
    else:
        # python-docx loads unknown parts as plain blobs with no setter; docxtpl does the same.
        part._blob = blob


def read_custom_properties(xml: bytes) -> dict[str, str]:
    """Parse a ``docProps/custom.xml`` blob into {name: text value}."""
    return custom_properties(etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True)))


def custom_properties(root: etree._Element) -> dict[str, str]:
    """{name: text value} of a parsed ``docProps/custom.xml`` (an upload is parsed by its own checks)."""
    return {
        prop.get("name", ""): "".join(prop.itertext())
        for prop in root.iterfind(f"{{{CUSTOM_PROPS_NS}}}property")
    }


def _custom_properties_part(document: WordDocument) -> Part | None:
    for rel in document.part.package.rels.values():
        if rel.reltype == RT.CUSTOM_PROPERTIES and not rel.is_external:
            return rel.target_part
    return None


def document_properties(document: WordDocument) -> dict[str, str]:
    """{name: text value} of the user-defined properties of a document in memory."""
    part = _custom_properties_part(document)
    return read_custom_properties(part.blob) if part else {}


def _properties_xml(values: Mapping[str, str]) -> bytes:
    root = etree.Element(f"{{{CUSTOM_PROPS_NS}}}Properties", nsmap={None: CUSTOM_PROPS_NS, "vt": VT_NS})
    for pid, (name, value) in enumerate(values.items(), start=2):  # pid 0 and 1 are reserved
        prop = etree.SubElement(root, f"{{{CUSTOM_PROPS_NS}}}property", fmtid=USER_DEFINED_FMTID, pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{VT_NS}}}lpwstr").text = _XML_ILLEGAL.sub("", value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _template_bytes(path: Path) -> bytes:
    """Template file contents, re-read only when the file changes (cheap per-render stat)."""
    stat = path.stat()
    return _cached_bytes(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _cached_bytes(path: Path, mtime_ns: int, size: int) -> bytes:
    return path.read_bytes()


def _clean(value: Any) -> Any:
    """Copy of the context with text made safe for WordprocessingML.

    Windows line endings become ``\\n`` (one line break, not two) and characters XML
    cannot hold are dropped, among them ``\\a`` and ``\\f``, which docxtpl would
    otherwise turn into paragraph and page breaks inside a cell.
    """
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, Mapping):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value
