"""Choose the document store from one configuration URL.

    local                          encrypted files in <instance>/documents (the embedded default)
    local:///srv/documents  encrypted files under an absolute path
    s3://bucket/optional/prefix?region=eu-west-2&endpoint_url=http://127.0.0.1:9000
                                   &kms_key_id=...&lock_mode=GOVERNANCE   (all parameters optional)

For local storage, `key` is the base64 AES-256 key from configuration (several, comma
separated, newest last); without one, a key file `<instance>/storage-keyring.json` is created
0600 on first use, kept outside the documents folder so a copy of one is not a copy of both.
S3 encryption is the bucket's (SSE-S3, or SSE-KMS with `kms_key_id`), so `key` is not used.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from storage.backends.base import DocumentStore
from storage.backends.local import Keyring, LocalStore
from storage.backends.s3 import S3Store

KEY_FILE_NAME = "storage-keyring.json"
_S3_PARAMETERS = {"endpoint_url", "region", "kms_key_id", "lock_mode"}


def open_store(url: str, *, instance_path: Path, key: str | None) -> DocumentStore:
    """Build the store `url` names; raises ValueError for a URL it cannot use."""
    parts = urlsplit(url)
    if parts.scheme in ("", "local") and not parts.netloc:
        return _open_local(parts.path, instance_path, key)
    if parts.scheme == "s3" and parts.netloc:
        return _open_s3(parts.netloc, parts.path, parts.query)
    raise ValueError(f"unsupported storage URL {url!r}: use local, local:///abs/path or s3://bucket")


def _open_local(path: str, instance_path: Path, key: str | None) -> LocalStore:
    if path in ("", "local"):
        root = instance_path / "documents"
    elif Path(path).is_absolute():
        root = Path(path)
    else:
        raise ValueError(f"local storage path must be absolute (local:///abs/path), not {path!r}")
    return LocalStore(root, open_keyring(instance_path, key))


def open_keyring(instance_path: Path, key: str | None) -> Keyring:
    """The deployment's storage keyring: the keys in configuration, else the instance's key file.
    The local store seals documents with it, and the outbox e-mails that carry a secret."""
    return Keyring.from_config(key) if key else Keyring.open(instance_path / KEY_FILE_NAME)


def _open_s3(bucket: str, path: str, query: str) -> S3Store:
    parameters = {name: values[-1] for name, values in parse_qs(query).items()}
    unknown = set(parameters) - _S3_PARAMETERS
    if unknown:
        raise ValueError(f"unknown S3 storage parameters: {sorted(unknown)}")
    return S3Store(
        bucket,
        endpoint_url=parameters.get("endpoint_url"),
        region=parameters.get("region", "eu-west-2"),
        prefix=path.strip("/"),
        kms_key_id=parameters.get("kms_key_id"),
        lock_mode=parameters.get("lock_mode", "COMPLIANCE"),
    )
