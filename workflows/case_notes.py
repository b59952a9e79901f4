"""Case notes for the child's social care record: one per case ID a record names.

Where the policy puts case discussion on the child's record (the profile's `case_notes`: W §10
"See Section 8, Group Supervision on recording group discussions which should be recorded on
electronic social care record"; W App E "The supervisor needs to record this on the child's
electronic social care record"; S §5 "a record of group supervision recorded on the child's file
that clearly identify the purpose of the discussion and any reflections/actions relevant to the
child"), a record that names cases by ID offers a note for each, to copy into the case management
system. A note carries only what the form marks as about the child (`Form.case_note`): a
supervisee's welfare, learning or personal reflections never reach a child's record (S §10:
"Personal reflections should be recorded separately on the personal supervision file"). Forms
that take case IDs only (S App A 6: "The full details and information should be recorded on the
child's file") give a note that says the case was discussed and where, for the practitioner to
complete on the child's record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from storage.models import Record
from workflows import records
from workflows.access import Caller
from workflows.deployment import Work
from workflows.profiles import Profile

_SEPARATORS = re.compile(r"[,;\s]+")


@dataclass(frozen=True)
class CaseNote:
    case_id: str
    text: str


@dataclass(frozen=True)
class CaseNotes:
    """What the record's case-notes section shows: whether the policy asks for them, and a note
    per case ID (none where the record names no case)."""

    record: Record
    number: str
    offered: bool
    notes: list[CaseNote]

    def download(self) -> str:
        """Every note, one after another, as a plain text file."""
        return "\n\n".join(note.text for note in self.notes) + ("\n" if self.notes else "")


def case_ids(text: str) -> list[str]:
    """The case IDs a record's `cases` field names, in order, each once ("104233, 104240")."""
    return list(dict.fromkeys(part for part in _SEPARATORS.split(text or "") if part))


def recorded_case_ids(profile: Profile, record: Record) -> list[str]:
    """The case IDs a record names, where its form asks for them."""
    form = records.form_of(profile, record)
    return case_ids(str((record.sections or {}).get("cases", ""))) if form.field("cases") else []


class CaseNoteOut(BaseModel):
    case_id: str
    text: str


class CaseNotesOut(BaseModel):
    """A record's case notes as JSON (`GET /api/v1/records/{id}/case-notes`)."""

    record_id: int
    offered: bool = Field(description="whether the council's policy puts case discussion on the child's record")
    notes: list[CaseNoteOut]

    @classmethod
    def of(cls, shown: "CaseNotes") -> "CaseNotesOut":
        return cls(record_id=shown.record.id, offered=shown.offered,
                   notes=[CaseNoteOut(case_id=n.case_id, text=n.text) for n in shown.notes])


def case_notes(uow: Work, caller: Caller, record_id: int) -> CaseNotes:
    """The case notes of a record, for anyone who may read it (an audited read, `records.record_page`)."""
    page = records.record_page(uow, caller, record_id)
    profile, record, doc = uow.deployment.profile, page.record, page.doc
    form = doc["form"]
    fields = doc["fields"]
    ids = case_ids(str(fields.get("cases", ""))) if form.field("cases") else []
    if not profile.case_notes or not ids:
        return CaseNotes(record, doc["record_id"], profile.case_notes, [])
    labels = {field.key: field.label.rstrip(":") for field in form.fields}
    about = [(labels[key], str(fields.get(key) or "").strip()) for key in form.case_note if key in labels]
    group = doc.get("group", {}).get("name") if isinstance(doc.get("group"), dict) else None
    held = (f"Group supervision ({group}) on {doc['session_date']}" if group
            else f"Supervision of {record.supervisee.name} by {record.supervisor.name} on {doc['session_date']}")
    notes = []
    for case_id in ids:
        lines = [f"Case {case_id}: case discussion in supervision", held, f"{doc['title']} ({doc['record_id']})"]
        filled = [f"{label}: {value}" for label, value in about if value]
        lines += ["", *filled] if filled else [
            "", "The discussion and decisions about this child are to be recorded here, on the child's record."]
        notes.append(CaseNote(case_id, "\n".join(lines)))
    return CaseNotes(record, doc["record_id"], True, notes)
