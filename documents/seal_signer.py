"""The organisation's signer with its private key parsed once per load, for `documents.seal`.

pyHanko's SimpleSigner keeps the key as DER and parses it again for every signature it makes, and
cryptography checks an RSA key as it parses it: that check cost about as much as the rest of the
seal's signing together, twice per sealed PDF (pyHanko signs once to size the signature, then for
real). Here the key is parsed and checked when the organisation certificate is loaded (once more
than pyHanko's PKCS#12 loader already did, which hands the key over as DER), and never again per
seal; what is signed, and with which mechanism, stays SimpleSigner's.

This module imports pyHanko, so `documents.seal` imports it only when it loads a signer.
"""
from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import signers
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


class OrganisationSigner(signers.SimpleSigner):
    """A SimpleSigner whose RSA key is parsed once per load. RSA PKCS#1 v1.5 (pyHanko's choice for an
    RSA key, and what `docgen init`'s certificate holds) signs with the parsed key; any other key or
    mechanism (PSS, EC) is signed by SimpleSigner itself. Every setting of the loaded signer is kept."""

    def __init__(self, loaded: signers.SimpleSigner) -> None:
        super().__init__(signing_key=loaded.signing_key, signing_cert=loaded.signing_cert,
                         cert_registry=loaded.cert_registry, signature_mechanism=loaded.signature_mechanism,
                         prefer_pss=loaded.prefer_pss, embed_roots=loaded.embed_roots,
                         attribute_certs=loaded.attribute_certs)
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if not isinstance(self._key, RSAPrivateKey) or mechanism.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
