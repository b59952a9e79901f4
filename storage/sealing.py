"""Small secrets sealed at rest with the storage keyring (AES-256-GCM), for rows that must hold
something the database may not keep in clear for a while: an e-mail carrying a sign-off link,
until it is sent.

A sealed value is text, `v1.<key id>.<base64url(nonce | ciphertext and tag)>`, so it fits a text
column on any database. The key id lets an old value open after the keyring rotates. The caller's
`context` (e.g. which row and recipient it belongs to) is authenticated with it, so a sealed value
copied onto another row fails to open instead of going to someone else. The keys live in
configuration or in the instance's key file, never in the database.
"""
from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.backends.base import IntegrityError
from storage.backends.local import NONCE_BYTES, Keyring

_VERSION = "v1"


def _associated(key_id: str, context: str) -> bytes:
    return f"docgen sealed {_VERSION}\x00{key_id}\x00{context}".encode()


def seal(keyring: Keyring, plaintext: bytes, context: str) -> str:
    """Encrypt `plaintext` for the row `context` names, under the keyring's current key."""
    key_id, key = keyring.current()
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, plaintext, _associated(key_id, context))
    return f"{_VERSION}.{key_id}.{base64.urlsafe_b64encode(sealed).decode('ascii')}"


def unseal(keyring: Keyring, value: str, context: str) -> bytes:
    """The plaintext of a sealed value; raises `IntegrityError` if it was altered, truncated or
    sealed for another context, `KeyUnavailable` if its key is not in the keyring."""
    try:
        version, key_id, encoded = value.split(".", 2)
        blob = base64.urlsafe_b64decode(encoded.encode("ascii"))
    except (ValueError, binascii.Error) as exc:
        raise IntegrityError(f"sealed value is malformed: {exc}") from None
    if version != _VERSION or len(blob) <= NONCE_BYTES:
        raise IntegrityError("sealed value is malformed")
    key = keyring.find(key_id)
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _associated(key_id, context))
    except InvalidTag:
        raise IntegrityError("sealed value failed authentication: altered, or sealed for another row") from None
