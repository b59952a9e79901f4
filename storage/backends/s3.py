"""The scale-out store: an S3 bucket (AWS or any S3-compatible service).

Every object is encrypted server-side and carries the SHA-256 of its plaintext as metadata,
checked on every read. Where the bucket has Object Lock, retention and legal hold are the
bucket's own (COMPLIANCE by default), so not even an administrator with the bucket's keys can
destroy a record early. A bucket without Object Lock gets the same rules from object tags,
enforced only by docgen: weaker, but a legal hold is never silently dropped.

Buckets may be versioned: `destroy` removes every version and delete marker of a key, since a
plain DELETE would only hide the record behind a marker.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterator
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError  # botocore's exceptions alone: a light import

from storage.backends.base import (
    IntegrityError,
    LockState,
    ObjectMissing,
    RetentionLocked,
    StorageError,
    StoredObject,
    check_key,
    retention_deadline,
    utc_today,
)

LOCK_MODES = ("COMPLIANCE", "GOVERNANCE")
SHA256_METADATA = "sha256"
HOLD_TAG = "docgen-legal-hold"
RETAIN_TAG = "docgen-retain-until"
_MISSING_CODES = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _s3_errors(key: str, *, denied_means_locked: bool = False) -> Iterator[None]:
    """Translate boto3 failures into the store's exceptions.

    AccessDenied means "locked" only where Object Lock is the likely cause (deleting or
    shortening retention); elsewhere it is a permissions problem and stays a StorageError.
    """
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if code in _MISSING_CODES:
            raise ObjectMissing(key) from exc
        if code == "AccessDenied" and denied_means_locked:
            raise RetentionLocked(f"the bucket refused to remove or unlock {key}") from exc
        raise StorageError(f"S3 {code or 'error'} on {key}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageError(f"S3 unreachable for {key}: {exc}") from exc


def _retention_date(moment: datetime.datetime | None) -> datetime.date | None:
    """The first day on which a retain-until instant has passed (rounding a mid-day instant up)."""
    if moment is None:
        return None
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.date() + datetime.timedelta(days=1 if utc.time() != datetime.time() else 0)


def _lock_from_tags(tag_set: list[dict[str, str]]) -> LockState:
    tags = {tag["Key"]: tag["Value"] for tag in tag_set}
    until = tags.get(RETAIN_TAG)
    return LockState(
        legal_hold=tags.get(HOLD_TAG) == "ON",
        retain_until=datetime.date.fromisoformat(until) if until else None,
    )


def _tags_for(state: LockState) -> dict[str, str]:
    tags = {HOLD_TAG: "ON"} if state.legal_hold else {}
    if state.retain_until is not None:
        tags[RETAIN_TAG] = state.retain_until.isoformat()
    return tags


class S3Store:
    """Documents in `bucket` under `prefix`, encrypted at rest, locked where the bucket allows."""

    name = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        endpoint_url: str | None = None,
        region: str = "eu-west-2",
        prefix: str = "",
        kms_key_id: str | None = None,
        lock_mode: str = "COMPLIANCE",
    ) -> None:
        if lock_mode not in LOCK_MODES:
            raise ValueError(f"lock_mode must be one of {LOCK_MODES}, not {lock_mode!r}")
        self.bucket = bucket
        if client is None:
            import boto3  # slow to import: only a deployment that stores in a bucket pays for it

            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self._client = client
        self._prefix = check_key(prefix.strip("/")) if prefix.strip("/") else ""
        self._lock_mode = lock_mode
        self._encryption = (
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
            if kms_key_id
            else {"ServerSideEncryption": "AES256"}
        )

    @functools.cached_property
    def object_lock(self) -> bool:
        """Whether the bucket enforces Object Lock (asked once: it cannot be turned off)."""
        try:
            config = self._client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) == "ObjectLockConfigurationNotFoundError":
                return False
            raise StorageError(f"cannot read Object Lock of bucket {self.bucket}: {exc}") from exc
        return config["ObjectLockConfiguration"].get("ObjectLockEnabled") == "Enabled"

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retain_until: datetime.date | None = None,
        legal_hold: bool = False,
    ) -> StoredObject:
        """Upload `data` encrypted, with its SHA-256 and its protection set in the same request."""
        if self.exists(key):
            self._refuse_if_locked(key, self.lock_state(key))
        digest = hashlib.sha256(data).hexdigest()
        future = retain_until if retain_until is not None and retain_until > utc_today() else None
        request: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._full(key),
            "Body": data,
            "Metadata": {SHA256_METADATA: digest},
            **self._encryption,
        }
        if self.object_lock:
            request["ObjectLockLegalHoldStatus"] = "ON" if legal_hold else "OFF"
            if future is not None:
                request["ObjectLockMode"] = self._lock_mode
                request["ObjectLockRetainUntilDate"] = retention_deadline(future)
        elif legal_hold or future is not None:
            request["Tagging"] = urlencode(_tags_for(LockState(legal_hold, future)))
        with _s3_errors(key):
            response = self._client.put_object(**request)
        return StoredObject(key, digest, len(data), response.get("VersionId"))

    def get(self, key: str) -> bytes:
        """Download and verify the whole object."""
        return b"".join(self.iter_chunks(key))

    def iter_chunks(self, key: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Stream the object, hashing as it goes; a mismatch raises after the last chunk."""
        with _s3_errors(key):
            response = self._client.get_object(Bucket=self.bucket, Key=self._full(key))
        body = response["Body"]
        try:
            expected = response.get("Metadata", {}).get(SHA256_METADATA)
            if not expected:
                raise IntegrityError(f"{key} has no recorded SHA-256: not filed by docgen")
            digest = hashlib.sha256()
            for chunk in body.iter_chunks(chunk_size):
                digest.update(chunk)
                yield chunk
        finally:
            body.close()
        if digest.hexdigest() != expected:
            raise IntegrityError(f"{key} does not match its recorded SHA-256")

    def exists(self, key: str) -> bool:
        """Whether a current (not deleted) object is stored under `key`."""
        try:
            self._head(key)
        except ObjectMissing:
            return False
        return True

    def lock_state(self, key: str) -> LockState:
        """The hold and retention of the current version."""
        return self._lock_state(key, None)

    def destroy(self, key: str) -> list[str]:
        """Delete every version and delete marker, after checking none is held or retained.

        The bucket has the last word: if it refuses a delete (AccessDenied), that is reported
        as RetentionLocked even though the checks above passed.
        """
        versions = self._versions(key)
        today = utc_today()
        for version_id, is_marker in versions:
            if not is_marker:
                self._refuse_if_locked(key, self._lock_state(key, version_id), today)
        with _s3_errors(key, denied_means_locked=True):
            for version_id, _ in versions:
                self._client.delete_object(
                    Bucket=self.bucket, Key=self._full(key), VersionId=version_id
                )
        return [version_id for version_id, _ in versions]

    def list_keys(self, prefix: str) -> Iterator[tuple[str, datetime.datetime]]:
        """Current objects under `prefix` (this store's own prefix taken off) and when each was
        written."""
        full = self._full(prefix.rstrip("/")) + "/" if prefix else (f"{self._prefix}/" if self._prefix else "")
        strip = len(self._prefix) + 1 if self._prefix else 0
        paginator = self._client.get_paginator("list_objects_v2")
        with _s3_errors(prefix or "/"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for entry in page.get("Contents", []):
                    yield entry["Key"][strip:], entry["LastModified"]

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Place or lift the legal hold on the current version."""
        state = self.lock_state(key)
        if self.object_lock:
            with _s3_errors(key):
                self._client.put_object_legal_hold(
                    Bucket=self.bucket,
                    Key=self._full(key),
                    LegalHold={"Status": "ON" if on else "OFF"},
                )
        else:
            self._write_tags(key, replace(state, legal_hold=on))

    def set_retention(self, key: str, until: datetime.date) -> None:
        """Extend retention of the current version; shortening an unexpired date is refused.

        The check is made here as well as by the bucket, because S3-compatible servers differ
        in how strictly they enforce COMPLIANCE mode.
        """
        state = self.lock_state(key)
        current = state.retain_until
        if current is not None and current > utc_today() and until < current:
            raise RetentionLocked(f"{key} is retained until {current}; it cannot be shortened")
        if until <= utc_today():
            return  # a date already passed protects nothing, and S3 rejects it
        if self.object_lock:
            with _s3_errors(key, denied_means_locked=True):
                self._client.put_object_retention(
                    Bucket=self.bucket,
                    Key=self._full(key),
                    Retention={"Mode": self._lock_mode, "RetainUntilDate": retention_deadline(until)},
                )
        else:
            self._write_tags(key, replace(state, retain_until=until))

    def stored_keys(self, prefix: str, limit: int | None = None) -> list[str]:
        """Keys under `prefix` that hold at least one object version, in S3's key order (first
        `limit` of them). Versions are listed, not current objects, so a key "deleted" by a delete
        marker while its locked version remains is still found."""
        full = self._full(prefix.rstrip("/")) + "/"
        strip = len(self._prefix) + 1 if self._prefix else 0
        keys: list[str] = []
        paginator = self._client.get_paginator("list_object_versions")
        with _s3_errors(prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                for version in page.get("Versions", []):
                    key = version["Key"][strip:]
                    if not keys or keys[-1] != key:
                        keys.append(key)
                    if limit is not None and len(keys) >= limit:
                        return keys
        return keys

    def _full(self, key: str) -> str:
        check_key(key)
        return f"{self._prefix}/{key}" if self._prefix else key

    def _head(self, key: str, version_id: str | None = None) -> dict[str, Any]:
        extra = {"VersionId": version_id} if version_id else {}
        with _s3_errors(key):
            return self._client.head_object(Bucket=self.bucket, Key=self._full(key), **extra)

    def _lock_state(self, key: str, version_id: str | None) -> LockState:
        """Read protection from head_object (get_object_retention is not reliable everywhere)."""
        if self.object_lock:
            head = self._head(key, version_id)
            return LockState(
                legal_hold=head.get("ObjectLockLegalHoldStatus") == "ON",
                retain_until=_retention_date(head.get("ObjectLockRetainUntilDate")),
            )
        extra = {"VersionId": version_id} if version_id else {}
        with _s3_errors(key):
            tagging = self._client.get_object_tagging(
                Bucket=self.bucket, Key=self._full(key), **extra
            )
        return _lock_from_tags(tagging["TagSet"])

    def _refuse_if_locked(
        self, key: str, state: LockState, today: datetime.date | None = None
    ) -> None:
        if state.prevents_destruction(today or utc_today()):
            raise RetentionLocked(f"{key} is under legal hold or retention ({state})")

    def _versions(self, key: str) -> list[tuple[str, bool]]:
        """Every (version id, is delete marker) of exactly `key` (a prefix listing also matches
        longer keys, which are filtered out)."""
        full = self._full(key)
        found: list[tuple[str, bool]] = []
        paginator = self._client.get_paginator("list_object_versions")
        with _s3_errors(key):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
                found += [(v["VersionId"], False) for v in page.get("Versions", []) if v["Key"] == full]
                found += [
                    (m["VersionId"], True) for m in page.get("DeleteMarkers", []) if m["Key"] == full
                ]
        return found

    def _write_tags(self, key: str, state: LockState) -> None:
        """Keep the key's other tags and replace docgen's own (a bucket without Object Lock)."""
        with _s3_errors(key):
            current = self._client.get_object_tagging(Bucket=self.bucket, Key=self._full(key))
            others = [t for t in current["TagSet"] if t["Key"] not in (HOLD_TAG, RETAIN_TAG)]
            tag_set = others + [{"Key": k, "Value": v} for k, v in _tags_for(state).items()]
            if tag_set:
                self._client.put_object_tagging(
                    Bucket=self.bucket, Key=self._full(key), Tagging={"TagSet": tag_set}
                )
            else:  # an empty TagSet is valid S3 but not every S3-compatible server accepts it
                self._client.delete_object_tagging(Bucket=self.bucket, Key=self._full(key))
