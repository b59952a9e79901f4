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
from sqlalchemy import func, select

from docgen.web.verify import finding
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
    assert stored_end(app, before.id) == (True, naive_end(sealed))  # stored as it was sealed, for the monthly run

    renewing_app.extensions["docgen.tasks"].tasks["renew_archive_timestamps"].call_local()

    row = final_pdf_row(renewing_app)
    [renewed] = final_pdfs(renewing_app).values()
    assert renewed.startswith(sealed) and len(renewed) > len(sealed)  # an incremental update
    assert (row.id, row.sha256, row.size) == (before.id, seal.sha256_hex(renewed), len(renewed))
    assert store.get(before.storage_key) == sealed  # the old copy is kept, as an earlier copy
    assert seal.archive_expires(sealed) < seal.archive_expires(renewed)  # type: ignore[operator]
    assert stored_end(app, row.id) == (True, naive_end(renewed))
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
    """filing.refile_document, as renewal files: the row names the new bytes once it commits, and the
    old copy stays in the store."""
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
        # A hold lifted or placed later (workflows.holds) reaches the earlier copy kept as well.
        filing.set_legal_hold(deployment.store, [row], False)
        assert not deployment.store.lock_state(old_key).legal_hold
        filing.set_legal_hold(deployment.store, [row], True)
        assert deployment.store.lock_state(old_key).legal_hold
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


# --- Earlier copies: recognised, kept, destroyed with their version (storage.superseded_copies) -----


def filed_blta(app: Any, org: Any, on_date: dt.date = dt.date(2026, 11, 2)) -> tuple[int, bytes, str]:
    """A record's final PDF sealed B-LTA by the deployment's authority and filed, without LibreOffice,
    as it was filed before revision 0019 (its authority's end not stored): its row id, its bytes and
    the record's number."""
    from storage.models import Person
    from workflows import records, signoff

    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:
        record = records.create_record(db, deployment.profile, db.get_one(Person, org.ids["worker"]), on_date)
        record.sections = {**record.sections, "welfare": {"discussion": "Settling in well."}}
        db.flush()
        number = signoff.number(record)
        row_id, pdf = sealed_and_filed(deployment, db, record, number)
        return row_id, pdf, number


def sealed_and_filed(deployment: Any, db: Any, record: Any, number: str, *,
                     stamped: bool = True) -> tuple[int, bytes]:
    """`record`'s final PDF sealed B-LTA by the deployment's authority (B-B, with no document
    timestamp, unless `stamped`) and filed in `db`'s transaction: its row id and its bytes."""
    from storage import filing

    signer = seal.organisation_signer(deployment.config)
    pdf = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                        metadata={seal.RECORD_ID_KEY: number},
                        timestamper=seal.timestamper_for(deployment.config) if stamped else None,
                        validation_context=seal.long_term_context(deployment.config, signer))
    row = filing.file_document(db, deployment.store, record=record, version=1, kind="final_pdf", data=pdf)
    return row.id, pdf


def filed_group_blta(app: Any, org: Any) -> tuple[int, bytes]:
    """A group session's record, written by Sam (its recorder, so filed as his) with Alex and Priya
    present, signed, its final PDF sealed B-LTA and filed: the PDF's row id and bytes."""
    from storage.models import GroupAttendance, GroupSession, Record, SupervisionGroup
    from workflows import signoff

    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:
        group = SupervisionGroup(name="CIN 1 action learning", facilitator_id=org.ids["manager"])
        db.add(group)
        db.flush()
        session = GroupSession(group_id=group.id, starts_at=dt.datetime(2026, 11, 3, 10), status="held",
                               uid="cin1-2026-11-03@docgen.test")
        db.add(session)
        db.flush()
        db.add_all([GroupAttendance(session_id=session.id, person_id=org.ids[who], attendance="present")
                    for who in ("worker", "asye")])
        record = Record(kind="group_plain", supervisee_id=org.ids["manager"], supervisor_id=org.ids["manager"],
                        session_date=dt.date(2026, 11, 3), status=signoff.SIGNED, group_session_id=session.id,
                        sections={"reflective_discussion": "Thresholds for CIN plans."})
        db.add(record)
        db.flush()
        return sealed_and_filed(deployment, db, record, signoff.number(record))


def reads_from_the_store(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the document versions whose bytes are read from the store from now on, in order."""
    from storage import filing

    read, ids = filing.read_document, []

    def counted(db: Any, store: Any, version: Any) -> bytes:
        ids.append(version if isinstance(version, int) else version.id)
        return read(db, store, version)

    monkeypatch.setattr(filing, "read_document", counted)
    return ids


def stored_end(app: Any, version_id: int) -> tuple[bool | None, dt.datetime | None]:
    with app.extensions["docgen"].sessions() as db:
        row = db.get_one(DocumentVersion, version_id)
        return row.archive_timestamped, row.archive_expires_at


def naive_end(pdf: bytes) -> dt.datetime:
    ends = seal.archive_expires(pdf)
    assert ends is not None
    return ends.astimezone(dt.timezone.utc).replace(tzinfo=None)


def waiting_for_a_lock(deployment: Any, lock: str = "") -> bool:
    """Whether a session of this PostgreSQL database is waiting for a lock another holds: of the kind
    `lock` names (pg_stat_activity's wait_event: 'advisory', 'tuple', 'transactionid'), if given."""
    from sqlalchemy import text

    with deployment.engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                     "AND datname = current_database() AND (:lock = '' OR wait_event = :lock)"),
                                {"lock": lock}))


def renew(app: Any, within: dt.timedelta | None = None) -> Any:
    """A run as the monthly task makes it, with docgen's window unless `within` is given."""
    from kernel import clock
    from workflows import timestamp_renewal

    with app.extensions["docgen"].unit_of_work() as uow:
        return timestamp_renewal.renew_due(uow, clock.now(), within or timestamp_renewal.RENEWAL_WINDOW)


def verified(app: Any, pdf: bytes) -> seal.Verdict:
    with app.extensions["docgen"].unit_of_work() as uow:
        return pipeline.verify(uow, pdf)


def test_a_copy_downloaded_before_a_renewal_is_recognised_as_an_earlier_copy(
        app: Any, org: Any, renewing_app: Any, pki: local_tsa.LocalPki, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Any) -> None:
    from docgen.web.verify import finding
    from storage import filing
    from kernel import clock

    version_id, downloaded, number = filed_blta(app, org)
    old_key = final_pdf_row(app).storage_key

    run = renew(renewing_app)

    assert [r.version_id for r in run.renewed] == [version_id] and run.refused == {}
    earlier = verified(renewing_app, downloaded)
    assert (earlier.status, earlier.record_id) == ("genuine", number), earlier.details
    assert earlier.details["reason"] == f"an earlier copy of {number}; a renewed copy is filed"
    assert earlier.details["record"]["document"] == number and "superseded_at" in earlier.details["record"]
    headline, detail = finding(earlier, "Knowsley")
    assert headline == "Genuine and unaltered" and detail.startswith(f"record {number}")
    assert "an earlier copy we filed: the copy on file now has a renewed archive timestamp" in detail
    (tmp_path / "old.pdf").write_bytes(downloaded)
    # `docgen verify` builds its deployment from DOCGEN_* settings; here, this test's deployment
    monkeypatch.setattr("docgen.cli.records.checking_unit_of_work", renewing_app.extensions["docgen"].unit_of_work)
    said = docgen(renewing_app, "verify", str(tmp_path / "old.pdf"))
    assert said.exit_code == 0 and "an earlier copy: a renewed copy is filed" in said.output, said.output
    current = verified(renewing_app, final_pdfs(renewing_app)[final_pdf_row(app).record_id])
    assert current.status == "genuine" and "superseded_at" not in current.details["record"]
    store = app.extensions["docgen"].store
    assert store.get(old_key) == downloaded and old_key in [key for key, _ in store.list_keys(filing.FILED_PREFIX)]
    with app.extensions["docgen"].sessions() as db:  # not an orphan, however old
        assert old_key not in filing.orphans(db, store, clock.now() + dt.timedelta(days=1), dt.timedelta(0))

    # Once the first authority's certificate has ended, the earlier copy's timestamp cannot be
    # checked, and its holder cannot renew it: it is still the copy filed, and said to be.
    later = after_the_first_authority_ended(pki)
    verify_pdf = seal.verify_pdf
    monkeypatch.setattr(seal, "verify_pdf", lambda *args, **kwargs: verify_pdf(*args, **kwargs, at=later))
    expired = verified(renewing_app, downloaded)
    assert (expired.status, expired.record_id, expired.details["timestamp"]) == (
        "genuine", number, seal.RENEWAL_NEEDED), expired.details
    assert expired.details["reason"].startswith(f"an earlier copy of {number} filed by this organisation, byte for byte")
    assert expired.details["reason"].endswith("; a renewed copy is filed")


def test_retention_destroys_the_earlier_copy_with_its_version_and_a_legal_hold_keeps_both(
        app: Any, org: Any, renewing_app: Any) -> None:
    from storage import filing
    from storage.models import DestructionLog, LegalHold, PageText, Person, SupersededCopy
    from tests.integration.test_retention import DESTROY, LEAVE, run_retention, steps
    from workflows import holds, movers

    deployment = app.extensions["docgen"]
    version_id, downloaded, _ = filed_blta(app, org)
    with deployment.sessions.begin() as db:
        db.add(PageText(sha256=seal.sha256_hex(downloaded), pages=["Supervision record"]))
    renew(renewing_app)
    row = final_pdf_row(app)
    with deployment.sessions.begin() as db:
        [earlier] = db.scalars(select(SupersededCopy))
        assert (earlier.document_version_id, earlier.sha256, earlier.size) == (
            version_id, seal.sha256_hex(downloaded), len(downloaded))
        # the page texts pass to the renewed bytes: the same pages, kept once
        assert db.get(PageText, seal.sha256_hex(downloaded)) is None
        assert db.get_one(PageText, row.sha256).pages == ["Supervision record"]
        # a redaction schedule that read the earlier copy before the renewal committed kept its pages
        db.add(PageText(sha256=earlier.sha256, pages=["Supervision record"]))
        person = db.get_one(Person, org.ids["worker"])
        movers.mark_leaver(db, person, LEAVE, None)
        hold_id = holds.place_hold(db, deployment.store, reason="Employment tribunal", by=None, person=person).id
        earlier_id, keys = earlier.id, [earlier.storage_key, row.storage_key]

    assert ("destroy", "held") in steps(run_retention(deployment, DESTROY))
    assert all(deployment.store.exists(key) for key in keys)

    with deployment.sessions.begin() as db:
        holds.lift_hold(db, deployment.store, db.get_one(LegalHold, hold_id), by=None, reason="settled")
    assert ("destroy", "done") in steps(run_retention(deployment, DESTROY))

    assert not any(deployment.store.exists(key) for key in keys)
    with deployment.sessions() as db:
        logged = db.scalars(select(DestructionLog).where(DestructionLog.document_version_id == version_id)).all()
        assert sorted(entry.sha256 for entry in logged) == sorted([seal.sha256_hex(downloaded), row.sha256])
        assert any("an earlier copy" in entry.description for entry in logged)
        assert db.get_one(SupersededCopy, earlier_id).destroyed_at is not None
        assert db.scalar(select(func.count()).select_from(PageText)) == 0
        assert filing.orphans(db, deployment.store, DESTROY_MOMENT, dt.timedelta(0)) == []


DESTROY_MOMENT = dt.datetime(2034, 7, 29, 10)


def test_a_record_that_cannot_be_read_is_refused_and_the_run_renews_the_rest(
        app: Any, org: Any, renewing_app: Any) -> None:
    from storage import filing
    from storage.models import Record
    from tests.integration.test_filing import draft_record

    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:  # filed first, so the run reaches them first
        record = db.get_one(Record, draft_record(app, org))
        garbled = filing.file_document(db, deployment.store, record=record, version=1, kind="final_pdf",
                                       data=b"%PDF-1.7 not a sealed record").id
        lost = filing.file_document(db, deployment.store, record=record, version=2, kind="final_pdf",
                                    data=b"%PDF-1.7 lost")
        lost_id, lost_key = lost.id, lost.storage_key
    deployment.store.destroy(lost_key)
    sealed_id, _, _ = filed_blta(app, org, on_date=dt.date(2026, 11, 9))

    run = renew(renewing_app)

    assert [r.version_id for r in run.renewed] == [sealed_id] and run.stopped == ""
    assert set(run.refused) == {garbled, lost_id}, run.refused


def test_a_renewal_filed_meanwhile_by_another_run_is_not_filed_twice(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other run files while this one waits on the authority: this one finds the row no longer
    holds the bytes it stamped (compare-and-set) and files nothing."""
    from storage.models import SupersededCopy

    version_id, _, _ = filed_blta(app, org)
    stamp = seal.renew
    others: list[Any] = []

    def while_stamping(*args: Any) -> bytes:
        if not others:
            others.append(None)
            others[0] = renew(renewing_app)  # the other run, start to end, while this one stamps
        return stamp(*args)

    monkeypatch.setattr(seal, "renew", while_stamping)
    run = renew(renewing_app)

    assert [r.version_id for r in others[0].renewed] == [version_id]
    assert run.renewed == [] and run.refused == {}
    assert final_pdf_row(app).sha256 == others[0].renewed[0].sha256
    with renewing_app.extensions["docgen"].sessions() as db:
        assert len(db.scalars(select(SupersededCopy)).all()) == 1
        assert len(db.scalars(select(AuditEvent).where(
            AuditEvent.action == "document.archive_timestamp_renewed")).all()) == 1


def test_a_record_destroyed_while_its_timestamp_was_being_made_is_not_filed_again(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.models import Person
    from tests.integration.test_retention import DESTROY, LEAVE, run_retention
    from workflows import movers

    deployment = app.extensions["docgen"]
    filed_blta(app, org)
    with deployment.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, org.ids["worker"]), LEAVE, None)
    stamp = seal.renew

    def while_stamping(*args: Any) -> bytes:
        renewed = stamp(*args)
        run_retention(deployment, DESTROY)  # retention destroys the record before this run files
        return renewed

    monkeypatch.setattr(seal, "renew", while_stamping)
    run = renew(renewing_app)

    row = final_pdf_row(app)
    assert run.renewed == [] and row.destroyed_at is not None
    assert [key for key, _ in deployment.store.list_keys("people/") if "final_pdf" in key] == []


@pytest.mark.parametrize("filed", [lambda app, org: filed_blta(app, org)[0],
                                   lambda app, org: filed_group_blta(app, org)[0]], ids=["one-to-one", "group"])
def test_two_runs_filing_the_same_record_at_once_file_it_once(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch, filed: Any) -> None:
    """Both runs read the record and stamp it at the same time; the first to file holds the rows of
    the people whose file holds it (as retention does: for a group record, the recorder and everyone
    present) until the second is waiting for them, and the second, reading the row after, finds it
    renewed already. On SQLite, BEGIN IMMEDIATE makes the second wait for the first's whole
    transaction; the wait cannot be seen from outside, so there the first files at once."""
    import threading

    from storage import filing
    from tests.waiting import wait_until

    deployment = renewing_app.extensions["docgen"]
    filed(app, org)
    both_stamping = threading.Barrier(2)
    stamp, refile = seal.renew, filing.refile_document
    finished: list[Any] = []

    def stamping_together(*args: Any) -> bytes:
        both_stamping.wait(30)
        return stamp(*args)

    def first_files_once_the_other_waits(*args: Any) -> None:
        if not finished and deployment.engine.dialect.name == "postgresql":
            wait_until(lambda: len(finished) == 1 or waiting_for_a_lock(deployment),
                       "the other renewal to wait for the holders' rows, or to finish")
        refile(*args)

    monkeypatch.setattr(seal, "renew", stamping_together)
    monkeypatch.setattr(filing, "refile_document", first_files_once_the_other_waits)
    runs = [threading.Thread(target=lambda: finished.append(renew(renewing_app))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)

    assert len(finished) == 2 and sorted(len(run.renewed) for run in finished) == [0, 1], finished
    with deployment.sessions() as db:
        assert len(db.scalars(select(AuditEvent).where(
            AuditEvent.action == "document.archive_timestamp_renewed")).all()) == 1


def test_a_filed_copy_whose_authority_has_ended_is_ours_and_said_to_need_renewing(
        app: Any, org: Any, pki: local_tsa.LocalPki, monkeypatch: pytest.MonkeyPatch) -> None:
    """Missed renewals: the seal alone can no longer show the record unaltered, but its bytes are the
    ones filed here, so it is not called altered."""
    _, filed, number = filed_blta(app, org)
    later = after_the_first_authority_ended(pki)
    verify_pdf = seal.verify_pdf
    monkeypatch.setattr(seal, "verify_pdf", lambda *args, **kwargs: verify_pdf(*args, **kwargs, at=later))

    checked = verified(app, filed)

    assert (checked.status, checked.record_id, checked.details["timestamp"]) == (
        "genuine", number, seal.RENEWAL_NEEDED), checked.details
    assert checked.details["reason"] == (
        f"a copy of {number} filed by this organisation, byte for byte; its archive timestamp can no longer be "
        "checked (its authority's certificate has expired), so it needs renewing")
    headline, detail = finding(checked, "Knowsley Council")  # and the /verify page says so
    assert headline == "Genuine and unaltered" and "its archive timestamp needs renewing" in detail
    assert verified(app, filed + b"\n").status == "altered"  # not the bytes filed: the seal's verdict stands


# --- Reading only what falls due (DocumentVersion.archive_expires_at) ---------------------------


def test_pdfs_filed_before_their_end_was_stored_are_read_once_and_then_only_when_due(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Revision 0019 leaves the end of every final PDF filed before it unknown: the next run reads
    each once and stores it, and the run after reads none of those far from their end."""
    from storage.models import Person
    from workflows import records, signoff

    near_id, _, _ = filed_blta(app, org)  # its authority's certificate ends in 30 days
    far_id, far, _ = filed_blta(renewing_app, org, on_date=dt.date(2026, 11, 9))  # in ten years
    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:  # sealed B-B, before an authority was configured
        record = records.create_record(db, deployment.profile, db.get_one(Person, org.ids["asye"]),
                                       dt.date(2026, 11, 10))
        plain_id, _ = sealed_and_filed(deployment, db, record, signoff.number(record), stamped=False)
    assert stored_end(app, near_id) == stored_end(app, far_id) == stored_end(app, plain_id) == (None, None)
    reads = reads_from_the_store(monkeypatch)

    first = renew(renewing_app)

    assert sorted(reads) == sorted([near_id, far_id, plain_id])
    assert [r.version_id for r in first.renewed] == [near_id] and first.refused == {}
    renewed = final_pdfs(renewing_app)[final_pdf_row_of(app, near_id).record_id]
    assert stored_end(app, near_id) == (True, naive_end(renewed))
    assert stored_end(app, far_id) == (True, naive_end(far))
    assert stored_end(app, plain_id) == (False, None)
    reads.clear()

    second = renew(renewing_app)

    assert reads == [] and (second.renewed, second.refused, second.stopped) == ([], {}, "")


def test_a_run_reads_and_renews_the_pdf_whose_stored_end_falls_within_the_window(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sealing stores the end (as `workflows.pipeline` files a final PDF): the run reads only the PDF
    whose end falls within its window, renews it, and stores its new end."""
    from workflows import timestamp_renewal

    near_id, near, _ = filed_blta(app, org)
    far_id, far, _ = filed_blta(renewing_app, org, on_date=dt.date(2026, 11, 9))
    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:
        for version_id, pdf in ((near_id, near), (far_id, far)):
            timestamp_renewal.note_archive_expiry(db.get_one(DocumentVersion, version_id), pdf)
    reads = reads_from_the_store(monkeypatch)

    run = renew(renewing_app)

    assert reads == [near_id] and [r.version_id for r in run.renewed] == [near_id]
    assert stored_end(app, near_id)[1] == naive_end(final_pdfs(renewing_app)[final_pdf_row_of(app, near_id).record_id])
    assert stored_end(app, near_id)[1] > naive_end(near)  # type: ignore[operator]


def test_a_run_that_read_a_pdf_another_run_then_renewed_keeps_the_renewed_end(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """This run, with a week's window, reads a PDF not due to it; before it stores the end it read,
    another run, with docgen's year, renews the PDF and stores the new end. The row no longer holds
    the bytes this run read (compared on SHA-256), so the renewed end stays."""
    version_id, sealed, _ = filed_blta(app, org)  # its authority's certificate ends in 30 days
    read_end = seal.archive_expires
    others: list[Any] = []

    def while_reading(pdf: bytes) -> dt.datetime | None:
        if not others:
            others.append(None)
            others[0] = renew(renewing_app)  # the other run, start to end, after this one read the PDF
        return read_end(pdf)

    monkeypatch.setattr(seal, "archive_expires", while_reading)
    run = renew(renewing_app, dt.timedelta(days=7))

    assert [r.version_id for r in others[0].renewed] == [version_id]
    assert (run.renewed, run.refused, run.stopped) == ([], {}, "")
    renewed = final_pdfs(renewing_app)[final_pdf_row(app).record_id]
    assert naive_end(renewed) > naive_end(sealed)
    assert stored_end(app, version_id) == (True, naive_end(renewed))


def test_a_record_the_authority_cannot_renew_yet_leaves_the_run_renewing_those_stamped_before(
        app: Any, org: Any, renewing_app: Any) -> None:
    """In an eleven-year window both records are due. The first filed was stamped with the certificate
    the authority signs with today, so a new timestamp would end no later: it is left for the
    authority's next certificate, and the run says so. The second, stamped under an older certificate
    that ends in 30 days, is renewed all the same."""
    current_id, current, _ = filed_blta(renewing_app, org)
    older_id, _, _ = filed_blta(app, org, on_date=dt.date(2026, 11, 9))

    run = renew(renewing_app, dt.timedelta(days=11 * 365))

    assert [r.version_id for r in run.renewed] == [older_id] and run.refused == {}
    assert run.stopped.startswith("1 record(s) due, but the authority's certificate ends"), run.stopped
    assert final_pdf_row_of(app, current_id).sha256 == seal.sha256_hex(current)
    assert stored_end(app, current_id) == (True, naive_end(current))


def test_the_unread_index_is_partial_on_the_renewals_condition_after_the_migrations(database_url: str) -> None:
    """The schema comparison (`test_schema_matches_models`) does not compare an index's WHERE: read it
    from the database migrated to head, condition by condition, against the renewal's query."""
    from sqlalchemy import text

    from storage.db import make_engine
    from storage.models import ARCHIVE_UNREAD

    engine = make_engine(database_url)  # migrated to head by the session fixture
    try:
        with engine.connect() as conn:
            created = conn.scalar(text(INDEX_DEFINITION[engine.dialect.name]),
                                  {"name": "ix_document_version_archive_unread"})
    finally:
        engine.dispose()
    assert created is not None and " WHERE " in created, created
    assert conditions(created.split(" WHERE ", 1)[1]) == conditions(ARCHIVE_UNREAD) == [
        "archive_timestamped IS NULL", "destroyed_at IS NULL", "kind = 'final_pdf'"], created


INDEX_DEFINITION = {"sqlite": "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name",
                    "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = :name"}


def conditions(where: str) -> list[str]:
    """The conditions of an index's WHERE, as written: PostgreSQL's casts and brackets taken away."""
    import re

    return sorted(" ".join(part.split()) for part in re.sub(r"::\w+|[()]", "", where).split(" AND "))


def final_pdf_row_of(app: Any, version_id: int) -> DocumentVersion:
    with app.extensions["docgen"].sessions() as db:
        row = db.get_one(DocumentVersion, version_id)
        db.expunge(row)
        return row


# --- A group record is held by everyone whose file it is in (issue 23) ---------------------------


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_group_record_is_not_renewed_while_retention_destroys_it_through_an_attendee(
        app: Any, org: Any, renewing_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retention destroys a group record holding the row of whichever holder falls due last, here an
    attendee, not its recorder: a renewal filing meanwhile waits for that row, then finds the record
    destroyed and files nothing (had it locked only the recorder, it would file over the destroyed
    row, and the renewed copy would outlive the record). PostgreSQL only: on SQLite the destruction's
    transaction holds the whole database, so the renewal could not even read."""
    import threading

    from kernel import clock
    from storage.models import Person, SupersededCopy
    from tests.waiting import wait_until

    deployment = app.extensions["docgen"]
    version_id, _ = filed_group_blta(app, org)
    key = final_pdf_row_of(app, version_id).storage_key
    finished: list[Any] = []
    with deployment.sessions() as retention:
        retention.get_one(Person, org.ids["asye"], with_for_update=True)  # as `workflows.retention.run` does
        retention.get_one(DocumentVersion, version_id).destroyed_at = clock.now()
        retention.flush()
        renewal = threading.Thread(target=lambda: finished.append(renew(renewing_app)))
        renewal.start()
        wait_until(lambda: bool(finished) or waiting_for_a_lock(deployment),
                   "the renewal to wait for the attendee's row")
        retention.commit()
    renewal.join(120)

    assert len(finished) == 1 and finished[0].renewed == [] and finished[0].refused == {}
    row = final_pdf_row_of(app, version_id)
    assert row.destroyed_at is not None and row.storage_key == key
    with deployment.sessions() as db:
        assert db.scalars(select(SupersededCopy)).all() == []


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_request_auditing_as_a_holder_while_a_renewal_files_does_not_deadlock_with_it(
        app: Any, org: Any, renewing_app: Any) -> None:
    """A request holds the audit lock (`storage.audit`, its first entry appended) when the renewal,
    holding the row of the record's supervisee, comes to audit its filing and waits for that lock; the
    request then appends an entry naming the supervisee as its actor, whose foreign key takes FOR KEY
    SHARE on that row. The renewal holds it FOR NO KEY UPDATE, which lets that through: the request
    commits, then the renewal files. Held FOR UPDATE, each would wait for the other and PostgreSQL
    would end one of them (DeadlockDetected)."""
    import threading

    from storage import audit
    from tests.waiting import wait_until

    deployment = app.extensions["docgen"]
    version_id, _, number = filed_blta(app, org)  # held by its supervisee, the worker
    finished: list[Any] = []
    with deployment.sessions() as request:
        audit.record(request, "record.viewed", actor_id=org.ids["manager"], object_type="record", object_id=number)
        renewal = threading.Thread(target=lambda: finished.append(renew(renewing_app)))
        renewal.start()
        wait_until(lambda: bool(finished) or waiting_for_a_lock(deployment, "advisory"),
                   "the renewal to wait for the audit lock, holding the supervisee's row")
        audit.record(request, "record.viewed", actor_id=org.ids["worker"], object_type="record", object_id=number)
        request.commit()
    renewal.join(120)

    assert len(finished) == 1 and [r.version_id for r in finished[0].renewed] == [version_id], finished
    with deployment.sessions() as db:
        actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-3:] == ["record.viewed", "record.viewed", "document.archive_timestamp_renewed"]
        assert audit.verify_chain(db).ok
