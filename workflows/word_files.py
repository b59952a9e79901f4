"""Records and agreements as Word files: downloaded filled in, edited, and uploaded back.

`docgen.documents.docx_form.read_upload` turns an uploaded file into plain values; this maps them
onto the record with the same rules as an edit in the browser (`workflows.records.update_record`),
in one transaction, so a refused upload changes nothing. The API and the pages call the same use
cases here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dateutil import parser as date_parser
from sqlalchemy.orm import Session

from docgen.documents.docx_form import FormContent, FormError, read_upload
from storage.errors import InvalidInput
from storage.models import Record
from workflows import access, agreements, pipeline, records
from workflows import actions as actions_mod
from workflows.access import Caller
from workflows.deployment import Work
from workflows.records import TEXT_FIELDS, record_number, update_record

MAX_UPLOAD = 10_000_000  # bytes; an edge reads one more to tell a file over the limit


def _date_field(form: FormContent, name: str, warnings: list[str]) -> tuple[bool, dt.date | None]:
    """(present, value) for a date typed in the form; unreadable text is a warning, not a guess."""
    if name not in form.fields:
        return False, None
    text = form.fields[name].strip()
    if not text:
        return True, None
    try:
        return True, date_parser.parse(text, dayfirst=True).date()
    except (ValueError, OverflowError):
        warnings.append(f"'{text}' in {name.replace('_', ' ')} is not a date; it was left unchanged")
        return False, None


def _areas(record: Record, form: FormContent) -> list[dict[str, Any]]:
    """Areas in the form's order; forms with fixed area cells (Stockport) keep the record's list."""
    if form.areas or form.removed_areas:
        return [{"key": a.key, "title": a.title, "discussion": a.discussion} for a in form.areas]
    return [{**a, "discussion": form.fields.get(a["key"], a["discussion"])} for a in record.sections["areas"]]


def _section_lines(db: Session, record: Record, form: FormContent) -> list[tuple[str, str]]:
    """(section, text) of action lines typed into welfare or an area cell that are not yet actions."""
    known = {(e.action.section, e.action.text) for e in actions_mod.entries(db, record)}
    lines = [("welfare", t) for t in form.welfare_actions]
    for area in form.areas:
        if area.key is not None:
            lines += [(area.key, t) for t in area.actions]
    return [(section, text) for section, text in lines if (section, text) not in known]


def apply_upload(db: Session, record: Record, form: FormContent) -> list[str]:
    """Apply a parsed upload to a record; returns warnings for the user (nothing is guessed)."""
    if form.record_id != record_number(record):
        raise InvalidInput(f"this file is record {form.record_id}, not {record_number(record)}", "file")
    warnings = list(form.warnings)
    patch: dict[str, Any] = {"areas": _areas(record, form)}
    previous = record.sections.get("previous", {})
    patch["previous"] = {"happy": form.fields.get("previous_happy", previous.get("happy", "")),
                         "comments": form.fields.get("previous_comments", previous.get("comments", ""))}
    patch["welfare"] = {"discussion": form.welfare_discussion}
    for name in TEXT_FIELDS:
        if name in form.fields:
            patch[name] = form.fields[name]
    for name in ("next_supervision", "review_date"):
        present, value = _date_field(form, name, warnings)
        if present:
            patch[name] = value
    new_lines = _section_lines(db, record, form)
    typed = {text for _, text in new_lines}
    items: list[dict[str, Any]] = [{"section": section, "text": text} for section, text in new_lines]
    for row in form.actions:
        if row.id is None:
            if row.text in typed:  # the same new action typed in its section and in the summary
                continue
            items.append({"section": "summary", "text": row.text, "owner": row.owner, "due": row.due,
                          "progress": row.progress, "completed": bool(row.completed)})
        else:
            items.append({"id": row.id, "text": row.text, "owner": row.owner, "due": row.due,
                          "progress": row.progress, "completed": row.completed})
    patch["actions"] = items
    update_record(db, record, patch)
    return warnings


def _form(data: bytes, number: str) -> FormContent:
    """The uploaded file as form content; anything that cannot be trusted is InvalidInput."""
    try:
        return read_upload(data, max_bytes=MAX_UPLOAD, expected_record_id=number)
    except FormError as exc:
        raise InvalidInput(exc.message, exc.field) from None


def download_record(uow: Work, caller: Caller, record_id: int) -> tuple[bytes, str]:
    """The record as a filled-in Word file and its file name, to anyone who may read it (audited)."""
    db = uow.session
    record = records.get_record(db, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.download")
    return (pipeline.record_docx(uow.deployment, db, record),
            pipeline.docx_filename(record_number(record), record.supervisee.name))


def upload_record(uow: Work, caller: Caller, record_id: int, read_file: Callable[[], bytes]) -> dict[str, Any]:
    """Read an edited Word file back into the record (current supervisor only, audited as
    `record.upload`); answers with the record as the API shows it and the warnings for the user.

    `read_file` gives the uploaded bytes (or raises InvalidInput when there are none); it is
    called only once the caller may change the record, so a stranger learns nothing from it.
    """
    db = uow.session
    record = records.get_record(db, record_id)
    access.write(uow, caller, record.supervisee, "record", record.id, "record.upload")
    warnings = apply_upload(db, record, _form(read_file(), record_number(record)))
    uow.commit()
    return {"record": records.record_json(db, record), "warnings": warnings}


def download_agreement(uow: Work, caller: Caller, agreement_id: int) -> tuple[bytes, str]:
    """The agreement as a filled-in Word file and its file name, to anyone who may read it (audited)."""
    db = uow.session
    agreement = agreements.get_agreement(db, agreement_id)
    access.read(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.download")
    return (pipeline.agreement_docx(uow.deployment, db, agreement),
            pipeline.docx_filename(agreements.agreement_number(agreement), agreement.supervisee.name))


def upload_agreement(uow: Work, caller: Caller, agreement_id: int, read_file: Callable[[], bytes]) -> dict[str, Any]:
    """Read an edited Word agreement back into its fields (current supervisor only, audited as
    `agreement.upload`; `read_file` as for `upload_record`)."""
    db = uow.session
    agreement = agreements.get_agreement(db, agreement_id)
    access.write(uow, caller, agreement.supervisee, "agreement", agreement.id, "agreement.upload")
    form = _form(read_file(), agreements.agreement_number(agreement))
    patch = {name: form.fields[f"agreement_{name}"] for name in agreements.FIELDS if f"agreement_{name}" in form.fields}
    agreements.update_agreement(db, agreement, patch)
    uow.commit()
    return agreements.agreement_json(agreement)
