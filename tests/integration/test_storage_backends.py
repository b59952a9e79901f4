"""Document stores: what every backend promises, then what each adds.

S3 runs against moto's threaded server on 127.0.0.1 with a real boto3 client. moto enforces
Object Lock deletes (legal hold, unexpired COMPLIANCE retention) but lets retention be shortened,
which real S3 refuses; the tests use that only to simulate a retention date having passed.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import os
import stat
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from storage.backends import open_store
from storage.backends.base import (
    DocumentStore,
    IntegrityError,
    InvalidKey,
    LockState,
    ObjectMissing,
    RetentionLocked,
    StorageError,
)
from storage.backends.local import Keyring, KeyUnavailable, LocalStore
from storage.backends.s3 import S3Store

REGION = "eu-west-2"
MARKER = "SUPERVISEE-DISCLOSED-SAFEGUARDING-CONCERN-7F3A"
RECORD = f"Supervision record for J. Okafor. {MARKER}. Actions: caseload review.".encode() * 40
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
NEXT_YEAR = TODAY + datetime.timedelta(days=365)
YESTERDAY = TODAY - datetime.timedelta(days=1)


def docx_like(text: str) -> bytes:
    """A Word-shaped zip, stored uncompressed so the marker appears verbatim in its bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document><w:t>{text}</w:t></w:document>")
    return buffer.getvalue()


@dataclass
class Backend:
    """A store plus the backend-specific ways a test looks behind it."""

    store: DocumentStore
    tamper: Callable[[str], None]
    versions_left: Callable[[str], list[str]]


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def new_bucket(client: Any, *, object_lock: bool, versioned: bool = True) -> str:
    bucket = f"docgen-{uuid.uuid4().hex[:12]}"
    client.create_bucket(
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": REGION},
        ObjectLockEnabledForBucket=object_lock,
    )
    if versioned and not object_lock:
        client.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        )
    return bucket


def local_backend(root: Path) -> Backend:
    store = LocalStore(root / "documents", Keyring.open(root / "storage-keyring.json"))

    def tamper(key: str) -> None:
        path = store.path_for(key)
        sealed = bytearray(path.read_bytes())
        sealed[-20] ^= 0x01
        path.write_bytes(bytes(sealed))

    def versions_left(key: str) -> list[str]:
        stem = store.path_for(key).name.split(".")[0]
        return [p.name for p in (root / "documents").rglob(f"{stem}*")]

    return Backend(store, tamper, versions_left)


def s3_backend(client: Any, *, object_lock: bool) -> Backend:
    bucket = new_bucket(client, object_lock=object_lock)
    store = S3Store(bucket, client=client, prefix="records")

    def tamper(key: str) -> None:
        current = client.head_object(Bucket=bucket, Key=f"records/{key}")
        client.put_object(
            Bucket=bucket, Key=f"records/{key}", Body=b"altered", Metadata=current["Metadata"]
        )

    def versions_left(key: str) -> list[str]:
        listing = client.list_object_versions(Bucket=bucket, Prefix=f"records/{key}")
        entries = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        return [entry["VersionId"] for entry in entries if entry["Key"] == f"records/{key}"]

    return Backend(store, tamper, versions_left)


@pytest.fixture(params=["local", "s3-object-lock", "s3-versioned-without-lock"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return local_backend(tmp_path)
    client = request.getfixturevalue("s3_client")
    return s3_backend(client, object_lock=request.param == "s3-object-lock")


# --- What every store promises -------------------------------------------------------------


def test_put_returns_plaintext_sha256_and_get_returns_the_same_bytes(backend: Backend) -> None:
    filed = backend.store.put("records/2025/okafor-03.pdf", RECORD)

    assert filed.sha256 == hashlib.sha256(RECORD).hexdigest()
    assert filed.size == len(RECORD)
    assert backend.store.get("records/2025/okafor-03.pdf") == RECORD
    assert backend.store.exists("records/2025/okafor-03.pdf")


def test_streamed_chunks_reassemble_the_document(backend: Backend) -> None:
    backend.store.put("exports/bundle.zip", RECORD)

    chunks = list(backend.store.iter_chunks("exports/bundle.zip", chunk_size=500))

    assert len(chunks) > 1
    assert b"".join(chunks) == RECORD


def test_a_missing_document_is_reported_as_missing(backend: Backend) -> None:
    assert not backend.store.exists("records/never-filed.pdf")
    with pytest.raises(ObjectMissing):
        backend.store.get("records/never-filed.pdf")
    with pytest.raises(ObjectMissing):
        backend.store.set_legal_hold("records/never-filed.pdf", True)


def test_destroy_removes_every_version(backend: Backend) -> None:
    backend.store.put("records/draft.pdf", b"first")
    backend.store.put("records/draft.pdf", b"second")

    destroyed = backend.store.destroy("records/draft.pdf")

    assert destroyed
    assert backend.versions_left("records/draft.pdf") == []
    assert not backend.store.exists("records/draft.pdf")
    with pytest.raises(ObjectMissing):
        backend.store.get("records/draft.pdf")


def test_destroying_what_is_already_gone_is_harmless(backend: Backend) -> None:
    assert backend.store.destroy("records/already-destroyed.pdf") == []


def test_legal_hold_blocks_destroy_until_lifted(backend: Backend) -> None:
    backend.store.put("records/tribunal.pdf", RECORD, legal_hold=True)
    assert backend.store.lock_state("records/tribunal.pdf").legal_hold

    with pytest.raises(RetentionLocked):
        backend.store.destroy("records/tribunal.pdf")
    assert backend.store.get("records/tribunal.pdf") == RECORD

    backend.store.set_legal_hold("records/tribunal.pdf", False)
    assert backend.store.destroy("records/tribunal.pdf")
    assert backend.versions_left("records/tribunal.pdf") == []


def test_legal_hold_placed_after_filing_blocks_destroy(backend: Backend) -> None:
    backend.store.put("records/complaint.pdf", RECORD)
    backend.store.set_legal_hold("records/complaint.pdf", True)

    with pytest.raises(RetentionLocked):
        backend.store.destroy("records/complaint.pdf")


def test_retention_until_a_future_date_blocks_destroy(backend: Backend) -> None:
    backend.store.put("records/signed.pdf", RECORD, retain_until=NEXT_YEAR)

    assert backend.store.lock_state("records/signed.pdf") == LockState(False, NEXT_YEAR)
    with pytest.raises(RetentionLocked):
        backend.store.destroy("records/signed.pdf")
    assert backend.store.get("records/signed.pdf") == RECORD


def test_retention_can_be_extended_but_not_shortened(backend: Backend) -> None:
    backend.store.put("records/signed.pdf", RECORD, retain_until=NEXT_YEAR)
    later = NEXT_YEAR + datetime.timedelta(days=365)

    backend.store.set_retention("records/signed.pdf", later)
    with pytest.raises(RetentionLocked):
        backend.store.set_retention("records/signed.pdf", NEXT_YEAR)

    assert backend.store.lock_state("records/signed.pdf").retain_until == later


def test_retention_date_already_passed_does_not_block_destroy(backend: Backend) -> None:
    backend.store.put("records/old.pdf", RECORD, retain_until=YESTERDAY)

    assert backend.store.lock_state("records/old.pdf") == LockState()
    assert backend.store.destroy("records/old.pdf")


def test_a_protected_document_cannot_be_replaced(backend: Backend) -> None:
    backend.store.put("records/signed.pdf", RECORD, legal_hold=True)

    with pytest.raises(RetentionLocked):
        backend.store.put("records/signed.pdf", b"a different story")
    assert backend.store.get("records/signed.pdf") == RECORD


def test_tampered_bytes_raise_integrity_error(backend: Backend) -> None:
    backend.store.put("records/signed.pdf", RECORD)
    backend.tamper("records/signed.pdf")

    with pytest.raises(IntegrityError):
        backend.store.get("records/signed.pdf")
    with pytest.raises(IntegrityError):
        b"".join(backend.store.iter_chunks("records/signed.pdf"))


@pytest.mark.parametrize(
    "key", ["../escape.pdf", "/etc/passwd", "records/../../x", "a\\b", "", "a//b", ".hidden", "a/./b"]
)
def test_unsafe_keys_are_refused(backend: Backend, key: str) -> None:
    with pytest.raises(InvalidKey):
        backend.store.put(key, RECORD)
    with pytest.raises(InvalidKey):
        backend.store.get(key)


# --- Local: encrypted at rest ---------------------------------------------------------------


def every_file_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_no_plaintext_reaches_disk_not_even_in_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store("local", instance_path=tmp_path, key=None)
    word_file = docx_like(MARKER)
    assert MARKER.encode() in word_file
    temporaries: list[tuple[Path, bytes]] = []
    real_replace = os.replace

    def inspecting_replace(source: Any, target: Any) -> None:
        temporaries.append((Path(source), Path(source).read_bytes()))
        real_replace(source, target)

    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    monkeypatch.setattr(os, "replace", inspecting_replace)
    store.put("records/okafor.pdf", RECORD, legal_hold=True, retain_until=NEXT_YEAR)
    store.put("records/okafor.docx", word_file)
    monkeypatch.undo()

    assert temporaries, "writes should go through a temporary file"
    assert list(system_temp.iterdir()) == [], "nothing may be staged in the system temp dir"
    for temp, contents in temporaries:
        assert temp.parent.is_relative_to(tmp_path / "documents")
        assert stat.S_IMODE(temp.parent.stat().st_mode) == 0o700
        assert MARKER.encode() not in contents and RECORD not in contents
    files = every_file_under(tmp_path)
    assert files
    for path in files:
        stored = path.read_bytes()
        assert MARKER.encode() not in stored, path
        assert MARKER.encode("utf-16-le") not in stored, path
        assert RECORD[:64] not in stored and word_file[-64:] not in stored, path
        assert not path.name.endswith(".tmp"), "a temporary file was left behind"
    assert store.get("records/okafor.docx") == word_file


def test_a_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = local_backend(tmp_path).store
    store.put("records/okafor.pdf", b"signed version")

    def failing_replace(source: Any, target: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        store.put("records/okafor.pdf", RECORD)
    monkeypatch.undo()

    assert not [p for p in every_file_under(tmp_path) if p.name.endswith(".tmp")]
    assert store.get("records/okafor.pdf") == b"signed version"


def test_key_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    open_store("local", instance_path=tmp_path, key=None)

    key_file = tmp_path / "storage-keyring.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "documents" / key_file.name).exists()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    open_store("local", instance_path=tmp_path, key=None)
    (tmp_path / "storage-keyring.json").chmod(0o644)

    with pytest.raises(StorageError, match="0600"):
        open_store("local", instance_path=tmp_path, key=None)


def test_rotation_keeps_old_documents_readable_and_seals_new_ones_with_the_new_key(
    tmp_path: Path,
) -> None:
    store = open_store("local", instance_path=tmp_path, key=None)
    assert isinstance(store, LocalStore)
    store.put("records/before.pdf", b"sealed with the first key")
    first_key = store.key_id_of("records/before.pdf")

    new_key = store.rotate_key()
    store.put("records/after.pdf", b"sealed with the second key")

    assert new_key != first_key
    assert store.key_id_of("records/after.pdf") == new_key
    assert store.get("records/before.pdf") == b"sealed with the first key"
    reopened = open_store("local", instance_path=tmp_path, key=None)
    assert reopened.get("records/before.pdf") == b"sealed with the first key"
    assert reopened.get("records/after.pdf") == b"sealed with the second key"

    assert store.reencrypt_all() == 1
    assert store.key_id_of("records/before.pdf") == new_key
    assert store.get("records/before.pdf") == b"sealed with the first key"


def test_a_worker_reads_documents_sealed_after_another_worker_rotated(tmp_path: Path) -> None:
    worker_a = open_store("local", instance_path=tmp_path, key=None)
    worker_b = open_store("local", instance_path=tmp_path, key=None)
    assert isinstance(worker_a, LocalStore)

    worker_a.rotate_key()
    worker_a.put("records/new.pdf", RECORD)

    assert worker_b.get("records/new.pdf") == RECORD


def test_configured_key_is_used_without_a_key_file(tmp_path: Path) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    store = open_store("local", instance_path=tmp_path, key=key)
    store.put("records/okafor.pdf", RECORD)

    assert not (tmp_path / "storage-keyring.json").exists()
    other_key = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(KeyUnavailable):
        open_store("local", instance_path=tmp_path, key=other_key).get("records/okafor.pdf")
    with_both = open_store("local", instance_path=tmp_path, key=f"{key},{other_key}")
    assert with_both.get("records/okafor.pdf") == RECORD


def test_swapping_two_stored_files_is_detected(tmp_path: Path) -> None:
    store = local_backend(tmp_path).store
    assert isinstance(store, LocalStore)
    store.put("records/alice.pdf", b"Alice's supervision record")
    store.put("records/bob.pdf", b"Bob's supervision record")
    alice, bob = store.path_for("records/alice.pdf"), store.path_for("records/bob.pdf")

    alice_bytes, bob_bytes = alice.read_bytes(), bob.read_bytes()
    alice.write_bytes(bob_bytes)
    bob.write_bytes(alice_bytes)

    with pytest.raises(IntegrityError):
        store.get("records/alice.pdf")
    with pytest.raises(IntegrityError):
        store.get("records/bob.pdf")


def test_keys_map_to_files_inside_the_store(tmp_path: Path) -> None:
    store = local_backend(tmp_path).store
    assert isinstance(store, LocalStore)

    path = store.path_for("records/2025/okafor.pdf")

    assert path.is_relative_to(tmp_path / "documents" / "objects")
    assert "okafor" not in str(path)


# --- S3: encryption and Object Lock -----------------------------------------------------------


def test_every_s3_object_is_encrypted_server_side(s3_client: Any) -> None:
    for object_lock in (True, False):
        bucket = new_bucket(s3_client, object_lock=object_lock)
        S3Store(bucket, client=s3_client).put("records/okafor.pdf", RECORD)

        head = s3_client.head_object(Bucket=bucket, Key="records/okafor.pdf")
        assert head["ServerSideEncryption"] == "AES256"
        assert head["Metadata"]["sha256"] == hashlib.sha256(RECORD).hexdigest()


def test_object_lock_fields_are_set_on_each_object_in_a_lock_bucket(s3_client: Any) -> None:
    bucket = new_bucket(s3_client, object_lock=True)
    store = S3Store(bucket, client=s3_client)

    store.put("records/held.pdf", RECORD, retain_until=NEXT_YEAR, legal_hold=True)
    store.put("records/retained.pdf", RECORD, retain_until=NEXT_YEAR)

    held = s3_client.head_object(Bucket=bucket, Key="records/held.pdf")
    retained = s3_client.head_object(Bucket=bucket, Key="records/retained.pdf")
    assert held["ObjectLockMode"] == retained["ObjectLockMode"] == "COMPLIANCE"
    assert held["ObjectLockRetainUntilDate"].astimezone(datetime.timezone.utc).date() == NEXT_YEAR
    assert held["ObjectLockLegalHoldStatus"] == "ON"
    assert retained["ObjectLockLegalHoldStatus"] == "OFF"


def test_a_bucket_without_object_lock_works_without_lock_fields(s3_client: Any) -> None:
    bucket = new_bucket(s3_client, object_lock=False, versioned=False)
    store = S3Store(bucket, client=s3_client)

    filed = store.put("records/okafor.pdf", RECORD, retain_until=NEXT_YEAR)

    head = s3_client.head_object(Bucket=bucket, Key="records/okafor.pdf")
    assert not {"ObjectLockMode", "ObjectLockRetainUntilDate"} & set(head)
    assert filed.version_id is None
    assert store.get("records/okafor.pdf") == RECORD
    with pytest.raises(RetentionLocked):  # enforced by docgen from tags, not by the bucket
        store.destroy("records/okafor.pdf")
    store.put("records/draft.pdf", b"draft")
    assert store.destroy("records/draft.pdf") == ["null"]


def test_destroy_also_removes_delete_markers(s3_client: Any) -> None:
    backend = s3_backend(s3_client, object_lock=True)
    backend.store.put("records/draft.pdf", b"draft")
    s3_client.delete_object(Bucket=backend.store.bucket, Key="records/records/draft.pdf")
    backend.store.put("records/draft.pdf", b"draft again")
    s3_client.delete_object(Bucket=backend.store.bucket, Key="records/records/draft.pdf")

    assert len(backend.versions_left("records/draft.pdf")) == 4
    assert len(backend.store.destroy("records/draft.pdf")) == 4
    assert backend.versions_left("records/draft.pdf") == []


def test_the_bucket_refusing_a_delete_is_reported_as_retention_locked(
    s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = new_bucket(s3_client, object_lock=True)
    store = S3Store(bucket, client=s3_client)
    store.put("records/signed.pdf", RECORD, retain_until=NEXT_YEAR)
    # Blind docgen's own check, so only moto's COMPLIANCE enforcement stands in the way.
    monkeypatch.setattr(store, "_lock_state", lambda key, version_id: LockState())

    with pytest.raises(RetentionLocked):
        store.destroy("records/signed.pdf")
    assert s3_client.get_object(Bucket=bucket, Key="records/signed.pdf")["Body"].read() == RECORD


def test_destroy_succeeds_once_the_retention_date_has_passed(s3_client: Any) -> None:
    bucket = new_bucket(s3_client, object_lock=True)
    store = S3Store(bucket, client=s3_client)
    store.put("records/signed.pdf", RECORD, retain_until=NEXT_YEAR)
    # Simulate the years passing: moto accepts a shortened date, which real S3 would refuse.
    s3_client.put_object_retention(
        Bucket=bucket,
        Key="records/signed.pdf",
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": datetime.datetime(2020, 1, 1)},
    )

    assert store.destroy("records/signed.pdf")
    assert s3_client.list_object_versions(Bucket=bucket).get("Versions") is None


# --- Choosing a store from configuration ------------------------------------------------------


def test_open_store_defaults_to_encrypted_files_in_the_instance_folder(tmp_path: Path) -> None:
    store = open_store("local", instance_path=tmp_path, key=None)

    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "documents"


def test_open_store_accepts_an_absolute_local_path(tmp_path: Path) -> None:
    store = open_store(f"local://{tmp_path}/elsewhere", instance_path=tmp_path, key=None)

    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "elsewhere"


def test_open_store_builds_an_s3_store_from_the_url(
    s3_client: Any, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = new_bucket(s3_client, object_lock=False)
    url = f"s3://{bucket}/council/records?endpoint_url={s3_endpoint}&region={REGION}"

    store = open_store(url, instance_path=tmp_path, key=None)
    store.put("okafor.pdf", RECORD)

    assert s3_client.head_object(Bucket=bucket, Key="council/records/okafor.pdf")
    assert store.get("okafor.pdf") == RECORD


@pytest.mark.parametrize(
    "url", ["ftp://host/x", "local://relative/path", "local:relative", "s3:///no-bucket", "s3://b?colour=red"]
)
def test_open_store_rejects_urls_it_cannot_use(url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        open_store(url, instance_path=tmp_path, key=None)
