"""The input of every command and query, as pydantic models both edges validate with.

The JSON API validates a request body against a command's model, and a page validates its form
through the same model, so a limit (a reason of at most 2,000 characters) and the message naming
the field hold on both edges alike. Query parameters are models too (`Query`), so the API can
publish them in its OpenAPI document and a malformed one is a 422 naming it, never a 500.

A model lives in the module of its concept (`workflows.inputs.consent`, …); this module holds what
they share: the base classes, the id type and `validated`, which turns pydantic's first complaint
into the `InvalidInput` the edges map to 422 (API) or to the field's message (page).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from kernel.errors import InvalidInput
from storage.models import INTEGER_MAX

Id = Annotated[int, Field(ge=1, le=INTEGER_MAX)]  # an id in an input: what an id column holds
Location = Annotated[str, Field(max_length=200)]  # where a session is held: what its column holds


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, as stored; an offset in the input is honoured. A moment that leaves the
    calendar once moved to UTC (0001-01-01T00:00+01:00) is refused, naming its field."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("the time is outside the calendar once moved to UTC") from None


StartsAt = Annotated[dt.datetime, AfterValidator(_naive_utc)]  # UTC unless an offset is given


def said(value: str) -> str:
    """A box's text without the spaces around it; a box left blank is refused (a field validator's
    body: what a person types into a reason, a name or a note)."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


# pydantic's words for the mistakes a person makes in typing, said the way a page says them (GOV.UK:
# the field, then what it must be), so a page can put its label in front and the API reads the same.
_SAID = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "date_parsing": "must be a date like 2026-04-01",
    "date_from_datetime_parsing": "must be a date like 2026-04-01",
    "datetime_parsing": "must be a date and time like 2026-04-01T14:30",
    "datetime_from_date_parsing": "must be a date and time like 2026-04-01T14:30",
    "missing": "is required",
    "extra_forbidden": "is not a known field",
}


def _bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """The lowest and highest whole number a top-level field takes (None where it sets none)."""
    field = model.model_fields.get(str(loc[0])) if len(loc) == 1 else None
    low = high = None
    for rule in field.metadata if field else ():
        low = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else low
        low = rule.gt + 1 if getattr(rule, "gt", None) is not None else low
        high = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else high
        high = rule.lt - 1 if getattr(rule, "lt", None) is not None else high
    return low, high


def _said(model: type[BaseModel], err: Any) -> str:
    """What is wrong, in a page's words where it is a typing mistake, else pydantic's."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _SAID:
        return _SAID[kind]
    if kind == "string_too_long":
        return f"must be {ctx['max_length']} characters or fewer"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(model, err["loc"])
        if low is not None and high is not None:
            return f"must be between {low} and {high}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def _first_problem(model: type[BaseModel], exc: ValidationError) -> InvalidInput:
    """pydantic's first complaint as the error the edges show, naming its field first ("reason must
    be 2000 characters or fewer"; a nested one dotted: `attendance.0.person_id`), so a page can put
    the field's label in its place."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    said = _said(model, err)
    return InvalidInput(f"{field} {said}" if field else said, field or "body")


class Input(BaseModel):
    """A command's input: unknown fields are refused, so a misspelt one is named, never ignored."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def validated(cls, data: Any) -> Self:
        """`data` (a JSON object, or a form read into a dict) as this model; the first problem is
        `InvalidInput` naming its field."""
        if not isinstance(data, dict):
            raise InvalidInput("the request body must be a JSON object", "body")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise _first_problem(cls, exc) from None


class Query(Input):
    """A query's parameters (a URL's query string): parameters it does not use are left alone,
    since a link may carry others (`?reason=` for an audited read, a tracking tag)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @classmethod
    def from_args(cls, args: Mapping[str, str], **defaults: Any) -> Self:
        """The query string `args` as this model, with `defaults` for parameters left out; an empty
        parameter counts as absent (a form's blank box), and a malformed one is `InvalidInput`
        naming it. The API and the pages read a query string this one way."""
        return cls.validated(defaults | {name: value for name, value in args.items() if value != ""})


class Paging(Query):
    """Which page of a list, and how long a page is (the query applies its own upper limit)."""

    page: Id = 1
    per_page: Id = 50
