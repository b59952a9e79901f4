"""A download reads the form it prints from the rendered document in memory (`printed_form`), not
from the saved file (`read_upload`): for any record, of any council, the two must agree cell for
cell, or an older file's three-way merge would see changes nobody made. The sealed base a download
carries is that form, and the file is otherwise the rendered one with its revision added."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings

from documents.docx_form import form_json, printed_form, read_upload
from storage import sealing
from storage.models import Agreement
from tests.unit.test_word_round_trip import RECORD, _caller, _make_record, council  # noqa: F401 (fixture)
from workflows import agreements, pipeline, people, word_files
from workflows.deployment import Work
from workflows.records import record_number


def _unsealed_base(uow: Work, data: bytes, number: str) -> bytes:
    form = read_upload(data)
    assert form.revision is not None
    return zlib.decompress(sealing.unseal(uow.deployment.keyring, form.sealed_base,
                                          word_files._sealed_for(number, form.revision)))


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {name: package.read(name) for name in package.namelist()}


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=RECORD)
def test_the_form_read_in_memory_is_the_form_read_from_the_saved_file(council: Work, team: dict[str, int],
                                                                       spec: dict[str, Any]) -> None:
    """Areas kept, removed and added, carried and completed actions, undated and lookalike due dates,
    text with characters XML cannot hold: whatever the record holds."""
    record = _make_record(council, team, spec)
    saved = read_upload(pipeline.record_docx(council.deployment, council.session, record))
    assert form_json(printed_form(pipeline.record_document(council.deployment, council.session, record))) \
        == form_json(saved)
    download = word_files.download_record(council, _caller(council, team["manager"]), record.id)[0]
    assert _unsealed_base(council, download, record_number(record)) == form_json(saved)


def test_a_download_is_the_rendered_file_with_its_revision_and_base(uow: Work, team: dict[str, int]) -> None:
    db = uow.session
    agreement = agreements.create_agreement(db, uow.deployment.profile, people.get_person(db, team["worker"]),
                                            people.get_person(db, team["manager"]), dt.date(2025, 3, 3),
                                            {"location": "Huyton office, room 2 & the car park <east>"})
    uow.commit()
    rendered = _members(pipeline.agreement_docx(uow.deployment, db, agreement))
    download = word_files.download_agreement(uow, _caller(uow, team["manager"]), agreement.id)[0]
    assert _unsealed_base(uow, download, agreements.agreement_number(agreement)) == form_json(
        read_upload(pipeline.agreement_docx(uow.deployment, db, db.get(Agreement, agreement.id))))
    downloaded = _members(download)
    assert downloaded.keys() == rendered.keys()
    assert {name: data for name, data in downloaded.items() if name != "docProps/custom.xml"} == {
        name: data for name, data in rendered.items() if name != "docProps/custom.xml"}
    assert downloaded["docProps/custom.xml"].startswith(rendered["docProps/custom.xml"].rsplit(b"</Properties>")[0])
