"""Drafting records in bulk: a pre-filled record for every supervised person in a team, as Word files.

For a team's supervision day (`docgen generate`): each active member with a supervisor on the day
gets a draft record (previous record's actions carried forward, as `records.create_record` does)
and its DOCX. It is all or nothing: the drafts are handed over before the records are committed,
so if they cannot be written no record is left behind, and a second run for the same day is
refused (a record for that session already exists) without touching the files written the first
time.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from storage.models import Person
from workflows import people, records
from workflows.deployment import Work
from workflows.pipeline import docx_filename, record_docx

TEAM_SIZE = 200  # the most people one run drafts for


@dataclass(frozen=True)
class Draft:
    """One draft record's Word file."""

    filename: str
    docx: bytes


def _as_given(_label: str, members: list[Person]) -> Iterable[Person]:
    return members


def draft_team(uow: Work, team_name: str, session_date: dt.date, deliver: Callable[[list[Draft]], None],
               progress: Callable[[str, list[Person]], Iterable[Person]] = _as_given) -> list[Draft]:
    """Draft the team's records for `session_date`, hand their Word files to `deliver`, then commit.

    `progress(label, people)` wraps the loop over the people drafted for (a command line shows a
    bar with it).
    """
    db, deployment = uow.session, uow.deployment
    team = people.team_by_name(db, team_name)
    supervised = [p for p in people.list_people(db, team_id=team.id, status="active", per_page=TEAM_SIZE)[0]
                  if people.current_supervisor(db, p.id, session_date) is not None]
    drafts = []
    for person in progress(f"Drafting records for {team.name}", supervised):
        record = records.create_record(db, deployment.profile, person, session_date)
        drafts.append(Draft(docx_filename(records.record_number(record), person.name),
                            record_docx(deployment, db, record)))
    deliver(drafts)
    uow.commit()
    return drafts
