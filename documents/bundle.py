"""The HR bundle's format: one zip of documents with a manifest and how to verify them, streamed.

The zip is written into a small buffer that is emptied after every piece, and each document is
read chunk by chunk from the source it is handed, so memory stays at about one chunk however
large the bundle. Each document is checked against its recorded SHA-256 as it passes; a
mismatch aborts the stream. What goes in (which documents, their numbers and signers) is decided
by `workflows.export`; this module knows only the format.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from kernel import clock
from storage.backends.base import IntegrityError

MANIFEST_FIELDS = ("document_number", "kind", "date", "status", "file", "document_kind", "version", "sha256",
                   "size", "signed_by")
VERIFY_TEXT = """How to check these documents
=============================

Each final PDF is sealed with the organisation's certificate. To check one is genuine and
unaltered, upload it to the /verify page of docgen, or run:

    docgen verify FILE

Every file in this bundle is listed in manifest.csv and manifest.json with its SHA-256. To check
a file has not changed since it was filed, compute its SHA-256 and compare, e.g.:

    sha256sum AG-000001-agreement.pdf        (Linux)
    shasum -a 256 AG-000001-agreement.pdf    (macOS)
    certutil -hashfile AG-000001-agreement.pdf SHA256    (Windows)

A document listed with no file had no final version when the bundle was made (for example a
draft never signed); its content is in docgen, not in this bundle.
"""


@dataclass(frozen=True)
class Entry:
    """One manifest line: a record or agreement, and the stored document exported for it."""

    document_number: str
    kind: str
    date: str
    status: str
    file: str
    document_kind: str
    version: int | None
    sha256: str
    size: int | None
    signed_by: str


@dataclass(frozen=True)
class Member:
    """One file of the zip and where its bytes come from (kept apart from the manifest, which
    never shows storage keys); `chunks` is called only when the file's turn comes."""

    name: str
    sha256: str
    size: int
    chunks: Callable[[], Iterator[bytes]]


class _Spool(io.RawIOBase):
    """A write-only stream that keeps what was written until drained: ZipFile writes here and the
    generator hands each piece on, so nothing larger than one chunk piles up."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def zip_stream(folder: str, summary: dict[str, object], entries: list[Entry],
               members: list[Member]) -> Iterator[bytes]:
    """The bundle as a stream of bytes: the documents, manifest.csv, manifest.json and VERIFY.txt
    in one folder."""
    spool = _Spool()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            info = zipfile.ZipInfo(f"{folder}/{member.name}", date_time=clock.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = member.size
            digest = hashlib.sha256()
            with archive.open(info, "w") as out:
                for chunk in member.chunks():
                    digest.update(chunk)
                    out.write(chunk)
                    yield from _pending(spool)
            if digest.hexdigest() != member.sha256:
                raise IntegrityError(f"{member.name} does not match its recorded SHA-256; the export is aborted")
        archive.writestr(f"{folder}/manifest.csv", _csv(entries))
        archive.writestr(f"{folder}/manifest.json", json.dumps(summary, indent=2))
        archive.writestr(f"{folder}/VERIFY.txt", VERIFY_TEXT)
    yield from _pending(spool)


def _pending(spool: _Spool) -> Iterator[bytes]:
    """What the zip has written since last asked, if anything (deflate holds some back)."""
    data = spool.drain()
    if data:
        yield data


def _csv(entries: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    for entry in entries:
        writer.writerow(asdict(entry))
    return out.getvalue()
