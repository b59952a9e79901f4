"""Filing documents: both halves or neither, no plaintext on disk, and an HR bundle streamed in
little memory however large it is."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from workflows.pipeline import record_docx
from storage.models import DocumentVersion, Person, Record
from storage import filing
from storage.backends.base import IntegrityError
from kernel import clock
from workflows import export, records
from kernel.errors import InvalidInput, NotFound

MARKER = "WELFARE-MARKER-SLEEPLESS-NIGHTS-K2V8"


def draft_record(app: Any, org: Any, welfare: str = "Settling in well.") -> int:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        record = records.create_record(db, services.profile, db.get_one(Person, org.ids["worker"]),
                                       dt.date(2026, 11, 2))
        record.sections = {**record.sections, "welfare": {"discussion": welfare}}
        return record.id


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_no_plaintext_of_a_filed_record_exists_anywhere_in_the_instance_folder(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    record_id = draft_record(app, org, f"Struggling with sleep after a difficult case. {MARKER}")
    with services.sessions.begin() as db:
        record = db.get_one(Record, record_id)
        docx = record_docx(services, db, record)
        filed = filing.file_document(db, services.store, record=record, version=1, kind="docx", data=docx)
    with services.sessions() as db:
        assert filing.read_document(db, services.store, filed.id) == docx
    assert MARKER.encode() in _document_xml(docx)  # the marker really is in the rendered record

    files = stored_files(services.config.instance_path)

    assert files, "the store wrote nothing under the instance folder"
    samples = [docx[at:at + 48] for at in range(0, len(docx) - 48, 512)] + [docx]
    for path in files:
        content = path.read_bytes()
        assert MARKER.encode() not in content, path
        assert not any(sample in content for sample in samples), path


def _document_xml(docx: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")


def test_a_failed_commit_leaves_neither_the_row_nor_the_object(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    record_id = draft_record(app, org)
    db = services.sessions()
    filed = filing.file_document(db, services.store, record=db.get_one(Record, record_id), version=1,
                                 kind="final_pdf", data=b"%PDF-1.7 signed")
    key = filed.storage_key
    assert services.store.exists(key)
    db.add(Person(organisation_id=org.org.id, name="Duplicate", email="worker@knowsley.example.org",
                  role="social_worker", employment_start=dt.date(2024, 1, 1)))

    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.commit()
    db.rollback()
    db.close()

    assert not services.store.exists(key)
    with services.sessions() as check:
        assert check.scalar(select(func.count(DocumentVersion.id))) == 0


def test_a_rolled_back_or_abandoned_transaction_removes_what_it_filed(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    record_id = draft_record(app, org)
    keys = []
    for end in ("rollback", "close"):
        db = services.sessions()
        keys.append(filing.file_document(db, services.store, record=db.get_one(Record, record_id), version=1,
                                         kind="docx", data=b"draft").storage_key)
        getattr(db, end)()
    assert not any(services.store.exists(key) for key in keys)


def test_a_committed_filing_keeps_both_and_is_protected_as_asked(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    record_id = draft_record(app, org)
    with services.sessions.begin() as db:
        filed = filing.file_document(db, services.store, record=db.get_one(Record, record_id), version=1,
                                     kind="final_pdf", data=b"%PDF-1.7 signed", legal_hold=True)
    assert filed.storage_key.startswith(f"people/{org.ids['worker']}/record-{record_id}/v1/final_pdf-")
    assert filed.storage_key.endswith(".pdf") and filed.sha256 == hashlib.sha256(b"%PDF-1.7 signed").hexdigest()
    assert services.store.lock_state(filed.storage_key).legal_hold
    with services.sessions() as db:
        assert filing.read_document(db, services.store, filed.id) == b"%PDF-1.7 signed"


def test_a_swapped_object_is_caught_against_the_row(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    record_id = draft_record(app, org)
    with services.sessions.begin() as db:
        record = db.get_one(Record, record_id)
        first = filing.file_document(db, services.store, record=record, version=1, kind="docx", data=b"one")
        second = filing.file_document(db, services.store, record=record, version=2, kind="docx", data=b"two")
        second.storage_key, first.storage_key = first.storage_key, "swapped-" + second.storage_key.rsplit("/", 1)[1]
    with services.sessions() as db, pytest.raises(IntegrityError):
        filing.read_document(db, services.store, second.id)


def test_filing_refuses_a_document_without_exactly_one_owner_or_with_an_unknown_kind(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    record_id = draft_record(app, org)
    with services.sessions() as db:
        record = db.get_one(Record, record_id)
        with pytest.raises(InvalidInput) as no_owner:
            filing.file_document(db, services.store, version=1, kind="docx", data=b"x")
        with pytest.raises(InvalidInput) as bad_kind:
            filing.file_document(db, services.store, record=record, version=1, kind="exe", data=b"x")
        with pytest.raises(NotFound):
            filing.read_document(db, services.store, 424242)
    assert (no_owner.value.field, bad_kind.value.field) == ("record_id", "kind")


def test_an_hr_bundle_of_30_mb_streams_in_a_fraction_of_that_memory(app: Any, org: Any, tmp_path: Path) -> None:
    services = app.extensions["docgen"]
    size, count = 1 << 20, 30
    with services.sessions.begin() as db:
        supervisee = db.get_one(Person, org.ids["worker"])
        for n in range(count):
            clock.set_clock(lambda n=n: dt.datetime(2025, 1, 6, 10) + dt.timedelta(weeks=n))
            record = records.create_record(db, services.profile, supervisee, clock.today())
            filing.file_document(db, services.store, record=record, version=1, kind="final_pdf",
                                 data=os.urandom(size))
    clock.set_clock(None)
    out = tmp_path / "bundle.zip"

    with services.sessions() as db:
        person = db.get_one(Person, org.ids["worker"])
        tracemalloc.start()
        try:
            with out.open("wb") as handle:
                for chunk in export.export_person(db, services.store, person):
                    handle.write(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    total = size * count
    assert out.stat().st_size > total
    assert peak < total / 6, f"peak {peak / 1e6:.1f} MB for a {total / 1e6:.0f} MB bundle"
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == count
