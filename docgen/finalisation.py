"""Signed document -> sealed final PDF, filed to restricted storage. Runs in the worker.

The signed DOCX (filed when the version was sent) gets its certificate page, one warm LibreOffice
conversion and the organisation's PAdES seal (docgen.documents.seal). Idempotent: a version that already
has its final PDF is left alone, so a retried or duplicated task does nothing.
"""
from __future__ import annotations

import atexit
import secrets
import threading
from pathlib import Path
from typing import Union

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from sqlalchemy import select
from sqlalchemy.orm import Session

from docgen.documents import seal
from workflows.deployment import Deployment
from docgen.config import Config
from storage.models import Agreement, DocumentVersion, Record
from docgen.documents.pdf import Converter
from storage import audit, retention
from storage.filing import file_document
from workflows import signoff

Document = Union[Record, Agreement]
_lock = threading.Lock()
_converter: Converter | None = None


def converter() -> Converter:
    """This process's warm LibreOffice, started on first use and stopped at exit."""
    global _converter
    with _lock:
        if _converter is None:
            _converter = Converter()
            _converter.start()
            atexit.register(_converter.stop)
        return _converter


def certificate_paths(config: Config) -> tuple[Path, Path]:
    """The organisation's PKCS#12 and the file holding its passphrase (embedded default)."""
    p12 = Path(config.org_p12) if config.org_p12 else config.instance_path / "organisation.p12"
    return p12, config.instance_path / "organisation.pass"


def ensure_organisation_certificate(config: Config, organisation: str) -> Path:
    """Create the self-signed organisation certificate on first `docgen init` (never replaced)."""
    p12, pass_file = certificate_paths(config)
    if p12.exists():
        return p12
    passphrase = config.org_p12_passphrase or secrets.token_urlsafe(24)
    if not config.org_p12_passphrase:
        pass_file.touch(mode=0o600)
        pass_file.write_text(passphrase)
    seal.create_organisation_certificate(p12, passphrase.encode(), organisation)
    return p12


def signer(config: Config):  # type: ignore[no-untyped-def]
    """The organisation's signer from its PKCS#12 (configured, or made by `docgen init`)."""
    p12, pass_file = certificate_paths(config)
    passphrase = config.org_p12_passphrase or (pass_file.read_text().strip() if pass_file.exists() else "")
    return seal.load_signer(p12, passphrase.encode())


def timestamper(config: Config) -> RequestsHTTPTimeStamper | None:
    """An RFC 3161 time-stamping authority when configured (DOCGEN_TIMESTAMP_URL), else none."""
    if not config.timestamp_url:
        return None
    return RequestsHTTPTimeStamper(config.timestamp_url, https=config.timestamp_url.startswith("https://"),
                                   timeout=10)


def timestamp_authorities(config: Config) -> list[asn1_x509.Certificate]:
    """The configured TSA certificates: without them a timestamped seal cannot be judged genuine."""
    if not config.timestamp_ca:
        return []
    data = Path(config.timestamp_ca).read_bytes()
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [asn1_x509.Certificate.load(data)]


def verify(services: Deployment, db: Session, pdf: bytes) -> seal.Verdict:
    """Is this PDF a genuine, unaltered record of ours? (API, page and CLI all ask here.)"""
    return seal.verify_pdf(pdf, signer(services.config).signing_cert, lambda sha: known_final_pdf(db, sha),
                           tsa_certs=timestamp_authorities(services.config))


def load_document(db: Session, kind: str, document_id: int) -> Document | None:
    return db.get(Record if kind == "record" else Agreement, document_id)


def final_pdf(db: Session, document: Document, version: int | None = None) -> DocumentVersion | None:
    return signoff.filed_version(db, document, "final_pdf", version)


def filed_docx(db: Session, document: Document) -> DocumentVersion | None:
    return signoff.filed_version(db, document, "docx")


def finalise(services: Deployment, kind: str, document_id: int, version: int) -> DocumentVersion | None:
    """Make, seal and file the final PDF of a signed version; None when there is nothing to do."""
    with services.sessions() as db:
        document = load_document(db, kind, document_id)
        if document is None or document.status != "signed" or document.version != version:
            return None
        existing = final_pdf(db, document)
        if existing is not None:
            return existing
        docx_row = filed_docx(db, document)
        if docx_row is None:
            raise RuntimeError(f"{signoff.number(document)} v{version} is signed but its DOCX was never filed")
        docx = services.store.get(docx_row.storage_key)
        pdf = seal.finalise(docx, signoff.certificate(db, document), converter=converter(),
                            signer=signer(services.config), timestamper=timestamper(services.config))
        protection = retention.protection_for(db, services.profile, services.store, document.supervisee,
                                              document if isinstance(document, Record) else None)
        row = file_document(db, services.store, version=version, kind="final_pdf", data=pdf,
                            retain_until=protection.retain_until, legal_hold=protection.legal_hold, **{kind: document})
        audit.record(db, "document.finalise", object_type=kind, object_id=document.id,
                     detail={"version": version, "sha256": row.sha256})
        db.commit()
        return row


def unfinalised(db: Session) -> list[tuple[str, int, int]]:
    """Signed documents whose current version has no final PDF yet (for the sweep)."""
    out: list[tuple[str, int, int]] = []
    for kind, model, owner in (("record", Record, DocumentVersion.record_id),
                               ("agreement", Agreement, DocumentVersion.agreement_id)):
        has_pdf = select(DocumentVersion.id).where(owner == model.id, DocumentVersion.kind == "final_pdf",
                                                   DocumentVersion.version == model.version).exists()
        out += [(kind, i, v) for i, v in db.execute(select(model.id, model.version)
                                                    .where(model.status == "signed", ~has_pdf)).all()]
    return out


def known_final_pdf(db: Session, sha256: str) -> dict | None:
    """What docgen knows of a final PDF by its hash: document, version, who signed and when."""
    row = db.scalar(select(DocumentVersion).where(DocumentVersion.sha256 == sha256, DocumentVersion.kind == "final_pdf"))
    if row is None:
        return None
    document = db.get(Record, row.record_id) if row.record_id else db.get(Agreement, row.agreement_id)
    signed = [e for e in signoff.events(db, document)
              if e.version == row.version and e.event in ("agreed", "countersigned")]
    names = {document.supervisee_id: document.supervisee.name, document.supervisor_id: document.supervisor.name}
    return {"document": signoff.number(document), "version": row.version, "filed_at": row.created_at.isoformat(),
            "destroyed": row.destroyed_at is not None,
            "signatures": [{"name": names.get(e.person_id, ""), "event": e.event, "at": e.at.isoformat() + "Z"}
                           for e in signed]}
