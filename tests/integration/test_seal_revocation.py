"""verify checks that a CA-issued organisation certificate was not revoked when the seal was made
(issue 25, "Records that last"), from the CRLs and OCSP responses the file embeds, fetching nothing.

The CA, its OCSP responder and CRL are certomancer's on 127.0.0.1 (tests/local_tsa.py); its
`org-revoked` certificate was revoked for key compromise before any seal here is made, as a stolen
sealing key would be. A seal carries the responder's answer in its DSS, as sealing embeds it.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import ocsp
from asn1crypto import x509 as asn1_x509
from certomancer.registry import CertLabel, ServiceLabel
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.fetchers.common_utils import format_ocsp_request
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pypdf import PdfWriter

from docgen.web.verify import finding
from documents import seal
from kernel.config import Config
from tests import local_tsa
from tests.integration.test_pdf_seal import blank_pdf, supervision_record


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[local_tsa.LocalPki]:
    yield from local_tsa.serve(tmp_path_factory.mktemp("pki"))


def signer_of(p12: object) -> signers.SimpleSigner:
    return seal.load_signer(p12, local_tsa.P12_PASSPHRASE)  # type: ignore[arg-type]


def sealed_with_its_status(signer: signers.SimpleSigner, pki: local_tsa.LocalPki, record_id: str = "R-11") -> bytes:
    """A B-B seal whose DSS holds the CA's OCSP answer for the certificate, asked just before sealing.
    (docgen's own sealing refuses a revoked certificate outright, so this is how a seal made with a
    stolen key after its revocation would look at its most complete.)"""
    fetcher = RequestsFetcherBackend().get_fetchers().ocsp_fetcher
    status = asyncio.run(fetcher.fetch(signer.signing_cert, AuthorityWithCert(pki.root)))
    with_status = io.BytesIO(blank_pdf())
    DocumentSecurityStore.add_dss(with_status, None, certs=[pki.root, signer.signing_cert], ocsps=[status])
    return seal.seal_pdf(with_status.getvalue(), signer=signer, attachment_name="record.docx",
                         attachment=supervision_record(), metadata={seal.RECORD_ID_KEY: record_id})


def verdict(pdf: bytes, signer: signers.SimpleSigner, **when: dt.datetime) -> seal.Verdict:
    """verify_pdf as a deployment sealing with this PKCS#12 asks it: the CA certificates it holds as issuers."""
    return seal.verify_pdf(pdf, signer.signing_cert, lambda _: None, issuers=seal.issuers_of(signer), **when)


def test_a_seal_made_after_the_ca_revoked_the_organisation_certificate_says_so(pki: local_tsa.LocalPki) -> None:
    revoked = signer_of(pki.revoked_org_p12)

    found = verdict(sealed_with_its_status(revoked, pki), revoked)

    assert found.status == "altered"
    assert found.details["reason"] == seal.REVOKED
    assert found.record_id == "R-11"
    headline, detail = finding(found, "Knowsley Council")  # what the /verify page says of it
    assert headline == "The seal is not valid" and "certificate had been revoked" in detail


def test_the_same_seal_by_the_certificate_not_revoked_is_genuine(pki: local_tsa.LocalPki) -> None:
    """The control: the same construction, the CA's answer "good"."""
    signer = signer_of(pki.org_p12)

    found = verdict(sealed_with_its_status(signer, pki), signer)

    assert found.status == "genuine", found.details


def test_a_seal_carrying_no_revocation_data_cannot_show_its_certificate_unrevoked(pki: local_tsa.LocalPki) -> None:
    """Leaving the revocation data out does not pass: the certificate names where its status is
    published, so verify asks for it ("hard-fail") and, offline, finds none."""
    signer = signer_of(pki.org_p12)
    bare = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                         metadata={seal.RECORD_ID_KEY: "R-12"})

    found = verdict(bare, signer)

    assert found.status == "altered"
    assert found.details["reason"].startswith(f"{seal.REVOCATION_UNKNOWN}: ")
    headline, detail = finding(found, "Knowsley Council")  # not "altered": nothing shows it was
    assert headline == "The seal cannot be checked"
    assert detail.startswith("the document does not carry the revocation data that shows Knowsley Council’s "
                             "certificate had not been revoked when it was sealed")
    assert detail.endswith("this does not show an alteration")


def test_a_seal_changed_after_sealing_is_altered_even_when_its_revocation_cannot_be_shown_either(
        pki: local_tsa.LocalPki) -> None:
    """The page's "The seal cannot be checked" must not hide an alteration: the revocation problem comes
    last in the reason, so the page words it so only when it is the only one."""
    signer = signer_of(pki.org_p12)
    bare = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                         metadata={seal.RECORD_ID_KEY: "R-14"})
    writer = PdfWriter(io.BytesIO(bare), incremental=True)
    writer.add_metadata({"/Title": "Practitioner supervision record (amended)"})
    amended = io.BytesIO()
    writer.write(amended)

    found = verdict(amended.getvalue(), signer)

    assert found.details["reason"].startswith("content was added after sealing; ")
    assert seal.REVOCATION_UNKNOWN in found.details["reason"]
    assert finding(found, "Knowsley Council") == ("This document has been altered since it was sealed", "")


def answer_as_of(pki: local_tsa.LocalPki, cert: asn1_x509.Certificate, moment: dt.datetime) -> ocsp.OCSPResponse:
    """The CA's OCSP answer for `cert` as its responder gave it at `moment` (certomancer answers as of any time)."""
    responder = pki.arch.service_registry.summon_responder(ServiceLabel("root"), moment)
    return responder.build_ocsp_response(format_ocsp_request(cert, AuthorityWithCert(pki.root),
                                                             certid_hash_algo="sha256", request_nonces=False))


class BackDatingSigner(signers.PdfSigner):
    """pyHanko's PDF signer writing the signing time its user claims, as anyone holding the key can."""

    def __init__(self, signer: signers.Signer, claimed: dt.datetime) -> None:
        super().__init__(signers.PdfSignatureMetadata(field_name=seal.SEAL_FIELD,
                                                      subfilter=fields.SigSeedSubFilter.PADES), signer)
        self.claimed = claimed

    def init_signing_session(self, pdf_out: BasePdfFileWriter,
                             existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self.claimed
        return session


def test_a_back_dated_seal_by_the_revoked_certificate_with_a_good_answer_from_before_its_revocation_is_not_genuine(
        pki: local_tsa.LocalPki) -> None:
    """The stolen-key attack: a seal with no timestamp whose stated signing time is before the
    revocation, carrying the CA's "good" answer of that time (as a genuine record's DSS holds it).
    Revocation is judged at a trusted time only, here now, when that answer is out of date."""
    revoked = signer_of(pki.revoked_org_p12)
    revoked_since = pki.arch.get_cert_spec(CertLabel("org-revoked")).revocation.revoked_since
    answer = answer_as_of(pki, revoked.signing_cert, revoked_since - dt.timedelta(minutes=11))
    claimed = revoked_since - dt.timedelta(minutes=2)  # after the certificate's start, before its revocation
    single = answer["response_bytes"]["response"].parsed["tbs_response_data"]["responses"][0]
    assert single["cert_status"].name == "good"
    assert claimed <= single["next_update"].native < dt.datetime.now(dt.timezone.utc)  # good then, stale now
    with_status = io.BytesIO(blank_pdf())
    DocumentSecurityStore.add_dss(with_status, None, certs=[pki.root, revoked.signing_cert], ocsps=[answer])
    forged = BackDatingSigner(revoked, claimed).sign_pdf(IncrementalPdfFileWriter(with_status)).getvalue()
    assert PdfFileReader(io.BytesIO(forged)).embedded_signatures[0].self_reported_timestamp == claimed

    found = verdict(forged, revoked)

    assert found.status == "altered"
    assert found.details["reason"].startswith(f"{seal.REVOCATION_UNKNOWN}: ")


def test_a_self_signed_certificate_whose_pkcs12_bundles_an_unrelated_ca_seals_genuine_records(
        pki: local_tsa.LocalPki, tmp_path: Path) -> None:
    """A self-signed organisation certificate has no CA above it to check revocation up to, whatever
    other certificates its PKCS#12 carries."""
    made = tmp_path / "made.p12"
    seal.create_organisation_certificate(made, local_tsa.P12_PASSPHRASE, "Knowsley Council")
    key, cert, _ = pkcs12.load_key_and_certificates(made.read_bytes(), local_tsa.P12_PASSPHRASE)
    bundled = tmp_path / "bundled.p12"
    bundled.write_bytes(pkcs12.serialize_key_and_certificates(
        b"Knowsley Council", key, cert, [x509.load_der_x509_certificate(pki.root.dump())],  # type: ignore[arg-type]
        serialization.BestAvailableEncryption(local_tsa.P12_PASSPHRASE)))
    signer = signer_of(bundled)
    assert pki.root.dump() in [other.dump() for other in signer.cert_registry]
    sealed = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx", attachment=supervision_record(),
                           metadata={seal.RECORD_ID_KEY: "R-15"})

    found = verdict(sealed, signer)

    assert found.status == "genuine", found.details
    assert seal.issuers_of(signer) == []


def test_a_b_lta_record_shows_its_certificate_unrevoked_at_sealing_after_it_has_expired(
        pki: local_tsa.LocalPki) -> None:
    """Revocation is judged when the seal was made (its signature timestamp), from what sealing
    embedded, so the record stays genuine once the certificate has expired and its CRL is stale."""
    signer = signer_of(pki.org_p12)
    config = Config(timestamp_ca=str(pki.root_pem))
    sealed = seal.seal_pdf(blank_pdf(), signer=signer, attachment_name="record.docx",
                           attachment=supervision_record(), metadata={seal.RECORD_ID_KEY: "R-13"},
                           timestamper=RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10),
                           validation_context=seal.long_term_context(config, signer))

    found = seal.verify_pdf(sealed, signer.signing_cert, lambda _: None, tsa_certs=[pki.root],
                            issuers=list(signer.cert_registry), at=pki.org_expires + dt.timedelta(days=30))

    assert found.status == "genuine", found.details


def test_a_seal_without_a_signature_timestamp_is_judged_when_its_first_document_timestamp_dates_it(
        pki: local_tsa.LocalPki) -> None:
    """A document timestamp is a trusted time too: the "good" answer sealing embedded, current when the
    authority dated the file, still shows the certificate unrevoked when verify judges the file later,
    after that answer's window (ten minutes) has ended."""
    signer = signer_of(pki.org_p12)
    sealed = sealed_with_its_status(signer, pki)
    stamper = signers.PdfTimeStamper(RequestsHTTPTimeStamper(pki.tsa_url, https=False, timeout=10),
                                     field_name=seal.ARCHIVE_TIMESTAMP_FIELD)
    dated = stamper.timestamp_pdf(IncrementalPdfFileWriter(io.BytesIO(sealed)), "sha256").getvalue()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)  # within the certificate's two hours

    found = seal.verify_pdf(dated, signer.signing_cert, lambda _: None, tsa_certs=[pki.root],
                            issuers=seal.issuers_of(signer), at=later)
    undated = verdict(sealed, signer, at=later)  # the same seal without it is judged at `at`

    assert found.status == "genuine", found.details
    assert found.details["archive_timestamps"] == 1
    assert undated.details["reason"].startswith(f"{seal.REVOCATION_UNKNOWN}: ")
