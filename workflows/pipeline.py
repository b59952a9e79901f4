"""The Word file of a record or an agreement, from its template (a council's own first)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from workflows.deployment import Deployment
from storage.models import Agreement, Record
from docgen.documents.render import DEFAULT_TEMPLATE_DIR, render_docx, template_path
from workflows.agreements import agreement_context
from workflows.records import record_context


def _search_dirs(services: Deployment) -> list[Path]:
    own = services.config.template_dir
    return ([Path(own)] if own else []) + [DEFAULT_TEMPLATE_DIR]


def record_docx(services: Deployment, db: Session, record: Record) -> bytes:
    """The record as a DOCX, pre-filled with its current content and actions."""
    profile = services.profile
    template = template_path(profile.record_kinds[record.kind].template, _search_dirs(services))
    return render_docx(template, record_context(db, profile, services.organisation(db), record))


def agreement_docx(services: Deployment, db: Session, agreement: Agreement) -> bytes:
    """The agreement as a DOCX (K App A with a signature block)."""
    template = template_path(services.profile.agreement_template, _search_dirs(services))
    return render_docx(template, agreement_context(services.profile, services.organisation(db), agreement))


def docx_filename(number: str, name: str) -> str:
    safe = "".join(ch if ch.isalnum() else "-" for ch in name).strip("-")
    return f"{number}-{safe}.docx"
