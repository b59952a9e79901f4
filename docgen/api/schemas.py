"""Request and response shapes of the JSON API (pydantic), also the source of the OpenAPI schemas.

A command's input is `workflows.inputs`'s, shared with the pages; what is here is the API's own:
the people and teams an administrator edits over JSON, and the shapes of the answers.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from workflows import revisions
from workflows.inputs import Input
from workflows.agreements import AgreementOut  # noqa: F401  (one output model per resource: the workflow's)
from workflows.records import RecordOut  # noqa: F401

M = TypeVar("M", bound=Input)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# A moment in an answer: stored as naive UTC, sent with its offset ("...Z"), as `date-time` requires.
UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]


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
    revision: revisions.Revision


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    service: str


class RelationshipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    supervisee_id: int
    supervisor_id: int
    starts_on: dt.date
    ends_on: dt.date | None
    revision: revisions.Revision


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None


class Error(BaseModel):
    error: ErrorBody


def parse(model: type[M], data: Any) -> M:
    """Validate a request body against its input model; the first problem is InvalidInput naming its field."""
    return model.validated(data)


def given(model: BaseModel) -> dict[str, Any]:
    """Only the fields the client actually sent (PATCH semantics); explicit nulls are kept."""
    return model.model_dump(exclude_unset=True)


class UploadOut(BaseModel):
    record: dict[str, Any]
    warnings: list[str]
    merged_from: int | None = Field(description="the revision the file was downloaded at, when the record had "
                                                "changed since and the file was merged with it; else null")


class ClashOut(BaseModel):
    label: str = Field(description="the part of the record, as the page names it")
    record: str = Field(description="what the record says now (`(removed)`: removed since the file was downloaded)")
    file: str = Field(description="what the file says (`(removed)`: removed in the file)")


class ChangedOnBothSidesError(Error):
    """An upload of an older Word file that changed parts the record changed too since the file was
    downloaded: nothing was read in. To keep the file's text, upload it again with `?keep=file` and
    If-Match naming `record_revision`."""

    clashes: list[ClashOut]
    file_revision: int = Field(description="the revision of the record the file was downloaded at")
    record_revision: int = Field(description="the revision the clashes were found at: the If-Match to answer with")


class ActionHistoryEntry(BaseModel):
    record_id: int
    session_date: dt.date
    progress: str
    completed: bool


class ActionHistory(BaseModel):
    id: str
    text: str
    section: str
    date_added: dt.date
    completed_on: dt.date | None
    history: list[ActionHistoryEntry]


class SignoffEventOut(BaseModel):
    event: str
    version: int
    person_id: int | None
    at: UtcDateTime
    comment: str


class SignoffStatus(BaseModel):
    status: str
    version: int
    events: list[SignoffEventOut]
    final_pdf_sha256: str | None


class DecisionOut(BaseModel):
    status: str
    version: int


class LinkDocument(BaseModel):
    number: str
    title: str
    status: str
    version: int
    signer_role: str
    signer_name: str
    code_required: bool
    document: dict[str, Any]


class VerifyOut(BaseModel):
    status: str
    record_id: str | None
    signed_by: str | None
    details: dict[str, Any]
