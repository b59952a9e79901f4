"""Removing withheld words from a Word file and from plain text, for a subject-access export.

A redaction that only covers words (a black box drawn over them) leaves them in the PDF, where
copying or any text extraction reads them again: withheld words must be removed (issue 25). A
sealed PDF cannot be edited without breaking its seal, so docgen makes a redacted copy from the
Word file the PDF was made from, with each withheld text replaced where Word keeps it: in the text
of each paragraph, which Word splits into runs at any change of formatting or edit, so the runs
are read joined up and rewritten. docgen's own document properties, which carry the whole record's
text for merging uploads (`documents.render`), are dropped from the copy, and its core properties
(author and the like) redacted.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable

from lxml import etree

WITHHELD = "[withheld]"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARAGRAPH, _TEXT = f"{_W}p", f"{_W}t"
# A tab or a line break inside a paragraph reads as a space between the words either side of it.
_SPACES = (f"{_W}tab", f"{_W}br", f"{_W}cr")
_BODY = f"{_W}body"
_TITLE = "{http://purl.org/dc/elements/1.1/}title"
# The parts of a Word package that hold a document's visible text.
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
_CUSTOM_PROPERTIES = "docProps/custom.xml"
_CORE_PROPERTIES = "docProps/core.xml"
_NO_CUSTOM_PROPERTIES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas'
                         b'.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.'
                         b'openxmlformats.org/officeDocument/2006/docPropsVTypes"/>')
# docgen's own files only come here, but nothing is fetched or expanded whatever they hold.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def normalised(text: str) -> str:
    """`text` as a mention of it is compared: any run of whitespace (a line break, a tab, a
    no-break space) one space, and case folded, so "TAM  WORKER" is "Tam Worker"."""
    return " ".join(text.split()).casefold()


def matcher(texts: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern finding any of `texts` as whole words (not "104233" inside "1042331", nor
    "Jane Smith" inside "Mary-Jane Smith"), the longest first so a full name wins over a part of
    it, whatever its case and however its words are spaced (a line break, a no-break space); None
    when there is nothing to find."""
    words = sorted({" ".join(text.split()) for text in texts if text.strip()}, key=lambda text: (-len(text), text))
    if not words:
        return None
    either = "|".join(r"\s+".join(map(re.escape, text.split(" "))) for text in words)
    return re.compile(r"(?<![\w-])(?:" + either + r")(?![\w-])", re.IGNORECASE)


def redactor(texts: Iterable[str]) -> Callable[[str], str]:
    """A function giving a text back with every whole-word occurrence of `texts` replaced by
    WITHHELD (the pattern made once for all the cells of a file)."""
    found = matcher(texts)
    return (lambda text: found.sub(WITHHELD, text)) if found is not None else (lambda text: text)


def redact_docx(docx: bytes, texts: Iterable[str], banner: str | None = None) -> bytes:
    """A copy of the Word file `docx` in which every occurrence of `texts` reads WITHHELD: the words
    are gone from the file, not hidden, and docgen's properties holding the record's text with them.
    A `banner` becomes its first paragraph and its title, so the copy cannot pass for the record."""
    found = matcher(texts)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if _TEXT_PARTS.fullmatch(member.filename) and (found is not None or banner is not None):
                data = _redacted_part(data, found, banner if member.filename == "word/document.xml" else None)
            elif member.filename == _CUSTOM_PROPERTIES:
                data = _NO_CUSTOM_PROPERTIES
            elif member.filename == _CORE_PROPERTIES and (found is not None or banner is not None):
                data = _redacted_properties(data, found, banner)
            target.writestr(member, data)
    return out.getvalue()


def docx_text(docx: bytes) -> str:
    """The visible text of a Word file, a paragraph a line with its runs joined up as
    `redact_docx` reads them, so what is found in it is what the redaction removes."""
    lines: list[str] = []
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        for name in filter(_TEXT_PARTS.fullmatch, source.namelist()):
            root = etree.fromstring(source.read(name), _PARSER)
            lines += ["".join(map(_run_text, _own_runs(paragraph))) for paragraph in root.iter(_PARAGRAPH)]
    return "\n".join(line for line in lines if line)


def _own_runs(paragraph: etree._Element) -> list[etree._Element]:
    """The paragraph's own text nodes, tabs and line breaks: a text box inside it is a paragraph of
    its own."""
    return [node for node in paragraph.iter(_TEXT, *_SPACES) if next(node.iterancestors(_PARAGRAPH)) is paragraph]


def _run_text(node: etree._Element) -> str:
    return (node.text or "") if node.tag == _TEXT else " "


def _redacted_part(data: bytes, found: re.Pattern[str] | None, banner: str | None) -> bytes:
    root = etree.fromstring(data, _PARSER)
    for paragraph in root.iter(_PARAGRAPH) if found is not None else ():
        _redact_runs(_own_runs(paragraph), found)
    body = root.find(_BODY)
    if banner is not None and body is not None:
        paragraph = etree.Element(_PARAGRAPH)
        etree.SubElement(etree.SubElement(paragraph, f"{_W}r"), _TEXT).text = banner
        body.insert(0, paragraph)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _redact_runs(nodes: list[etree._Element], found: re.Pattern[str]) -> None:
    """Find `found` in the runs' text joined up, and write each run's share of the result back:
    a withheld text split over several runs becomes one WITHHELD in the run where it started."""
    joined = "".join(map(_run_text, nodes))
    spans = [match.span() for match in found.finditer(joined)]
    if not spans:
        return
    pieces = list(joined)
    for start, end in spans:
        pieces[start:end] = [WITHHELD] + [""] * (end - start - 1)
    position = 0
    for node in nodes:
        length = len(_run_text(node))
        if node.tag == _TEXT:
            node.text = "".join(pieces[position:position + length])
            node.set(_XML_SPACE, "preserve")
        elif not pieces[position]:  # a tab or break inside withheld words goes with them
            node.getparent().remove(node)
        position += length


def _redacted_properties(data: bytes, found: re.Pattern[str] | None, title: str | None) -> bytes:
    root = etree.fromstring(data, _PARSER)
    for element in root.iter() if found is not None else ():
        if isinstance(element.tag, str) and element.text:
            element.text = found.sub(WITHHELD, element.text)
    if title is not None:
        (root.find(_TITLE) if root.find(_TITLE) is not None else etree.SubElement(root, _TITLE)).text = title
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
