"""Open an uploaded Word file only if nothing in it can hurt docgen or whoever opens it next.

Every refusal that does not depend on the form lives here, checked before any form text is read:
the size, zip bombs, member names that point outside the package, macros, XML with a DOCTYPE
(billion laughs, XXE: a Word file never needs a DTD), and external relationships that make Word
or LibreOffice fetch something when the file is opened (a remote template, image, frame or object).

Hyperlinks are the one external relationship accepted: Word stores every link a supervisor types
into a record as one, and following it needs a click. docgen reads only the text of the cells,
so a link's address never reaches the record.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.parsers import expat

from lxml import etree

PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "[Content_Types].xml"

MAX_UNCOMPRESSED_FACTOR = 10  # total unpacked size allowed, as a multiple of max_bytes
MAX_RATIO = 100  # ordinary DOCX XML compresses 5-20x; bombs compress 1000x
RATIO_CHECK_FROM = 1_000_000  # tiny members can have silly ratios harmlessly
MAX_MEMBERS = 1_000
# Transitional and Strict OOXML spell the type's namespace differently; the last segment is the same.
FOLLOWED_ONLY_ON_CLICK = frozenset({"hyperlink"})

_XML_PART = re.compile(r".*\.(xml|rels)", re.IGNORECASE)
# lxml never fetches or expands anything: the DOCTYPE refusal comes first, this is the second wall.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class _DtdFound(Exception):
    """A DOCTYPE, entity declaration or external entity reference met while scanning a part."""


def _refuse(*_declaration: object) -> None:
    raise _DtdFound


def _scan_for_dtd(data: bytes) -> None:
    """Run expat over a part with only defusedxml's refusals as handlers (forbid_dtd,
    forbid_entities, forbid_external): the scan stops at a DOCTYPE before its declarations are
    read, and builds no tree, so every part of every upload is checked at expat's own speed
    (defusedxml's ElementTree parser calls back into Python for each tag, eight times slower)."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.Parse(data, True)


class FormError(ValueError):
    """An upload docgen refuses; ``field`` names what is wrong, for the form's error summary."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Package:
    """An uploaded DOCX whose zip directory, names, macros, XML and relationships were checked.

    Use as a context manager; ``xml`` parses a part, ``related_part`` follows a package relationship.
    """

    def __init__(self, data: bytes, max_bytes: int) -> None:
        if len(data) > max_bytes:
            raise FormError(f"The file is larger than the {max_bytes // 1_000_000} MB limit.", "file")
        self._limit = max_bytes * MAX_UNCOMPRESSED_FACTOR
        self._archive = _open_archive(data, max_bytes)
        self._safe: set[str] = set()
        try:
            self.names = frozenset(self._archive.namelist())
            _refuse_escaping_names(self._archive.namelist())
            for name in sorted(filter(_XML_PART.fullmatch, self.names)):
                self._refuse_dtd(name, self.read(name))
            self._refuse_macros()
            for name in sorted(n for n in self.names if n.lower().endswith(".rels")):
                _refuse_external_relationships(name, self.xml(name))
        except BaseException:
            self._archive.close()
            raise

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._archive.close()

    def read(self, name: str) -> bytes:
        """One member's bytes, stopping at the unpacked limit whatever its directory entry claimed."""
        with self._archive.open(name) as member:
            content = member.read(self._limit + 1)
        if len(content) > self._limit:
            raise FormError("The file unpacks to far more than a Word form holds; it was not opened.", "file")
        return content

    def xml(self, name: str) -> etree._Element:
        """A part parsed as XML, refused (naming the part) if it carries a DOCTYPE or is not XML."""
        data = self.read(name)
        self._refuse_dtd(name, data)
        try:
            return etree.fromstring(data, _XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise FormError(f"{name} is not well-formed XML: the file is damaged.", "file") from exc

    def related_part(self, reltype_suffix: str) -> str | None:
        """Member targeted by a package-level relationship (Word and LibreOffice name parts alike, but need not)."""
        if "_rels/.rels" not in self.names:
            return None
        for rel in self.xml("_rels/.rels").iterfind(f"{{{PKG_RELS}}}Relationship"):
            if rel.get("Type", "").endswith(reltype_suffix) and rel.get("TargetMode") != "External":
                name = posixpath.normpath(rel.get("Target", "").lstrip("/"))
                return name if name in self.names else None
        return None

    def _refuse_dtd(self, name: str, data: bytes) -> None:
        """Refuse a DOCTYPE before any parser that could expand or fetch its entities sees it."""
        if name in self._safe:
            return
        try:
            _scan_for_dtd(data)
        except _DtdFound as exc:
            raise FormError(f"{name} contains a DOCTYPE, which a Word file never needs; the file was not read.",
                            "file") from exc
        except expat.ExpatError as exc:
            raise FormError(f"{name} is not well-formed XML: the file is damaged.", "file") from exc
        self._safe.add(name)

    def _refuse_macros(self) -> None:
        content_types = self.read(CONTENT_TYPES) if CONTENT_TYPES in self.names else b""
        if any(name.lower().endswith("vbaproject.bin") for name in self.names) or b"macroEnabled" in content_types:
            raise FormError("Macro-enabled documents (.docm) are not accepted: save the form as .docx.", "file")


def _open_archive(data: bytes, max_bytes: int) -> zipfile.ZipFile:
    """Open the zip and check its directory for bombs before anything is extracted."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FormError("The file is not a Word document (.docx).", "file") from exc
    members = archive.infolist()
    total = sum(info.file_size for info in members)
    bomb = len(members) > MAX_MEMBERS or total > max_bytes * MAX_UNCOMPRESSED_FACTOR or any(
        info.file_size > RATIO_CHECK_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        for info in members
    )
    if bomb:
        archive.close()
        raise FormError("The file unpacks to far more than a Word form holds; it was not opened.", "file")
    return archive


def _refuse_escaping_names(names: list[str]) -> None:
    """Part names are relative paths inside the package (OPC); an unzip tool would write these elsewhere."""
    for name in names:
        steps = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name) or ".." in steps:
            raise FormError(f"The file holds a part named {name!r}, outside the document; a Word file never does.",
                            "file")


def _refuse_external_relationships(part: str, rels: etree._Element) -> None:
    for rel in rels.iterfind(f"{{{PKG_RELS}}}Relationship"):
        kind = rel.get("Type", "").rstrip("/").rsplit("/", 1)[-1]
        if rel.get("TargetMode", "").lower() == "external" and kind not in FOLLOWED_ONLY_ON_CLICK:
            raise FormError(
                f"{part} tells Word to fetch something from outside the file when it is opened (a relationship "
                f"of type {kind or 'unnamed'}); docgen accepts outside addresses only as hyperlinks.",
                "file",
            )
