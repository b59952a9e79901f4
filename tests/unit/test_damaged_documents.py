"""A stored document is given out or sealed only as it was filed: its bytes are checked against the
SHA-256 recorded when it was filed, and a damaged one is refused with a clear error, never served."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from storage.filing import DamagedDocument, file_document
from storage.models import Account, DocumentVersion, OutboxMessage
from workflows import export, notifications, pipeline, records, signoff
from workflows.access import Caller
from workflows.deployment import Deployment, Work
from workflows.inputs.signoff import Decide

HOLDER = Caller(ip="198.51.100.4", user_agent="Mozilla/5.0 (link)")


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def _token(deployment: Deployment, address: str) -> str:
    with deployment.sessions() as db:
        message = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address)
                             .order_by(OutboxMessage.id.desc())).first()
        return re.search(r"/sign/([A-Za-z0-9_-]{43})", notifications.letter_for(db, message).text).group(1)


@pytest.fixture
def signed(deployment: Deployment, uow: Work, team: dict[str, int]) -> int:
    """A record agreed and countersigned, with its sealed PDF filed as the worker would file it."""
    manager = _caller(uow, team["manager"])
    record_id = records.start_record(uow, manager, team["worker"], dt.date(2025, 3, 3)).id
    pipeline.send_for_signoff(uow, manager, "record", record_id)
    signoff.decide(uow, HOLDER, _token(deployment, "worker@knowsley.example.org"),
                   Decide(decision="agree", confirm_name="Alex Morgan"))
    document = signoff.countersign(uow, manager, "record", record_id).document
    file_document(uow.session, uow.store, record=document, version=1, kind="final_pdf", data=b"%PDF-1.7 sealed")
    uow.commit()
    return record_id


def _stored(uow: Work, kind: str) -> DocumentVersion:
    return uow.session.scalars(select(DocumentVersion).where(DocumentVersion.kind == kind)).one()


def test_the_sealed_pdf_is_served_as_filed(uow: Work, team: dict[str, int], signed: int) -> None:
    assert signoff.final_pdf(uow, _caller(uow, team["worker"]), "record", signed).data == b"%PDF-1.7 sealed"


def test_a_sealed_pdf_with_a_flipped_byte_in_the_store_is_refused_not_served(
        uow: Work, team: dict[str, int], signed: int) -> None:
    path = uow.store.path_for(_stored(uow, "final_pdf").storage_key)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(DamagedDocument, match="does not match what was filed") as refused:
        signoff.final_pdf(uow, _caller(uow, team["worker"]), "record", signed)
    assert refused.value.status == 500 and refused.value.code == "document_damaged"


def test_other_bytes_written_under_the_sealed_pdfs_key_are_refused_not_served(
        uow: Work, team: dict[str, int], signed: int) -> None:
    uow.store.put(_stored(uow, "final_pdf").storage_key, b"%PDF-1.7 forged")  # the store's own check passes
    with pytest.raises(DamagedDocument):
        signoff.final_pdf(uow, _caller(uow, team["worker"]), "record", signed)


def test_a_word_file_changed_in_the_store_after_signing_is_never_sealed(
        deployment: Deployment, uow: Work, signed: int) -> None:
    uow.store.put(_stored(uow, "docx").storage_key, b"PK a different Word file")
    uow.session.delete(_stored(uow, "final_pdf"))  # as if the worker had not sealed it yet
    uow.commit()
    deployment.converter = lambda: pytest.fail("a damaged Word file reached the converter")
    with pytest.raises(DamagedDocument):
        pipeline.finalise(uow, "record", signed, 1)


def test_an_hr_bundle_stops_at_a_damaged_document_naming_it(uow: Work, signed: int) -> None:
    uow.store.put(_stored(uow, "final_pdf").storage_key, b"%PDF-1.7 forged")
    bundle = export.by_operator(uow, "worker@knowsley.example.org")
    with pytest.raises(DamagedDocument, match=r"R-000001-practitioner\.pdf does not match what was filed"):
        b"".join(bundle.chunks)
