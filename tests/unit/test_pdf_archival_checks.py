"""The PDF/A checks of tests/pdf_archival.py find each break they name: a check that passed
everything would let a record stop being PDF/A without a test noticing."""
from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tests import pdf_archival


def test_a_plain_pdf_with_script_and_a_bare_attachment_breaks_each_rule_it_should() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    helvetica = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                                  NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({
        NameObject("/F1"): writer._add_object(helvetica)})})
    writer.add_attachment("notes.txt", b"not the source")
    writer.add_metadata({"/Title": "A record"})
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    pdf = io.BytesIO()
    writer.write(pdf)

    found = pdf_archival.problems(pdf.getvalue())

    assert "identified as PDF/A part None conformance None" in found
    assert "no PDF/A output intent with an ICC profile" in found
    assert "the file holds JavaScript" in found
    assert "font /Helvetica is not embedded" in found
    assert "document info /Title 'A record' differs from XMP dc:title None" in found
    for missing in ("/UF", "/AFRelationship", "MIME /Subtype", "/Params /ModDate", "an entry in the catalog's /AF"):
        assert f"attachment notes.txt has no {missing}" in found
