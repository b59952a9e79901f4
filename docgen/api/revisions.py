"""Optimistic concurrency over HTTP: the revision of a record, agreement, person or supervision
relationship goes out as its ETag and comes back in If-Match (RFC 9110 §13.1.1).

The comparison itself is the use case's (`workflows.revisions.expect`, a compare-and-set in its
unit of work): this only reads the header and writes the tag. No If-Match, an empty one or
`If-Match: *` names no revision, and the use case answers 428; a tag that is not one of ours names revision 0,
which no row has, so it answers 412 like any stale tag. A weak tag (W/"3") counts as its strong
one: a proxy that compresses the answer may have weakened the ETag the client saw.
"""
from __future__ import annotations

from typing import Any

from flask import request

from storage.models import INTEGER_MAX

NO_REVISION = 0  # revisions start at 1


def etag(revision: int) -> str:
    return f'"{revision}"'


def if_match() -> int | None:
    """The revision the request's If-Match names; None when it names none."""
    tags = {t for t in request.if_match.as_set(include_weak=True) if t}  # `If-Match: ""` parses as None
    if request.if_match.star_tag or not tags:
        return None
    tag = next(iter(tags)) if len(tags) == 1 else ""
    if tag.isascii() and tag.isdigit() and len(tag) <= 10 and int(tag) <= INTEGER_MAX:
        return int(tag)
    return NO_REVISION


def tagged(body: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    """An answer carrying a revisioned resource (its `revision`), with its ETag."""
    return body, status, {"ETag": etag(body["revision"])}
