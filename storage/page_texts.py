"""The text of each page of a filed PDF, kept by the PDF's SHA-256 (`PageText`), so what reads a
person's sealed records over and over (the subject-access redaction schedule, on each view and
each withholding) reads, checks and parses each one once; and the text of a draft's Word file, kept
one row per draft (`DraftText`) with the SHA-256 of what rendered it, so an unchanged draft is not
rendered again.

A SHA-256 names one content for good, so a sealed PDF's entry never goes out of date. It is the
record's text, personal data like the PDF itself: retention destroys it with the PDF (`forget`, from
`workflows.retention`). A draft's row is found by its owner, so an edit of the draft deletes it in
the edit's unit of work and retention deletes it with the record (`forget_draft`); a view that
rendered the draft while retention ran may still write one after, which retention's next run
deletes (`forget_drafts_of_destroyed`). Nothing here commits.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel import clock
from storage.models import Agreement, DraftText, PageText, Record


def pages_of(db: Session, sha256: str, parse: Callable[[], list[str]]) -> list[str]:
    """The page texts of the PDF whose SHA-256 is `sha256`: kept ones, or `parse()`'s, kept in the
    caller's transaction. Two transactions keeping the same PDF at once is no error: one keeps it."""
    kept = db.get(PageText, sha256)
    if kept is not None:
        return list(kept.pages)
    pages = parse()
    _added(db, PageText(sha256=sha256, pages=pages))
    return pages


def _added(db: Session, row: PageText | DraftText) -> None:
    """Add a row unless another transaction added one with its key first (that one is kept)."""
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        pass


def draft_pages_of(db: Session, kind: str, owner_id: int, rendering: str, render: Callable[[], list[str]]) -> list[str]:
    """The page texts of a draft (`kind` 'record' or 'agreement') rendered from what `rendering` (a
    SHA-256 of its template, context and rendering code) names: kept ones, or `render()`'s. A draft
    with nothing kept has them kept; one kept from another rendering has them replaced, only if the
    row still holds the rendering read here (compare-and-set: of two views of a changed draft one
    writes, and neither writes back over an edit's deletion or a newer view's text)."""
    kept = db.get(DraftText, (kind, owner_id), populate_existing=True)
    if kept is not None and kept.rendering == rendering:
        return list(kept.pages)
    read = None if kept is None else kept.rendering  # as read: the row may change while the draft renders
    pages = render()
    if read is None:
        _added(db, DraftText(owner_kind=kind, owner_id=owner_id, rendering=rendering, pages=pages))
    else:
        db.execute(update(DraftText)
                   .where(DraftText.owner_kind == kind, DraftText.owner_id == owner_id, DraftText.rendering == read)
                   .values(rendering=rendering, pages=pages, created_at=clock.now()))
    return pages


def carry_over(db: Session, sha256: str, to: str) -> None:
    """The page texts kept for one PDF become those of another with the same pages (a sealed PDF
    given a new archive timestamp, `storage.filing.refile_document`): kept once, under the new
    SHA-256, so retention, which forgets a version's hashes, finds them."""
    if db.get(PageText, to) is None:
        db.execute(update(PageText).where(PageText.sha256 == sha256).values(sha256=to))
    else:
        forget(db, [sha256])


def forget(db: Session, sha256s: Iterable[str]) -> None:
    """Destroy the page texts kept for these PDFs (their objects are being destroyed)."""
    digests = list(sha256s)
    if digests:
        db.execute(delete(PageText).where(PageText.sha256.in_(digests)))


def forget_draft(db: Session, kind: str, owner_id: int) -> None:
    """Destroy the text kept for a draft (`kind` 'record' or 'agreement'): it was edited, so the
    words kept may be ones no longer in it, or its record or agreement is being destroyed."""
    db.execute(delete(DraftText).where(DraftText.owner_kind == kind, DraftText.owner_id == owner_id))


def forget_drafts_of_destroyed(db: Session) -> int:
    """Destroy the text kept for any draft whose content retention has destroyed (a record or
    agreement destroyed has none left: a new one always starts with some), as a view that was
    rendering it while retention ran may have kept it after retention's `forget_draft`; how many.
    Two queries, whatever the number of drafts kept."""
    destroyed = [(kind, owner_id) for kind, model, content in (("record", Record, Record.sections),
                                                               ("agreement", Agreement, Agreement.fields))
                 for owner_id, held in db.execute(
                     select(DraftText.owner_id, content).outerjoin(model, model.id == DraftText.owner_id)
                     .where(DraftText.owner_kind == kind))
                 if not held]
    for kind, owner_id in destroyed:
        forget_draft(db, kind, owner_id)
    return len(destroyed)
