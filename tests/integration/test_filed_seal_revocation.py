"""A B-B record (no time-stamping authority) sealed with a CA-issued certificate stays checkable once
the OCSP answer it embeds is stale, if it is the copy filed here (issue 25, "Records that last").

Nothing in such a file dates its seal, so its revocation is judged at a trusted time: docgen's own
record of filing those exact bytes (the audit log's hash-chained "document.finalise" entry). The
same bytes not filed here have no such time and are judged now: "cannot be checked", as before.
The CA, its OCSP responder and the certificates are certomancer's on 127.0.0.1 (tests/local_tsa.py);
its answers are current for ten minutes, so verify is asked half an hour later, as the renewal
tests move its clock.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from docgen.web.verify import finding
from documents import seal
from kernel import clock
from kernel.config import Config
from storage.models import AuditEvent, Person
from tests import local_tsa
from tests.integration.test_seal_revocation import sealed_with_its_status, signer_of
from workflows import pipeline, records, signoff

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_tsa.LocalPki]:
    yield from local_tsa.serve(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def config(config: Config, pki: local_tsa.LocalPki) -> Config:
    """A deployment sealing with the CA-issued organisation certificate and no time-stamping authority."""
    return replace(config, org_p12=str(pki.org_p12), org_p12_passphrase=local_tsa.P12_PASSPHRASE.decode())


@pytest.fixture
def answer_gone_stale(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """verify asked half an hour from now: after the embedded OCSP answer's nextUpdate, within the
    organisation certificate's two hours."""
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    verify_pdf = seal.verify_pdf
    monkeypatch.setattr(seal, "verify_pdf", lambda *args, **kwargs: verify_pdf(*args, **kwargs, at=later))
    return later


def new_record(app: Any, org: Any) -> tuple[int, str]:
    """A signed record without its final PDF yet: its id and number."""
    deployment = app.extensions["docgen"]
    with deployment.sessions.begin() as db:
        record = records.create_record(db, deployment.profile, db.get_one(Person, org.ids["worker"]),
                                       dt.date(2026, 11, 2))
        record.sections = {**record.sections, "welfare": {"discussion": "Settling in well."}}
        record.status = signoff.SIGNED
        db.flush()
        return record.id, signoff.number(record)


def file_as_the_worker_files(app: Any, record_id: int, pdf: bytes) -> AuditEvent:
    """File the sealed PDF as `pipeline.finalise` does after sealing (filed, audited, announced, one
    commit); the audit entry that records it."""
    with app.extensions["docgen"].unit_of_work() as uow:
        record = signoff.get_document(uow.session, "record", record_id)
        pipeline._file_final_pdf(uow, pipeline._ToSeal(record, record.version, b"docx", {}), pdf)
    with app.extensions["docgen"].sessions() as db:
        entry = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.finalise")).one()
        db.expunge(entry)
        return entry


def verified(app: Any, pdf: bytes) -> seal.Verdict:
    with app.extensions["docgen"].unit_of_work() as uow:
        return pipeline.verify(uow, pdf)


def test_a_filed_b_b_record_is_genuine_after_its_ocsp_answer_went_stale_judged_when_it_was_filed(
        app: Any, org: Any, config: Config, pki: local_tsa.LocalPki, answer_gone_stale: dt.datetime) -> None:
    record_id, number = new_record(app, org)
    sealed = sealed_with_its_status(seal.organisation_signer(config), pki, number)
    unfiled = verified(app, sealed)  # the same bytes before they were filed: nothing dates the seal
    filing = file_as_the_worker_files(app, record_id, sealed)

    found = verified(app, sealed)

    assert unfiled.status == "altered"
    assert unfiled.details["reason"].startswith(f"{seal.REVOCATION_UNKNOWN}: judged when checked on ")
    assert unfiled.details["revocation_judged"] == {"at": answer_gone_stale.isoformat(), "by": seal.CHECKING}
    assert (found.status, found.record_id) == ("genuine", number), found.details
    filed_at = filing.at.replace(tzinfo=dt.timezone.utc)
    assert found.details["revocation_judged"] == {"at": filed_at.isoformat(), "by": seal.FILING}
    day = f"{filed_at.astimezone(clock.UK):%-d %B %Y}"
    assert found.details["reason"] == ("sealed by this organisation and unaltered; its certificate was unrevoked "
                                       f"when filed here on {day}")
    headline, detail = finding(found, "Knowsley Council")  # and the /verify page says so
    assert headline == "Genuine and unaltered"
    assert detail.startswith(f"record {number}")
    assert detail.endswith(f"; Knowsley Council’s certificate was unrevoked when filed here on {day}")


def test_the_same_bytes_not_filed_here_still_cannot_be_checked_once_the_answer_is_stale(
        app: Any, org: Any, config: Config, pki: local_tsa.LocalPki, answer_gone_stale: dt.datetime) -> None:
    """A fresh instance holds the same certificate but never filed the record: nothing independent
    dates the seal, so it is judged now, when the embedded answer no longer covers it."""
    _, number = new_record(app, org)
    sealed = sealed_with_its_status(seal.organisation_signer(config), pki, number)

    found = verified(app, sealed)

    assert found.status == "altered" and "record" not in found.details
    assert found.details["reason"].startswith(f"{seal.REVOCATION_UNKNOWN}: judged when checked on ")
    headline, detail = finding(found, "Knowsley Council")
    assert headline == "The seal cannot be checked"
    day = f"{answer_gone_stale.astimezone(clock.UK):%-d %B %Y}"
    assert f"when it was sealed, judged when checked on {day} (nothing dates the seal earlier), so" in detail
    assert detail.endswith("this does not show an alteration")


def test_a_filed_copy_with_a_byte_added_is_judged_now_not_when_the_copy_was_filed(
        app: Any, org: Any, config: Config, pki: local_tsa.LocalPki, answer_gone_stale: dt.datetime) -> None:
    """The filing time dates only the exact bytes filed: anything else is judged as any upload is."""
    record_id, number = new_record(app, org)
    sealed = sealed_with_its_status(seal.organisation_signer(config), pki, number)
    file_as_the_worker_files(app, record_id, sealed)

    found = verified(app, sealed + b"\n")

    assert found.status == "altered"
    assert found.details["revocation_judged"]["by"] == seal.CHECKING


@pytest.fixture
def revoked_app(config: Config, pki: local_tsa.LocalPki) -> Iterator[Any]:
    """The same database, for a deployment whose certificate the CA has revoked (a stolen key)."""
    from docgen.app import create_app

    revoked = create_app(replace(config, org_p12=str(pki.revoked_org_p12)))
    yield revoked
    revoked.extensions["docgen"].engine.dispose()


def test_a_filed_copy_sealed_after_its_certificate_was_revoked_is_still_not_valid(
        app: Any, org: Any, revoked_app: Any, pki: local_tsa.LocalPki, answer_gone_stale: dt.datetime) -> None:
    """Judged at its filing, the CA's answer embedded for it says "revoked": filing vouches for a
    time, not for the seal."""
    record_id, number = new_record(app, org)
    sealed = sealed_with_its_status(signer_of(pki.revoked_org_p12), pki, number)
    file_as_the_worker_files(revoked_app, record_id, sealed)

    found = verified(revoked_app, sealed)

    assert found.status == "altered"
    assert found.details["reason"] == seal.REVOKED
    assert found.details["revocation_judged"]["by"] == seal.FILING


def test_the_readme_says_a_filed_copy_stays_checkable_without_a_time_stamping_authority() -> None:
    """The README's claim about B-B seals by a CA-issued certificate, which the tests above show."""
    claim = re.sub(r"\s+", " ", README[README.index("`POST /api/v1/verify` or `docgen verify` checks a PDF."):
                                      README.index("A self-signed certificate (`docgen init`'s)")])
    assert ("judged at the seal's trusted timestamp, else its first document timestamp, else, for a copy byte for "
            "byte as filed here, when the audit log records filing it, else now") in claim
    assert ("without a time-stamping authority a copy filed here stays checkable, but any other copy cannot be "
            "checked once its embedded answer expires") in claim
    assert "The filing time is this database's word (`docgen audit verify` names an edited entry)" in claim


def test_the_day_revocation_was_judged_is_the_uk_day() -> None:
    """Half past midnight on 1 July in London is still 30 June in UTC: a reader is told 1 July."""
    assert seal.judged_when({"at": "2026-06-30T23:30:00+00:00", "by": seal.FILING}) == "when filed here on 1 July 2026"


def test_a_filing_time_that_cannot_be_read_is_an_error_never_an_altered_verdict(
        app: Any, org: Any, config: Config, pki: local_tsa.LocalPki, answer_gone_stale: dt.datetime) -> None:
    """Asking when the bytes were filed reads the database; its failure is the service's (a 5xx),
    and must never tell a reader that a genuine record was altered, nor show them the SQL."""
    _, number = new_record(app, org)
    sealed = sealed_with_its_status(seal.organisation_signer(config), pki, number)
    signer = seal.organisation_signer(config)

    def unreadable(sha256: str) -> dt.datetime | None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="the database went away"):
        seal.verify_pdf(sealed, signer.signing_cert, lambda sha256: None,
                        issuers=seal.issuers_of(signer), filed_at=unreadable)
