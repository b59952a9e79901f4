"""Request and response shapes of the JSON API (pydantic), also the source of the OpenAPI schemas."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from kernel.errors import InvalidInput
from storage.models import INTEGER_MAX
from workflows.forms import AGREEMENTS, FORMS

M = TypeVar("M", bound=BaseModel)
Id = Annotated[int, Field(ge=1, le=INTEGER_MAX)]  # an id in a request body: what an id column holds


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


# A moment in an answer: stored as naive UTC, sent with its offset ("...Z"), as `date-time` requires.
UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonCreate(_In):
    name: str
    email: str
    role: str
    employment_start: dt.date
    job_title: str = ""
    team_id: Id | None = None
    line_manager_id: Id | None = None
    employment_type: str = "employee"
    leave_date: dt.date | None = None


class PersonUpdate(_In):
    name: str | None = None
    email: str | None = None
    role: str | None = None
    employment_start: dt.date | None = None
    job_title: str | None = None
    team_id: Id | None = None
    line_manager_id: Id | None = None
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
    revision: int = Field(description="edit revision: the ETag; send it back in If-Match to change this")


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
    supervisee_id: Id
    supervisor_id: Id
    starts_on: dt.date
    ends_on: dt.date | None = None


class RelationshipUpdate(_In):
    supervisor_id: Id | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class RelationshipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    supervisee_id: int
    supervisor_id: int
    starts_on: dt.date
    ends_on: dt.date | None
    revision: int = Field(description="edit revision: the ETag; send it back in If-Match to change this")


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


class RecordCreate(_In):
    supervisee_id: Id
    session_date: dt.date
    supervisor_id: Id | None = None
    kind: str | None = Field(None, description="a record kind of the profile (e.g. Southwark's casework record, "
                                               "W App E); by default the supervisee's role's")


class PreviousSession(_In):
    happy: str = ""
    comments: str = ""


class Welfare(_In):
    discussion: str = ""


class AreaIn(_In):
    key: str | None = None
    title: str | None = None
    discussion: str = ""


class ActionIn(_In):
    """An existing action (with id: progress, completed, edits, remove) or a new one (no id)."""

    id: str | None = None
    section: str | None = None
    text: str | None = None
    owner: str | None = None
    due: str | None = None
    progress: str | None = None
    completed: bool | None = None
    remove: bool = False


class _RecordPatch(_In):
    previous: PreviousSession | None = None
    welfare: Welfare | None = None
    areas: list[AreaIn] | None = None
    next_supervision: dt.date | None = None
    review_date: dt.date | None = None
    actions: list[ActionIn] | None = None


# Every text field of docgen's forms (workflows.forms); a record takes only its own form's, and
# refuses the others naming the field (422).
RecordPatch = create_model("RecordPatch", __base__=_RecordPatch, __doc__="An edit of a draft record.",
                           **{key: (str | None, None) for key in sorted({key for form in FORMS.values()
                                                                         for key in form.text_keys})})


class RecordAction(BaseModel):
    id: str
    section: str
    date_added: dt.date
    text: str
    owner: str
    due: str
    progress: str
    completed: bool
    carried_forward: bool


class RecordOut(BaseModel):
    id: int
    number: str
    kind: str
    status: str
    version: int = Field(description="the version sent for sign-off (a revision after a disagreement is the next)")
    revision: int = Field(description="edit revision: the ETag; send it back in If-Match to change this")
    supervisee_id: int
    supervisor_id: int
    session_date: dt.date
    due_date: dt.date | None = Field(description="when the record must be complete; null where the policy sets no "
                                                 "deadline (W, H, L)")
    next_supervision: dt.date | None
    review_date: dt.date | None
    sections: dict[str, Any]
    actions: list[RecordAction]


class UploadOut(BaseModel):
    record: dict[str, Any]
    warnings: list[str]


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


# Every text field of docgen's agreement forms (K App A, S App C); an agreement takes only its
# council's form's, and refuses the others naming the field (422).
AgreementFields = create_model("AgreementFields", __base__=_In, __doc__="An agreement's own fields.",
                               **{key: (str | None, None) for key in sorted({key for form in AGREEMENTS.values()
                                                                             for key in form.text_keys})})


class AgreementCreate(_In):
    supervisee_id: Id
    started_on: dt.date
    supervisor_id: Id | None = None
    fields: AgreementFields | None = None


class AgreementPatch(AgreementFields):
    started_on: dt.date | None = None
    review_date: dt.date | None = None


class AgreementOut(BaseModel):
    id: int
    number: str
    status: str
    version: int = Field(description="the version sent for sign-off (a revision after a disagreement is the next)")
    revision: int = Field(description="edit revision: the ETag; send it back in If-Match to change this")
    supervisee_id: int
    supervisor_id: int
    started_on: dt.date
    review_date: dt.date
    review_flag: str | None
    superseded_by_id: int | None
    fields: dict[str, str]


class SignDecision(_In):
    decision: str
    confirm_name: str
    comment: str = ""
    code: str = ""  # the one-time code e-mailed when the profile asks for one


class CountersignIn(_In):
    comment: str = ""


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
