"""A filed document's earlier copies (`SupersededCopy`): kept, found by hash, destroyed with it.

`storage.filing.refile_document` files new bytes in place of a document's (a sealed PDF with a new
archive timestamp). The old object is not destroyed then: a copy downloaded before is still ours
and must still be recognised (`workflows.pipeline.verify`, by its SHA-256), and a backup listing
the store, an HR bundle streaming after its commit or a download in flight may still read the old
key. So the old copy stays in the store, named here, until retention destroys its version, when it
goes too (`destroy_of`, logged as the version is: `DestructionLog`). Nothing here commits.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from storage import destruction
from storage.backends.base import DocumentStore
from storage.models import DestructionLog, DocumentVersion, SupersededCopy


def keep(db: Session, row: DocumentVersion) -> SupersededCopy:
    """Record the row's bytes as they are now as an earlier copy, in the caller's transaction (before
    the row takes new ones)."""
    copy = SupersededCopy(document_version_id=row.id, storage_key=row.storage_key, sha256=row.sha256,
                          size=row.size)
    db.add(copy)
    return copy


def find(db: Session, sha256: str, kind: str) -> tuple[SupersededCopy, DocumentVersion] | None:
    """The earlier copy of a `kind` document with this SHA-256, and its version, if one was filed."""
    found = db.execute(select(SupersededCopy, DocumentVersion)
                       .join(DocumentVersion, SupersededCopy.document_version_id == DocumentVersion.id)
                       .where(SupersededCopy.sha256 == sha256, DocumentVersion.kind == kind)
                       .order_by(SupersededCopy.id).limit(1)).first()
    return None if found is None else (found[0], found[1])


def named(db: Session, keys: Iterable[str]) -> set[str]:
    """Those of `keys` that an earlier copy names (the orphan sweep must leave them)."""
    return set(db.scalars(select(SupersededCopy.storage_key).where(SupersededCopy.storage_key.in_(list(keys)))))


def destroy_of(db: Session, store: DocumentStore, version: DocumentVersion, *, person_id: int, rule: str,
               of: str) -> tuple[list[str], list[str]]:
    """Destroy the version's earlier copies still in the store, each logged as "<kind> v<n> of <of>,
    an earlier copy": the SHA-256s of those destroyed (for what else is kept by hash) and the keys
    the store refused (nothing is marked for those, so the next run tries again)."""
    destroyed, refused = [], []
    for copy in db.scalars(select(SupersededCopy).where(SupersededCopy.document_version_id == version.id,
                                                        SupersededCopy.destroyed_at.is_(None))):
        if not destruction.gone(store, copy.storage_key, ", an earlier copy"):
            refused.append(copy.storage_key)
            continue
        copy.destroyed_at = clock.now()
        db.add(DestructionLog(person_id=person_id, document_version_id=version.id, sha256=copy.sha256, rule=rule,
                              description=f"{version.kind} v{version.version} of {of}, an earlier copy "
                                          f"({copy.size} bytes)", destroyed_at=copy.destroyed_at))
        destroyed.append(copy.sha256)
    return destroyed, refused
