"""Seals that outlast the organisation certificate (issue 25, "Records that last").

A record sealed where a time-stamping authority is configured is PAdES B-LTA: the validation
data (certificates, CRLs, OCSP responses) is embedded, and a document timestamp dates it all. So
pyHanko still validates the seal, from what the file holds alone, at a time after the organisation
certificate has expired. Without an authority the seal is B-LT: the validation data is embedded.

The PKI, the authority and the CRL and OCSP responders are certomancer's, served on 127.0.0.1
(tests/local_tsa.py); the organisation certificate it issues lives two hours.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import ades, validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (PdfSignatureValidationSpec, RevinfoOnlineFetchingRule,
                                                 RevocationInfoGatheringSpec, SignatureValidationSpec)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText

from documents import seal
from kernel.config import Config
from tests import local_tsa, pdf_archival
from tests.integration.test_pdf_seal import blank_pdf, supervision_record, timestamp_authority
from tests.mailbox import Mailbox
from tests.sealing import mailing_and_sealing

BLTA_RECORDS: dict[str, bytes] = {}  # one pipeline run per database for the B-LTA tests below


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_tsa.LocalPki]:
    yield from local_tsa.serve(tmp_path_factory.mktemp("pki"))


def with_tsa(config: Config, pki: local_tsa.LocalPki) -> Config:
    """A deployment sealing with the CA-issued organisation certificate and the local authority."""
    return replace(config, org_p12=str(pki.org_p12), org_p12_passphrase=local_tsa.P12_PASSPHRASE.decode(),
                   timestamp_url=pki.tsa_url, timestamp_ca=str(pki.root_pem))


def lta_spec(*roots: asn1_x509.Certificate) -> PdfSignatureValidationSpec:
    """PAdES validation trusting `roots`, requiring revocation data, and fetching nothing: what the
    file embeds must be enough."""
    policy = CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=list(roots)),
                                      revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO))
    return PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(RevinfoOnlineFetchingRule.LOCAL_ONLY)))


def seal_of(pdf: bytes) -> Any:
    return PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]


def sealed_through_the_pipeline(client: Any, org: Any, mailbox: Mailbox) -> bytes:
    """A record drafted, sent, agreed and countersigned through the API; the finalise task seals it."""
    from tests.e2e.test_tagged_pdf import _sealed_record

    return _sealed_record(client, org, mailbox)


@pytest.fixture
def blta_record(request: pytest.FixtureRequest, config: Config, pki: local_tsa.LocalPki) -> bytes:
    dialect = config.resolved_database_url.split(":")[0]
    if dialect not in BLTA_RECORDS:
        BLTA_RECORDS[dialect] = sealed_through_the_pipeline(request.getfixturevalue("client"),
                                                            request.getfixturevalue("org"),
                                                            request.getfixturevalue("mailbox"))
    return BLTA_RECORDS[dialect]


# --- through the pipeline -------------------------------------------------------------------


class TestWithATimeStampingAuthority:
    @pytest.fixture
    def config(self, config: Config, smtp_server: Mailbox, pki: local_tsa.LocalPki) -> Config:
        return mailing_and_sealing(with_tsa(config, pki), smtp_server.port)

    @pytest.mark.libreoffice
    def test_a_sealed_record_validates_at_b_lta_from_what_it_embeds(self, blta_record: bytes,
                                                                    pki: local_tsa.LocalPki) -> None:
        reader = PdfFileReader(io.BytesIO(blta_record))
        [record_seal, archive_stamp] = reader.embedded_signatures

        result = asyncio.run(ades.ades_lta_validation(record_seal, lta_spec(pki.root)))
        archive_stamp.compute_integrity_info()

        assert result.ades_subindic.status == AdESStatus.PASSED, result.failure_msg
        assert result.signature_timestamp_status is not None  # B-T: the seal carries a signature timestamp
        assert result.oldest_evidence_record_timestamp is not None  # B-LTA: a document timestamp after it
        assert archive_stamp.sig_object_type == "/DocTimeStamp"
        assert archive_stamp.coverage == SignatureCoverageLevel.ENTIRE_FILE
        dss = DocumentSecurityStore.read_dss(reader)
        assert pki.org.dump() in [cert.dump() for cert in dss.load_certs()]
        assert dss.crls and dss.ocsps  # the organisation certificate's revocation status, as it was

    @pytest.mark.libreoffice
    def test_the_seal_still_validates_after_the_organisation_certificate_has_expired(
            self, blta_record: bytes, pki: local_tsa.LocalPki) -> None:
        """pyHanko's B-LTA validation at a later date from the embedded data alone (nothing fetched),
        taking the archive timestamp chain as kept up: it assumes the last authority's certificate
        unrevoked then, the one fact a file cannot carry about its own future."""
        after_expiry = pki.org_expires + dt.timedelta(days=1)
        plain = validate_pdf_signature(seal_of(blta_record), ValidationContext(trust_roots=[pki.root],
                                                                                moment=after_expiry))

        result = asyncio.run(ades.simulate_future_ades_lta_validation(seal_of(blta_record), lta_spec(pki.root),
                                                                      future_validation_time=after_expiry))

        assert not plain.bottom_line  # the certificate has expired by then: a bare check fails
        assert result.ades_subindic.status == AdESStatus.PASSED, result.failure_msg
        assert result.best_signature_time < pki.org_expires

    @pytest.mark.libreoffice
    def test_the_b_lta_record_is_still_pdf_a_and_verifies_as_genuine(self, blta_record: bytes, client: Any,
                                                                     org: Any) -> None:
        verdict = client.post("/api/v1/verify", data={"file": (io.BytesIO(blta_record), "record.pdf")},
                              headers=org.auth("manager"))

        assert pdf_archival.problems(blta_record) == []
        assert all(widget_is_pdf_a(annotation) for annotation in annotations(blta_record))
        assert verdict.json["status"] == "genuine", verdict.json


def annotations(pdf: bytes) -> list[Any]:
    return [ref.get_object() for page in PdfReader(io.BytesIO(pdf)).pages for ref in page.get("/Annots", [])]


def widget_is_pdf_a(annotation: Any) -> bool:
    """ISO 19005-3 6.3.2 and 6.3.3 for the seal's and the document timestamp's widgets, which the
    incremental updates add: the Print flag set, and an appearance unless the widget has no area."""
    no_area = [float(v) for v in annotation["/Rect"]][:2] == [float(v) for v in annotation["/Rect"]][2:]
    return bool(int(annotation.get("/F", 0)) & 4) and (no_area or "/AP" in annotation)


class TestWithoutATimeStampingAuthority:
    @pytest.fixture
    def config(self, config: Config, smtp_server: Mailbox) -> Config:
        return mailing_and_sealing(config, smtp_server.port)

    @pytest.mark.libreoffice
    def test_a_sealed_record_embeds_its_validation_data(self, config: Config, client: Any, org: Any,
                                                        mailbox: Mailbox) -> None:
        """B-LT with the self-signed certificate `docgen init` makes: the DSS is in the seal's own
        revision, so the seal still covers the whole file."""
        pdf = sealed_through_the_pipeline(client, org, mailbox)
        reader = PdfFileReader(io.BytesIO(pdf))
        [record_seal] = reader.embedded_signatures
        signer = seal.organisation_signer(config)

        dss = DocumentSecurityStore.read_dss(reader)
        record_seal.compute_integrity_info()

        assert signer.signing_cert.dump() in [cert.dump() for cert in dss.load_certs()]
        assert record_seal.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert pdf_archival.problems(pdf) == []
        assert seal.verify_pdf(pdf, signer.signing_cert, lambda _: None).status == "genuine"


# --- what verify accepts after the seal, and what it does not ---------------------------------


@pytest.fixture(scope="module")
def signer(pki: local_tsa.LocalPki) -> signers.SimpleSigner:
    return seal.load_signer(pki.org_p12, local_tsa.P12_PASSPHRASE)


@pytest.fixture(scope="module")
def blta_pdf(pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> bytes:
    """A B-LTA seal over a small record, without LibreOffice: what verify judges is the seal."""
    config = Config(timestamp_ca=str(pki.root_pem))
    return seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                         metadata={"/Title": "Supervision record", seal.RECORD_ID_KEY: "R-7"},
                         timestamper=RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10),
                         validation_context=seal.long_term_context(config, signer))


def verdict(pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner, **when: Any) -> seal.Verdict:
    return seal.verify_pdf(pdf, signer.signing_cert, lambda _: None, tsa_certs=[pki.root], **when)


def test_a_b_lta_record_is_genuine(blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    found = verdict(blta_pdf, pki, signer)

    assert found.status == "genuine", found.details
    assert found.record_id == "R-7" and found.details["archive_timestamps"] == 1


def test_a_b_lta_record_is_genuine_after_the_organisation_certificate_has_expired(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    found = verdict(blta_pdf, pki, signer, at=pki.org_expires + dt.timedelta(days=1))

    assert found.status == "genuine", found.details


def test_without_the_embedded_validation_data_the_seal_would_not_outlast_its_certificate(
        pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    """The control for the B-LTA tests: a timestamped seal alone (B-T) fails the same check."""
    timestamped_only = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=b"PK",
                                     metadata={seal.RECORD_ID_KEY: "R-8"},
                                     timestamper=RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10))

    result = asyncio.run(ades.simulate_future_ades_lta_validation(
        seal_of(timestamped_only), lta_spec(pki.root), future_validation_time=pki.org_expires + dt.timedelta(days=1)))

    assert result.ades_subindic.status != AdESStatus.PASSED


def test_a_b_lta_record_is_not_genuine_without_trusting_the_time_stamping_authority(
        blta_pdf: bytes, signer: signers.SimpleSigner) -> None:
    assert seal.verify_pdf(blta_pdf, signer.signing_cert, lambda _: None).status == "altered"


def test_a_byte_appended_after_the_document_timestamp_is_altered(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    assert verdict(blta_pdf + b" ", pki, signer).status == "altered"


def test_an_annotation_added_after_the_document_timestamp_is_altered(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    writer = PdfWriter(io.BytesIO(blta_pdf), incremental=True)
    writer.add_annotation(0, FreeText(text="Caseload agreed as 22", rect=(50, 700, 300, 740)))
    annotated = io.BytesIO()
    writer.write(annotated)

    found = verdict(annotated.getvalue(), pki, signer)

    assert annotated.getvalue().startswith(blta_pdf)
    assert found.status == "altered"
    assert "after the last document timestamp" in found.details["reason"]


def test_a_form_field_added_after_the_document_timestamp_is_altered(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(blta_pdf))
    fields.append_signature_field(writer, fields.SigFieldSpec("Countersignature", on_page=0, box=(50, 50, 200, 90)))
    out = io.BytesIO()
    writer.write(out)

    assert verdict(out.getvalue(), pki, signer).status == "altered"


def test_a_document_timestamp_from_an_untrusted_authority_is_altered(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    tsa_cert, tsa_key = timestamp_authority()
    restamped = signers.PdfTimeStamper(DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(blta_pdf)), "sha256")

    found = verdict(restamped.getvalue(), pki, signer)

    assert found.status == "altered"
    assert "document timestamp does not validate" in found.details["reason"]
