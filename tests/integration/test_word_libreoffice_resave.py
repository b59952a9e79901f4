"""A record saved again by LibreOffice reads back as docgen printed it (issue 27): a user without
Word opens the downloaded file, changes nothing or one area, saves it as .docx and uploads it, and
no carried action (free-text due dates such as "Friday" included) comes back a second time.

The resave runs on SQLite only: LibreOffice sees bytes, not the database, and the test first checks
that the resaved file reads back as the same form. What follows (uploading that form over the
record) is what tests/integration/test_word_three_way_merge.py checks on both databases, with the
same records. The test without LibreOffice runs on both."""
from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.docx_form import read_upload
from tests.integration.test_word_three_way_merge import (WORDS, _download, _ids, _manager, _record, _shown, _upload,
                                                         _word_edit, uow)  # noqa: F401 - uow is a fixture
from tests.word_editing import open_docx, save, table_of
from workflows import records
from workflows.deployment import Work

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FREE_TEXT_DUES = ["Friday", "within six weeks", "end of month", "next supervision", "two weeks"]
CASE = st.fixed_dictionaries({
    "carried": st.lists(st.tuples(WORDS, st.sampled_from(FREE_TEXT_DUES)), min_size=1, max_size=3),
    "own": st.lists(st.tuples(WORDS, st.sampled_from([*FREE_TEXT_DUES, "20 December 2026", ""])), max_size=2),
    "progress": st.lists(st.one_of(st.none(), WORDS), min_size=3, max_size=3),
    "area_action": st.one_of(st.none(), st.tuples(WORDS, st.sampled_from(FREE_TEXT_DUES))),
    "area": st.one_of(st.none(), WORDS),
})


def libreoffice_resave(data: bytes, folder: Path) -> bytes:
    """The file opened and saved again as .docx by LibreOffice, as a user without Word does."""
    source = folder / "edited" / "record.docx"
    source.parent.mkdir(parents=True)
    source.write_bytes(data)
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{folder}/lo-profile", "--convert-to", "docx",
         "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    return (folder / "record.docx").read_bytes()


def _written(uow: Work, org: Any, case: dict[str, Any]) -> Any:
    """A generated record: carried actions with free-text due dates, with this session's progress on
    some, its own actions, and an action raised in an area."""
    record = _record(uow, org, case["carried"], case["own"])
    progress = [{"id": action_id, "progress": text}
                for action_id, text in zip(_ids(uow, record), case["progress"]) if text is not None]
    raised = [{"section": record.sections["areas"][0]["key"], "text": case["area_action"][0],
               "due": case["area_action"][1]}] if case["area_action"] else []
    records.edit(uow, _manager(uow, org), record.id, {"actions": progress + raised}, record.revision)
    uow.commit()
    return record


@pytest.mark.libreoffice
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(max_examples=3, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=CASE)
def test_a_record_resaved_by_libreoffice_changes_nothing_but_what_was_typed(
        uow: Work, org: Any, tmp_path_factory: pytest.TempPathFactory, case: dict[str, Any]) -> None:
    record = _written(uow, org, case)
    data = _download(uow, org, record)
    if case["area"] is not None:  # one area's text changed, as the user did before saving
        data = _word_edit(data, {"dg_area1_d": case["area"]})
    resaved = libreoffice_resave(data, tmp_path_factory.mktemp("lo"))
    assert read_upload(resaved) == read_upload(data)  # the revision and the sealed base survive too
    before = _shown(uow, record)
    assert _upload(uow, org, record, resaved)["warnings"] == []
    after = _shown(uow, record)
    if case["area"] is not None:
        before["sections"]["areas"][1]["discussion"] = case["area"]
    assert after["actions"] == before["actions"] and after["sections"] == before["sections"]


def _without_bookmarks(data: bytes, action_ids: list[str]) -> bytes:
    """The file with the summary rows of `action_ids` stripped of their bookmarks, as an editor that
    loses them saves it."""
    document = open_docx(data)
    table = table_of(document, "dg_tbl_actions")
    for mark in list(table._tbl.iter(f"{W}bookmarkStart")):
        if any(mark.get(f"{W}name", "").startswith(f"dg_act_{i}_") for i in action_ids):
            mark.getparent().remove(mark)
    return save(document)


def test_a_carried_action_whose_row_lost_its_ids_is_not_raised_again(uow: Work, org: Any) -> None:
    record = _record(uow, org, [("Write the case summary for the legal planning meeting", "Friday"),
                                ("Shadow a Child Protection conference", "within six weeks")],
                     [("Book the refresher course", "20 December 2026")])
    carried = _ids(uow, record)[:2]
    before = _shown(uow, record)
    assert _upload(uow, org, record, _without_bookmarks(_download(uow, org, record), carried))["warnings"] == []
    assert _shown(uow, record)["actions"] == before["actions"]
