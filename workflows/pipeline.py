"""A document's files, from its Word file to the sealed PDF: render, file, review PDF, final PDF,
seal, verify.

Sending for sign-off fixes the bytes to be signed: the rendered DOCX of that version is filed
before any link goes out (`send_for_signoff`). The PDFs are made by the worker, never in a
request, each by one function here that its task calls: `make_review_pdf` (what a signer may
download), `finalise` (certificate page, one warm LibreOffice conversion, the organisation's PAdES
seal, filed under retention's protection) and `unfinalised` (the sweep for lost tasks). Each
re-reads its rows and does nothing if its work is done, so a retried or duplicated task is safe.
`verify` tells anyone whether a PDF is one of ours.

The pipeline sits above `workflows.signoff` (it prints sign-off's evidence on the certificate page
and finalises only what sign-off made signed) and `workflows.retention` (whose protection the final
PDF is filed under); that is why sending, which files the DOCX, starts here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents import seal
from documents.render import DEFAULT_TEMPLATE_DIR, WordDocument, docx_bytes, rendered, template_path
from storage import audit, superseded_copies
from kernel.errors import NotFound
from storage.filing import file_document, read_document
from storage.models import Agreement, AuditEvent, DocumentVersion, Record, SupersededCopy
from workflows import case_notes, events, records, retention, revisions, signoff, timestamp_renewal
from workflows.access import Caller
from workflows.agreements import agreement_context
from workflows.deployment import Deployment, Work
from workflows.records import record_context
from workflows.signoff import Document


def _search_dirs(deployment: Deployment) -> list[Path]:
    own = deployment.config.template_dir
    return ([Path(own)] if own else []) + [DEFAULT_TEMPLATE_DIR]


def record_docx(deployment: Deployment, db: Session, record: Record) -> bytes:
    """The record as a DOCX, pre-filled with its current content and actions."""
    return docx_bytes(record_document(deployment, db, record))


def record_document(deployment: Deployment, db: Session, record: Record) -> WordDocument:
    """The record rendered as `record_docx` renders it, not yet saved (a download adds to it)."""
    return rendered(*draft_rendering(deployment, db, record))


def draft_rendering(deployment: Deployment, db: Session, owner: Record | Agreement) -> tuple[Path, dict[str, Any]]:
    """What a record's or an agreement's Word file is rendered from as it stands: its template and
    its context. The same two render the same file, so the subject-access schedule keeps a draft's
    text by them and renders it again only when one changed."""
    profile = deployment.profile
    if isinstance(owner, Record):
        template = template_path(records.form_of(profile, owner).template, _search_dirs(deployment))
        return template, record_context(db, profile, deployment.organisation(db), owner)
    template = template_path(profile.agreement_template, _search_dirs(deployment))
    return template, agreement_context(profile, deployment.organisation(db), owner)


def agreement_docx(deployment: Deployment, db: Session, agreement: Agreement) -> bytes:
    """The agreement as a DOCX (K App A with a signature block)."""
    return docx_bytes(agreement_document(deployment, db, agreement))


def agreement_document(deployment: Deployment, db: Session, agreement: Agreement) -> WordDocument:
    """The agreement rendered as `agreement_docx` renders it, not yet saved (a download adds to it)."""
    return rendered(*draft_rendering(deployment, db, agreement))


def docx_filename(number: str, name: str) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")
    return f"{number}-{safe}.docx"


def send_for_signoff(uow: Work, caller: Caller, kind: str, document_id: int,
                     checked_revision: int | None = None) -> signoff.Progress:
    """The supervisor sends a draft, or a revision after a disagreement (a new version): this
    version's DOCX is filed, then the first signer is e-mailed a link, in one commit (a refusal
    rolls back, the filed DOCX with it). The worker makes the review PDF once this commits. Sent
    from the page that showed the saved record before sending, `checked_revision` is the revision
    that page showed: a record changed since is refused (PreconditionFailed), so what is sent is
    what the supervisor checked."""
    db, deployment = uow.session, uow.deployment
    with uow:
        document = signoff.for_supervisor(uow, caller, kind, document_id, "signoff.send")
        if checked_revision is not None:
            revisions.expect(document, checked_revision, kind)
        if document.status == signoff.CHANGES_REQUESTED:
            signoff.new_version(db, document, caller.person)
        data = (record_docx(deployment, db, document) if isinstance(document, Record)
                else agreement_docx(deployment, db, document))
        row = file_document(db, uow.store, version=document.version, kind="docx", data=data, **{kind: document})
        signoff.send(db, deployment.profile, document, caller.person, docx=row,
                     base_url=deployment.base_url, caller=caller)
    return signoff.progress(uow, document)


def _end_reading(uow: Work) -> None:
    """End the transaction that only read, before a conversion or a seal that takes seconds: on
    SQLite every transaction holds the write lock from its start (BEGIN IMMEDIATE, for the audit
    chain), so web requests would wait for the conversion. Nothing was written, so it rolls back:
    the step's one commit is the filing after it, which first checks again that no other worker
    filed the same file meanwhile."""
    uow.rollback()


def make_review_pdf(uow: Work, kind: str, document_id: int, version: int) -> DocumentVersion | None:
    """File the PDF a signer may download from their link: the filed DOCX of that version,
    converted by the worker because a conversion must never hold up a web request. Does nothing
    if that version already has one, or is no longer out for signature (signed, or disagreed with,
    before the worker reached it: nobody will download it, and its final PDF is what is kept)."""
    db = uow.session
    document = _load(db, kind, document_id)
    if (document is None or document.version != version or document.status not in signoff.WAITING
            or signoff.filed_version(db, document, "review_pdf") is not None):
        return None
    docx = signoff.filed_version(db, document, "docx")
    if docx is None:
        return None
    source = read_document(db, uow.store, docx)
    _end_reading(uow)
    pdf = uow.deployment.converter().convert(source)
    with uow:
        if signoff.filed_version(db, document, "review_pdf") is not None:  # another worker was quicker
            return None
        return file_document(db, uow.store, version=version, kind="review_pdf", data=pdf, **{kind: document})


@dataclass(frozen=True)
class _ToSeal:
    """A signed version read for sealing: its filed Word file and its sign-off evidence."""

    document: Document
    version: int
    source: bytes
    evidence: dict[str, Any]


def finalise(uow: Work, kind: str, document_id: int, version: int) -> DocumentVersion | None:
    """Make, seal and file the final PDF of a signed version (the filed DOCX with its certificate
    page, one conversion, the organisation's seal), protected as retention decides; returns the
    existing one if it was made already, None when the version is not (or no longer) signed.
    Read, then seal with no transaction open, then file in the one commit (`_file_final_pdf`)."""
    found = _to_seal(uow, kind, document_id, version)
    if not isinstance(found, _ToSeal):
        return found
    _end_reading(uow)
    deployment = uow.deployment
    config = deployment.config
    signer = seal.organisation_signer(config)
    pdf = seal.finalise(found.source, found.evidence, converter=deployment.converter(), signer=signer,
                        timestamper=seal.timestamper_for(config),
                        validation_context=seal.long_term_context(config, signer),  # B-B with its validation data; B-LTA with a TSA
                        template_dirs=_search_dirs(deployment))
    return _file_final_pdf(uow, found, pdf)


def _to_seal(uow: Work, kind: str, document_id: int, version: int) -> _ToSeal | DocumentVersion | None:
    """What sealing `version` needs, or its final PDF if it exists, or None if it is not signed."""
    db = uow.session
    document = _load(db, kind, document_id)
    if document is None or document.status != signoff.SIGNED or document.version != version:
        return None
    existing = signoff.filed_version(db, document, "final_pdf")
    if existing is not None:
        return existing
    docx_row = signoff.filed_version(db, document, "docx")
    if docx_row is None:
        raise RuntimeError(f"{signoff.number(document)} v{version} is signed but its DOCX was never filed")
    return _ToSeal(document, version, read_document(db, uow.store, docx_row), signoff.certificate(db, document))


def _file_final_pdf(uow: Work, sealed: _ToSeal, pdf: bytes) -> DocumentVersion:
    """File the sealed PDF under retention's protection, audited and announced, in one commit; the
    e-mails that tell people of it are written by `DocumentSealed`'s subscribers (`workflows.notices`)."""
    db, document = uow.session, sealed.document
    kind = signoff.kind_of(document)
    with uow:
        existing = signoff.filed_version(db, document, "final_pdf")
        if existing is not None:  # another worker was quicker
            return existing
        protection = retention.protection_for(db, uow.deployment.profile, uow.store, document.supervisee,
                                              document if isinstance(document, Record) else None)
        row = file_document(db, uow.store, version=sealed.version, kind="final_pdf", data=pdf,
                            retain_until=protection.retain_until, legal_hold=protection.legal_hold,
                            **{kind: document})
        timestamp_renewal.note_archive_expiry(row, pdf)
        audit.record(db, "document.finalise", object_type=kind, object_id=document.id,
                     detail={"version": sealed.version, "sha256": row.sha256})
        # Heard by the webhooks and by `workflows.notices`: the supervisee's copy, the line managers
        uow.record(events.DocumentSealed(kind, document.id, sealed.version))
        if isinstance(document, Record) and uow.deployment.profile.case_notes:
            ids = case_notes.recorded_case_ids(uow.deployment.profile, document)
            if ids:
                uow.record(events.CaseNotesReady(document.id, sealed.version, tuple(ids)))
    return row


def unfinalised(uow: Work) -> list[tuple[str, int, int]]:
    """Signed documents whose current version has no final PDF yet: (kind, id, version) for the
    sweep to finalise (a lost task, or a worker that died)."""
    return _without_file(uow, "final_pdf", (signoff.SIGNED,))


def unconverted(uow: Work) -> list[tuple[str, int, int]]:
    """Documents out for signature whose current version has no review PDF yet: (kind, id,
    version) for the sweep to convert (a task lost with the queue, e.g. Redis down at sending)."""
    return _without_file(uow, "review_pdf", signoff.WAITING)


def _without_file(uow: Work, file_kind: str, statuses: tuple[str, ...]) -> list[tuple[str, int, int]]:
    pending: list[tuple[str, int, int]] = []
    for kind, model, owner in (("record", Record, DocumentVersion.record_id),
                               ("agreement", Agreement, DocumentVersion.agreement_id)):
        has_file = select(DocumentVersion.id).where(owner == model.id, DocumentVersion.kind == file_kind,
                                                    DocumentVersion.version == model.version).exists()
        pending += [(kind, i, v) for i, v in uow.session.execute(
            select(model.id, model.version).where(model.status.in_(statuses), ~has_file)).all()]
    return pending


def _load(db: Session, kind: str, document_id: int) -> Document | None:
    """The document a task names, or None if it is gone (the task then has nothing to do)."""
    try:
        return signoff.get_document(db, kind, document_id)
    except NotFound:
        return None


def verify(uow: Work, pdf: bytes) -> seal.Verdict:
    """Is this PDF a genuine, unaltered record of ours? (API, page and CLI all ask here.)

    The organisation's certificate is the only trust root (with the configured time-stamping
    authorities); one a CA issued must also be shown unrevoked when the seal was made, from the
    CA certificates its PKCS#12 holds. A genuine one is described from the final PDFs filed here,
    found by hash, an earlier copy (replaced by a renewed one) included (`_as_filed`). A copy filed
    here that no timestamp dates (B-B) has its revocation judged when it was filed (`_filing_time`):
    its OCSP answer goes stale within days, but the filing shows the seal existed while it was current."""
    config = uow.deployment.config
    signer = seal.organisation_signer(config)
    return _as_filed(seal.verify_pdf(pdf, signer.signing_cert, lambda sha256: _known_final_pdf(uow.session, sha256),
                                     tsa_certs=seal.timestamp_authorities(config),
                                     issuers=seal.issuers_of(signer),
                                     filed_at=lambda sha256: _filing_time(uow.session, sha256)))


def _as_filed(verdict: seal.Verdict) -> seal.Verdict:
    """The verdict on a PDF filed here, byte for byte, as the filing knows it.

    An earlier copy (one a renewal replaced: `workflows.timestamp_renewal`) is named as such. A filed
    copy's archive timestamp stops validating once its authority's certificate ends (RENEWAL_NEEDED),
    and for an earlier copy that is sure to happen: the holder of a copy downloaded
    before the renewal cannot renew it, and its bytes are the ones we sealed and filed, so it is
    "genuine", as filed here, not "altered", with the reason saying why the seal alone can no
    longer show it. Anything else the seal check found stands."""
    known = verdict.details.get("record")
    if known is None:
        return verdict
    earlier = "superseded_at" in known
    if verdict.status == "altered" and verdict.details.get("reason") == seal.RENEWAL_NEEDED:
        reason = (f"{'an earlier copy of ' if earlier else 'a copy of '}{known['document']} filed by this organisation, "
                  "byte for byte; its archive timestamp can no longer be checked (its authority's certificate "
                  "has expired)" + ("; a renewed copy is filed" if earlier else ", so it needs renewing"))
        return replace(verdict, status="genuine", record_id=verdict.record_id or known["document"],
                       details=verdict.details | {"reason": reason, "timestamp": seal.RENEWAL_NEEDED})
    if verdict.status == "genuine" and earlier:
        reason = f"an earlier copy of {known['document']}; a renewed copy is filed"
        return replace(verdict, details=verdict.details | {"reason": reason})
    return verdict


@dataclass(frozen=True)
class Verification:
    """The /verify page: the verdict on an uploaded PDF (None before one is uploaded) and whose
    seal a genuine one carries."""

    verdict: seal.Verdict | None
    organisation: str


def verification(uow: Work, pdf: bytes | None) -> Verification:
    """What the /verify page says: the verdict on the upload, if any, in the organisation's name."""
    return Verification(verify(uow, pdf) if pdf is not None else None,
                        uow.deployment.organisation(uow.session).name)


def _final_pdf(db: Session, sha256: str) -> tuple[DocumentVersion, SupersededCopy | None] | None:
    """The final PDF filed here with these exact bytes: its version row, and the earlier copy's row
    when they are the bytes a renewed copy replaced (`storage.superseded_copies`)."""
    row = db.scalar(select(DocumentVersion).where(DocumentVersion.sha256 == sha256,
                                                  DocumentVersion.kind == "final_pdf"))
    if row is not None:
        return row, None
    earlier = superseded_copies.find(db, sha256, "final_pdf")
    return None if earlier is None else (earlier[1], earlier[0])


FILING = "document.finalise"
"""The audit entry that files a sealed PDF's bytes, naming their SHA-256 (`_file_final_pdf`). A
renewal's entry is not asked: renewed bytes carry a document timestamp, which dates the seal first."""


def _filing_time(db: Session, sha256: str) -> dt.datetime | None:
    """When docgen filed these exact bytes as a final PDF, as its hash-chained audit log records it
    (editing that entry's time breaks the chain, which `docgen audit verify` names), in UTC; None for
    bytes never filed here, or filed without an entry. `seal.verify_pdf` judges a B-B seal's
    revocation at this time: the seal existed when its record was filed."""
    found = _final_pdf(db, sha256)
    if found is None:
        return None
    row = found[0]
    kind, owner_id = row.owner
    entries = db.scalars(select(AuditEvent).where(AuditEvent.action == FILING,
                                                  AuditEvent.object_type == kind,
                                                  AuditEvent.object_id == str(owner_id)).order_by(AuditEvent.id))
    return next((entry.at.replace(tzinfo=dt.timezone.utc) for entry in entries
                 if entry.detail.get("sha256") == sha256), None)


def _known_final_pdf(db: Session, sha256: str) -> dict[str, Any] | None:
    """What docgen knows of a final PDF by its hash: document, version, who signed and when; for the
    bytes a renewed copy replaced (`storage.superseded_copies`), also when they were replaced."""
    found = _final_pdf(db, sha256)
    if found is None:
        return None
    row, earlier = found
    document = db.get(Record, row.record_id) if row.record_id else db.get(Agreement, row.agreement_id)
    signed = [e for e in signoff.events(db, document)
              if e.version == row.version and e.event in ("agreed", "countersigned")]
    names = {document.supervisee_id: document.supervisee.name, document.supervisor_id: document.supervisor.name}
    known = {"document": signoff.number(document), "version": row.version, "filed_at": row.created_at.isoformat(),
             "destroyed": (earlier or row).destroyed_at is not None,
             "signatures": [{"name": names.get(e.person_id, ""), "event": e.event, "at": e.at.isoformat() + "Z"}
                            for e in signed]}
    if earlier is not None:
        known["superseded_at"] = earlier.superseded_at.isoformat()
    return known
