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

import pytest
from pyhanko.sign import signers
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.authority import AuthorityWithCert
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

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


def sealed_with_its_status(signer: signers.SimpleSigner, pki: local_tsa.LocalPki) -> bytes:
    """A B-B seal whose DSS holds the CA's OCSP answer for the certificate, asked just before sealing.
    (docgen's own sealing refuses a revoked certificate outright, so this is how a seal made with a
    stolen key after its revocation would look at its most complete.)"""
    fetcher = RequestsFetcherBackend().get_fetchers().ocsp_fetcher
    status = asyncio.run(fetcher.fetch(signer.signing_cert, AuthorityWithCert(pki.root)))
    with_status = io.BytesIO(blank_pdf())
    DocumentSecurityStore.add_dss(with_status, None, certs=[pki.root, signer.signing_cert], ocsps=[status])
    return seal.seal_pdf(with_status.getvalue(), signer=signer, attachment_name="record.docx",
                         attachment=supervision_record(), metadata={seal.RECORD_ID_KEY: "R-11"})


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
    assert found.details["reason"].startswith("the organisation certificate cannot be shown unrevoked when the "
                                              "seal was made: ")


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
