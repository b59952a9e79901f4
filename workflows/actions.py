"""Actions and their carry-forward from record to record (K App B §4, S 12.3).

An action keeps one id from the session that raised it until it is completed. Each record holds an
`ActionEntry` per action it shows, with that session's progress. A record carries every action
still open when it is created; an action marked completed shows as completed in that record and is
not carried into the next one, while its entries stay as its history. One removed as no longer
needed is closed the same way, with the reason as that session's progress (issue 27).
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
_MONTHS["sept"] = 9
_ORDINAL = r"(?:st|nd|rd|th)?"
# Each pattern names its parts: 31/01/2027 or 31.1.27 (day first, as in the UK), 2027-01-31,
# 31 January 2027 or 31st of Jan. 2027, and January 31, 2027.
_DATES = [re.compile(pattern) for pattern in (
    r"\b(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4}|\d{2})\b",
    r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b",
    rf"\b(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<m>[A-Za-z]+)\.?,?\s+(?P<y>\d{{4}})\b",
    rf"\b(?P<m>[A-Za-z]+)\.?\s+(?P<d>\d{{1,2}}){_ORDINAL},?\s+(?P<y>\d{{4}})\b")]


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


def _written_dates(due: str) -> list[tuple[int, int, int]]:
    """Each date written in a "By when" text, as (year, month, day), existing or not, in the order
    written ("Review the 12/01/2026 incident by 31/01/2027": the due date is the last)."""
    found: dict[tuple[int, int], tuple[int, int, int]] = {}
    for pattern in _DATES:
        for match in pattern.finditer(due):
            month = match["m"] if match["m"].isdigit() else _MONTHS.get(match["m"].lower())
            overlaps = any(start < match.end() and match.start() < end for start, end in found)
            if month is not None and not overlaps:  # one piece of text is one date, read by the first pattern
                year = int(match["y"])
                found[match.span()] = (year + 2000 if year < 100 else year, int(month), int(match["d"]))
    return [found[span] for span in sorted(found)]


def due_date(due: str) -> dt.date | None:
    """The last real date written in a "By when" text; None for words alone ("Friday", "end of
    month"), which mean nothing once the action is carried into a later session (issue 27)."""
    for year, month, day in reversed(_written_dates(due or "")):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return None


def checked_due(due: str, not_before: dt.date | None = None) -> str:
    """The "By when" text, refused (naming the field) when a date in it does not exist, or when the
    date it is due by falls before `not_before`: the session it is set in, since an action agreed
    in a session cannot be due before it (issue 27)."""
    due = (due or "").strip()
    for year, month, day in _written_dates(due):
        try:
            dt.date(year, month, day)
        except ValueError:
            raise InvalidInput(f"By when must be a real date: {due} does not exist", "actions.due") from None
    by = due_date(due)  # the date it is due by: the last written (an earlier one may name what it is about)
    if not_before is not None and by is not None and by < not_before:
        raise InvalidInput(f"By when must be on or after the session ({not_before:%-d %B %Y}): {due} is "
                           "before it", "actions.due")
    return due


def raise_action(db: Session, record: Record, *, section: str, text: str, owner: str = "", due: str = "",
                 date_added: dt.date | None = None) -> Action:
    """A new action raised in this record's welfare, an area, or the summary table itself."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("an action needs its text", "actions.text")
    action = Action(id=new_action_id(db), supervisee_id=record.supervisee_id, raised_in_record_id=record.id,
                    section=section, date_added=date_added or record.session_date, text=text,
                    owner=owner.strip(), due=checked_due(due, record.session_date))
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
    """Progress for this session; completing marks the action done as of this record. A corrected
    "By when" is checked against this session; one left as it was is not (a carried action may be
    overdue, and says so)."""
    entry = entry_for(db, record, action_id)
    action = entry.action
    if progress is not None:
        entry.progress = progress.strip()
    _reword(db, record, action, text, owner)
    if due is not None and due.strip() != action.due:
        action.due = checked_due(due, record.session_date)
    if completed is not None:
        if action.completed_in_record_id not in (None, record.id):
            raise InvalidInput(f"action {action_id} was completed in an earlier record", "actions.completed")
        entry.completed = completed
        action.completed_in_record_id = record.id if completed else None
        action.completed_on = record.session_date if completed else None
    db.flush()
    return entry


def held_elsewhere(db: Session, action: Action, record: Record) -> dt.date | None:
    """The session date of another record that holds this action (one it was carried from or
    into), or None: the records share one row of words, so a record's reading depends on it."""
    return db.scalar(select(Record.session_date).join(ActionEntry, ActionEntry.record_id == Record.id)
                     .where(ActionEntry.action_id == action.id, ActionEntry.record_id != record.id)
                     .order_by(Record.session_date).limit(1))


def _reword(db: Session, record: Record, action: Action, text: str | None, owner: str | None) -> None:
    """Correct what an action says or who does it, only while no other record holds it: an earlier
    record (signed, perhaps) would read the new words as its own. Its "By when" may still be set,
    which is how a carried "Friday" gets a real date (issue 27)."""
    changes = {key: value.strip() for key, value in (("text", text), ("owner", owner))
               if value is not None and value.strip() != getattr(action, key)}
    if not changes:
        return
    if changes.get("text") == "":
        raise InvalidInput("an action needs its text", "actions.text")
    shared = held_elsewhere(db, action, record)
    if shared is not None:
        raise InvalidInput(f"this action is also in the record of {shared:%-d %B %Y}, which would read the new "
                           "words as its own: remove it here as no longer needed and add a new action instead",
                           f"actions.{next(iter(changes))}")
    for key, value in changes.items():
        setattr(action, key, value)


def move_to(db: Session, record: Record, action_id: str, section: str) -> None:
    """Move an action raised in this record to another of its parts (an area about to be removed
    hands its open actions on, issue 27). A carried action stays where it was raised: moving it
    would change how the earlier, signed record reads."""
    entry = entry_for(db, record, action_id)
    if entry.action.raised_in_record_id != record.id:
        raise InvalidInput(f"action {action_id} was raised in an earlier record and stays where it was raised",
                           "actions.section")
    entry.action.section = section
    db.flush()


def as_written(action: Action) -> dict[str, str]:
    """What an action says, as an audit entry keeps it before and after a correction or removal."""
    return {"text": action.text, "owner": action.owner, "due": action.due, "section": action.section}


NO_LONGER_NEEDED = "No longer needed"


def remove_from_record(db: Session, record: Record, action_id: str, reason: str = "") -> None:
    """Remove an action from this record. One raised in this very record (a mistake) goes; one
    carried from an earlier record stays in the records that showed it (its history) and is closed
    here as no longer needed, with the reason as this session's progress, so it is not carried
    again (K App B §4: carried forward until closed)."""
    entry = entry_for(db, record, action_id)
    action = entry.action
    if action.raised_in_record_id == record.id:
        later = held_elsewhere(db, action, record)
        if later is not None:
            raise InvalidInput(f"this action was carried into the record of {later:%-d %B %Y}: close it there "
                               "as no longer needed", "actions.id")
        db.delete(entry)
        db.flush()
        db.delete(action)
        db.flush()
        return
    if not (reason or "").strip():
        raise InvalidInput("say why the action is no longer needed", "actions.reason")
    if action.completed_in_record_id not in (None, record.id):
        raise InvalidInput(f"action {action_id} was completed in an earlier record", "actions.completed")
    entry.progress = f"{NO_LONGER_NEEDED}: {reason.strip()}"
    entry.completed = True
    action.completed_in_record_id, action.completed_on = record.id, record.session_date
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
