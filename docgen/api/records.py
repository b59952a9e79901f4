"""Records, agreements and actions over JSON, with Word download and upload."""
from __future__ import annotations

from typing import Any

from flask import Response, request

from docgen.api.revisions import etag, if_match, tagged
from docgen.api.routing import bp, json_body, route
from docgen.api.schemas import (ActionHistory, AgreementOut, ChangedOnBothSidesError, ClashOut, ErrorBody, RecordOut,
                                UploadOut, given, parse)
from docgen.auth import caller, login_required, uow
from documents.render import DOCX_MEDIA_TYPE
from kernel.errors import InvalidInput
from workflows import actions, agreements, case_notes, records, word_files
from workflows.inputs.records import AgreementPatch, RecordPatch, StartAgreement, StartRecord


def _upload() -> bytes:
    """The uploaded file: a multipart field `file` or the raw request body."""
    if "file" in request.files:
        data = request.files["file"].read(word_files.MAX_UPLOAD + 1)
    else:
        data = request.get_data(cache=False)
    if not data:
        raise InvalidInput("no file was uploaded", "file")
    return data


@bp.errorhandler(word_files.ChangedOnBothSides)
def _changed_on_both_sides(clash: word_files.ChangedOnBothSides) -> Any:
    """The 409 of an older Word file that changed what the record changed too: the error, the
    clashes (both texts) and the revisions, for the client to choose as the upload page lets a
    person choose."""
    return ChangedOnBothSidesError(
        error=ErrorBody(code=clash.code, message=clash.message, field=clash.field),
        clashes=[ClashOut(label=c.label, record=c.record, file=c.file) for c in clash.clashes],
        file_revision=clash.file_revision, record_revision=clash.record_revision).model_dump(mode="json"), clash.status


def _docx_response(download: tuple[bytes, str, int]) -> Response:
    """The Word file, with the ETag of the revision it shows: the If-Match to upload it back with."""
    data, filename, revision = download
    return Response(data, mimetype=DOCX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "ETag": etag(revision)})


@route("POST", "/records", "Start a pre-filled record for a supervision session", request_model=StartRecord,
       response=RecordOut, status=201, revisioned=True)
@login_required
def create_record() -> Any:
    body = parse(StartRecord, json_body())
    return tagged(records.create(uow(), caller(), body.supervisee_id, body.session_date, body.supervisor_id,
                                 body.kind), 201)


@route("GET", "/records/<int:record_id>", "Read a record", response=RecordOut, revisioned=True)
@login_required
def get_record(record_id: int) -> Any:
    return tagged(records.read(uow(), caller(), record_id))


@route("GET", "/records/<int:record_id>/case-notes", "Case notes for the child's social care record, one per case ID",
       response=case_notes.CaseNotesOut)
@login_required
def record_case_notes(record_id: int) -> Any:
    """Where the council's policy puts case discussion on the child's record (W §10, S §5), one
    note per case ID the record names, to copy or send into the case management system."""
    return case_notes.CaseNotesOut.of(case_notes.case_notes(uow(), caller(), record_id)).model_dump()


@route("PATCH", "/records/<int:record_id>", "Edit a draft record: sections, areas, actions",
       request_model=RecordPatch, response=RecordOut, revisioned=True)
@login_required
def update_record(record_id: int) -> Any:
    """Fields left out are unchanged. `areas`, when given, is the record's whole list of areas and
    replaces it, as JSON Merge Patch (RFC 7386) treats any array: keep an area by sending its `key`
    (its title and discussion may change), add one by leaving `key` out, remove one by leaving it
    out of the list. An area still holding an open action is not removed: the answer is 422 naming
    the field `areas`; complete the action, or remove it if it was raised in this record, first
    (or in the same request). `actions` items change one action each and are applied in order."""
    body = parse(RecordPatch, json_body())
    return tagged(records.update(uow(), caller(), record_id, body.patch(), if_match()))


@route("GET", "/records/<int:record_id>/docx", "Download the record as Word", response=None,
       content_type=DOCX_MEDIA_TYPE, revisioned=True)
@login_required
def download_record(record_id: int) -> Any:
    return _docx_response(word_files.download_record(uow(), caller(), record_id))


@route("PUT", "/records/<int:record_id>/docx", "Upload an edited Word record; changes are read back",
       response=UploadOut, revisioned=True, query=word_files.UploadChoice,
       errors={409: ChangedOnBothSidesError})
@login_required
def upload_record(record_id: int, query: word_files.UploadChoice) -> Any:
    """A file downloaded before the record last changed is merged with it: what was changed in the
    file since its download is read in, and what was saved in the record meanwhile stays
    (`merged_from` names the file's revision). Where both changed the same part, nothing is read in
    and the answer is 409 listing the `clashes`; to keep the file's text there, send the file again
    with `?keep=file` and If-Match naming the answer's `record_revision`."""
    uploaded = word_files.upload_record(uow(), caller(), record_id, _upload, if_match(), keep_file=query.keep_file)
    return uploaded, 200, {"ETag": etag(uploaded["record"]["revision"])}


@route("GET", "/actions/<action_id>", "An action and its progress in every record", response=ActionHistory)
@login_required
def action_history(action_id: str) -> Any:
    action, entries = actions.read_history(uow(), caller(), action_id)
    return ActionHistory(id=action.id, text=action.text, section=action.section, date_added=action.date_added,
                         completed_on=action.completed_on,
                         history=[e.__dict__ for e in entries]).model_dump(mode="json")


@route("POST", "/agreements", "Start a supervision agreement draft", request_model=StartAgreement,
       response=AgreementOut, status=201, revisioned=True)
@login_required
def create_agreement() -> Any:
    body = parse(StartAgreement, json_body())
    fields = body.fields.model_dump(exclude_none=True) if body.fields else {}
    return tagged(agreements.start_agreement(uow(), caller(), body.supervisee_id, body.started_on, body.supervisor_id,
                                             fields), 201)


@route("GET", "/agreements/<int:agreement_id>", "Read an agreement (with its review flag)", response=AgreementOut,
       revisioned=True)
@login_required
def get_agreement(agreement_id: int) -> Any:
    return tagged(agreements.read(uow(), caller(), agreement_id))


@route("PATCH", "/agreements/<int:agreement_id>", "Edit a draft agreement", request_model=AgreementPatch,
       response=AgreementOut, revisioned=True)
@login_required
def update_agreement(agreement_id: int) -> Any:
    body = parse(AgreementPatch, json_body())
    return tagged(agreements.update(uow(), caller(), agreement_id, given(body), if_match()))


@route("GET", "/agreements/<int:agreement_id>/docx", "Download the agreement as Word", response=None,
       content_type=DOCX_MEDIA_TYPE, revisioned=True)
@login_required
def download_agreement(agreement_id: int) -> Any:
    return _docx_response(word_files.download_agreement(uow(), caller(), agreement_id))


@route("PUT", "/agreements/<int:agreement_id>/docx", "Upload an edited Word agreement", response=AgreementOut,
       revisioned=True, query=word_files.UploadChoice, errors={409: ChangedOnBothSidesError})
@login_required
def upload_agreement(agreement_id: int, query: word_files.UploadChoice) -> Any:
    """An older file is merged with the agreement as a record's is (`PUT /records/{record_id}/docx`),
    and a clash is answered the same way."""
    return tagged(word_files.upload_agreement(uow(), caller(), agreement_id, _upload, if_match(),
                                              keep_file=query.keep_file))
