"""Supervision records: created pre-filled, edited in the browser or in Word, and rendered.

A new record takes its kind from the supervisee's role (via the profile), its areas from that kind,
its supervisor from the current relationship, and every open action from earlier sessions
(`workflows.actions`). It is editable while it is a draft or has changes requested; after that
only the sign-off workflow moves it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.base import ExecutableOption

from kernel import clock
from kernel.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, Unauthenticated
from storage import audit, page_texts
from storage.models import Action, ActionEntry, Organisation, Person, Record
from workflows import access, group_records, people, revisions
from workflows import actions as actions_mod
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work
from workflows.forms import DATE_COLUMNS, PREVIOUS, Form, printed_at
from workflows.profiles import Profile
from workflows.due_dates import record_due_date
from workflows.status import DRAFT, EDITABLE, words

_AREA_KEY = re.compile(r"[^a-z0-9]+")
Patch = dict[str, Any]


def record_number(record: Record) -> str:
    """The id printed on the form and stored in its properties."""
    return f"R-{record.id:06d}"


class DuplicateRecord(Conflict):
    """A record for that supervisee and session exists already; `record_id` names it, so a page
    can link to it rather than quote an id."""

    def __init__(self, supervisee: Person, session_date: dt.date, record_id: int) -> None:
        super().__init__(f"a record for {supervisee.name} on {session_date.day} {session_date:%B %Y} already exists: "
                         f"R-{record_id:06d}", "session_date")
        self.record_id = record_id


def record_id_from_number(number: str) -> int | None:
    match = re.fullmatch(r"R-(\d+)", number or "")
    return int(match.group(1)) if match else None


def get_record(db: Session, record_id: int, *options: ExecutableOption) -> Record:
    record = db.get(Record, record_id, options=options)
    if record is None:
        raise access.no_such_document()
    return record


def previous_record(db: Session, record: Record) -> Record | None:
    return db.scalar(select(Record).where(Record.supervisee_id == record.supervisee_id,
                                          Record.session_date < record.session_date,
                                          Record.group_session_id.is_(None))  # issue 14: 1:1 records only
                     .order_by(Record.session_date.desc(), Record.id.desc()).limit(1))


def form_of(profile: Profile, record: Record) -> Form:
    """The form a record is written on (`workflows.forms`), from its kind in the profile."""
    if group_records.is_group_record(record):  # issue 14: a group session's record
        return group_records.form_of(record)
    return profile.record_kinds[record.kind].definition


def _kind_for(profile: Profile, supervisee: Person, kind: str | None) -> str:
    """The record kind asked for (another form of the profile's, e.g. W App E's casework record or
    S App B's reflective 1-1 beside a line-management record), else the supervisee's role's."""
    if kind is None:
        return profile.role(supervisee.role).record_kind
    if kind not in profile.record_kinds:
        raise InvalidInput(f"unknown record kind '{kind}'; this profile has: {', '.join(sorted(profile.record_kinds))}",
                           "kind")
    usable = profile.kinds_for(supervisee.role)
    if kind not in usable:  # the forms each role may use (issue 23): the profile's `also_kinds`
        raise InvalidInput(f"a {profile.label(supervisee.role)}'s record is not kept on the "
                           f"'{profile.record_kinds[kind].title}' form; this role uses: "
                           f"{', '.join(profile.record_kinds[k].title for k in usable)}", "kind")
    return kind


def blank_sections(profile: Profile, kind_key: str) -> dict[str, Any]:
    """A new record's sections: a blank for each field of its form, and its kind's areas."""
    kind = profile.record_kinds[kind_key]
    form = kind.definition
    previous = {"previous": {part: "" for key, part in PREVIOUS.items()}} if any(
        form.field(key) for key in PREVIOUS) else {}
    return {**previous, **({"welfare": {"discussion": ""}} if form.has("welfare") else {}),
            "areas": [{"key": a.key, "title": a.title, "discussion": ""} for a in kind.areas],
            **{name: "" for name in form.text_keys}}


def create_record(db: Session, profile: Profile, supervisee: Person, session_date: dt.date,
                  supervisor: Person | None = None, kind: str | None = None) -> Record:
    """A new draft record for a session, pre-filled from what docgen already knows; on the form of
    `kind` when given, else of the supervisee's role's record kind."""
    # Someone serving notice is still supervised, and their last sessions recorded (K §9).
    if people.has_left(supervisee, session_date) or supervisee.records_frozen_on:
        raise Conflict(f"{supervisee.name} has left; their records are frozen", "supervisee_id")
    if session_date < supervisee.employment_start:
        raise InvalidInput("session_date is before the supervisee started", "session_date")
    if session_date > clock.today() + dt.timedelta(days=366):
        raise InvalidInput("session_date is more than a year ahead", "session_date")
    supervisor = supervisor or people.current_supervisor(db, supervisee.id, session_date)
    if supervisor is None:
        raise InvalidInput(f"{supervisee.name} has no supervisor on {session_date:%-d %B %Y}", "supervisor_id")
    if supervisor.id == supervisee.id:
        raise InvalidInput("a person cannot supervise themselves", "supervisor_id")
    clash = db.scalar(select(Record.id).where(  # issue 14: 1:1 records only, not a group record kept by them
        Record.supervisee_id == supervisee.id, Record.session_date == session_date, Record.group_session_id.is_(None)))
    if clash is not None:
        raise DuplicateRecord(supervisee, session_date, clash)
    kind_key = _kind_for(profile, supervisee, kind)
    record = Record(kind=kind_key, supervisee_id=supervisee.id, supervisor_id=supervisor.id,
                    session_date=session_date, due_date=record_due_date(profile, session_date), status=DRAFT,
                    sections=blank_sections(profile, kind_key))
    db.add(record)
    db.flush()
    actions_mod.carry_forward(db, record)
    return record


def _require_editable(record: Record) -> None:
    if record.status not in EDITABLE:
        raise Conflict(f"the record is {words(record.status)} and can no longer be edited", "status")


def _area_key(title: str, taken: set[str]) -> str:
    base = "custom_" + (_AREA_KEY.sub("_", title.lower()).strip("_")[:30] or "area")
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def set_areas(record: Record, areas: list[dict[str, Any]]) -> None:
    """Replace the areas: keep known keys, give new areas a key, drop the ones left out (App B)."""
    known = {a["key"]: a for a in record.sections.get("areas", [])}
    out: list[dict[str, str]] = []
    taken = set(known)
    for i, area in enumerate(areas):
        if not isinstance(area, dict):
            raise InvalidInput("each area must be an object with a title", f"areas.{i}")
        title = str(area.get("title") or known.get(area.get("key"), {}).get("title") or "").strip()
        if not title:
            raise InvalidInput("an area needs a title", f"areas.{i}.title")
        key = area.get("key")
        if key is None:
            key = _area_key(title, taken)
        elif key not in known:
            raise InvalidInput(f"this record has no area '{key}'", f"areas.{i}.key")
        taken.add(key)
        out.append({"key": key, "title": title, "discussion": str(area.get("discussion") or "")})
    record.sections = {**record.sections, "areas": out}


def asked_by(form: Form) -> set[str]:
    """The keys of an edit that `form` asks for: its text fields and dates, the previous session's
    answers and the welfare part where it has them, and actions and areas (whether it has a table
    of areas is `_on_the_form`'s check). The demo fills in only these, on any council's form."""
    asked = {*form.text_keys, *(key for key in DATE_COLUMNS if form.field(key)), "areas", "actions"}
    if any(form.field(key) for key in PREVIOUS):
        asked.add("previous")
    if form.has("welfare"):
        asked.add("welfare")
    return asked


def _on_the_form(form: Form, title: str, patch: Patch) -> None:
    """Refuse, naming the field, what the record's form does not ask for (a Knowsley field on
    another council's form, an area where the form has a fixed part for each subject)."""
    asked = asked_by(form)
    for name in patch:
        if name not in asked:
            raise InvalidInput(f"{name} is not on this record's form ({title}, {form.source})", name)
    if patch.get("areas") and not form.has("areas"):
        raise InvalidInput(f"this record's form ({title}, {form.source}) has no areas: write in its own parts "
                           "instead", "areas")


def update_record(db: Session, profile: Profile, record: Record, patch: dict[str, Any],
                  by: Caller | None = None, areas_before: dict[str, str] | None = None) -> Record:
    """Apply an edit from the API or a page: sections, dates and actions, all checked first, and
    only fields the record's form has; `by` is who is audited for an action corrected or removed.
    `areas_before` (key: title), from an edit that set the areas itself before calling (a Word
    upload gives the areas it reads their keys first): an area gone since still may not take an open
    action with it."""
    _require_editable(record)
    form = form_of(profile, record)
    _on_the_form(form, profile.record_kinds[record.kind].title, patch)
    if areas_before is None:
        areas_before = areas_of(record)
    sections = dict(record.sections)
    if "previous" in patch:
        prev = patch["previous"] or {}
        sections["previous"] = {"happy": str(prev.get("happy", "")), "comments": str(prev.get("comments", ""))}
    if "welfare" in patch:
        sections["welfare"] = {"discussion": str((patch["welfare"] or {}).get("discussion", ""))}
    for name in form.text_keys:
        if name in patch:
            sections[name] = str(patch[name] or "")
    record.sections = sections
    if "areas" in patch:
        set_areas(record, list(patch["areas"] or []))
    if "next_supervision" in patch:
        record.next_supervision = patch["next_supervision"]
        if record.next_supervision and record.next_supervision <= record.session_date:
            raise InvalidInput("next_supervision must be after the session", "next_supervision")
    if "review_date" in patch:
        record.review_date = patch["review_date"]
    # Before the first query below autoflushes: every change to the record row goes in one UPDATE,
    # so an edit moves its revision by exactly one.
    record.updated_at = clock.now()
    sections_known = {*(("welfare",) if form.has("welfare") else ()), "summary",
                      *(a["key"] for a in record.sections["areas"])}
    for i, item in enumerate(patch.get("actions") or []):
        _apply_action(db, record, item, i, sections_known, by)
    _areas_keep_open_actions(db, record, areas_before, sections_known)
    db.flush()
    page_texts.forget_draft(db, "record", record.id)  # the schedule's copy of its words may be ones now gone
    return record


def areas_of(record: Record) -> dict[str, str]:
    """The record's areas as they stand: key: title."""
    return {a["key"]: a["title"] for a in record.sections.get("areas", [])}


def _areas_keep_open_actions(db: Session, record: Record, areas_before: dict[str, str], kept: set[str]) -> None:
    """An area left out of an edit goes with what is written in it, but never with an open action
    raised in it (K App B §4: an action is carried forward until completed): move the action to
    another part of the record (the removal page offers to), complete it or remove it, in the same
    edit or first (issues 15, 27). A carried action belongs to the area of the record that raised
    it, and stays in this record's summary of actions."""
    for entry in actions_mod.entries(db, record):
        action = entry.action
        if (action.raised_in_record_id == record.id and action.section in areas_before
                and action.section not in kept and not entry.completed):
            raise InvalidInput(f"the area '{areas_before[action.section]}' still holds the open action "
                               f"{entry.action_id} ({action.text[:60]}): move, complete or remove it before "
                               "removing the area", "areas")


def _apply_action(db: Session, record: Record, item: dict[str, Any], i: int, sections: set[str],
                  by: Caller | None) -> None:
    if item.get("id"):
        _change_action(db, record, item, sections, by)
        return
    section = item.get("section") or "summary"
    if section not in sections:
        raise InvalidInput(f"no section '{section}' in this record", f"actions.{i}.section")
    action = actions_mod.raise_action(db, record, section=section, text=item.get("text") or "",
                                      owner=item.get("owner") or "", due=item.get("due") or "")
    if item.get("progress") or item.get("completed"):
        actions_mod.record_progress(db, record, action.id, progress=item.get("progress"),
                                    completed=item.get("completed"))


def _change_action(db: Session, record: Record, item: dict[str, Any], sections: set[str], by: Caller | None) -> None:
    """Progress on an action of the record, a correction of its text, owner, due date or part, or
    its removal. A correction or removal is audited with what the action said before and after, so
    its history is kept even for an action removed outright (issue 27)."""
    action_id = item["id"]
    before = actions_mod.as_written(actions_mod.entry_for(db, record, action_id).action)
    if item.get("remove"):
        actions_mod.remove_from_record(db, record, action_id, item.get("reason") or "")
    else:
        if item.get("section") not in (None, before["section"]):  # a section sent back as read is no move
            if item["section"] not in sections:
                raise InvalidInput(f"no section '{item['section']}' in this record", "actions.section")
            actions_mod.move_to(db, record, action_id, item["section"])
        actions_mod.record_progress(db, record, action_id, progress=item.get("progress"),
                                    completed=item.get("completed"), text=item.get("text"),
                                    owner=item.get("owner"), due=item.get("due"))
    after = None if item.get("remove") else actions_mod.as_written(actions_mod.entry_for(db, record, action_id).action)
    if after != before:
        audit.record(db, "action.remove" if after is None else "action.update",
                     actor_id=by.person_id if by else None, ip=by.ip if by else "", object_type="action",
                     object_id=action_id, detail={"record_id": record.id, "before": before, "after": after,
                                                  "reason": item.get("reason") or ""})


def form_date(value: dt.date | None) -> str:
    """A date as the forms print it (25 November 2026); blank when not set."""
    return f"{value:%-d %B %Y}" if value else ""


def record_context(db: Session, profile: Profile, org: Organisation, record: Record,
                   marking: str | None = None) -> dict[str, Any]:
    """The template context (contract in documents.render) for this record as it stands."""
    if group_records.is_group_record(record):  # issue 14: a group session's record
        return group_records.context(db, profile, org, record, record_number(record), marking)
    kind = profile.record_kinds[record.kind]
    rows = actions_mod.entries(db, record)
    carried = actions_mod.latest_progress(db, [e.action_id for e in rows if not e.progress])
    by_section: dict[str, list[dict[str, str]]] = {}
    table = []
    for entry in rows:
        action: Action = entry.action
        if action.raised_in_record_id == record.id:
            by_section.setdefault(action.section, []).append({"id": action.id, "text": action.text, "due": action.due})
        table.append({"id": action.id, "date_added": form_date(action.date_added), "text": action.text,
                      "owner": action.owner, "due": action.due,
                      "progress": entry.progress or carried.get(action.id, ""),
                      "completed": "Yes" if entry.completed else "No",
                      "carried": action.raised_in_record_id != record.id})  # marked on the page (issue 27)
    s = record.sections
    form = kind.definition
    context = {
        "organisation": org.name, "marking": profile.marking if marking is None else marking,
        "record_id": record_number(record), "kind": record.kind, "title": kind.title,
        "supervisee": {"name": record.supervisee.name, "job_role": record.supervisee.job_title},
        "supervisor": {"name": record.supervisor.name, "job_role": record.supervisor.job_title},
        "team": record.supervisee.team.name if record.supervisee.team else "",
        "session_date": form_date(record.session_date), "next_supervision": form_date(record.next_supervision),
        "review_date": form_date(record.review_date),
        "previous": s.get("previous", {"happy": "", "comments": ""}),
        "welfare": {"discussion": s.get("welfare", {}).get("discussion", ""), "actions": by_section.get("welfare", [])},
        "areas": [{**a, "actions": by_section.get(a["key"], [])} for a in s.get("areas", [])],
        **{name: s.get(name, "") for name in form.text_keys},
        "actions_section": kind.actions_section, "actions": table,
        # a signature cell only for a signer (H §10: the supervisor alone finalises the record)
        "signatures": {who: {"name": getattr(record, who).name, "date": ""} for who in profile.signoff.record_signers},
    }
    # What a page shows for each of the form's details and fields, read where the Word template
    # reads it (`Field.expression`), so the two cannot disagree.
    return context | {"form": form, "fields": {
        field.key: printed_at(context, field.expression) for field in (*form.details, *form.fields)}}


class RecordAction(BaseModel):
    """An action as a record shows it: its own words and this session's progress on it."""

    id: str
    section: str
    date_added: dt.date
    text: str
    owner: str
    due: str
    progress: str
    completed: bool
    carried_forward: bool
    undated: bool = Field(description="an open action carried from an earlier session whose `due` holds no date "
                                      "(\"Friday\"): words that meant something then and nothing now, so a date "
                                      "it is due by should be set, as the record's edit page asks")


def undated_actions(record: Record, entries: list[ActionEntry]) -> set[str]:
    """Open actions carried from an earlier session whose "By when" holds no date ("Friday"):
    words that meant something in the session that raised them, and nothing now. The page and the
    JSON flag them for a date to be set (issue 27); a new action may still say "next supervision"."""
    return {e.action_id for e in entries if e.action.raised_in_record_id != record.id
            and not e.completed and actions_mod.due_date(e.action.due) is None}


class RecordOut(BaseModel):
    """A record as JSON shows it: the API's answer and its OpenAPI schema, a webhook's reader and
    the link page all read this one shape."""

    id: int
    number: str
    kind: str
    status: str
    version: revisions.SentVersion
    revision: revisions.Revision
    supervisee_id: int
    supervisor_id: int
    session_date: dt.date
    due_date: dt.date | None = Field(description="when the record must be complete; null where the policy sets no "
                                                 "deadline (W, H, L)")
    next_supervision: dt.date | None
    review_date: dt.date | None
    sections: dict[str, Any]
    actions: list[RecordAction]


def record_json(db: Session, record: Record) -> dict[str, Any]:
    """The API view of a record (`RecordOut`): sections, dates, status and its actions with progress."""
    rows = actions_mod.entries(db, record)
    undated = undated_actions(record, rows)
    return RecordOut(
        id=record.id, number=record_number(record), kind=record.kind, status=record.status,
        version=record.version, revision=record.revision,
        supervisee_id=record.supervisee_id, supervisor_id=record.supervisor_id,
        session_date=record.session_date, due_date=record.due_date, next_supervision=record.next_supervision,
        review_date=record.review_date, sections=record.sections,
        actions=[RecordAction(id=e.action_id, section=e.action.section, date_added=e.action.date_added,
                              text=e.action.text, owner=e.action.owner, due=e.action.due, progress=e.progress,
                              completed=e.completed, carried_forward=e.action.raised_in_record_id != record.id,
                              undated=e.action_id in undated)
                 for e in rows],
    ).model_dump(mode="json")


@transaction
def start_record(uow: Work, caller: Caller, supervisee_id: int, session_date: dt.date,
                 supervisor_id: int | None = None, kind: str | None = None) -> Record:
    """Start a supervisee's record for a session (the API's POST and the supervisor's "new record"
    page): only their current supervisor may, and the start is audited as `record.create`."""
    db = uow.session
    supervisee = people.get_person_field(db, supervisee_id, "supervisee_id")
    access.write(uow, caller, supervisee, "person", supervisee.id, "record.create")
    supervisor = people.get_person_field(db, supervisor_id, "supervisor_id") if supervisor_id else None
    record = create_record(db, uow.deployment.profile, supervisee, session_date, supervisor, kind)
    return record


def create(uow: Work, caller: Caller, supervisee_id: int, session_date: dt.date,
           supervisor_id: int | None = None, kind: str | None = None) -> dict[str, Any]:
    """`start_record`, answered with the record as the API shows it."""
    return record_json(uow.session, start_record(uow, caller, supervisee_id, session_date, supervisor_id, kind))


def read(uow: Work, caller: Caller, record_id: int) -> dict[str, Any]:
    """A record as the API shows it, to anyone with a basis to read it (an audited read)."""
    record = get_record(uow.session, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    return record_json(uow.session, record)


def _change(uow: Work, caller: Caller, record: Record, patch: Patch, revision: int | None) -> None:
    """Apply an edit made from `revision` behind the current supervisor's audited write check, and
    commit it: a compare-and-set on the revision (`workflows.revisions`), so a stale edit is refused."""
    with uow:  # a refused edit takes its audit entry and anything half-applied with it
        access.write(uow, caller, record.supervisee, "record", record.id, "record.update")
        revisions.expect(record, revision, "record")
        update_record(uow.session, uow.deployment.profile, record, patch, caller)


def update(uow: Work, caller: Caller, record_id: int, patch: Patch, revision: int | None) -> dict[str, Any]:
    """Edit a draft record through the API, from the revision the caller read (If-Match); answers
    with the record as it now stands."""
    record = get_record(uow.session, record_id)
    _change(uow, caller, record, patch, revision)
    return record_json(uow.session, record)


@dataclass(frozen=True)
class RecordPage:
    """A record as its readers see it on a page: the record and the fields of its Word form."""

    record: Record
    doc: dict[str, Any]


def record_page(uow: Work, caller: Caller, record_id: int) -> RecordPage:
    """The record for anyone with a basis to read it (an audited read), filled in as on its form."""
    db = uow.session
    # Its supervisee and their team come with it, as the access check and the form name them.
    record = get_record(db, record_id, joinedload(Record.supervisee).joinedload(Person.team))
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    deployment = uow.deployment
    return RecordPage(record, record_context(db, deployment.profile, deployment.organisation(db), record))


@dataclass(frozen=True)
class EditPage:
    """What the record's edit page shows beside its forms: the record, its number and its actions."""

    record: Record
    number: str
    entries: list[ActionEntry]
    form: Form  # what the page asks for, as the record's Word file and HTML view do

    @property
    def editable(self) -> bool:
        return self.record.status in EDITABLE

    @property
    def section_titles(self) -> dict[str, str]:
        """Where an action was raised, in words."""
        return {**({"welfare": "Welfare"} if self.form.has("welfare") else {}), "summary": "Summary",
                **{a["key"]: a["title"] for a in self.record.sections.get("areas", [])}}

    @property
    def undated(self) -> set[str]:
        """The record's actions that need a date set (`undated_actions`)."""
        return undated_actions(self.record, self.entries)

    def entry(self, action_id: str) -> ActionEntry:
        """One action of the record; NotFound for an id the record does not show."""
        found = next((e for e in self.entries if e.action_id == action_id), None)
        if found is None:
            raise NotFound(f"this record has no action '{action_id}'", "action_id")
        return found


def _for_edit(uow: Work, caller: Caller, record_id: int) -> Record:
    """The record, if the caller may change it: Forbidden for other readers, NotFound for strangers."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    record = get_record(uow.session, record_id)
    access.edit_access(uow.session, caller.account, record.supervisee, break_glass=uow.deployment.profile.break_glass)
    return record


def _edit_page(uow: Work, record: Record) -> EditPage:
    return EditPage(record, record_number(record), actions_mod.entries(uow.session, record),
                    form_of(uow.deployment.profile, record))


def edit_page(uow: Work, caller: Caller, record_id: int) -> EditPage:
    """The edit page, for the supervisee's current supervisor only; opening it is an audited read."""
    record = _for_edit(uow, caller, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    return _edit_page(uow, record)


def edit_view(uow: Work, caller: Caller, record_id: int) -> EditPage:
    """The edit page as it stands, for the current supervisor, without an audit entry: the page
    shown again around a refused form or upload (opening it was audited already)."""
    return _edit_page(uow, _for_edit(uow, caller, record_id))


def edit(uow: Work, caller: Caller, record_id: int, patch: Patch, revision: int | None) -> bool:
    """The edit page's change, whichever of its buttons was pressed (each saves what was typed,
    then adds or removes an area, adds an action...), or the removal of an area once confirmed:
    the same edit as the API's `update`, from the revision the page was opened at. Answers whether
    it changed what the record says (typing that had not been saved yet); a refused change, also a
    stale one, changes nothing."""
    record = get_record(uow.session, record_id)
    before = _says(uow.session, record)
    _change(uow, caller, record, patch, revision)
    return _says(uow.session, record) != before


def _says(db: Session, record: Record) -> tuple[Any, ...]:
    """What a record says, to tell whether a save from the page changed it."""
    return (record.sections, record.review_date, record.next_supervision,
            [(e.action_id, e.progress, e.completed) for e in actions_mod.entries(db, record)])


def send_check(uow: Work, caller: Caller, record_id: int) -> RecordPage:
    """The record as it is saved, filled in as its supervisee will read it, for its current
    supervisor to check before sending (an audited read); only a record that can be sent has one."""
    record = _for_edit(uow, caller, record_id)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    _require_editable(record)
    deployment = uow.deployment
    return RecordPage(record, record_context(uow.session, deployment.profile, deployment.organisation(uow.session),
                                             record))


@dataclass(frozen=True)
class AreaRemoval:
    """An area the supervisor asked to remove, on the page that asks them to confirm it: the open
    actions raised in it, and the parts of the record they may move to (key, title)."""

    page: EditPage
    area: dict[str, str]
    open_actions: list[Action]
    destinations: list[tuple[str, str]]


def area_removal(uow: Work, caller: Caller, record_id: int, key: str) -> AreaRemoval:
    """The area `key` of an editable record, for its current supervisor to confirm its removal (an
    audited read: the page shows what is written in it); nothing is removed until they confirm."""
    record = _for_edit(uow, caller, record_id)
    _require_editable(record)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    return removal_of(_edit_page(uow, record), key)


def removal_of(page: EditPage, key: str) -> AreaRemoval:
    """The area `key` of the record on `page`, the open actions raised in it, and where they may go."""
    record = page.record
    area = next((a for a in record.sections.get("areas", []) if a["key"] == key), None)
    if area is None:
        raise NotFound(f"this record has no area '{key}'", "key")
    held = [e.action for e in page.entries
            if e.action.section == key and e.action.raised_in_record_id == record.id and not e.completed]
    return AreaRemoval(page, area, held, [(k, t) for k, t in page.section_titles.items() if k != key])


def action_page(uow: Work, caller: Caller, record_id: int, action_id: str) -> tuple[EditPage, ActionEntry]:
    """One action of an editable record, for its current supervisor to correct or remove (an
    audited read); the change itself is `edit`, as the API's."""
    record = _for_edit(uow, caller, record_id)
    _require_editable(record)
    access.read(uow, caller, record.supervisee, "record", record.id, "record.read")
    page = _edit_page(uow, record)
    return page, page.entry(action_id)


# --- a supervisee's file as their supervisor's pages show it ---------------------------------------

def records_of(db: Session, supervisee_id: int) -> list[Record]:
    """A supervisee's records, newest session first."""
    return list(db.scalars(select(Record).where(Record.supervisee_id == supervisee_id)
                           .order_by(Record.session_date.desc(), Record.id.desc())))


def actions_of(db: Session, supervisee_id: int) -> list[Action]:
    """Every action raised for a supervisee, open ones first, then newest first."""
    return list(db.scalars(select(Action).where(Action.supervisee_id == supervisee_id)
                           .order_by(Action.completed_on.is_not(None), Action.date_added.desc(), Action.id)))


@dataclass(frozen=True)
class History:
    """A supervisee's supervision file: their records and the actions raised in them."""

    supervisee: Person
    records: list[Record]
    actions: list[Action]


def history(uow: Work, caller: Caller, supervisee_id: int) -> History:
    """A supervisee's records and actions, for anyone with a basis to read them (an audited read,
    `records.history`)."""
    db = uow.session
    supervisee = people.get_person(db, supervisee_id)
    access.read(uow, caller, supervisee, "person", supervisee.id, "records.history")
    return History(supervisee, records_of(db, supervisee.id), actions_of(db, supervisee.id))


class NewRecord(NamedTuple):
    """What the start page shows: the supervisee, and the record kinds their role may use
    ((key, title), the role's own first): more than one, and the page asks which (issue 23)."""

    supervisee: Person
    kinds: list[tuple[str, str]]


def new_record_form(uow: Work, caller: Caller, supervisee_id: int) -> NewRecord:
    """The supervisee whose record the caller is about to start, with the forms their role may use:
    the form is only for their current supervisor, who alone may `start_record`. Nothing is written
    until the record is started."""
    supervisee = people.get_person(uow.session, supervisee_id)
    if caller.account is None:
        raise Unauthenticated("sign in first")
    profile = uow.deployment.profile
    access.edit_access(uow.session, caller.account, supervisee, break_glass=profile.break_glass)
    kinds = [(key, profile.record_kinds[key].title) for key in profile.kinds_for(supervisee.role)] \
        if supervisee.role in profile.roles else []
    return NewRecord(supervisee, kinds)
