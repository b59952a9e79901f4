"""Failures a user can cause, one type each; the web and CLI edges map them once.

Every error names the field at fault where there is one, so an API client or a form can point at
it (`{"error": {"code", "message", "field"}}`).
"""
from __future__ import annotations


class DomainError(Exception):
    """Base of user-caused failures; `status` is the HTTP status the API answers with."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """A value is missing, malformed or out of range."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, illegal transition)."""

    status = 409
    code = "conflict"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    """No valid credentials were given."""

    status = 401
    code = "unauthenticated"


class ProfileError(DomainError):
    """A policy profile file is invalid; names the bad key."""

    status = 500
    code = "profile_invalid"


class Unavailable(DomainError):
    """A part docgen needs (the database, the document store) stopped answering mid-way: nothing
    was saved, and the same request may simply be tried again."""

    status = 503
    code = "unavailable"


class Gone(DomainError):
    """A sign-off link that was used, expired, re-sent or belongs to an older version."""

    status = 410
    code = "link_gone"


class PreconditionFailed(DomainError):
    """A change made from a revision that is no longer current: someone else changed the thing
    since the caller read it (a stale If-Match, or a form opened before their change)."""

    status = 412
    code = "stale"


class PreconditionRequired(DomainError):
    """A change that does not say which revision it was made from, so it could overwrite a change
    the caller never saw (an API PATCH or PUT without If-Match)."""

    status = 428
    code = "precondition_required"
