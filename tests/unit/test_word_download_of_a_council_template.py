"""A council's own Word template (DOCGEN_TEMPLATE_DIR) that docgen cannot read back still downloads:
the revision and the sealed copy for a later merge are added only to a file docgen can read."""
from __future__ import annotations

import io
from typing import Any

from docx import Document

from workflows import word_files


def test_a_template_without_form_tables_is_served_as_rendered() -> None:
    document = Document()
    document.add_paragraph("Supervision record, as the council designed it")
    out = io.BytesIO()
    document.save(out)
    rendered = out.getvalue()

    nobody: Any = None  # the deployment's keyring is not needed: nothing is sealed for this file
    assert word_files._stamped(nobody, rendered, "R-000001", 3) == rendered
