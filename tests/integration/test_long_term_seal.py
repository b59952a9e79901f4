"""Seals that outlast the organisation certificate (issue 25, "Records that last").

A record sealed where a time-stamping authority is configured is PAdES B-LTA: the validation
data (certificates, CRLs, OCSP responses) is embedded, and a document timestamp dates it all. So
pyHanko still validates the seal, from what the file holds alone, at a time after the organisation
certificate has expired. Without an authority the seal is B-B with its validation data embedded (not
B-LT, which builds on a signature timestamp): nothing dates it, so it cannot outlast its certificate.

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
        # the organisation certificate's revocation status, as it was: pyHanko asks the OCSP responder and
        # the CRL at once and embeds what answered in time, so one of the two (CI once had OCSP alone)
        assert dss.crls or dss.ocsps

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
        """B-B with its validation data, with the self-signed certificate `docgen init` makes: the DSS
        is in the seal's own revision, so the seal still covers the whole file."""
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


def forge(pdf: bytes, what: str) -> bytes:
    """An incremental update after the seal rewriting `what` (the document info and its record id,
    the XMP metadata, or /MarkInfo), as pyHanko's LTA diff policy tolerates."""
    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if what == "info":
        info = writer.trailer["/Info"].get_object()
        info[generic.NameObject("/Title")] = generic.TextStringObject("Capability concerns: final warning")
        info[generic.NameObject(seal.RECORD_ID_KEY)] = generic.TextStringObject("R-99")
        writer.update_container(info)
    if what == "xmp":
        xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
               b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Capability concerns'
               b'</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')
        stream = generic.StreamObject({generic.NameObject("/Type"): generic.NameObject("/Metadata"),
                                       generic.NameObject("/Subtype"): generic.NameObject("/XML")}, stream_data=xmp)
        writer.root[generic.NameObject("/Metadata")] = writer.add_object(stream)
        writer.update_root()
    if what == "markinfo":
        writer.root[generic.NameObject("/MarkInfo")] = generic.DictionaryObject(
            {generic.NameObject("/Marked"): generic.BooleanObject(False)})
        writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("what", ["info", "xmp", "markinfo"])
def test_metadata_rewritten_after_the_seal_then_timestamped_by_the_trusted_authority_is_altered(
        what: str, blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    """The configured authority stamps anything it is sent, so a later document timestamp proves
    nothing about who added what before it: the record's metadata must be what the seal signed."""
    stamper = signers.PdfTimeStamper(RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10))
    forged = stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(forge(blta_pdf, what))), "sha256")

    found = verdict(forged.getvalue(), pki, signer)

    assert found.status == "altered", found.details
    assert found.record_id == "R-7"
    assert "metadata" in found.details["reason"]


def test_a_second_trusted_document_timestamp_alone_keeps_the_record_genuine(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    """The control for the test above: renewing the archive timestamp is what B-LTA is for."""
    stamper = signers.PdfTimeStamper(RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10))
    renewed = stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(blta_pdf)), "sha256")

    found = verdict(renewed.getvalue(), pki, signer)

    assert found.status == "genuine", found.details
    assert found.details["archive_timestamps"] == 2


def test_once_the_last_authority_has_expired_the_record_asks_for_renewal_not_alteration(
        blta_pdf: bytes, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    found = verdict(blta_pdf, pki, signer, at=pki.tsa.not_valid_after + dt.timedelta(days=1))

    assert found.status == "altered"
    assert found.details["reason"] == seal.RENEWAL_NEEDED
    assert found.record_id == "R-7"


def short_lived_authority() -> tuple[asn1_x509.Certificate, DummyTimeStamper]:
    """A root (trusted, so never itself checked for expiry) and a time-stamping certificate it issues
    that lives a day, as a stamper."""
    from asn1crypto import keys as asn1_keys
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def issue(name: str, key: Any, issuer_key: Any, issuer: str, days: int, *exts: tuple[Any, bool]) -> Any:
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=days)))
        for extension, critical in exts:
            builder = builder.add_extension(extension, critical=critical)
        cert = builder.sign(issuer_key, hashes.SHA256())
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    root_key, tsa_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    root = issue("Short TSA root", root_key, root_key, "Short TSA root", 3650,
                 (x509.BasicConstraints(ca=True, path_length=None), True))
    tsa = issue("Short TSA", tsa_key, root_key, "Short TSA root", 1,
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True))
    key_der = tsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return root, DummyTimeStamper(tsa_cert=tsa, tsa_key=asn1_keys.PrivateKeyInfo.load(key_der), certs_to_embed=[root])


def test_an_expired_authority_is_judged_when_the_next_document_timestamp_dated_it(
        tmp_path: Any, pki: local_tsa.LocalPki, signer: signers.SimpleSigner) -> None:
    """The first authority's certificate lives a day; a later document timestamp from the local
    authority dates its work, so two days on the record is still genuine."""
    short_root, short_stamper = short_lived_authority()
    (tmp_path / "short-tsa.der").write_bytes(short_root.dump())
    config = Config(timestamp_ca=str(tmp_path / "short-tsa.der"))
    sealed = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                           metadata={"/Title": "Supervision record", seal.RECORD_ID_KEY: "R-9"},
                           timestamper=short_stamper, validation_context=seal.long_term_context(config, signer))
    stamper = signers.PdfTimeStamper(RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10))
    renewed = stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(sealed)), "sha256").getvalue()

    found = seal.verify_pdf(renewed, signer.signing_cert, lambda _: None, tsa_certs=[pki.root, short_root],
                            at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))

    assert found.status == "genuine", found.details
    assert found.details["archive_timestamps"] == 2


def test_the_verify_page_says_a_seal_needing_renewal_cannot_be_checked_not_that_it_was_altered() -> None:
    from docgen.web.verify import finding

    renewal = seal.Verdict("altered", "R-7", None, {"reason": seal.RENEWAL_NEEDED})
    headline, detail = finding(renewal, "Knowsley Council")
    assert "altered" not in headline and "renewing" in detail and "does not show an alteration" in detail
    assert finding(seal.Verdict("altered", "R-7", None, {"reason": "content was added after sealing"}),
                   "Knowsley Council")[0] == "This document has been altered since it was sealed"
