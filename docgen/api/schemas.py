"""Request and response shapes of the JSON API (pydantic), also the source of the OpenAPI schemas."""
from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from workflows.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonCreate(_In):
    name: str
    email: str
    role: str
    employment_start: dt.date
    job_title: str = ""
    team_id: int | None = None
    line_manager_id: int | None = None
    employment_type: str = "employee"
    leave_date: dt.date | None = None


class PersonUpdate(_In):
    name: str | None = None
    email: str | None = None
    role: str | None = None
    employment_start: dt.date | None = None
    job_title: str | None = None
    team_id: int | None = None
    line_manager_id: int | None = None
    employment_type: str | None = None
    leave_date: dt.date | None = None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str
    role: str
    job_title: str
    team_id: int | None
    line_manager_id: int | None
    employment_type: str
    employment_start: dt.date
    leave_date: dt.date | None
    status: str


class TeamCreate(_In):
    name: str
    service: str = ""


class TeamUpdate(_In):
    name: str | None = None
    service: str | None = None


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    service: str


class RelationshipCreate(_In):
    supervisee_id: int
    supervisor_id: int
    starts_on: dt.date
    ends_on: dt.date | None = None


class RelationshipUpdate(_In):
    supervisor_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class RelationshipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    supervisee_id: int
    supervisor_id: int
    starts_on: dt.date
    ends_on: dt.date | None


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None


class Error(BaseModel):
    error: ErrorBody


def parse(model: type[M], data: Any) -> M:
    """Validate a request body; the first problem becomes InvalidInput naming its field."""
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        raise InvalidInput(f"{field}: {message}", field) from None


def given(model: BaseModel) -> dict[str, Any]:
    """Only the fields the client actually sent (PATCH semantics); explicit nulls are kept."""
    return model.model_dump(exclude_unset=True)
