"""The audit chain's head, recorded outside the database after each commit.

The hash chain (`storage.audit`) shows an entry edited or removed from the middle of the log, but
not the last entries deleted: what is left still links. So after each commit that appended to the
chain, its last entry (id and hash) is also written where the application cannot rewrite it:

- an S3 bucket with Object Lock: one small object per head, retained by the bucket (COMPLIANCE by
  default), so not even docgen's own credentials can remove it before its date;
- otherwise a file beside the local store (`audit-head.log`), opened for appending only, one
  fsynced line per commit.

`docgen audit verify` then checks that the latest recorded head is still in the chain with the
same hash. Heads of concurrent commits may be written out of order; the latest is the highest id.

Where a time-stamping authority is configured, the latest head is also dated once a day by it: an
RFC 3161 token over `head_message(head)`, kept in the same log (a second append-only file, or
retained objects beside the heads). docgen's own clock and storage then need not be believed for
when an entry existed: the token shows it, and `docgen audit verify` names the last entry so dated.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.backends.base import DocumentStore, StorageError
from storage.backends.local import LocalStore
from storage.backends.s3 import S3Store
from storage.models import AuditEvent

HEAD_FILE_NAME = "audit-head.log"
TOKEN_FILE_NAME = "audit-head-timestamps.log"
_LINE = re.compile(r"(\d+) ([0-9a-f]{64})")
_TOKEN_LINE = re.compile(r"(\d+) ([0-9a-f]{64}) ([A-Za-z0-9+/=]+)")


@dataclass(frozen=True, order=True)
class Head:
    """The last entry of the chain as one commit left it."""

    entry_id: int
    hash: str


def head_message(head: Head) -> bytes:
    """The bytes a timestamp token is asked over for `head`: its id and hash, said to be docgen's."""
    return f"docgen audit head {head.entry_id} {head.hash}".encode()


@dataclass(frozen=True)
class DatedHead:
    """A head and the RFC 3161 token (DER) an authority gave over its `head_message`."""

    head: Head
    token: bytes


class HeadLog(Protocol):
    """Where heads are recorded; `where` names it in messages."""

    where: str

    def append(self, head: Head) -> None:
        """Record `head` durably (called after the commit that wrote it)."""
        ...

    def recorded(self) -> list[Head]:
        """Every head recorded, in no particular order."""
        ...

    def latest(self) -> Head | None:
        """The head with the highest entry id, or None if none was recorded."""
        ...

    def restore(self, heads: list[Head], tokens: list[DatedHead]) -> None:
        """Make a restored deployment's log hold `heads` and the `tokens` dating them (from a
        backup of its database)."""
        ...

    def keep_token(self, dated: DatedHead) -> None:
        """Keep a timestamp token beside the heads, as durably as a head."""
        ...

    def tokens(self) -> list[DatedHead]:
        """Every timestamp token kept, in no particular order."""
        ...


class AppendOnlyFile:
    """Heads as lines `<id> <hash>` in a file only ever opened with O_APPEND.

    Each head is one write(2) of one short line, which the kernel appends whole even when several
    processes append at once, then fsync: a head is durable before the request that made it ends.
    A line torn by a crash mid-write does not parse and is skipped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self.token_path = path.with_name(TOKEN_FILE_NAME)

    def append(self, head: Head) -> None:
        _append_line(self.path, f"{head.entry_id} {head.hash}")

    def keep_token(self, dated: DatedHead) -> None:
        _append_line(self.token_path, token_line(dated))

    def tokens(self) -> list[DatedHead]:
        try:
            return read_token_lines(self.token_path.read_text())
        except FileNotFoundError:
            return []

    def recorded(self) -> list[Head]:
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [Head(int(m[1]), m[2]) for m in map(_LINE.fullmatch, lines) if m]

    def latest(self) -> Head | None:
        return max(self.recorded(), default=None)

    def restore(self, heads: list[Head], tokens: list[DatedHead]) -> None:
        for head in sorted(heads):
            self.append(head)
        for dated in sorted(tokens, key=lambda each: each.head):
            self.keep_token(dated)


def token_line(dated: DatedHead) -> str:
    """A token as one line of the token file (and of a backup's copy of it): `<id> <hash> <base64 DER>`."""
    return f"{dated.head.entry_id} {dated.head.hash} {base64.b64encode(dated.token).decode()}"


def read_token_lines(text: str) -> list[DatedHead]:
    """The tokens in the lines `token_line` wrote; a line torn by a crash mid-write is skipped."""
    found = []
    for match in filter(None, map(_TOKEN_LINE.fullmatch, text.splitlines())):
        try:
            found.append(DatedHead(Head(int(match[1]), match[2]), base64.b64decode(match[3], validate=True)))
        except binascii.Error:
            continue  # torn by a crash mid-write, as a head line may be
    return found


def _append_line(path: Path, line: str) -> None:
    """One write(2) of one line to a file opened for appending only, then fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


class ObjectLockHeads:
    """Heads as empty objects in an Object Lock bucket, named `audit-head/<inverted id>-<hash>`.

    The id is inverted (a fixed width, counting down) so the first key in S3's key order is the
    latest head: finding it reads one listing page, however many heads there are. The listing is
    of object versions, so a delete marker (which Object Lock still allows) hides nothing.
    """

    PREFIX = "audit-head/"
    TOKEN_PREFIX = "audit-head-timestamp/"  # the token as the object's body, retained like a head
    _WIDTH = 12  # ids are PostgreSQL INTEGERs, far below 10**12

    def __init__(self, store: S3Store, retain_days: int) -> None:
        self._store = store
        self._retain_days = retain_days
        self.where = f"s3://{store.bucket}/{self.PREFIX}"

    def append(self, head: Head) -> None:
        # Retained long enough that deleting the chain's tail would also mean deleting these,
        # which the bucket refuses until the date has passed.
        until = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=self._retain_days)
        self._store.put(self._key(head), b"", retain_until=until)

    def recorded(self) -> list[Head]:
        return [self._head(key) for key in self._store.stored_keys(self.PREFIX)]

    def latest(self) -> Head | None:
        first = self._store.stored_keys(self.PREFIX, limit=1)
        return self._head(first[0]) if first else None

    def restore(self, heads: list[Head], tokens: list[DatedHead]) -> None:
        """The bucket is not copied by a backup, so it must already hold the backup's latest head
        (and the tokens, retained there as long as the heads)."""
        wanted = max(heads, default=None)
        if wanted is not None and not self._store.exists(self._key(wanted)):
            raise StorageError(f"the bucket has no audit head for entry {wanted.entry_id}: "
                               "restore into the deployment's own Object Lock bucket")

    def keep_token(self, dated: DatedHead) -> None:
        until = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=self._retain_days)
        self._store.put(self._key(dated.head, self.TOKEN_PREFIX), dated.token, retain_until=until)

    def tokens(self) -> list[DatedHead]:
        return [DatedHead(self._head(key, self.TOKEN_PREFIX), self._store.get(key))
                for key in self._store.stored_keys(self.TOKEN_PREFIX)]

    def _key(self, head: Head, prefix: str = PREFIX) -> str:
        return f"{prefix}{10 ** self._WIDTH - 1 - head.entry_id:0{self._WIDTH}d}-{head.hash}"

    def _head(self, key: str, prefix: str = PREFIX) -> Head:
        inverted, digest = key[len(prefix):].split("-")
        return Head(10 ** self._WIDTH - 1 - int(inverted), digest)


class _BucketOrFile:
    """For an S3 store: whether the bucket has Object Lock is asked over the network, so the choice
    waits for the first head rather than holding up (or failing) the process's start."""

    def __init__(self, store: S3Store, fallback: Path, retain_days: int) -> None:
        self._store, self._fallback, self._retain_days = store, fallback, retain_days

    @functools.cached_property
    def _log(self) -> HeadLog:
        if self._store.object_lock:
            return ObjectLockHeads(self._store, self._retain_days)
        return AppendOnlyFile(self._fallback)

    @property
    def where(self) -> str:
        return self._log.where

    def append(self, head: Head) -> None:
        self._log.append(head)

    def recorded(self) -> list[Head]:
        return self._log.recorded()

    def latest(self) -> Head | None:
        return self._log.latest()

    def restore(self, heads: list[Head], tokens: list[DatedHead]) -> None:
        self._log.restore(heads, tokens)

    def keep_token(self, dated: DatedHead) -> None:
        self._log.keep_token(dated)

    def tokens(self) -> list[DatedHead]:
        return self._log.tokens()


def open_head_log(store: DocumentStore, instance_path: Path, retain_days: int = 366) -> HeadLog:
    """The bucket where it enforces Object Lock; else a file beside the local store (or, for a
    bucket without Object Lock, in the instance folder).

    Heads in the bucket are kept a year: truncating the chain means removing the heads written
    since, the newest of which is as recent as the last commit, so any retention longer than the
    time between a commit and the next `docgen audit verify` is enough.
    """
    if isinstance(store, S3Store):
        return _BucketOrFile(store, instance_path / HEAD_FILE_NAME, retain_days)
    if isinstance(store, LocalStore):
        return AppendOnlyFile(store.root / HEAD_FILE_NAME)
    raise StorageError(f"no audit head log for a {store.name} store")


def date_latest(heads: HeadLog, stamp: Callable[[bytes], bytes]) -> DatedHead | None:
    """Have the latest head dated: `stamp` asks the time-stamping authority for a token over the
    bytes it is given. Nothing is asked when no head is recorded or the latest is dated already
    (the daily task is then safe to run twice, and a quiet day costs no request)."""
    latest = heads.latest()
    if latest is None or any(dated.head == latest for dated in heads.tokens()):
        return None
    dated = DatedHead(latest, stamp(head_message(latest)))
    heads.keep_token(dated)
    return dated


@dataclass(frozen=True)
class DatingReport:
    """What the kept timestamp tokens show: the last entry independently dated, and any token
    that does not hold (over other data, an untrusted authority, or an entry no longer in the
    chain as it was)."""

    last: Head | None = None
    dated_at: dt.datetime | None = None
    problems: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the operator (and one more per problem)."""
        if self.last is None or self.dated_at is None:
            found = "no entry dated by the time-stamping authority"
        else:
            when = self.dated_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            found = f"entry {self.last.entry_id} dated by the TSA at {when}"
        return "\n".join([found, *self.problems])


def check_tokens(db: Session, heads: HeadLog, time_of: Callable[[bytes, bytes], dt.datetime]) -> DatingReport:
    """Check every kept token: `time_of(token, message)` returns the time a trusted authority's
    token gives `message` (raising ValueError when it does not hold), and the head it dates must
    still be in the chain with the same hash."""
    last: tuple[Head, dt.datetime] | None = None
    problems = []
    for dated in sorted(heads.tokens(), key=lambda each: each.head):
        head = dated.head
        try:
            when = time_of(dated.token, head_message(head))
        except ValueError as exc:
            problems.append(f"the timestamp of entry {head.entry_id} does not hold: {exc}")
            continue
        if db.scalar(select(AuditEvent.hash).where(AuditEvent.id == head.entry_id)) != head.hash:
            problems.append(f"entry {head.entry_id}, dated at {when:%Y-%m-%dT%H:%M:%SZ}, "
                            "is no longer in the chain as it was")
            continue
        last = (head, when)
    return DatingReport(*(last or (None, None)), problems=tuple(problems))
