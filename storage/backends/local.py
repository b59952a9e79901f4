"""The embedded store: files on local disk, each sealed with AES-256-GCM.

No plaintext ever touches the disk, temporary files included: a document is encrypted in
memory, written to a 0600 temporary file beside its destination, fsynced and renamed into
place. Each object file is an envelope:

    magic "DGS\\x01" | key-id length (1) | key id | object-key length (2) | object key
    | plaintext SHA-256 (32) | nonce (12) | ciphertext and GCM tag

Everything before the nonce is the associated data, rebuilt on read from the key the caller
asked for, so a file copied or swapped onto another key's path fails authentication. Files
are named by the SHA-256 of their key, so no key can shape a path, and legal hold and
retention live in a small JSON sidecar (no content) that `destroy` obeys.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fcntl
import hashlib
import json
import os
import struct
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.backends.base import (
    IntegrityError,
    LockState,
    ObjectMissing,
    RetentionLocked,
    StorageError,
    StoredObject,
    check_key,
    utc_today,
)

MAGIC = b"DGS\x01"
NONCE_BYTES = 12
KEY_BYTES = 32
_OBJECT_SUFFIX = ".obj"
_LOCK_SUFFIX = ".lock.json"
# Enough of an object file to hold its envelope's header: a key id (<= 255 bytes), a storage key
# (<= 512 ASCII characters, `check_key`), the digest and a nonce.
_HEADER_READ = 4096


class KeyUnavailable(StorageError):
    """An object was sealed with a key the keyring does not hold (a lost or unconfigured key)."""


def key_id_for(key: bytes) -> str:
    """Derive a key's id from the key itself, so the same key has the same id in any keyring."""
    return hashlib.sha256(b"docgen storage key id\x00" + key).hexdigest()[:16]


def _decode_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise StorageError("storage key is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise StorageError(f"storage key must be {KEY_BYTES} bytes (AES-256), got {len(key)}")
    return key


def _fsync_dir(path: Path) -> None:
    """Make a rename or unlink in `path` durable, not just the file contents."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _temporary_file(directory: Path, data: bytes) -> Iterator[Path]:
    """A fsynced 0600 file holding `data` in `directory`, removed unless the caller moved it."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")  # mkstemp: mode 0600
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers see the old file or the new one, never a torn one."""
    with _temporary_file(path.parent, data) as temp:
        os.replace(temp, path)
    _fsync_dir(path.parent)


class Keyring:
    """AES-256 keys by id, newest last; the newest seals new objects, all of them open old ones.

    Backed either by configuration (a base64 key, or several separated by commas, newest last)
    or by a JSON key file created 0600 on first use, which `rotate` extends.
    """

    def __init__(self, keys: list[tuple[str, bytes]], path: Path | None = None) -> None:
        if not keys:
            raise StorageError("keyring holds no keys")
        self._keys = dict(keys)
        self._current = keys[-1][0]
        self.path = path

    @classmethod
    def from_config(cls, value: str) -> Keyring:
        """Keys given in configuration; rotate by appending a key to the setting."""
        keys = [_decode_key(part.strip()) for part in value.split(",") if part.strip()]
        return cls([(key_id_for(key), key) for key in keys])

    @classmethod
    def open(cls, path: Path) -> Keyring:
        """Load the key file at `path`, creating it (0600, one fresh key) if it does not exist."""
        try:
            return cls(_read_key_file(path), path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        with _temporary_file(path.parent, _key_file_bytes([_new_key()])) as temp:
            try:
                # link, unlike rename, fails if another process created the file first.
                os.link(temp, path)
            except FileExistsError:
                pass
        _fsync_dir(path.parent)
        return cls(_read_key_file(path), path)

    @property
    def ids(self) -> list[str]:
        """The ids of every key held, oldest first: what a backup's manifest names, never the keys."""
        return list(self._keys)

    @property
    def current_id(self) -> str:
        """The id of the key that seals new objects."""
        return self._current

    def current(self) -> tuple[str, bytes]:
        """The id and key that seal new objects."""
        return self._current, self._keys[self._current]

    def find(self, key_id: str) -> bytes:
        """The key with `key_id`, re-reading the key file once in case another process rotated."""
        if key_id not in self._keys and self.path is not None:
            self._keys = dict(_read_key_file(self.path))
        try:
            return self._keys[key_id]
        except KeyError:
            raise KeyUnavailable(f"storage key {key_id} is not in the keyring") from None

    def rotate(self) -> str:
        """Add a fresh key to the key file and make it current; return its id."""
        if self.path is None:
            raise StorageError("keys from configuration are rotated by adding one to the setting")
        with _locked(self.path.with_name(self.path.name + ".lock")):
            keys = _read_key_file(self.path) + [_new_key()]
            write_atomically(self.path, _key_file_bytes(keys))
        self._keys = dict(keys)
        self._current = keys[-1][0]
        return self._current


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise key-file rewrites across processes, so no rotation loses another's key."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _new_key() -> tuple[str, bytes]:
    key = AESGCM.generate_key(bit_length=256)
    return key_id_for(key), key


def _key_file_bytes(keys: list[tuple[str, bytes]]) -> bytes:
    entries = [{"id": key_id, "key": base64.b64encode(key).decode()} for key_id, key in keys]
    return json.dumps({"keys": entries}, indent=2).encode()


def _read_key_file(path: Path) -> list[tuple[str, bytes]]:
    if path.stat().st_mode & 0o077:
        raise StorageError(f"key file {path} is readable by others; it must be mode 0600")
    entries = json.loads(path.read_bytes())["keys"]
    keys = [_decode_key(entry["key"]) for entry in entries]
    return [(key_id_for(key), key) for key in keys]


@dataclass(frozen=True)
class _Envelope:
    key_id: str
    object_key: str
    sha256: bytes
    nonce: bytes
    ciphertext: bytes


def _header(key_id: str, object_key: str, sha256: bytes) -> bytes:
    kid, name = key_id.encode("ascii"), object_key.encode("utf-8")
    return MAGIC + struct.pack(">B", len(kid)) + kid + struct.pack(">H", len(name)) + name + sha256


def _parse(blob: bytes) -> _Envelope:
    """Split an object file into its parts; anything malformed is an integrity failure."""
    try:
        if blob[:4] != MAGIC:
            raise ValueError("bad magic")
        at = 4
        (kid_len,) = struct.unpack_from(">B", blob, at)
        key_id = blob[at + 1 : at + 1 + kid_len].decode("ascii")
        at += 1 + kid_len
        (name_len,) = struct.unpack_from(">H", blob, at)
        object_key = blob[at + 2 : at + 2 + name_len].decode("utf-8")
        at += 2 + name_len
        sha256, nonce = blob[at : at + 32], blob[at + 32 : at + 32 + NONCE_BYTES]
        ciphertext = blob[at + 32 + NONCE_BYTES :]
        if len(nonce) != NONCE_BYTES or not ciphertext:
            raise ValueError("truncated")
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise IntegrityError(f"stored object is malformed: {exc}") from exc
    return _Envelope(key_id, object_key, sha256, nonce, ciphertext)


def _version_id(blob: bytes) -> str:
    """A local object has one version, named by its sealed bytes (unique: the nonce is random)."""
    return hashlib.sha256(blob).hexdigest()[:32]


class LocalStore:
    """Encrypted files under `root`, keys from `keyring`."""

    name = "local"

    def __init__(self, root: Path, keyring: Keyring) -> None:
        self.root = root
        self._objects = root / "objects"
        self._keyring = keyring
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._objects.mkdir(mode=0o700, exist_ok=True)

    def put(
        self,
        key: str,
        data: bytes,
        *,
        retain_until: datetime.date | None = None,
        legal_hold: bool = False,
    ) -> StoredObject:
        """Seal and file `data`; the sidecar is written first so protection never lags the bytes."""
        path = self.path_for(key)
        if path.exists():
            self._refuse_if_locked(key)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        future = retain_until if retain_until is not None and retain_until > utc_today() else None
        self._write_lock_state(key, LockState(legal_hold, future))
        digest = hashlib.sha256(data).digest()
        blob = self._seal(key, data, digest)
        write_atomically(path, blob)
        return StoredObject(key, digest.hex(), len(data), _version_id(blob))

    def get(self, key: str) -> bytes:
        """Open the object for `key`, failing on any sign it is not what was filed."""
        return self._open(key, self._read(key))

    def iter_chunks(self, key: str, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """Yield the verified plaintext in chunks.

        GCM authenticates the whole object before releasing any of it, so the object is opened
        in memory; unlike S3, nothing unverified is ever yielded.
        """
        data = self.get(key)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    def exists(self, key: str) -> bool:
        """Whether an object file is stored for `key`."""
        return self.path_for(key).exists()

    def lock_state(self, key: str) -> LockState:
        """The hold and retention recorded in the object's sidecar."""
        if not self.exists(key):
            raise ObjectMissing(key)
        return self._read_lock_state(key)

    def destroy(self, key: str) -> list[str]:
        """Delete the object file and its sidecar unless held or retained."""
        path = self.path_for(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            self._lock_path(key).unlink(missing_ok=True)
            return []
        self._refuse_if_locked(key)
        path.unlink()
        self._lock_path(key).unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return [_version_id(blob)]

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Record or lift a legal hold in the sidecar."""
        self._write_lock_state(key, replace(self.lock_state(key), legal_hold=on))

    def set_retention(self, key: str, until: datetime.date) -> None:
        """Record a retention date, refusing to shorten one that has not yet passed."""
        state = self.lock_state(key)
        current = state.retain_until
        if current is not None and current > utc_today() and until < current:
            raise RetentionLocked(f"{key} is retained until {current}; it cannot be shortened")
        if until <= utc_today():
            return  # a date already passed protects nothing, as in `put`
        self._write_lock_state(key, replace(state, retain_until=until))

    def list_keys(self, prefix: str) -> Iterator[tuple[str, datetime.datetime]]:
        """Keys under `prefix` with their files' modification times; a key is read from its
        envelope's header (file names are hashes), so only the first bytes of each file are read."""
        for path in self._objects.glob(f"*/*{_OBJECT_SUFFIX}"):
            try:
                with path.open("rb") as handle:
                    head = handle.read(_HEADER_READ)
                written = path.stat().st_mtime
            except FileNotFoundError:
                continue  # destroyed while we looked
            key = _parse(head).object_key
            if key.startswith(prefix):
                yield key, datetime.datetime.fromtimestamp(written, datetime.timezone.utc)

    def read_sealed(self, key: str) -> bytes:
        """The object's file as stored, still encrypted: what a backup copies."""
        return self._read(key)

    def write_sealed(self, key: str, blob: bytes, lock: LockState) -> None:
        """Put back a file `read_sealed` gave, with its protection, without opening it (a restore
        may run before the key is checked). Refuses a file sealed for another key, as `get` would."""
        if _parse(blob).object_key != key:
            raise IntegrityError(f"the file given for {key!r} holds another object")
        path = self.path_for(key)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        self._write_lock_state(key, lock)
        write_atomically(path, blob)

    def holds_objects(self) -> bool:
        """Whether any object is stored (a restore goes only into an empty store)."""
        return any(self._objects.glob(f"*/*{_OBJECT_SUFFIX}"))

    def rotate_key(self) -> str:
        """Make a fresh key current for new writes; objects sealed with older keys still open."""
        return self._keyring.rotate()

    def key_id_of(self, key: str) -> str:
        """The id of the key that sealed `key`, to see what still depends on an old key."""
        return _parse(self._read(key)).key_id

    def reencrypt_all(self) -> int:
        """Re-seal every object not under the current key; return how many were re-sealed.

        Run it while nothing else writes to the store: it rewrites each file in place.
        """
        count = 0
        for path in sorted(self._objects.glob(f"*/*{_OBJECT_SUFFIX}")):
            blob = path.read_bytes()
            envelope = _parse(blob)
            if envelope.key_id == self._keyring.current_id:
                continue
            if self.path_for(envelope.object_key) != path:  # else a swapped file would be re-sealed
                raise IntegrityError(f"{path.name} holds an object filed under another key")
            data = self._open(envelope.object_key, blob)
            write_atomically(path, self._seal(envelope.object_key, data, envelope.sha256))
            count += 1
        return count

    def path_for(self, key: str) -> Path:
        """The file holding `key`: named by the key's SHA-256, so no key can shape a path."""
        name = hashlib.sha256(check_key(key).encode()).hexdigest()
        return self._objects / name[:2] / (name + _OBJECT_SUFFIX)

    def _lock_path(self, key: str) -> Path:
        return self.path_for(key).with_suffix(_LOCK_SUFFIX)

    def _read(self, key: str) -> bytes:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    def _seal(self, key: str, data: bytes, digest: bytes) -> bytes:
        key_id, secret = self._keyring.current()
        header = _header(key_id, key, digest)
        nonce = os.urandom(NONCE_BYTES)
        return header + nonce + AESGCM(secret).encrypt(nonce, data, header)

    def _open(self, key: str, blob: bytes) -> bytes:
        envelope = _parse(blob)
        if envelope.object_key != key:
            raise IntegrityError(f"the file for {key!r} holds {envelope.object_key!r}: swapped?")
        header = _header(envelope.key_id, key, envelope.sha256)
        secret = self._keyring.find(envelope.key_id)
        try:
            data = AESGCM(secret).decrypt(envelope.nonce, envelope.ciphertext, header)
        except InvalidTag:
            raise IntegrityError(f"{key!r} failed authentication: tampered or corrupt") from None
        if hashlib.sha256(data).digest() != envelope.sha256:
            raise IntegrityError(f"{key!r} does not match its recorded SHA-256")
        return data

    def _refuse_if_locked(self, key: str) -> None:
        state = self._read_lock_state(key)
        if state.prevents_destruction(utc_today()):
            raise RetentionLocked(f"{key} is under legal hold or retention ({state})")

    def _read_lock_state(self, key: str) -> LockState:
        try:
            raw = json.loads(self._lock_path(key).read_bytes())
        except FileNotFoundError:
            return LockState()
        until = raw.get("retain_until")
        return LockState(
            legal_hold=bool(raw.get("legal_hold")),
            retain_until=datetime.date.fromisoformat(until) if until else None,
        )

    def _write_lock_state(self, key: str, state: LockState) -> None:
        path = self._lock_path(key)
        if state == LockState():
            path.unlink(missing_ok=True)
            return
        until = state.retain_until.isoformat() if state.retain_until else None
        record = {"legal_hold": state.legal_hold, "retain_until": until}
        write_atomically(path, json.dumps(record).encode())
