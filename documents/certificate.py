"""The signature and audit certificate page: who signed, when, from where, and what.

The page is a Word template, ``templates_docx/certificate.docx`` (a council's own first, like its
records), filled from workflows.signoff.certificate() and appended to the signed record, so that
one LibreOffice conversion makes the whole PDF and the page sits under the record's own header and
footer (DESIGN.md: sign-off and evidence).

Context contract (what a council's own certificate template may use)::

    {
     "record_id": "R-000042", "title": str, "version": 3,
     "supervisee": {"name": str, "email": str}, "supervisor": {"name": str, "email": str},
     "docx_sha256": str,           # of the signed Word document the page ends
     "events": [{"event": "sent" | "opened" | "signed" | "disagreement", "who": str,
                 "at": "2025-03-11 09:42:17 UTC", "ip": str, "user_agent": str, "comment": str,
                 "views": int,   # only on "opened", how often the signer opened the link
                 "version": int}],  # the version the event was recorded on (a disagreement may be an earlier one's)
     "signed_on": {"supervisee": "2025-03-11", "supervisor": ""},  # ISO dates (UK), "" if not signed
     "decisions": ["version 1: disagreed, with comment", "version 2: agreed"],  # the supervisee's, oldest first
     "finalised_after_disagreement": None | {  # countersigned over the supervisee's disagreement
         "supervisee_view": str, "supervisor_view": str,
         "outcome": str,            # the disagreement route's outcome; "" where the policy needs none (W §10)
         "missing_signature": str},  # "Signed by Sam Whitfield only: Alex Morgan did not sign, ..."
    }

The record's own signature block (cells bookmarked ``dg_f_signature_<who>`` and ``..._date``) read
"To be signed by" with a blank date when it was sent; the printed record says who signed, with the
date, and who did not, from ``signed_on``, while the Word file attached to the sealed PDF, and its
SHA-256 on the page, stay exactly what was signed.

workflows.signoff.certificate() gives all but docx_sha256; event times may be datetimes or ISO
strings there and must carry a time zone. Missing ip, user agent or comment become "".
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import docx
from docx.document import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import nsmap, qn
from lxml import etree

from documents.render import DEFAULT_TEMPLATE_DIR, fill, template_path

CERTIFICATE_TITLE = "Signature and audit certificate"
TEMPLATE = "certificate.docx"

_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLE_REFERENCES = (qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle"))
_STYLE_DEPENDENCIES = (qn("w:basedOn"), qn("w:link"), qn("w:next"))
_VAL = qn("w:val")
_STYLE_IDS = etree.XPath("w:style/@w:styleId", namespaces={"w": nsmap["w"]}, smart_strings=False)
_STYLE_WITH_ID = etree.XPath("w:style[@w:styleId = $id]", namespaces={"w": nsmap["w"]})
_CELL_WITH_BOOKMARK = etree.XPath(  # the innermost cell round the first such bookmark in a cell
    "(w:body//w:bookmarkStart[@w:name = $name][ancestor::w:tc])[1]/ancestor::w:tc[1]",
    namespaces={"w": nsmap["w"]},
)


def certificate_page_docx(
    record_docx: bytes, certificate: Mapping[str, Any], search_dirs: Sequence[Path] = (DEFAULT_TEMPLATE_DIR,)
) -> bytes:
    """The signed record with its signature and audit certificate page appended.

    search_dirs are the template directories in order (a council's DOCGEN_TEMPLATE_DIR first).
    """
    page = fill(template_path(TEMPLATE, list(search_dirs)), _page_context(certificate, record_docx))
    record = docx.Document(io.BytesIO(record_docx))
    _date_signatures(record, certificate)
    _append_body(record, page)
    out = io.BytesIO()
    record.save(out)
    return out.getvalue()


def _page_context(certificate: Mapping[str, Any], record_docx: bytes) -> dict[str, Any]:
    """The certificate with its event times in UTC and no None left to print as "None", and the
    SHA-256 of the signed Word document."""
    return {
        **certificate,
        "docx_sha256": hashlib.sha256(record_docx).hexdigest(),
        "events": [_event(event, certificate["version"]) for event in certificate["events"]],
        "decisions": certificate.get("decisions") or [],
    }


def _event(event: Mapping[str, Any], version: int | str = "") -> dict[str, Any]:
    """An event as the page prints it; one that does not say its version is the signed version's."""
    return {
        "event": event["event"],
        "who": event["who"],
        "at": _utc(event["at"]),
        "ip": event.get("ip") or "",
        "user_agent": event.get("user_agent") or "",
        "comment": _with_views(event),
        "version": event.get("version") or version,
    }


def _with_views(event: Mapping[str, Any]) -> str:
    """The comment, after "Opened N times" on an opening's row when the signer came back to the
    link: one row for the first opening, not a row per page view."""
    comment = event.get("comment") or ""
    views = int(event.get("views") or 1)
    if event["event"] != "opened" or views < 2:
        return comment
    return f"Opened {views} times. {comment}".strip()


def _utc(moment: dt.datetime | str) -> str:
    """Render an event time in UTC; ISO strings are accepted because events come from JSON too."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError(f"event time {moment!r} has no time zone; store UTC")
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _date_signatures(record: WordDocument, certificate: Mapping[str, Any]) -> None:
    """Write each signer's date ("11 March 2025") into the blank date cell of the record's signature
    block, and say in the signature cell, which was sent reading "To be signed by", who signed and
    who did not (a supervisee countersigned over: issue 27, nobody is called a signer who did not
    sign). A council template without that block is left as it is."""
    for who, day in (certificate.get("signed_on") or {}).items():
        name = (certificate.get(who) or {}).get("name", "")
        _write_cell(record, f"dg_f_signature_{who}", f"{name} (signed electronically)" if day else f"Not signed by {name}")
        if day:
            _write_cell(record, f"dg_f_signature_{who}_date", f"{dt.date.fromisoformat(day):%-d %B %Y}")


def _write_cell(record: WordDocument, bookmark: str, text: str) -> None:
    """Replace the text of the table cell holding `bookmark` with `text`, in its first run's format.

    The cell is found by the bookmark's name in one XPath: a record holds a bookmark for each of its
    fields, and walking each one's ancestors in Python cost more than the writing."""
    for cell in _CELL_WITH_BOOKMARK(record.element, name=bookmark):
        runs = list(cell.iter(qn("w:r")))
        style = runs[0].find(qn("w:rPr")) if runs else None
        for run in runs:
            run.getparent().remove(run)
        run = etree.SubElement(cell.find(qn("w:p")), qn("w:r"))
        if style is not None:
            run.append(copy.deepcopy(style))
        etree.SubElement(run, qn("w:t")).text = text


def _append_body(record: WordDocument, page: WordDocument) -> None:
    """Move the page's paragraphs and tables to the end of the record's last section.

    The page takes that section's size, header and footer; its own section properties stay
    behind. Styles and pictures it uses come with it, so a council's template may restyle the page
    or add a logo whatever its record templates hold.
    """
    elements = [element for element in page.element.body if element.tag != qn("w:sectPr")]
    _adopt_styles(record, page, elements)
    _adopt_relationships(record, page, elements)
    body = record.element.body
    for element in elements:
        if body.sectPr is not None:
            body.sectPr.addprevious(element)
        else:
            body.append(element)


def _adopt_styles(record: WordDocument, page: WordDocument, elements: Iterable[etree._Element]) -> None:
    """Copy the styles the page uses and the record lacks (with the styles they build on).

    A style the record already has is left as it is, so the page reads like the record. The page's
    template holds hundreds of styles and uses a few: each is looked up by its id, rather than every
    one of them read into Python.
    """
    have = set(_STYLE_IDS(record.styles.element))
    wanted = [node.get(_VAL) for element in elements for node in element.iter(*_STYLE_REFERENCES)]
    while wanted:
        style_id = wanted.pop()
        if style_id in have:
            continue
        have.add(style_id)
        for style in _STYLE_WITH_ID(page.styles.element, id=style_id)[:1]:
            record.styles.element.append(copy.deepcopy(style))
            wanted += [node.get(_VAL) for node in style.iter(*_STYLE_DEPENDENCIES)]


def _adopt_relationships(record: WordDocument, page: WordDocument, elements: Iterable[etree._Element]) -> None:
    """Re-point the page's pictures (a council's logo) at image parts of the record."""
    for element in elements:
        for node in element.iter():
            for attribute, rel_id in node.attrib.items():
                if not attribute.startswith(f"{{{_RELATIONSHIP_NS}}}"):
                    continue
                rel = page.part.rels[rel_id]
                if rel.reltype != RT.IMAGE:
                    raise ValueError(f"{TEMPLATE}: the page may hold text, tables and pictures, not {rel.reltype}")
                new_id, _ = record.part.get_or_add_image(io.BytesIO(rel.target_part.blob))
                node.set(attribute, new_id)
