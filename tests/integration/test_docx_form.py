"""An edited record uploaded back into docgen is read as the user left it, or refused clearly."""

from __future__ import annotations

import copy
import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from documents.docx_form import FormContent, FormError, read_upload
from documents.render import DEFAULT_TEMPLATE_DIR, render_docx
from tests.word_editing import HOSTILE_CASES, cell_of, hostile_uploads, open_docx, retype, rezip, row_of, save, table_of, with_hyperlink


def practitioner_context() -> dict:
    return {
        "organisation": "Knowsley Council",
        "marking": "OFFICIAL-SENSITIVE",
        "record_id": "R-000042",
        "kind": "practitioner",
        "title": "Supervision record for Practitioners",
        "supervisee": {"name": "Aisha Khan", "job_role": "Social Worker"},
        "supervisor": {"name": "Tom O'Neill", "job_role": "Team Manager"},
        "team": "Huyton Children in Need",
        "session_date": "25 November 2026",
        "next_supervision": "23 December 2026",
        "review_date": "25 February 2027",
        "previous": {"happy": "Yes", "comments": ""},
        "welfare": {
            "discussion": "Feeling settled.\nBusy month.",
            "actions": [{"id": "W4TR8X", "text": "Book annual leave", "due": "1 December 2026"}],
        },
        "areas": [
            {"key": "learning_development", "title": "Learning and Development", "discussion": "PE course booked.",
             "actions": [{"id": "L9PQ2M", "text": "Attend PE course", "due": "January 2027"}]},
            {"key": "performance", "title": "Performance", "discussion": "Audit graded good.", "actions": []},
            {"key": "aob", "title": "A.O.B", "discussion": "", "actions": []},
        ],
        "decisions": "Caseload held at 18 & reviewed monthly <because of court work>.",
        "actions_section": 4,
        "actions": [
            {"id": "A7K2Q9", "date_added": "3 November 2026", "text": "Complete case audit", "owner": "Aisha Khan",
             "due": "30 November 2026", "progress": "", "completed": "No"},
            {"id": "B3M8X1", "date_added": "3 November 2026", "text": "Read the new procedures", "owner": "",
             "due": "", "progress": "Half done", "completed": "No"},
        ],
        "signatures": {"supervisee": {"name": "", "date": ""}, "supervisor": {"name": "", "date": ""}},
    }


@pytest.fixture
def record() -> bytes:
    return render_docx(DEFAULT_TEMPLATE_DIR / "practitioner.docx", practitioner_context())


def word_user_edits(data: bytes) -> bytes:
    """The edits a supervisor makes in Word between sessions."""
    document = open_docx(data)
    retype(cell_of(document, "dg_area0_d"), "Completed the PE course.", "Will share learning at team meeting.")
    retype(cell_of(document, "dg_act_A7K2Q9_p"), "Audit done, sent to manager")
    retype(cell_of(document, "dg_act_A7K2Q9_c"), "Yes")
    retype(cell_of(document, "dg_f_previous_comments"), "Date of last session was wrong")
    actions = table_of(document, "dg_tbl_actions")
    new_action = actions.add_row().cells
    for cell, text in zip(new_action, ("25 November 2026", "Shadow a court hearing", "", "No")):
        cell.text = text
    performance = row_of(cell_of(document, "dg_area1_t"))
    performance.getparent().remove(performance)
    new_area = table_of(document, "dg_tbl_areas").add_row().cells
    for cell, text in zip(new_area, ("Caseload", "Two new court cases", "Review allocation\nAsk for co-worker")):
        cell.text = text
    return save(document)


def assert_word_edits_read_back(content: FormContent) -> None:
    assert content.record_id == "R-000042" and content.kind == "practitioner" and content.schema_version == "1"
    by_key = {area.key: area for area in content.areas}
    assert by_key["learning_development"].discussion == "Completed the PE course.\nWill share learning at team meeting."
    assert by_key[None].title == "Caseload"
    assert by_key[None].actions == ["Review allocation", "Ask for co-worker"]
    assert content.removed_areas == ["performance"]
    audit, procedures, shadowing = content.actions
    assert (audit.id, audit.progress, audit.completed) == ("A7K2Q9", "Audit done, sent to manager", True)
    assert (audit.owner, audit.due, audit.text) == ("Aisha Khan", "30 November 2026", "Complete case audit")
    assert (procedures.id, procedures.progress, procedures.completed) == ("B3M8X1", "Half done", False)
    assert (shadowing.id, shadowing.text, shadowing.date_added, shadowing.completed) == (
        None, "Shadow a court hearing", "25 November 2026", False)
    assert content.fields["previous_comments"] == "Date of last session was wrong"
    assert content.warnings == []


def test_unedited_record_reads_back_what_was_rendered(record: bytes) -> None:
    content = read_upload(record)
    assert content.fields["decisions"] == "Caseload held at 18 & reviewed monthly <because of court work>."
    assert content.fields["supervisee_name"] == "Aisha Khan"
    assert content.welfare_discussion == "Feeling settled.\nBusy month."
    assert content.welfare_actions == ["Book annual leave \u2013 by 1 December 2026"]
    assert [area.key for area in content.areas] == ["learning_development", "performance", "aob"]
    assert content.areas[0].actions == ["Attend PE course \u2013 by January 2027"]
    assert [action.id for action in content.actions] == ["A7K2Q9", "B3M8X1"]
    assert content.removed_areas == [] and content.warnings == []


def test_word_users_edits_are_read_back(record: bytes) -> None:
    assert_word_edits_read_back(read_upload(word_user_edits(record)))


def libreoffice_resave(data: bytes, tmp_path: Path) -> bytes:
    """The file opened and saved again as .docx by LibreOffice, as a user without Word does."""
    source = tmp_path / "edited" / "record.docx"
    source.parent.mkdir()
    source.write_bytes(data)
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to", "docx",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    return (tmp_path / "record.docx").read_bytes()


@pytest.mark.libreoffice
def test_edits_survive_a_libreoffice_resave(record: bytes, tmp_path: Path) -> None:
    assert_word_edits_read_back(read_upload(libreoffice_resave(word_user_edits(record), tmp_path)))


@pytest.mark.libreoffice
def test_an_unchanged_record_resaved_by_libreoffice_reads_back_as_rendered(tmp_path: Path) -> None:
    context = practitioner_context()
    tricky = {"id": "P2X7", "text": "Multi-line\nwith a \u2013 by lookalike", "due": "May 2027"}
    context["areas"][1]["actions"] = [tricky]
    context["actions"].append({**tricky, "date_added": "3 November 2026", "owner": "Aisha; Tom",
                               "progress": "First\n\nthird line", "completed": "No"})
    rendered = render_docx(DEFAULT_TEMPLATE_DIR / "practitioner.docx", context)
    assert read_upload(libreoffice_resave(rendered, tmp_path)) == read_upload(rendered)


def test_unclear_completed_answer_is_a_warning_not_a_guess(record: bytes) -> None:
    document = open_docx(record)
    retype(cell_of(document, "dg_act_B3M8X1_c"), "maybe")
    retype(cell_of(document, "dg_act_A7K2Q9_c"), "\u2612")
    content = read_upload(save(document))
    assert [action.completed for action in content.actions] == [True, None]
    assert len(content.warnings) == 1 and "Completed? 'maybe' not understood" in content.warnings[0]


def test_a_copied_action_row_is_a_new_action(record: bytes) -> None:
    document = open_docx(record)
    row = row_of(cell_of(document, "dg_act_A7K2Q9_t"))
    row.addnext(copy.deepcopy(row))
    content = read_upload(save(document))
    assert [action.id for action in content.actions] == ["A7K2Q9", None, "B3M8X1"]


def test_hidden_text_and_tracked_deletions_are_not_read(record: bytes) -> None:
    document = open_docx(record)
    paragraph = cell_of(document, "dg_area1_d").paragraphs[0]
    paragraph.add_run(" secret").font.hidden = True
    deletion = OxmlElement("w:del")
    deleted_run = paragraph.add_run(" removed")._r
    deleted_run.addprevious(deletion)
    deletion.append(deleted_run)
    content = read_upload(save(document))
    assert content.areas[1].discussion == "Audit graded good."


def refused(data: bytes, **options) -> FormError:
    with pytest.raises(FormError) as caught:
        read_upload(data, **options)
    return caught.value


def test_a_file_that_is_not_a_docx_is_refused() -> None:
    error = refused(b"%PDF-1.7 not a word file")
    assert error.field == "file" and "not a Word document" in error.message


def test_a_macro_enabled_document_is_refused(record: bytes) -> None:
    assert "Macro" in refused(rezip(record, add={"word/vbaProject.bin": b"\0" * 100})).message
    with zipfile.ZipFile(io.BytesIO(record)) as archive:
        types = archive.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml")
    assert "Macro" in refused(rezip(record, replace={"[Content_Types].xml": types})).message


def test_a_file_over_the_size_limit_is_refused(record: bytes) -> None:
    error = refused(record, max_bytes=len(record) - 1)
    assert error.field == "file" and "larger than" in error.message


def test_a_zip_bomb_is_refused_before_extraction(record: bytes) -> None:
    bomb = rezip(record, add={"word/media/filler.bin": b"\0" * 30_000_000})
    assert len(bomb) < 10_000_000
    assert "unpacks to far more" in refused(bomb).message


def test_a_changed_table_header_is_refused(record: bytes) -> None:
    document = open_docx(record)
    retype(table_of(document, "dg_tbl_actions").rows[0].cells[2], "Notes")
    error = refused(save(document))
    assert error.field == "actions" and "header" in error.message and "notes" in error.message


def test_merged_cells_in_the_actions_table_are_refused(record: bytes) -> None:
    document = open_docx(record)
    row = table_of(document, "dg_tbl_actions").rows[1]
    row.cells[2].merge(row.cells[3])
    error = refused(save(document))
    assert error.field == "actions" and "merged or missing cells" in error.message


def test_a_missing_actions_table_is_refused(record: bytes) -> None:
    document = open_docx(record)
    table = table_of(document, "dg_tbl_actions")
    table._tbl.getparent().remove(table._tbl)
    error = refused(save(document))
    assert error.field == "actions" and "missing" in error.message


def test_a_document_without_docgen_properties_is_refused(record: bytes) -> None:
    document = open_docx(record)
    rels = document.part.package.rels
    for rel_id in [rel_id for rel_id, rel in rels.items() if rel.reltype == RT.CUSTOM_PROPERTIES]:
        del rels[rel_id]
    error = refused(save(document))
    assert error.field == "record_id" and "properties are missing" in error.message


def test_an_action_id_the_record_never_issued_is_refused(record: bytes) -> None:
    document = open_docx(record)
    for start in document.element.body.iter(qn("w:bookmarkStart")):
        if start.get(qn("w:name")) == "dg_act_B3M8X1_t":
            start.set(qn("w:name"), "dg_act_ZZ9ZZ9_t")
    error = refused(save(document))
    assert error.field == "actions" and "ZZ9ZZ9" in error.message


def test_another_records_file_is_refused(record: bytes) -> None:
    error = refused(record, expected_record_id="R-000043")
    assert error.field == "record_id" and "R-000042" in error.message


@pytest.mark.parametrize("case", HOSTILE_CASES)
def test_a_hostile_package_is_refused_naming_the_part(record: bytes, case: str) -> None:
    data, part = hostile_uploads(record)[case]
    error = refused(data)
    assert error.field == "file" and part in error.message


def test_a_hyperlink_to_an_outside_address_is_accepted(record: bytes) -> None:
    content = read_upload(with_hyperlink(record, "https://www.gov.uk/guidance/social-work"))
    assert [action.id for action in content.actions] == ["A7K2Q9", "B3M8X1"] and content.warnings == []
