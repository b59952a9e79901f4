"""A local PKI for the long-term seal tests: a root CA, an RFC 3161 time-stamping authority, and an
organisation certificate that expires soon, all made by certomancer and served over HTTP on
127.0.0.1 (TSA, CRL, OCSP) by its Animator from a thread.

The organisation certificate lives `ORG_LIFETIME` so a test can validate a seal at a time after it
expired; the TSA's certificate lives ten years, as a real authority's outlives the certificates it
dates. Two more serve the later tests of issue 25: a second authority certificate (`tsa-short`, the
same key) that ends within docgen's renewal window, so a record it dated is due for a new archive
timestamp; and a second organisation certificate (`org-revoked`, the same key) that the CA revoked
for key compromise the minute before the PKI was made, so every seal made with it is made after.
Keys are generated once per test session (RSA-2048, a few hundred milliseconds in all).
"""
from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from werkzeug.serving import BaseWSGIServer, make_server

ARCH = "docgen-test"
ORG_LIFETIME = dt.timedelta(hours=2)
SHORT_TSA_LIFETIME = dt.timedelta(days=30)
P12_PASSPHRASE = b"correct horse"
_KEYS = ("root", "root-ocsp", "tsa", "org")


@dataclass(frozen=True)
class LocalPki:
    """The running PKI: where its services answer and the certificates a test needs."""

    base_url: str
    root: asn1_x509.Certificate
    tsa: asn1_x509.Certificate
    org: asn1_x509.Certificate
    org_p12: Path
    root_pem: Path
    revoked_org_p12: Path
    arch: Any  # certomancer's PKIArchitecture, for a test that wants more of it

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/tsa"

    @property
    def short_tsa_url(self) -> str:
        """The authority whose certificate ends within `SHORT_TSA_LIFETIME`."""
        return f"{self.base_url}/{ARCH}/tsa/tsa-short"

    @property
    def org_expires(self) -> dt.datetime:
        return self.org.not_valid_after


class _LateApp:
    """The server is bound (port 0) before the PKI exists, since the certificates must name the
    port in their CRL and OCSP addresses; requests are passed on once the Animator is set."""

    app: Any = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _write_keys(directory: Path) -> None:
    for label in _KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (directory / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _config(now: dt.datetime) -> dict[str, Any]:
    """Root CA (CRL and OCSP), a TSA valid ten years, an organisation seal valid two hours."""
    long_ago, far = _stamp(now - dt.timedelta(days=1)), _stamp(now + dt.timedelta(days=3650))
    revocation_sources = [
        {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url",
                                                           "params": {"crl-repo-names": ["root"]}}},
        {"id": "authority_information_access", "smart-value": {"schema": "aia-urls",
                                                                "params": {"ocsp-responder-names": ["root"]}}},
    ]

    def usage(*names: str) -> dict[str, Any]:
        return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(names)}}

    return {
        "keysets": {ARCH: {"keys": {label: {"path": f"{label}.key.pem"} for label in _KEYS}}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH,
            "entity-defaults": {"country-name": "GB", "organization-name": "Northshire Council"},
            "entities": {"root": {"common-name": "Northshire Test Root CA"},
                         "root-ocsp": {"common-name": "Northshire Test OCSP"},
                         "tsa": {"common-name": "Northshire Test Time-Stamping Authority"},
                         "org": {"common-name": "Northshire Council record seal"}},
            "certs": {
                "root": {"subject": "root", "issuer": "root", "subject-key": "root", "authority-key": "root",
                         "validity": {"valid-from": long_ago, "valid-to": far},
                         "extensions": [{"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                                        usage("digital_signature", "key_cert_sign", "crl_sign")]},
                "root-ocsp": {"issuer": "root", "validity": {"valid-from": long_ago, "valid-to": far},
                              "extensions": [usage("digital_signature"),
                                             {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                                             {"id": "ocsp_no_check"}]},
                "tsa": {"issuer": "root", "validity": {"valid-from": long_ago, "valid-to": far},
                        "extensions": [usage("digital_signature"),
                                       {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                                       *revocation_sources]},
                "org": {"issuer": "root",
                        "validity": {"valid-from": _stamp(now - dt.timedelta(minutes=5)),
                                     "valid-to": _stamp(now + ORG_LIFETIME)},
                        "extensions": [usage("digital_signature", "non_repudiation"), *revocation_sources]},
                "tsa-short": {"template": "tsa", "subject": "tsa", "subject-key": "tsa",
                              "validity": {"valid-from": long_ago, "valid-to": _stamp(now + SHORT_TSA_LIFETIME)}},
                "org-revoked": {"template": "org", "subject": "org", "subject-key": "org",
                                "revocation": {"revoked-since": _stamp(now - dt.timedelta(minutes=1)),
                                               "reason": "key_compromise"}},
            },
            "services": {
                "ocsp": {"root": {"for-issuer": "root", "responder-cert": "root-ocsp", "signing-key": "root-ocsp"}},
                "crl-repo": {"root": {"for-issuer": "root", "signing-key": "root",
                                      "simulated-update-schedule": "P7D"}},
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"},
                                  "tsa-short": {"signing-key": "tsa", "signing-cert": "tsa-short"}},
            },
        }},
    }


def _org_p12(arch: Any, directory: Path, label: str = "org") -> Path:
    """The organisation's key, certificate and CA as docgen reads them (DOCGEN_ORG_P12)."""
    key = serialization.load_der_private_key(arch.key_set.get_private_key(KeyLabel("org")).dump(), None)
    cert, root = (x509.load_der_x509_certificate(arch.get_cert(CertLabel(name)).dump()) for name in (label, "root"))
    path = directory / f"{label}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"Northshire Council", key, cert, [root], serialization.BestAvailableEncryption(P12_PASSPHRASE)))  # type: ignore[arg-type]
    return path


def serve(directory: Path) -> Iterator[LocalPki]:
    """Make the PKI in `directory`, serve it on 127.0.0.1 until the generator is closed."""
    late = _LateApp()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, late, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    _write_keys(directory)
    config = CertomancerConfig(_config(dt.datetime.now(dt.timezone.utc)), key_search_dir=str(directory),
                               external_url_prefix=base_url)
    arch = config.get_pki_arch(ArchLabel(ARCH))
    late.app = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False)
    root = arch.get_cert(CertLabel("root"))
    root_pem = directory / "root.pem"
    root_pem.write_bytes(x509.load_der_x509_certificate(root.dump()).public_bytes(serialization.Encoding.PEM))
    thread = threading.Thread(target=server.serve_forever, name="local-pki", daemon=True)
    thread.start()
    try:
        yield LocalPki(base_url, root, arch.get_cert(CertLabel("tsa")), arch.get_cert(CertLabel("org")),
                       _org_p12(arch, directory), root_pem, _org_p12(arch, directory, "org-revoked"), arch)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
