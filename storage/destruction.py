"""Destroying what is stored of a document: its objects, then its content, each logged.

What is due for destruction, and under which rule, is decided above (`workflows.retention`);
this module carries it out. Each stored object is removed from the store and its row marked
destroyed, and a `DestructionLog` row says what went, when, with which SHA-256, under which rule.
Content held in the database (a record's sections, actions, progress and sign-off comments; an
agreement's fields) is emptied and logged the same way. Nothing here commits.
"""
from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from kernel import clock
from storage.backends.base import DocumentStore, ObjectMissing, StorageError
from storage.models import Action, ActionEntry, Agreement, DestructionLog, DocumentVersion, Record, SignoffEvent

log = logging.getLogger(__name__)


def gone(store: DocumentStore, key: str, what: str = "") -> bool:
    """Destroy one object in the store: True once it is gone (one missing already is gone, and is
    still recorded as destroyed), False when the store refused (logged; the caller marks nothing,
    so the next run tries again)."""
    try:
        store.destroy(key)
    except ObjectMissing:
        pass
    except StorageError as exc:
        log.warning("store refused to destroy %s%s: %s", key, what, exc)
        return False
    return True


def destroy_object(db: Session, store: DocumentStore, version: DocumentVersion, *, person_id: int, rule: str,
                   of: str) -> bool:
    """Remove one object from the store and mark its row destroyed, logged as "<kind> v<n> of
    <of>"; False when the store refused (nothing is marked, so the next run tries again)."""
    if not gone(store, version.storage_key):
        return False
    version.destroyed_at = clock.now()
    db.add(DestructionLog(person_id=person_id, document_version_id=version.id, sha256=version.sha256, rule=rule,
                          description=f"{version.kind} v{version.version} of {of} ({version.size} bytes)",
                          destroyed_at=version.destroyed_at))
    return True


def destroy_content(db: Session, owner: Record | Agreement, *, person_id: int, rule: str, of: str) -> bool:
    """Empty the content a record or an agreement keeps in the database, and log it; False if
    there was nothing left to empty."""
    if not _blank(db, owner):
        return False
    db.add(DestructionLog(person_id=person_id, rule=rule, destroyed_at=clock.now(),
                          description=f"content of {of} held in the database"))
    return True


def _blank(db: Session, owner: Record | Agreement) -> bool:
    """Empty the content columns of a record (sections, actions, progress, comments) or of an
    agreement; False if there was nothing left to empty."""
    if isinstance(owner, Record):
        if not owner.sections:
            return False
        owner.sections = {}
        db.execute(update(Action).where(Action.raised_in_record_id == owner.id).values(text=""))
        db.execute(update(ActionEntry).where(ActionEntry.record_id == owner.id).values(progress=""))
        db.execute(update(SignoffEvent).where(SignoffEvent.record_id == owner.id).values(comment=""))
        return True
    if not owner.fields:
        return False
    owner.fields = {}
    db.execute(update(SignoffEvent).where(SignoffEvent.agreement_id == owner.id).values(comment=""))
    return True
