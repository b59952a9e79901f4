"""A council's own Word template (DOCGEN_TEMPLATE_DIR) that docgen cannot read back still downloads:
the revision and the sealed copy for a later merge are added only to a file docgen can read."""
from __future__ import annotations

import io
from typing import Any

from docx import Document

from documents.render import PROP_REVISION, document_properties, opened
from workflows import word_files

WORDING = "Supervision record, as the council designed it"


def _council_template() -> Any:
    document = Document()
    document.add_paragraph(WORDING)
    return document


def test_a_template_without_form_tables_saved_to_a_file_is_served_as_rendered() -> None:
    out = io.BytesIO()
    _council_template().save(out)
    rendered = out.getvalue()

    nobody: Any = None  # the deployment's keyring is not needed: nothing is sealed for this file
    assert word_files._stamped(nobody, rendered, "R-000001", 3) == rendered


def test_a_template_without_form_tables_in_memory_downloads_with_nothing_sealed() -> None:
    """What production passes: the document rendered in memory (`pipeline.record_document`), saved
    once as it is, without the revision a file docgen can read back is given."""
    nobody: Any = None
    downloaded = word_files._stamped(nobody, _council_template(), "R-000001", 3)
    assert isinstance(downloaded, bytes)
    document = opened(downloaded)
    assert [p.text for p in document.paragraphs] == [WORDING]
    assert PROP_REVISION not in document_properties(document)
