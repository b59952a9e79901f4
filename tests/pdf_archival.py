"""What PDF/A-3b asks of a sealed record, as far as a kept library can check it (read with pypdf).

veraPDF, the reference validator, is not in the registries these machines reach (PyPI, Debian,
npm). These are the rules of ISO 19005-3 a record could break through docgen's own steps (the
LibreOffice export, the attachment, the metadata, the seal's incremental update):
- identification: the XMP metadata says pdfaid:part 3, conformance B (6.6.4);
- colour: an output intent of subtype GTS_PDFA1 with an ICC profile (6.2.3);
- fonts: every font on every page embedded (6.2.11.4);
- no encryption (6.1.3) and no JavaScript anywhere (6.6.1);
- metadata: each document-info entry that has an XMP equivalent says the same there (6.6.2.3);
- attachments: each embedded file has its MIME type, a modification date, /F and /UF, an
  /AFRelationship, and is listed in the catalog's /AF (6.8).
"""
from __future__ import annotations

import io
import re
from typing import Any, Iterator

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

# Document-info keys and the XMP property PDF/A says must hold the same value (ISO 19005-3, 6.6.2.3).
INFO_IN_XMP = {"/Title": "dc:title", "/Author": "dc:creator", "/Subject": "dc:description",
               "/Creator": "xmp:CreatorTool", "/Producer": "pdf:Producer"}


def problems(pdf: bytes) -> list[str]:
    """Each PDF/A-3b rule above the PDF breaks, in words; an empty list when it keeps them all."""
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8") if "/Metadata" in root else ""
    found = [*_identification(xmp), *_output_intent(root), *_metadata(reader, xmp), *_attachments(root)]
    if "/Encrypt" in reader.trailer:
        found.append("the file is encrypted")
    found += [f"font {name} is not embedded" for name in sorted(_fonts_not_embedded(reader))]
    if _has_javascript(root):
        found.append("the file holds JavaScript")
    return found


def _held(value: Any) -> Any:
    """The object behind an indirect reference, or the value itself ({} for a missing entry)."""
    return value.get_object() if hasattr(value, "get_object") else value


def _xmp_value(xmp: str, prop: str) -> str | None:
    """A simple XMP property, written as an attribute or as an element (a language alternative or
    a sequence gives its first item)."""
    attribute = re.search(rf'{prop}="([^"]*)"', xmp)
    if attribute:
        return attribute.group(1)
    element = re.search(rf"<{prop}[^>]*>(.*?)</{prop}>", xmp, re.S)
    if element is None:
        return None
    item = re.search(r"<rdf:li[^>]*>(.*?)</rdf:li>", element.group(1), re.S)
    return (item.group(1) if item else element.group(1)).strip()


def _identification(xmp: str) -> list[str]:
    part, conformance = _xmp_value(xmp, "pdfaid:part"), _xmp_value(xmp, "pdfaid:conformance")
    return [] if (part, conformance) == ("3", "B") else [f"identified as PDF/A part {part} conformance {conformance}"]


def _output_intent(root: DictionaryObject) -> list[str]:
    intents = [i.get_object() for i in root.get("/OutputIntents", [])]
    if any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
        return []
    return ["no PDF/A output intent with an ICC profile"]


def _metadata(reader: PdfReader, xmp: str) -> list[str]:
    info = reader.metadata or {}
    found = []
    for key, prop in INFO_IN_XMP.items():
        if key in info and _xmp_value(xmp, prop) != str(info[key]):
            found.append(f"document info {key} {str(info[key])!r} differs from XMP {prop} {_xmp_value(xmp, prop)!r}")
    return found


def _attachments(root: DictionaryObject) -> list[str]:
    names = _held(_held(_held(root.get("/Names", {})).get("/EmbeddedFiles", {})).get("/Names", []))
    specs = [spec.get_object() for spec in names[1::2]]
    listed = [ref.get_object() for ref in root.get("/AF", [])]
    found = []
    for spec in specs:
        stream = _held(spec["/EF"]["/F"])
        missing = [key for key, held in (("/F", "/F" in spec), ("/UF", "/UF" in spec),
                                         ("/AFRelationship", "/AFRelationship" in spec),
                                         ("MIME /Subtype", "/Subtype" in stream),
                                         ("/Params /ModDate", "/ModDate" in _held(stream.get("/Params", {}))),
                                         ("an entry in the catalog's /AF", spec in listed)) if not held]
        found += [f"attachment {spec.get('/F')} has no {key}" for key in missing]
    return found


def _fonts(resources: Any) -> Iterator[DictionaryObject]:
    """Every font reachable from a resource dictionary, form XObjects and composite fonts included."""
    resources = _held(resources) or {}
    for font in _held(resources.get("/Font", {})).values():
        font = font.get_object()
        yield font
        yield from (d.get_object() for d in font.get("/DescendantFonts", []))
    for xobject in _held(resources.get("/XObject", {})).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts(xobject.get("/Resources"))


def _fonts_not_embedded(reader: PdfReader) -> set[str]:
    missing = set()
    for page in reader.pages:
        for font in _fonts(page.get("/Resources")):
            if font.get("/Subtype") in ("/Type0", "/Type3"):
                continue  # a composite font's glyphs are in its descendant; Type 3 glyphs are in the file
            descriptor = _held(font.get("/FontDescriptor", {}))
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont")))
    return missing


def _has_javascript(obj: Any, seen: set[int] | None = None) -> bool:
    """Whether any object reachable from the catalog is a JavaScript action or name tree."""
    seen = set() if seen is None else seen
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return False
        seen.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, DictionaryObject):
        if obj.get("/S") == NameObject("/JavaScript") or "/JS" in obj or "/JavaScript" in obj:
            return True
        return any(_has_javascript(value, seen) for key, value in obj.items() if key != "/Parent")
    if isinstance(obj, ArrayObject):
        return any(_has_javascript(value, seen) for value in obj)
    return False
