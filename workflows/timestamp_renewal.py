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

`RENEWAL_WINDOW`, a year, is docgen's own default, not a council's policy: it leaves eleven more
monthly runs to succeed if the authority or the worker is down when a record falls due.

Nothing is renewed while the authority still signs with the certificate the record's last timestamp
ends with (a new timestamp would end no later), and a record without a document timestamp (sealed
B-B, with no authority configured then) is left alone: a timestamp made now cannot date its seal.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from pyhanko.pdf_utils.misc import PdfError
from sqlalchemy import func, select

from documents import seal
from kernel.config import ConfigError
from storage import audit, filing
from storage.backends.base import ObjectMissing
from storage.models import Agreement, DocumentVersion, Person, Record
from workflows.deployment import Work

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
    """What a run did: the records renewed, those due that could not be (why, by row id), and why it
    stopped before the end, if it did."""

    renewed: list[Renewed] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    stopped: str = ""


def renew_due(uow: Work, now: dt.datetime, within: dt.timedelta = RENEWAL_WINDOW) -> RenewalRun:
    """Renew each live final PDF whose last document timestamp's authority certificate ends before
    `now + within` (`now` naive UTC, as `kernel.clock` gives it). Each is read in a short transaction,
    stamped with none open (the authority may take seconds), and filed in its own commit, so a
    second run, or one after a failure, renews nothing twice. A record whose last timestamp no longer
    validates is refused and logged; an authority that does not answer stops the run (the task is
    retried)."""
    config = uow.deployment.config
    stamper = seal.timestamper_for(config)
    if stamper is None:
        raise ConfigError("DOCGEN_TIMESTAMP_URL is not set: no authority to renew archive timestamps with")
    before = now.replace(tzinfo=dt.timezone.utc) + within
    with uow:
        ids = list(uow.session.scalars(select(DocumentVersion.id).where(
            DocumentVersion.kind == "final_pdf", DocumentVersion.destroyed_at.is_(None)).order_by(DocumentVersion.id)))
    authority_ends: dt.datetime | None = None
    run = RenewalRun()
    for version_id in ids:
        try:
            found = _read(uow, version_id)
            ends = seal.archive_expires(found[1]) if found else None
        except _UNRENEWABLE as exc:
            _refuse(run, version_id, exc)
            continue
        if found is None or ends is None or ends >= before:
            continue
        authority_ends = authority_ends or seal.authority_expires(stamper)  # asked once, when first needed
        if authority_ends <= ends:
            stopped = (f"records are due, but the authority's certificate ends {authority_ends:%Y-%m-%d}, no "
                       "later than theirs: it must issue a new one first")
            log.warning("archive timestamps not renewed: %s", stopped)
            return RenewalRun(run.renewed, run.refused, stopped)
        try:
            renewed = seal.renew(found[1], stamper, seal.renewal_context(config))
        except _UNRENEWABLE as exc:
            _refuse(run, version_id, exc)
            continue
        filed = _file(uow, version_id, found[0], renewed, ends)
        if filed is not None:
            run.renewed.append(filed)
    return run


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
    """File the renewed bytes in place of the ones read, audited, in one commit; nothing if the row
    changed meanwhile (destroyed, or renewed by another run). Retention destroys a person's documents
    holding their row (`workflows.retention.run`), so the person is locked first, as there, and the
    version read again after: a destruction or another renewal committed meanwhile is seen, and the
    SHA-256 stamped must still be the row's (compare-and-set)."""
    db = uow.session
    with uow:
        supervisee_id = db.scalar(select(func.coalesce(Record.supervisee_id, Agreement.supervisee_id))
                                  .select_from(DocumentVersion)
                                  .outerjoin(Record, DocumentVersion.record_id == Record.id)
                                  .outerjoin(Agreement, DocumentVersion.agreement_id == Agreement.id)
                                  .where(DocumentVersion.id == version_id))
        if supervisee_id is None:
            return None
        db.get_one(Person, supervisee_id, with_for_update=True, populate_existing=True)
        row = db.get(DocumentVersion, version_id, populate_existing=True)
        if row is None or row.destroyed_at is not None or row.sha256 != sha256_before:
            return None
        filing.refile_document(db, uow.store, row, renewed)
        owner = ("record", row.record_id) if row.record_id else ("agreement", row.agreement_id)
        audit.record(db, "document.archive_timestamp_renewed", object_type=owner[0], object_id=owner[1] or "",
                     detail={"version": row.version, "sha256_before": sha256_before, "sha256": row.sha256,
                             "last_authority_ended": ended.isoformat()})
        return Renewed(version_id, sha256_before, row.sha256)
