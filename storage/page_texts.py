"""The text of each page of a filed PDF, kept by the PDF's SHA-256 (`PageText`), so what reads a
person's sealed records over and over (the subject-access redaction schedule, on each view and
each withholding) reads, checks and parses each one once.

A SHA-256 names one content for good, so an entry never goes out of date and nothing invalidates
it. It is the record's text, personal data like the PDF itself: retention destroys it with the
PDF (`forget`, from `workflows.retention`). Nothing here commits.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import PageText


def pages_of(db: Session, sha256: str, parse: Callable[[], list[str]]) -> list[str]:
    """The page texts of the PDF whose SHA-256 is `sha256`: kept ones, or `parse()`'s, kept in the
    caller's transaction. Two transactions keeping the same PDF at once is no error: one keeps it."""
    kept = db.get(PageText, sha256)
    if kept is not None:
        return list(kept.pages)
    pages = parse()
    try:
        with db.begin_nested():
            db.add(PageText(sha256=sha256, pages=pages))
    except IntegrityError:
        pass  # another transaction kept the same bytes' pages first: they are the same pages
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
