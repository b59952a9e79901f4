"""What a screen reader gets from a PDF: its structure tree and the catalogue entries PDF/UA-1
asks for, read with pypdf."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# PDF 1.7's standard structure types (ISO 32000-1, 14.8.4): anything else must be role-mapped to one.
STANDARD_TYPES = frozenset({
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index", "NonStruct",
    "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody", "Table", "TR", "TH",
    "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note", "Reference", "BibEntry", "Code", "Link",
    "Annot", "Ruby", "RB", "RT", "RP", "Warichu", "WT", "WP", "Figure", "Formula", "Form"})


@dataclass
class Element:
    """One structure element: its type as written, its standard type after the role map, its
    attributes (e.g. a header cell's Scope), its children."""

    written: str
    standard: str
    attributes: dict[str, Any] = field(default_factory=dict)
    children: list["Element"] = field(default_factory=list)

    def walk(self) -> list["Element"]:
        """This element and all below it, in reading order."""
        return [self, *(e for child in self.children for e in child.walk())]


@dataclass
class Structure:
    """The catalogue's accessibility entries and the structure tree under a StructTreeRoot element."""

    marked: bool
    lang: str
    info_title: str
    xmp_title: str
    display_doc_title: bool
    pdfua_part: str
    unmapped: set[str]
    root: Element | None
    fonts_not_embedded: set[str]

    def types(self) -> list[str]:
        """Every element's standard type, in reading order."""
        return [e.standard for e in self.root.walk()] if self.root else []


def _role(written: str, role_map: dict[str, str]) -> str:
    """The standard type `written` maps to through the role map (itself when unmapped)."""
    seen = set()
    name = written
    while name not in STANDARD_TYPES and name in role_map and name not in seen:
        seen.add(name)
        name = role_map[name]
    return name


def _attributes(node: DictionaryObject) -> dict[str, Any]:
    found: dict[str, Any] = {}
    attrs = node.get("/A")
    for entry in (attrs if isinstance(attrs, ArrayObject) else [attrs] if attrs is not None else []):
        entry = entry.get_object()
        if isinstance(entry, DictionaryObject):
            found.update({str(k)[1:]: str(v) for k, v in entry.items() if k != "/O"})
    return found


def _element(node: DictionaryObject, role_map: dict[str, str]) -> Element:
    written = str(node.get("/S", ""))[1:]
    standard = _role(written, role_map)
    element = Element(written, standard, _attributes(node))
    kids = node.get("/K")
    for kid in (kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []):
        kid = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if isinstance(kid, DictionaryObject) and "/S" in kid:
            element.children.append(_element(kid, role_map))
    return element


def _fonts_not_embedded(reader: PdfReader) -> set[str]:
    """Fonts used on a page without their font program (Type 3 fonts are their own program)."""
    missing = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for font in fonts.get_object().values() if fonts else []:
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", []) or []:
                descriptors.append(descendant.get_object().get("/FontDescriptor"))
            if font.get("/Subtype") == "/Type3":
                continue
            if not any(d is not None and {"/FontFile", "/FontFile2", "/FontFile3"} & set(d.get_object())
                       for d in descriptors):
                missing.add(str(font.get("/BaseFont")))
    return missing


def structure_of(pdf: bytes) -> Structure:
    """Read what PDF/UA-1 checks of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    catalogue = reader.trailer["/Root"]
    tree = catalogue.get("/StructTreeRoot")
    role_map = {}
    unmapped: set[str] = set()
    root = None
    if tree is not None:
        tree = tree.get_object()
        role_map = {str(k)[1:]: str(v)[1:] for k, v in (tree.get("/RoleMap") or {}).items()}
        root = _element(DictionaryObject({**tree, "/S": "/StructTreeRoot"}), role_map)
        unmapped = {e.written for e in root.walk()[1:] if e.standard not in STANDARD_TYPES}
    xmp = reader.xmp_metadata
    xmp_title = (xmp.dc_title or {}).get("x-default", "") if xmp else ""
    raw_xmp = catalogue["/Metadata"].get_object().get_data().decode(errors="replace") if "/Metadata" in catalogue else ""
    part = raw_xmp.split("<pdfuaid:part>")[1].split("<")[0] if "<pdfuaid:part>" in raw_xmp else ""
    if not part and 'pdfuaid:part="' in raw_xmp:
        part = raw_xmp.split('pdfuaid:part="')[1].split('"')[0]
    preferences = catalogue.get("/ViewerPreferences") or {}
    return Structure(
        marked=bool((catalogue.get("/MarkInfo") or {}).get("/Marked", False)),
        lang=str(catalogue.get("/Lang", "")),
        info_title=str((reader.metadata or {}).get("/Title", "")),
        xmp_title=xmp_title,
        display_doc_title=bool(preferences.get("/DisplayDocTitle", False)),
        pdfua_part=part,
        unmapped=unmapped,
        root=root,
        fonts_not_embedded=_fonts_not_embedded(reader),
    )
