"""Records, agreements and actions over JSON, with Word download and upload."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from workflows import pipeline
from docgen.api.routing import commit, json_body, route
from docgen.api import guard
from docgen.api.schemas import (ActionHistory, AgreementCreate, AgreementOut, AgreementPatch, RecordCreate, RecordOut,
                                RecordPatch, UploadOut, given, parse)
from docgen.auth import login_required
from docgen.documents.docx_form import FormError, read_upload
from workflows import actions, agreements, people, records
from storage.errors import InvalidInput
from workflows.record_upload import apply_upload

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_UPLOAD = 10_000_000


def _services() -> Any:
    return current_app.extensions["docgen"]


def _upload() -> bytes:
    """The uploaded file: a multipart field `file` or the raw request body."""
    if "file" in request.files:
        data = request.files["file"].read(MAX_UPLOAD + 1)
    else:
        data = request.get_data(cache=False)
    if not data:
        raise InvalidInput("no file was uploaded", "file")
    return data


def _docx_response(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=DOCX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _parse_upload(data: bytes, number: str) -> Any:
    try:
        return read_upload(data, max_bytes=MAX_UPLOAD, expected_record_id=number)
    except FormError as exc:
        raise InvalidInput(exc.message, exc.field) from None


@route("POST", "/records", "Start a pre-filled record for a supervision session", request_model=RecordCreate,
       response=RecordOut, status=201)
@login_required
def create_record() -> Any:
    body = parse(RecordCreate, json_body())
    supervisee = people.get_person_field(g.db, body.supervisee_id, "supervisee_id")
    guard.write(supervisee, "person", supervisee.id, "record.create")
    supervisor = people.get_person_field(g.db, body.supervisor_id, "supervisor_id") if body.supervisor_id else None
    record = records.create_record(g.db, _services().profile, supervisee, body.session_date, supervisor)
    commit()
    return records.record_json(g.db, record), 201


@route("GET", "/records/<int:record_id>", "Read a record", response=RecordOut)
@login_required
def get_record(record_id: int) -> Any:
    record = records.get_record(g.db, record_id)
    guard.read(record.supervisee, "record", record.id, "record.read")
    return records.record_json(g.db, record)


@route("PATCH", "/records/<int:record_id>", "Edit a draft record: sections, areas, actions",
       request_model=RecordPatch, response=RecordOut)
@login_required
def update_record(record_id: int) -> Any:
    body = parse(RecordPatch, json_body())
    record = records.get_record(g.db, record_id)
    guard.write(record.supervisee, "record", record.id, "record.update")
    patch = given(body)
    if "actions" in patch:
        patch["actions"] = [a.model_dump(exclude_unset=True) for a in body.actions or []]
    records.update_record(g.db, record, patch)
    commit()
    return records.record_json(g.db, record)


@route("GET", "/records/<int:record_id>/docx", "Download the record as Word", response=None, content_type=DOCX)
@login_required
def download_record(record_id: int) -> Any:
    record = records.get_record(g.db, record_id)
    guard.read(record.supervisee, "record", record.id, "record.download")
    data = pipeline.record_docx(_services(), g.db, record)
    return _docx_response(data, pipeline.docx_filename(records.record_number(record), record.supervisee.name))


@route("PUT", "/records/<int:record_id>/docx", "Upload an edited Word record; changes are read back",
       response=UploadOut)
@login_required
def upload_record(record_id: int) -> Any:
    record = records.get_record(g.db, record_id)
    guard.write(record.supervisee, "record", record.id, "record.upload")
    form = _parse_upload(_upload(), records.record_number(record))
    warnings = apply_upload(g.db, record, form)
    commit()
    return {"record": records.record_json(g.db, record), "warnings": warnings}


@route("GET", "/actions/<action_id>", "An action and its progress in every record", response=ActionHistory)
@login_required
def action_history(action_id: str) -> Any:
    action, entries = actions.history(g.db, action_id)
    guard.read(people.get_person(g.db, action.supervisee_id), "action", action.id, "action.read")
    return ActionHistory(id=action.id, text=action.text, section=action.section, date_added=action.date_added,
                         completed_on=action.completed_on,
                         history=[e.__dict__ for e in entries]).model_dump(mode="json")


@route("POST", "/agreements", "Start a supervision agreement draft", request_model=AgreementCreate,
       response=AgreementOut, status=201)
@login_required
def create_agreement() -> Any:
    body = parse(AgreementCreate, json_body())
    supervisee = people.get_person_field(g.db, body.supervisee_id, "supervisee_id")
    guard.write(supervisee, "person", supervisee.id, "agreement.create")
    supervisor = (people.get_person_field(g.db, body.supervisor_id, "supervisor_id") if body.supervisor_id
                  else g.account.person)
    fields = body.fields.model_dump(exclude_none=True) if body.fields else {}
    agreement = agreements.create_agreement(g.db, _services().profile, supervisee, supervisor, body.started_on, fields)
    commit()
    return agreements.agreement_json(agreement), 201


@route("GET", "/agreements/<int:agreement_id>", "Read an agreement (with its review flag)", response=AgreementOut)
@login_required
def get_agreement(agreement_id: int) -> Any:
    agreement = agreements.get_agreement(g.db, agreement_id)
    guard.read(agreement.supervisee, "agreement", agreement.id, "agreement.read")
    return agreements.agreement_json(agreement)


@route("PATCH", "/agreements/<int:agreement_id>", "Edit a draft agreement", request_model=AgreementPatch,
       response=AgreementOut)
@login_required
def update_agreement(agreement_id: int) -> Any:
    body = parse(AgreementPatch, json_body())
    agreement = agreements.get_agreement(g.db, agreement_id)
    guard.write(agreement.supervisee, "agreement", agreement.id, "agreement.update")
    agreements.update_agreement(g.db, agreement, given(body))
    commit()
    return agreements.agreement_json(agreement)


@route("GET", "/agreements/<int:agreement_id>/docx", "Download the agreement as Word", response=None,
       content_type=DOCX)
@login_required
def download_agreement(agreement_id: int) -> Any:
    agreement = agreements.get_agreement(g.db, agreement_id)
    guard.read(agreement.supervisee, "agreement", agreement.id, "agreement.download")
    data = pipeline.agreement_docx(_services(), g.db, agreement)
    return _docx_response(data, pipeline.docx_filename(agreements.agreement_number(agreement), agreement.supervisee.name))


@route("PUT", "/agreements/<int:agreement_id>/docx", "Upload an edited Word agreement", response=AgreementOut)
@login_required
def upload_agreement(agreement_id: int) -> Any:
    agreement = agreements.get_agreement(g.db, agreement_id)
    guard.write(agreement.supervisee, "agreement", agreement.id, "agreement.upload")
    form = _parse_upload(_upload(), agreements.agreement_number(agreement))
    patch = {name: form.fields[f"agreement_{name}"] for name in agreements.FIELDS if f"agreement_{name}" in form.fields}
    agreements.update_agreement(g.db, agreement, patch)
    commit()
    return agreements.agreement_json(agreement)
