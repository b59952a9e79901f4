"""Actions and their carry-forward from record to record (K App B §4, S 12.3).

An action keeps one id from the session that raised it until it is completed. Each record holds an
`ActionEntry` per action it shows, with that session's progress. A record carries every action
still open when it is created; an action marked completed shows as completed in that record and is
not carried into the next one, while its entries stay as its history.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from kernel.errors import InvalidInput
from storage.models import Action, ActionEntry, Record
from workflows import access, people
from workflows.access import Caller
from workflows.deployment import Work

# No 0/O, 1/I/L: ids are read aloud and retyped from paper.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

# "By when" is free text ("next supervision"), but a date written in it must exist: 31/02/2026 is
# refused rather than kept as a deadline nobody can meet.
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{2}|\d{4})\b")
_WORDED_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})\b")


def new_action_id(db: Session) -> str:
    """A short random id, unique among actions."""
    while True:
        candidate = "A" + "".join(secrets.choice(_ALPHABET) for _ in range(6))
        if db.get(Action, candidate) is None:
            return candidate


def open_actions(db: Session, supervisee_id: int, on_or_before: dt.date) -> list[Action]:
    """Actions of a supervisee not yet completed, raised in sessions up to a date.

    Oldest first, and within one session in the order of the table they were raised in, so a
    record's summary reads the same from month to month.
    """
    raised = (ActionEntry.action_id == Action.id) & (ActionEntry.record_id == Action.raised_in_record_id)
    return list(db.scalars(
        select(Action).join(Record, Record.id == Action.raised_in_record_id).join(ActionEntry, raised)
        .where(Action.supervisee_id == supervisee_id, Action.completed_in_record_id.is_(None),
               Record.session_date <= on_or_before)
        .order_by(Action.date_added, Record.session_date, ActionEntry.position, Action.id)))


def latest_progress(db: Session, action_ids: list[str]) -> dict[str, str]:
    """The most recent non-empty progress note per action (shown when it is carried forward)."""
    if not action_ids:
        return {}
    rows = db.execute(
        select(ActionEntry.action_id, ActionEntry.progress, Record.session_date)
        .join(Record, Record.id == ActionEntry.record_id)
        .where(ActionEntry.action_id.in_(action_ids), ActionEntry.progress != "")
        .order_by(Record.session_date, Record.id)).all()
    return {action_id: progress for action_id, progress, _ in rows}


def carry_forward(db: Session, record: Record) -> list[ActionEntry]:
    """Add every open action of the supervisee from earlier sessions to a new record."""
    entries = []
    for position, action in enumerate(open_actions(db, record.supervisee_id, record.session_date)):
        entry = ActionEntry(record_id=record.id, action_id=action.id, position=position)
        db.add(entry)
        entries.append(entry)
    db.flush()
    return entries


def checked_due(due: str) -> str:
    """The "By when" text, refused (naming the field) when a date in it does not exist."""
    due = (due or "").strip()
    written = [(int(d), int(m), int(y)) for d, m, y in _NUMERIC_DATE.findall(due)]
    written += [(int(d), _MONTHS[m.lower()], int(y)) for d, m, y in _WORDED_DATE.findall(due) if m.lower() in _MONTHS]
    for day, month, year in written:
        try:
            dt.date(year + 2000 if year < 100 else year, month, day)
        except ValueError:
            raise InvalidInput(f"By when must be a real date: {due} does not exist", "actions.due") from None
    return due


def raise_action(db: Session, record: Record, *, section: str, text: str, owner: str = "", due: str = "",
                 date_added: dt.date | None = None) -> Action:
    """A new action raised in this record's welfare, an area, or the summary table itself."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("an action needs its text", "actions.text")
    action = Action(id=new_action_id(db), supervisee_id=record.supervisee_id, raised_in_record_id=record.id,
                    section=section, date_added=date_added or record.session_date, text=text,
                    owner=owner.strip(), due=checked_due(due))
    db.add(action)
    position = db.scalar(select(func.count()).select_from(ActionEntry).where(ActionEntry.record_id == record.id)) or 0
    db.add(ActionEntry(record_id=record.id, action_id=action.id, position=position))
    db.flush()
    return action


def entries(db: Session, record: Record) -> list[ActionEntry]:
    """The actions shown in a record, in table order (actions loaded in the same query)."""
    return list(db.scalars(select(ActionEntry).options(joinedload(ActionEntry.action))
                           .where(ActionEntry.record_id == record.id).order_by(ActionEntry.position, ActionEntry.id)))


def entry_for(db: Session, record: Record, action_id: str) -> ActionEntry:
    entry = db.scalar(select(ActionEntry).where(ActionEntry.record_id == record.id, ActionEntry.action_id == action_id))
    if entry is None:
        raise InvalidInput(f"action {action_id} is not part of this record", "actions.id")
    return entry


def record_progress(db: Session, record: Record, action_id: str, *, progress: str | None = None,
                    completed: bool | None = None, text: str | None = None, owner: str | None = None,
                    due: str | None = None) -> ActionEntry:
    """Progress for this session; completing marks the action done as of this record."""
    entry = entry_for(db, record, action_id)
    action = entry.action
    if progress is not None:
        entry.progress = progress.strip()
    if text is not None:
        if not text.strip():
            raise InvalidInput("an action needs its text", "actions.text")
        action.text = text.strip()
    if owner is not None:
        action.owner = owner.strip()
    if due is not None:
        action.due = checked_due(due)
    if completed is not None:
        if action.completed_in_record_id not in (None, record.id):
            raise InvalidInput(f"action {action_id} was completed in an earlier record", "actions.completed")
        entry.completed = completed
        action.completed_in_record_id = record.id if completed else None
        action.completed_on = record.session_date if completed else None
    db.flush()
    return entry


def remove_from_record(db: Session, record: Record, action_id: str) -> None:
    """Drop an action raised in this very record (a mistake); carried ones stay until completed."""
    entry = entry_for(db, record, action_id)
    if entry.action.raised_in_record_id != record.id:
        raise InvalidInput(f"action {action_id} was carried forward: mark it completed instead", "actions.id")
    action = entry.action
    db.delete(entry)
    db.flush()
    db.delete(action)
    db.flush()


@dataclass(frozen=True)
class HistoryEntry:
    record_id: int
    session_date: dt.date
    progress: str
    completed: bool


def history(db: Session, action_id: str) -> tuple[Action, list[HistoryEntry]]:
    """An action and its progress in every record it appeared in, oldest first."""
    action = db.get(Action, action_id)
    if action is None:
        raise access.no_such_document()
    rows = db.execute(select(ActionEntry, Record.session_date).join(Record, Record.id == ActionEntry.record_id)
                      .where(ActionEntry.action_id == action_id).order_by(Record.session_date, Record.id)).all()
    return action, [HistoryEntry(e.record_id, d, e.progress, e.completed) for e, d in rows]


def read_history(uow: Work, caller: Caller, action_id: str) -> tuple[Action, list[HistoryEntry]]:
    """An action's history for anyone with a basis to read its supervisee's records (audited)."""
    action, rows = history(uow.session, action_id)
    supervisee = people.get_person(uow.session, action.supervisee_id)
    access.read(uow, caller, supervisee, "action", action.id, "action.read")
    return action, rows
