"""Sign-off steps that need more than the domain: the Word file, storage and the task queue.

Sending fixes the bytes to be signed (the rendered DOCX is filed before any link goes out);
finalisation is enqueued only after the signing transaction commits, never run in a request.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from workflows import pipeline
from workflows.deployment import Deployment
from storage.models import DocumentVersion, Person, Record
from storage.filing import file_document
from workflows import signoff
from workflows.access import Caller
from workflows.signoff import Document


def send_for_signoff(services: Deployment, db: Session, document: Document, by: Person, caller: Caller) -> None:
    """File this version's DOCX, then e-mail the first signer a link."""
    if document.status == "changes_requested":
        signoff.new_version(db, document, by)
    data = (pipeline.record_docx(services, db, document) if isinstance(document, Record)
            else pipeline.agreement_docx(services, db, document))
    kind = signoff.kind_of(document)
    row = file_document(db, services.store, version=document.version, kind="docx", data=data, **{kind: document})
    signoff.send(db, services.profile, document, by, docx=row, base_url=services.config.base_url, caller=caller)


def enqueue_finalisation(document: Document) -> None:
    """Ask the worker for the sealed PDF; call after the commit that made the document signed."""
    if document.status != "signed":
        return
    from docgen.tasks import finalise_document

    finalise_document(signoff.kind_of(document), document.id, document.version)


def review_pdf(db: Session, document: Document) -> DocumentVersion | None:
    """The PDF of the version out for signature, once the worker has made it."""
    return signoff.filed_version(db, document, "review_pdf")


def enqueue_review_pdf(document: Document) -> None:
    """Ask the worker for the PDF signers can download; call after the commit that filed the DOCX."""
    if document.status not in ("awaiting_supervisee", "awaiting_supervisor"):
        return
    from docgen.tasks import make_review_pdf

    make_review_pdf(signoff.kind_of(document), document.id, document.version)
