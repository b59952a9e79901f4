"""The contract every document store keeps, whatever holds the bytes.

Signed records are evidence: a store must give back exactly what was filed (or say loudly that
it cannot), and must refuse to destroy anything under legal hold or unexpired retention. The
database keeps the storage key and the plaintext SHA-256; the store keeps the bytes.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Iterator, Protocol

# Keys are chosen by docgen (e.g. "records/2025/0b9f....pdf"), never by a user, so a narrow
# alphabet costs nothing and makes every key safe as a file path and as an S3 key alike.
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_KEY_LENGTH = 512


class StorageError(Exception):
    """Base class: the store could not do what was asked."""


class InvalidKey(StorageError, ValueError):
    """The key is not a safe relative name (empty, absolute, `..`, odd characters)."""


class ObjectMissing(StorageError, KeyError):
    """No object is stored under the key."""


class IntegrityError(StorageError):
    """The stored bytes are not the bytes that were filed (tampered, swapped or corrupt)."""


class RetentionLocked(StorageError):
    """A legal hold or an unexpired retention date forbids destroying or replacing the object."""


@dataclass(frozen=True)
class StoredObject:
    """What `put` filed: the DB row keeps `sha256` (of the plaintext) beside the key."""

    key: str
    sha256: str
    size: int
    version_id: str | None


@dataclass(frozen=True)
class LockState:
    """The protection on one stored object, as the store itself enforces it."""

    legal_hold: bool = False
    retain_until: datetime.date | None = None

    def prevents_destruction(self, today: datetime.date) -> bool:
        """Retention runs to midnight UTC at the start of `retain_until`, as S3 Object Lock does."""
        return self.legal_hold or (self.retain_until is not None and today < self.retain_until)


class DocumentStore(Protocol):
    """Where filed documents live; `open_store` picks the implementation from configuration."""

    name: str

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retain_until: datetime.date | None = None,
        legal_hold: bool = False,
    ) -> StoredObject:
        """File `data` under `key`, protected as asked.

        A `retain_until` that is not in the future protects nothing and is not applied.
        Raises `RetentionLocked` if a protected object already holds the key.
        """
        ...

    def get(self, key: str) -> bytes:
        """Return the filed bytes, verified; raises `ObjectMissing` or `IntegrityError`."""
        ...

    def iter_chunks(self, key: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Yield the filed bytes for streaming exports.

        `IntegrityError` may come after chunks have been yielded, so a consumer must treat
        its output as unverified until the iterator is exhausted.
        """
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def lock_state(self, key: str) -> LockState:
        """The legal hold and retention on the current object; raises `ObjectMissing`."""
        ...

    def destroy(self, key: str) -> list[str]:
        """Remove the object and every version of it; return the version ids removed.

        All or nothing: raises `RetentionLocked` before removing anything if any version is
        held or retained. Returns `[]` when nothing was stored, so a retried retention task
        is harmless.
        """
        ...

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Place or lift a legal hold on the current object; raises `ObjectMissing`."""
        ...

    def list_keys(self, prefix: str) -> Iterator[tuple[str, datetime.datetime]]:
        """Every key stored under `prefix`, with when it was written (aware, UTC), in no order:
        how objects that no database row refers to are found (`storage.filing.destroy_orphans`)."""
        ...

    def set_retention(self, key: str, until: datetime.date) -> None:
        """Retain the current object until `until`.

        Retention can only be extended, as with S3 Object Lock in COMPLIANCE mode: shortening
        an unexpired date raises `RetentionLocked`. A date not in the future is not applied.
        """
        ...


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative name, else raise `InvalidKey`.

    Both backends call this first, so a key that works locally works on S3 and no key can
    reach outside the storage root (`..`, absolute paths, backslashes, NUL).
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage key must be 1–{MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _KEY_SEGMENT.fullmatch(segment):
            raise InvalidKey(f"unsafe storage key: {key!r}")
    return key


def utc_today() -> datetime.date:
    """Retention dates are compared in UTC so every worker agrees on the day."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def retention_deadline(until: datetime.date) -> datetime.datetime:
    """The instant a retention date ends: midnight UTC at its start."""
    return datetime.datetime.combine(until, datetime.time(), tzinfo=datetime.timezone.utc)
