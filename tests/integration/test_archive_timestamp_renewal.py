"""Archive timestamps renewed before their authority's certificate ends (issue 25, "Records that last").

A record is sealed through sign-off where the configured authority signs with a certificate that
ends in 30 days (`tests/local_tsa.py`: tsa-short), inside docgen's one-year renewal window. The
deployment then uses an authority whose certificate lasts ten years, and the monthly task gives the
record a second document timestamp: filed in place of the old copy, audited, still PDF/A, genuine,
and still genuine when checked after the first authority's certificate has ended, where the
record as first sealed asks for renewal. Then how the new bytes are filed (`filing.refile_document`):
the old copy's protection carried over, and nothing changed by a renewal that does not commit.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from documents import seal
from docgen.main import cli
from kernel.config import Config
from storage.models import AuditEvent, DocumentVersion
from tests import local_tsa, pdf_archival
from tests.integration.test_backup import final_pdfs
from tests.integration.test_long_term_seal import annotations, sealed_through_the_pipeline, widget_is_pdf_a, with_tsa
from tests.integration.test_pdf_seal import blank_pdf, supervision_record
from tests.mailbox import Mailbox
from tests.sealing import mailing_and_sealing
from workflows import pipeline


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_tsa.LocalPki]:
    yield from local_tsa.serve(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def config(config: Config, smtp_server: Mailbox, pki: local_tsa.LocalPki) -> Config:
    """Sealing with the authority whose certificate ends within docgen's renewal window."""
    return mailing_and_sealing(replace(with_tsa(config, pki), timestamp_url=pki.short_tsa_url), smtp_server.port)


@pytest.fixture
def renewing_app(config: Config, pki: local_tsa.LocalPki) -> Iterator[Any]:
    """The same deployment once its authority signs with a certificate that lasts ten years."""
    from docgen.app import create_app

    renewing = create_app(replace(config, timestamp_url=pki.tsa_url))
    yield renewing
    renewing.extensions["docgen"].engine.dispose()


def final_pdf_row(app: Any) -> DocumentVersion:
    with app.extensions["docgen"].sessions() as db:
        [row] = db.scalars(select(DocumentVersion).where(DocumentVersion.kind == "final_pdf")).all()
        db.expunge(row)
        return row


def docgen(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(cli, list(args))


def after_the_first_authority_ended(pki: local_tsa.LocalPki) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + local_tsa.SHORT_TSA_LIFETIME + dt.timedelta(days=1)


@pytest.mark.libreoffice
def test_the_monthly_task_renews_a_record_whose_authority_ends_within_the_year(
        app: Any, client: Any, org: Any, mailbox: Mailbox, renewing_app: Any, pki: local_tsa.LocalPki) -> None:
    sealed = sealed_through_the_pipeline(client, org, mailbox)
    before = final_pdf_row(app)
    store = app.extensions["docgen"].store

    renewing_app.extensions["docgen.tasks"].tasks["renew_archive_timestamps"].call_local()

    row = final_pdf_row(renewing_app)
    [renewed] = final_pdfs(renewing_app).values()
    assert renewed.startswith(sealed) and len(renewed) > len(sealed)  # an incremental update
    assert (row.id, row.sha256, row.size) == (before.id, seal.sha256_hex(renewed), len(renewed))
    assert not store.exists(before.storage_key)  # the old copy is gone once the new one is filed
    assert seal.archive_expires(sealed) < seal.archive_expires(renewed)  # type: ignore[operator]
    with renewing_app.extensions["docgen"].sessions() as db:
        [entry] = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.archive_timestamp_renewed"))
        assert (entry.object_type, entry.detail["sha256_before"], entry.detail["sha256"]) == (
            "record", before.sha256, row.sha256)
    assert pdf_archival.problems(renewed) == []
    assert all(widget_is_pdf_a(annotation) for annotation in annotations(renewed))
    with renewing_app.extensions["docgen"].unit_of_work() as uow:
        checked = pipeline.verify(uow, renewed)  # what `docgen verify` and the verify page ask
    assert checked.status == "genuine" and checked.details["record"]["version"] == row.version, checked.details
    signer = seal.organisation_signer(renewing_app.extensions["docgen"].config)
    later = after_the_first_authority_ended(pki)
    assert seal.verify_pdf(sealed, signer.signing_cert, lambda _: None, tsa_certs=[pki.root],
                           at=later).details["reason"] == seal.RENEWAL_NEEDED
    found = seal.verify_pdf(renewed, signer.signing_cert, lambda _: None, tsa_certs=[pki.root], at=later)
    assert found.status == "genuine", found.details
    assert found.details["archive_timestamps"] == 2

    again = docgen(renewing_app, "renew-timestamps")

    assert again.exit_code == 0 and again.output.startswith("0 record(s)"), again.output
    assert final_pdf_row(renewing_app).sha256 == row.sha256


def test_the_worker_renews_once_a_month(app: Any) -> None:
    task = app.extensions["docgen.tasks"].tasks["renew_archive_timestamps"]

    assert task.task_class().validate_datetime(dt.datetime(2027, 3, 1, 4, 10))
    assert not any(task.task_class().validate_datetime(dt.datetime(2027, 3, day, 4, 10)) for day in range(2, 32))


@pytest.mark.libreoffice
def test_nothing_is_renewed_while_the_authority_signs_with_the_certificate_that_ends(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    sealed = sealed_through_the_pipeline(client, org, mailbox)

    result = docgen(app, "renew-timestamps")

    assert result.exit_code == 1
    assert "no later than theirs: it must issue a new one first" in result.output
    assert list(final_pdfs(app).values()) == [sealed]


@pytest.mark.libreoffice
def test_a_record_whose_authority_ends_after_the_window_is_left_as_it_is(
        app: Any, client: Any, org: Any, mailbox: Mailbox, renewing_app: Any) -> None:
    sealed = sealed_through_the_pipeline(client, org, mailbox)

    result = docgen(renewing_app, "renew-timestamps", "--within-days", "7")  # its authority ends in 30

    assert result.exit_code == 0 and result.output.strip() == "0 record(s) given a new archive timestamp"
    assert list(final_pdfs(renewing_app).values()) == [sealed]


def test_a_record_sealed_without_an_authority_has_no_archive_timestamp_to_renew(
        pki: local_tsa.LocalPki, config: Config) -> None:
    """B-B: a timestamp made now could not date the seal, so renewal leaves such a record alone."""
    signer = seal.load_signer(pki.org_p12, local_tsa.P12_PASSPHRASE)
    plain = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                          metadata={seal.RECORD_ID_KEY: "R-3"})

    assert seal.archive_expires(plain) is None
    with pytest.raises(ValueError, match="no document timestamp to renew"):
        seal.renew(plain, seal.timestamper_for(config), seal.renewal_context(config))  # type: ignore[arg-type]


def test_a_renewed_copy_keeps_the_old_ones_legal_hold_and_the_held_old_copy_stays(app: Any, org: Any) -> None:
    """filing.refile_document, as renewal files: the row names the new bytes once it commits; a store
    that still holds the old copy keeps it (the orphan sweep destroys it once free)."""
    from storage import filing
    from storage.models import Record
    from tests.integration.test_filing import draft_record

    record_id = draft_record(app, org)
    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:
        old = filing.file_document(db, deployment.store, record=db.get_one(Record, record_id), version=1,
                                   kind="final_pdf", data=b"%PDF-1.7 sealed", legal_hold=True)
        old_id, old_key = old.id, old.storage_key

    with deployment.sessions.begin() as db:
        filing.refile_document(db, deployment.store, db.get_one(DocumentVersion, old_id), b"%PDF-1.7 sealed, renewed")

    with deployment.sessions() as db:
        row = db.get_one(DocumentVersion, old_id)
        assert filing.read_document(db, deployment.store, row) == b"%PDF-1.7 sealed, renewed"
        assert deployment.store.lock_state(row.storage_key).legal_hold
    assert deployment.store.exists(old_key) and row.storage_key != old_key


def test_a_renewal_that_does_not_commit_leaves_the_old_copy_and_no_new_one(app: Any, org: Any) -> None:
    from storage import filing
    from storage.models import Record
    from tests.integration.test_filing import draft_record, stored_files

    record_id = draft_record(app, org)
    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:
        old = filing.file_document(db, deployment.store, record=db.get_one(Record, record_id), version=1,
                                   kind="final_pdf", data=b"%PDF-1.7 sealed")
        old_id, old_key = old.id, old.storage_key
    files = stored_files(deployment.store.root)

    with pytest.raises(RuntimeError), deployment.sessions.begin() as db:
        filing.refile_document(db, deployment.store, db.get_one(DocumentVersion, old_id), b"%PDF-1.7 renewed")
        raise RuntimeError("the audit entry could not be written")

    with deployment.sessions() as db:
        assert db.get_one(DocumentVersion, old_id).storage_key == old_key
    assert deployment.store.get(old_key) == b"%PDF-1.7 sealed" and stored_files(deployment.store.root) == files
