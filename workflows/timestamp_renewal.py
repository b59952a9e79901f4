"""Keeping sealed records checkable for as long as they are kept: a new archive timestamp on each
before the authority that dated it last can no longer be checked (issue 25, "Records that last").

A record sealed where a time-stamping authority is configured is PAdES B-LTA (`documents.seal`):
its last document timestamp dates everything before it, but only while that authority's
certificate is valid. After that `docgen verify` says the record cannot be checked
(`seal.RENEWAL_NEEDED`) until a new timestamp, made while the old one still validates, vouches
for it. So once a month (`docgen.tasks`: `renew_archive_timestamps`, or `docgen renew-timestamps`)
every filed final PDF whose last timestamp's authority certificate ends within the window gets one
more (`seal.renew`), filed in place of the old bytes (`filing.refile_document`: the new bytes are
written and checked, and the row takes their SHA-256 in one commit) and audited. The old copy is kept,
named as an earlier copy, so one downloaded before is still recognised (`workflows.pipeline.verify`),
until retention destroys it with the record. A record that cannot be renewed (damaged, missing, not
readable) is reported in the run's `refused` and the run goes on.

The run reads from the store only the PDFs falling due: each final PDF's row keeps when its last
timestamp's authority certificate ends (`DocumentVersion.archive_expires_at`, stored when it is
sealed and when it is renewed: `note_archive_expiry`), and the run selects by it. A PDF filed before
that was kept (revision 0019) is read once, by the next run, which stores it.

`RENEWAL_WINDOW`, a year, is docgen's own default, not a council's policy: it leaves eleven more
monthly runs to succeed if the authority or the worker is down when a record falls due.

A record is left as it is while the authority still signs with the certificate its last timestamp
ends with (a new timestamp would end no later): the run says so and goes on to the records stamped
under an older certificate. A record without a document timestamp (sealed B-B, with no authority
configured then) is left alone: a timestamp made now cannot date its seal.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pyhanko.pdf_utils.misc import PdfError
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from documents import seal
from kernel.config import ConfigError
from storage import audit, filing
from storage.backends.base import ObjectMissing
from storage.models import ARCHIVE_UNREAD, Agreement, DocumentVersion, Person, Record
from workflows import group_records
from workflows.deployment import Work

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

log = logging.getLogger(__name__)

_UNRENEWABLE = (filing.DamagedDocument, ObjectMissing, PdfError, ValueError)
"""What makes one record unrenewable without stopping the run: its copy damaged or missing from the
store, bytes pyHanko cannot read, or (ValueError, from `seal.renew`) no valid timestamp to renew."""

RENEWAL_WINDOW = dt.timedelta(days=365)
"""How long before the last timestamp's authority certificate ends a record is renewed: docgen's
default, for the reason in the module docstring."""


@dataclass(frozen=True)
class Renewed:
    """One final PDF given a new archive timestamp: its row, and its SHA-256 before and after."""

    version_id: int
    sha256_before: str
    sha256: str


@dataclass(frozen=True)
class RenewalRun:
    """What a run did: the records renewed, those due that could not be (why, by row id), and why
    those due that the authority cannot renew yet were left (`stopped`), if any were."""

    renewed: list[Renewed] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    stopped: str = ""


def renew_due(uow: Work, now: dt.datetime, within: dt.timedelta = RENEWAL_WINDOW) -> RenewalRun:
    """Renew each live final PDF whose last document timestamp's authority certificate ends before
    `now + within` (`now` naive UTC, as `kernel.clock` gives it). Only those whose stored end
    (`DocumentVersion.archive_expires_at`) falls before then are read, with those not read yet, whose
    end is stored as they are read. Each is read in a short transaction, stamped with none open (the
    authority may take seconds), and filed in its own commit, so a second run, or one after a
    failure, renews nothing twice. A record whose last timestamp no longer validates is refused and
    logged; one whose last authority's certificate ends no earlier than the authority's own is left
    for its next certificate, and the run goes on to the rest; an authority that does not answer
    stops the run (the task is retried)."""
    stamper = seal.timestamper_for(uow.deployment.config)
    if stamper is None:
        raise ConfigError("DOCGEN_TIMESTAMP_URL is not set: no authority to renew archive timestamps with")
    before = now.replace(tzinfo=dt.timezone.utc) + within
    authority_ends: dt.datetime | None = None
    run, held = RenewalRun(), 0
    for version_id in _to_read(uow, before):
        try:
            found = _read(uow, version_id)
            ends = seal.archive_expires(found[1]) if found else None
        except _UNRENEWABLE as exc:
            _refuse(run, version_id, exc)
            continue
        if found is None:
            continue
        if ends is not None and ends < before:
            authority_ends = authority_ends or seal.authority_expires(stamper)  # asked once, when first needed
            if ends < authority_ends:
                _renew(uow, run, (version_id, *found), ends, stamper)
                continue
            held += 1  # the next row may end sooner, stamped under an older certificate: the run goes on
        _remember(uow, version_id, found[0], ends)
    return _holding_back(run, held, authority_ends)


def _holding_back(run: RenewalRun, held: int, authority_ends: dt.datetime | None) -> RenewalRun:
    """The run, saying why `held` records due were left as they are, if any were: a new timestamp
    from an authority whose certificate ends no later than their last one's would not outlast it."""
    if not held:
        return run
    why = (f"{held} record(s) due, but the authority's certificate ends {authority_ends:%Y-%m-%d}, no later than "
           "theirs: it must issue a new one first")
    log.warning("archive timestamps not renewed: %s", why)
    return replace(run, stopped=why)


def note_archive_expiry(row: DocumentVersion, pdf: bytes) -> None:
    """Store on a final PDF's row what renewal decides by (`seal.archive_expires`), read from the bytes
    it now holds: sealing (`workflows.pipeline`) and renewal call it, so a monthly run reads the PDF
    again only once it falls due. Bytes pyHanko cannot read leave the row unread, for the monthly run
    to read and report like any unreadable copy: filing a record never fails for the sake of renewal."""
    try:
        ends = seal.archive_expires(pdf)
    except PdfError:
        return
    for column, value in _archive_columns(ends).items():
        setattr(row, column, value)


def _archive_columns(ends: dt.datetime | None) -> dict[str, Any]:
    """Whether a final PDF has a document timestamp, and when its last authority's certificate ends."""
    return {"archive_timestamped": ends is not None, "archive_expires_at": None if ends is None else _naive_utc(ends)}


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` as the database keeps times: UTC, without a zone."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _to_read(uow: Work, before: dt.datetime) -> list[int]:
    """The live final PDFs to read: those whose stored end falls before `before`, and those not read
    yet (filed before revision 0019), in filing order. The second condition is the partial index's
    (`ARCHIVE_UNREAD`) word for word, so neither query reads the rows far from their end."""
    due = (DocumentVersion.kind == "final_pdf", DocumentVersion.destroyed_at.is_(None),
           DocumentVersion.archive_expires_at < _naive_utc(before))
    with uow:
        db = uow.session
        return sorted({*db.scalars(select(DocumentVersion.id).where(*due)),
                       *db.scalars(select(DocumentVersion.id).where(text(ARCHIVE_UNREAD)))})


def _remember(uow: Work, version_id: int, sha256: str, ends: dt.datetime | None) -> None:
    """Store the end read from a PDF not yet due, so later runs do not read it until it is; only while
    the row still holds the bytes read (a renewal filed meanwhile stored its own)."""
    with uow:
        uow.session.execute(update(DocumentVersion)
                            .where(DocumentVersion.id == version_id, DocumentVersion.sha256 == sha256)
                            .values(**_archive_columns(ends)))


def _renew(uow: Work, run: RenewalRun, found: tuple[int, str, bytes], ends: dt.datetime,
           stamper: TimeStamper) -> None:
    """Stamp one due PDF (`found`: its row id, SHA-256 and bytes) with no transaction open, and file
    it; a PDF that cannot be stamped is refused."""
    version_id, sha256, pdf = found
    try:
        renewed = seal.renew(pdf, stamper, seal.renewal_context(uow.deployment.config))
    except _UNRENEWABLE as exc:
        _refuse(run, version_id, exc)
        return
    filed = _file(uow, version_id, sha256, renewed, ends)
    if filed is not None:
        run.renewed.append(filed)


def _refuse(run: RenewalRun, version_id: int, problem: Exception) -> None:
    """One record that cannot be renewed (damaged, missing from the store, not a readable PDF, its
    last timestamp no longer valid) is logged and reported, and the run goes on to the next."""
    log.error("the archive timestamp of document version %s cannot be renewed: %s", version_id, problem)
    run.refused[version_id] = str(problem) or type(problem).__name__


def _read(uow: Work, version_id: int) -> tuple[str, bytes] | None:
    """A live final PDF's SHA-256 and bytes, in a transaction that ends at once (nothing was written,
    and on SQLite each transaction holds the write lock)."""
    with uow:
        row = uow.session.get(DocumentVersion, version_id)
        if row is None or row.destroyed_at is not None:
            return None
        return row.sha256, filing.read_document(uow.session, uow.store, row)


def _file(uow: Work, version_id: int, sha256_before: str, renewed: bytes, ended: dt.datetime) -> Renewed | None:
    """File the renewed bytes in place of the ones read, with the end of their new last timestamp,
    audited, in one commit; nothing if the row changed meanwhile (destroyed, or renewed by another
    run). Retention destroys a person's documents holding their row (`workflows.retention.run`), so
    the people whose file holds the document are locked first (`_lock_holders`), and the version read
    again after: a destruction or another renewal committed meanwhile is seen, and the SHA-256
    stamped must still be the row's (compare-and-set)."""
    db = uow.session
    with uow:
        row = db.get(DocumentVersion, version_id)
        if row is None or not _lock_holders(db, row):
            return None
        db.refresh(row)
        if row.destroyed_at is not None or row.sha256 != sha256_before:
            return None
        filing.refile_document(db, uow.store, row, renewed)
        note_archive_expiry(row, renewed)
        kind, owner_id = row.owner
        audit.record(db, "document.archive_timestamp_renewed", object_type=kind, object_id=owner_id,
                     detail={"version": row.version, "sha256_before": sha256_before, "sha256": row.sha256,
                             "last_authority_ended": ended.isoformat()})
        return Renewed(version_id, sha256_before, row.sha256)


def _lock_holders(db: Session, row: DocumentVersion) -> bool:
    """Lock, in id order (so two runs, or a run and retention, never wait on each other in a circle),
    the row of each person whose file holds the document: the supervisee of an agreement or a 1:1
    record; the recorder and everyone present of a group record (issue 23), since retention destroys
    it holding whichever of them falls due last. False if its owner is gone. FOR NO KEY UPDATE, as
    retention locks them: it excludes retention and another run, but not a request inserting an
    audit row that names one of them (its foreign key takes FOR KEY SHARE), which holds the audit
    lock this filing waits for next: FOR UPDATE would make the two wait on each other."""
    if row.agreement_id is not None:
        agreement = db.get(Agreement, row.agreement_id)
        people = [agreement.supervisee_id] if agreement else []
    else:
        record = db.get(Record, row.record_id)
        people = [] if record is None else [holder.id for holder in group_records.holders(db, record)]
    for person_id in sorted(people):
        db.get_one(Person, person_id, with_for_update={"key_share": True}, populate_existing=True)
    return bool(people)
