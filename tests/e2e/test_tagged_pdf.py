"""A sealed record a screen reader can follow (issue 15): tagged, headings and table header cells
in its structure tree, a language and a title, and its seal still valid.

veraPDF is not packaged on PyPI, Debian or npm, so PDF/UA-1's main machine-checkable rules are
checked here directly (tests/pdf_structure.py): the document is marked as tagged (ISO 14289-1
7.1), every structure type is standard or role-mapped to one (7.1), headings are tagged (7.4),
tables have header cells (7.5), the catalogue declares a natural language (7.2), the metadata
carries a title that viewers show instead of the file name (7.1), the PDF/UA identification is
present (5), and every font is embedded (7.21.4.1).
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from kernel.config import Config
from documents import seal
from documents.pdf import cold_convert
from tests.mailbox import Mailbox, sign_link_for
from tests import pdf_archival
from tests.pdf_structure import Structure, structure_of
from tests.sealing import mailing_and_sealing

TEMPLATES = Path(__file__).resolve().parents[2] / "templates_docx"

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


def _sealed_record(client: Any, org: Any, mailbox: Mailbox) -> bytes:
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-11-02"},
                          headers=org.auth("manager"))
    record_id = created.json["id"]
    edited = client.patch(f"/api/v1/records/{record_id}", json={
        "welfare": {"discussion": "Settled after the team move."},
        "actions": [{"section": "welfare", "text": "Take the flexi day owed", "due": "end of month"}]},
        headers={**org.auth("manager"), "If-Match": created.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    assert client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager")).status_code == 200
    for address, name in (("worker@knowsley.example.org", "Alex Morgan"),
                          ("manager@knowsley.example.org", "Sam Whitfield")):
        signed = client.post(f"/api/v1/sign/{sign_link_for(mailbox, address)}",
                             json={"decision": "agree", "confirm_name": name})
        assert signed.status_code == 200, signed.json
    pdf = client.get(f"/api/v1/records/{record_id}/pdf", headers=org.auth("manager"))
    assert pdf.status_code == 200
    return pdf.data


def _headings(found: Structure) -> list[str]:
    return [t for t in found.types() if re.fullmatch(r"H[1-6]?", t)]


def _is_tagged_for_a_screen_reader(found: Structure) -> None:
    """PDF/UA-1's main machine-checkable rules (see the module's docstring)."""
    assert found.marked
    assert found.unmapped == set()
    assert found.lang == "en-GB"
    assert found.xmp_title and found.display_doc_title
    assert found.pdfua_part == "1"
    assert found.fonts_not_embedded == set()
    headings = _headings(found)
    assert headings[0] == "H1" and "H2" in headings
    assert all(int(b[1]) <= int(a[1]) + 1 for a, b in zip(headings, headings[1:])), headings  # no level skipped
    header_cells = [e for e in found.root.walk() if e.standard == "TH"]
    assert header_cells and all(e.attributes.get("Scope") == "/Column" for e in header_cells)


def test_a_sealed_record_is_tagged_with_headings_table_headers_language_and_title(
        client: Any, org: Any, mailbox: Mailbox, app: Any) -> None:
    pdf = _sealed_record(client, org, mailbox)

    found = structure_of(pdf)
    _is_tagged_for_a_screen_reader(found)
    assert _headings(found).count("H1") == 2  # the record's title, then the certificate page's
    assert found.info_title.startswith("Supervision record R-")
    assert pdf_archival.problems(pdf) == []  # and PDF/A-3b, through the app's whole pipeline (issue 25)
    signer = seal.organisation_signer(app.extensions["docgen"].config)
    embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[signer.signing_cert]))
    assert status.intact and status.valid and status.bottom_line


def test_the_cold_conversion_tags_the_same_way() -> None:
    """When the warm LibreOffice is down, the fallback's PDF is as accessible, and PDF/A-3b too."""
    for template in ("practitioner.docx", "agreement.docx"):
        pdf = cold_convert((TEMPLATES / template).read_bytes())
        _is_tagged_for_a_screen_reader(structure_of(pdf))
        assert pdf_archival.problems(pdf) == []
