"""A template is cleaned and compiled for Jinja once, and what that saves never carries one
record's words into another or hides a change to the template file (`documents.render.fill`)."""

from __future__ import annotations

import io
import os
import shutil
import uuid
import zipfile
from pathlib import Path

import jinja2
import pytest
from docx import Document

from documents.render import DEFAULT_TEMPLATE_DIR, render_docx
from tests.integration.test_templates import record_context


def _text(docx: bytes) -> str:
    document = Document(io.BytesIO(docx))
    cells = (cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


@pytest.fixture
def compilations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every template text Jinja compiles while the test runs."""
    seen: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, *args: object, **kwargs: object) -> object:
        seen.append(source)
        return compile_(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return seen


def _retitled(template: Path, prefix: str) -> None:
    """Write the practitioner template to `template` with `prefix` before its title: a template text
    no test in this process has filled before."""
    with zipfile.ZipFile(DEFAULT_TEMPLATE_DIR / "practitioner.docx") as source:
        parts = {name: source.read(name) for name in source.namelist()}
    body = parts["word/document.xml"].decode()
    assert "{{ title }}" in body or "{{title}}" in body
    parts["word/document.xml"] = body.replace("{{ title }}", f"{prefix} {{{{ title }}}}").replace(
        "{{title}}", f"{prefix} {{{{title}}}}").encode()
    with zipfile.ZipFile(template, "w", zipfile.ZIP_DEFLATED) as changed:
        for name, data in parts.items():
            changed.writestr(name, data)


def test_a_second_record_from_one_template_is_filled_without_compiling_it_again(
        tmp_path: Path, compilations: list[str]) -> None:
    template = tmp_path / "practitioner.docx"
    _retitled(template, f"Copy {uuid.uuid4().hex}")
    first = record_context("practitioner")
    second = {**record_context("practitioner"), "decisions": "Caseload reduced to 15 after the review.",
              "supervisee": {"name": "Ben Carter", "job_role": "Social Worker"}}

    first_text = _text(render_docx(template, first))
    compiled_for_first = len(compilations)
    second_text = _text(render_docx(template, second))

    assert compiled_for_first >= 1
    assert len(compilations) == compiled_for_first
    assert "Caseload held at 18" in first_text and "Aisha Khan" in first_text
    assert "Caseload reduced to 15" in second_text and "Ben Carter" in second_text
    assert "Caseload held at 18" not in second_text


def test_a_template_changed_on_disk_is_filled_from_its_new_text(tmp_path: Path) -> None:
    template = tmp_path / "practitioner.docx"
    shutil.copy(DEFAULT_TEMPLATE_DIR / "practitioner.docx", template)
    context = record_context("practitioner")
    assert "Supervision record for Practitioners" in _text(render_docx(template, context))

    _retitled(template, "Retitled")
    later = os.stat(template).st_mtime_ns + 1_000_000_000
    os.utime(template, ns=(later, later))

    assert "Retitled Supervision record for Practitioners" in _text(render_docx(template, context))
