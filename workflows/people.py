"""People, teams and supervision relationships: the organisation docgen knows.

Plain functions over a session; each validates everything before it writes, so a refused
request changes nothing (the caller commits once at the end).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.models import INTEGER_MAX, Organisation, Person, SupervisionRelationship, Team
from kernel.errors import Conflict, InvalidInput, NotFound
from workflows.profiles import Profile

PERSON_FIELDS = ("name", "email", "role", "job_title", "team_id", "line_manager_id", "employment_type",
                 "employment_start", "leave_date")
EMPLOYMENT_TYPES = ("employee", "agency", "contract")


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"  # GOV.UK's words


def normalise_email(value: str) -> str:
    """A checked, lower-cased address; no DNS look-up (these machines are offline). Spaces around
    a pasted address are dropped; a malformed one is refused in GOV.UK's words, not the validator's
    (issue 27: "The part after the @-sign contains invalid characters" told an administrator
    nothing they could act on)."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput(EMAIL_FORMAT, "email") from None


def email_problem(value: str) -> str | None:
    """What is wrong with a typed address, or None: a page checks it beside its own boxes, so the
    e-mail's error comes in the same answer as a missing date (GOV.UK: every error at once)."""
    try:
        normalise_email(value)
    except InvalidInput as exc:
        return exc.message
    return None


def has_left(person: Person, today: dt.date) -> bool:
    """Whether a person has left: marked as a leaver and their leaving date has come. Their sign-in
    closes then, not when the date is recorded: someone serving notice still signs their last
    records (K §9: complete and signed within five working days)."""
    return person.status == "leaver" and (person.leave_date is None or person.leave_date <= today)


def get_person(db: Session, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}", "id")
    return person


def person_by_email(db: Session, email: str) -> Person:
    person = db.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise NotFound(f"no person with e-mail {email}", "email")
    return person


def _check_manager(db: Session, person: Person, manager_id: int | None) -> None:
    """A line manager must exist and must not be the person or anyone they manage (a loop)."""
    if manager_id is None:
        return
    seen: set[int] = set()
    current: int | None = manager_id
    while current is not None:
        if person.id is not None and current == person.id:
            raise InvalidInput("line manager would create a management loop", "line_manager_id")
        if current in seen:
            raise InvalidInput("the management chain already loops", "line_manager_id")
        seen.add(current)
        manager = db.get(Person, current)
        if manager is None:
            raise InvalidInput(f"no person with id {current} to be line manager", "line_manager_id")
        current = manager.line_manager_id


def _apply(db: Session, person: Person, data: dict[str, Any], profile: Profile) -> None:
    """Validate the fields given, then set them (validation first: nothing half-applied)."""
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput(f"unknown field '{name}'", name)
    if "job_title" in data and data["job_title"] is None:  # a PATCH's null empties it (the column is NOT NULL)
        data["job_title"] = ""
    if "name" in data and not str(data["name"] or "").strip():
        raise InvalidInput("name must not be empty", "name")
    if "email" in data:
        typed = str(data["email"] or "").strip()
        data["email"] = normalise_email(typed)
        clash = db.scalar(select(Person.id).where(Person.email == data["email"]))
        if clash is not None and clash != person.id:  # named as typed, not as stored (issue 27)
            raise Conflict(f"Another person already has the email address {typed}", "email")
    if "role" in data:
        profile.check_role(str(data["role"]))
    if "employment_type" in data and data["employment_type"] not in EMPLOYMENT_TYPES:
        raise InvalidInput(f"employment_type must be one of {', '.join(EMPLOYMENT_TYPES)}", "employment_type")
    if data.get("team_id") is not None and db.get(Team, data["team_id"]) is None:
        raise InvalidInput(f"no team with id {data['team_id']}", "team_id")
    if "line_manager_id" in data:
        _check_manager(db, person, data["line_manager_id"])
    start = data.get("employment_start", person.employment_start)
    leave = data.get("leave_date", person.leave_date)
    if start is None:
        raise InvalidInput("employment_start is required", "employment_start")
    if leave is not None and leave < start:
        raise InvalidInput("leave_date is before employment_start", "leave_date")
    for key, value in data.items():
        setattr(person, key, value)


def create_person(db: Session, org: Organisation, profile: Profile, data: dict[str, Any]) -> Person:
    """Add a member of staff; name, email, role and employment_start are required."""
    for required in ("name", "email", "role", "employment_start"):
        if data.get(required) in (None, ""):
            raise InvalidInput(f"{required} is required", required)
    person = Person(organisation_id=org.id)
    _apply(db, person, dict(data), profile)
    db.add(person)
    db.flush()
    return person


def update_person(db: Session, person: Person, profile: Profile, data: dict[str, Any]) -> Person:
    """Change some fields of a person; the same checks as on creation.

    A leaving date is not one of them: recording or correcting it ends the person's supervision and
    is audited (`movers.mark_leaver`, which `organisation.change_person` hands it to), so a change
    here is refused with the way to it; the same date sent back is accepted as no change.
    """
    if "leave_date" in data and data["leave_date"] != person.leave_date:
        raise InvalidInput(f"leave_date is recorded as a leaving: use POST /api/v1/people/{person.id}/leaver "
                           f"or HR’s page /hr/people/{person.id}/leaving", "leave_date")
    _apply(db, person, dict(data), profile)
    db.flush()
    return person


def list_people(db: Session, *, team_id: int | None = None, role: str | None = None,
                status: str | None = None, q: str | None = None, within: frozenset[int] | None = None,
                page: int = 1, per_page: int = 50) -> tuple[list[Person], int]:
    """A page of people matching the filters (`within`: only these ids), and the total count."""
    query = select(Person)
    if within is not None:
        query = query.where(Person.id.in_(within))
    if team_id is not None:
        query = query.where(Person.team_id == team_id)
    if role:
        query = query.where(Person.role == role)
    if status:
        query = query.where(Person.status == status)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(func.lower(Person.name).like(like) | Person.email.like(like))
    return one_page(db, query.order_by(Person.name, Person.id), page, per_page)


def one_page(db: Session, query: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    """One page of a query's rows (page from 1, 1 to 200 a page) and how many rows there are in all."""
    if not 1 <= page <= INTEGER_MAX:  # beyond it the offset overflows the database
        raise InvalidInput(f"page must be between 1 and {INTEGER_MAX}", "page")
    if not 1 <= per_page <= 200:
        raise InvalidInput("per_page must be between 1 and 200", "per_page")
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(db.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return items, total


def create_team(db: Session, org: Organisation, name: str, service: str = "") -> Team:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty", "name")
    if db.scalar(select(Team.id).where(Team.organisation_id == org.id, Team.name == name)):
        raise Conflict(f"a team called '{name}' already exists", "name")
    team = Team(organisation_id=org.id, name=name, service=(service or "").strip())
    db.add(team)
    db.flush()
    return team


def update_team(db: Session, team: Team, data: dict[str, Any]) -> Team:
    unknown = set(data) - {"name", "service"}
    if unknown:
        raise InvalidInput(f"unknown field '{sorted(unknown)[0]}'", sorted(unknown)[0])
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise InvalidInput("name must not be empty", "name")
        clash = db.scalar(select(Team.id).where(Team.organisation_id == team.organisation_id, Team.name == name))
        if clash is not None and clash != team.id:
            raise Conflict(f"a team called '{name}' already exists", "name")
        team.name = name
    if "service" in data:
        team.service = (data["service"] or "").strip()
    db.flush()
    return team


def get_team(db: Session, team_id: int) -> Team:
    team = db.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}", "id")
    return team


def team_by_name(db: Session, name: str) -> Team:
    team = db.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise NotFound(f"no team called '{name}'", "team")
    return team


def list_teams(db: Session, *, service: str | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Team], int]:
    query = select(Team)
    if service:
        query = query.where(Team.service == service)
    return one_page(db, query.order_by(Team.name), page, per_page)


def relationship_on(db: Session, supervisee_id: int, on: dt.date) -> SupervisionRelationship | None:
    """The supervisee's relationship covering `on`: the latest started, should a transfer's new
    relationship and the old one both cover the day (the old one ends the day before, by rule)."""
    return db.scalar(select(SupervisionRelationship).where(
        SupervisionRelationship.supervisee_id == supervisee_id, SupervisionRelationship.covering(on),
    ).order_by(SupervisionRelationship.starts_on.desc(), SupervisionRelationship.id.desc()).limit(1))


def current_supervisor(db: Session, supervisee_id: int, on: dt.date) -> Person | None:
    """The supervisor of a person on a date, from the relationship covering it."""
    rel = relationship_on(db, supervisee_id, on)
    return rel.supervisor if rel else None


def transfer_underway(db: Session, person: Person, today: dt.date) -> bool:
    """Whether a transfer is recorded for a later date: a relationship that has not started yet."""
    return db.scalar(select(SupervisionRelationship.id).where(
        SupervisionRelationship.supervisee_id == person.id,
        SupervisionRelationship.starts_on > today).limit(1)) is not None


def refuse_leaver(person: Person, on: dt.date, field: str) -> None:
    """Refuse, naming `field`, to make `person` someone's supervisor or line manager from `on` when
    they will have gone by then: marked as a leaver with no date, or leaving on or before `on` (a
    leaver's relationships end on the leave date, `movers.mark_leaver`, so none can start then)."""
    if person.leave_date is not None and person.leave_date <= on:
        raise InvalidInput(f"{person.name}’s leave date is {person.leave_date:%-d %B %Y}: choose someone who "
                           f"is still here on {on:%-d %B %Y}", field)
    if person.status == "leaver" and person.leave_date is None:
        raise InvalidInput(f"{person.name} has left: choose someone who is still here", field)


def _check_relationship(db: Session, supervisee_id: int, supervisor_id: int,
                        starts_on: dt.date, ends_on: dt.date | None, exclude: int | None = None) -> None:
    get_person_field(db, supervisee_id, "supervisee_id")
    supervisor = get_person_field(db, supervisor_id, "supervisor_id")
    if starts_on is None:  # a PATCH may send null
        raise InvalidInput("starts_on is required", "starts_on")
    refuse_leaver(supervisor, starts_on, "supervisor_id")
    if supervisee_id == supervisor_id:
        raise InvalidInput("a person cannot supervise themselves", "supervisor_id")
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("ends_on is before starts_on", "ends_on")
    overlapping = select(SupervisionRelationship.id).where(
        SupervisionRelationship.supervisee_id == supervisee_id,
        (SupervisionRelationship.ends_on.is_(None)) | (SupervisionRelationship.ends_on >= starts_on),
    )
    if ends_on is not None:
        overlapping = overlapping.where(SupervisionRelationship.starts_on <= ends_on)
    if exclude is not None:
        overlapping = overlapping.where(SupervisionRelationship.id != exclude)
    if db.scalar(overlapping) is not None:
        raise Conflict("the supervisee already has a supervisor in that period: change their supervisor (which "
                       "ends the current supervision the day before), or end it first", "starts_on")


def get_person_field(db: Session, person_id: int, field: str) -> Person:
    """A person named by a request field; InvalidInput naming that field if missing."""
    person = db.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None:
        raise InvalidInput(f"no person with id {person_id}", field)
    return person


def create_relationship(db: Session, supervisee_id: int, supervisor_id: int, starts_on: dt.date,
                        ends_on: dt.date | None = None) -> SupervisionRelationship:
    """Record that one person supervises another from a date (one supervisor at a time)."""
    _check_relationship(db, supervisee_id, supervisor_id, starts_on, ends_on)
    rel = SupervisionRelationship(supervisee_id=supervisee_id, supervisor_id=supervisor_id,
                                  starts_on=starts_on, ends_on=ends_on)
    db.add(rel)
    db.flush()
    return rel


def update_relationship(db: Session, rel: SupervisionRelationship, data: dict[str, Any]) -> SupervisionRelationship:
    unknown = set(data) - {"supervisee_id", "supervisor_id", "starts_on", "ends_on"}
    if unknown:
        raise InvalidInput(f"unknown field '{sorted(unknown)[0]}'", sorted(unknown)[0])
    merged = {"supervisee_id": rel.supervisee_id, "supervisor_id": rel.supervisor_id,
              "starts_on": rel.starts_on, "ends_on": rel.ends_on, **data}
    _check_relationship(db, merged["supervisee_id"], merged["supervisor_id"], merged["starts_on"],
                        merged["ends_on"], exclude=rel.id)
    for key, value in data.items():
        setattr(rel, key, value)
    db.flush()
    return rel


def get_relationship(db: Session, rel_id: int, *, locked: bool = False) -> SupervisionRelationship:
    """The relationship, or NotFound. `locked` (a change made from a revision the caller read): on
    PostgreSQL the row is read FOR NO KEY UPDATE, so a change racing one that is committing waits
    for it and then reads its revision, and is refused as changed since read, not by what the
    other change did."""
    rel = db.get(SupervisionRelationship, rel_id, with_for_update={"key_share": True} if locked else None,
                 populate_existing=locked)
    if rel is None:
        raise NotFound(f"no supervision relationship with id {rel_id}", "id")
    return rel


def list_relationships(db: Session, *, supervisee_id: int | None = None, supervisor_id: int | None = None,
                       current_on: dt.date | None = None, involving: frozenset[int] | None = None,
                       page: int = 1, per_page: int = 50) -> tuple[list[SupervisionRelationship], int]:
    """A page of relationships matching the filters (`involving`: only those whose supervisee or
    supervisor is one of these ids), and the total count."""
    query = select(SupervisionRelationship)
    if involving is not None:
        query = query.where(SupervisionRelationship.supervisee_id.in_(involving)
                            | SupervisionRelationship.supervisor_id.in_(involving))
    if supervisee_id is not None:
        query = query.where(SupervisionRelationship.supervisee_id == supervisee_id)
    if supervisor_id is not None:
        query = query.where(SupervisionRelationship.supervisor_id == supervisor_id)
    if current_on is not None:
        query = query.where(SupervisionRelationship.covering(current_on))
    return one_page(db, query.order_by(SupervisionRelationship.starts_on, SupervisionRelationship.id), page, per_page)


def management_chain(db: Session, person: Person) -> list[Person]:
    """The person's line managers, nearest first (line managers read for monitoring, K/W)."""
    chain: list[Person] = []
    current = person.line_manager
    while current is not None and current not in chain:
        chain.append(current)
        current = current.line_manager
    return chain


def line_below(person_id: int | None) -> Select[tuple[int]]:
    """The ids of everyone below a person in the management chain, as one recursive query to
    select from or to test membership in."""
    below = select(Person.id).where(Person.line_manager_id == person_id).cte("below", recursive=True)
    below = below.union(select(Person.id).join(below, Person.line_manager_id == below.c.id))
    return select(below.c.id)


def overseen_by(db: Session, person_id: int, today: dt.date) -> frozenset[int]:
    """The people whose supervision a person may monitor: those they supervise now, and everyone
    below them in the management chain (K: "relevant line managers"; W: line management for
    monitoring). One recursive query."""
    supervised = select(SupervisionRelationship.supervisee_id).where(
        SupervisionRelationship.supervisor_id == person_id, SupervisionRelationship.covering(today))
    return frozenset(db.scalars(line_below(person_id).union(supervised)))
