"""What the administration pages show: people, the choices their forms offer, teams, who
supervises whom, and the policy profile in use.

Administrators manage who is who, never what a record says (`workflows.access`); the changes these
pages make are `workflows.organisation`'s and `workflows.accounts.open_account`, as for the API.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.models import Account, Person, SupervisionRelationship, Team
from workflows import access, movers, people
from workflows.access import Caller
from workflows.deployment import Work
from workflows.profiles import Profile

ALL = movers.ALL  # the most a select offers; a bigger organisation needs a search instead


@dataclass(frozen=True)
class PeopleList:
    """One page of everyone docgen knows, with the profile that names their roles."""

    people: list[Person]
    total: int
    profile: Profile


@dataclass(frozen=True)
class PersonForm:
    """What the form for a new or existing person offers: the profile's roles, the teams and the
    people who could be line manager (never the person themselves)."""

    person: Person | None
    has_account: bool
    roles: list[tuple[str, str]]
    teams: list[Team]
    line_managers: list[Person]


@dataclass(frozen=True)
class Supervision:
    """Who supervises whom, and the people a new relationship can be between."""

    relationships: list[SupervisionRelationship]
    people: list[Person]


def people_list(uow: Work, caller: Caller, page: int, per_page: int) -> PeopleList:
    access.require_role(caller, access.ADMINISTRATORS)
    items, total = people.list_people(uow.session, page=page, per_page=per_page)
    return PeopleList(items, total, uow.deployment.profile)


def person_form(uow: Work, caller: Caller, person_id: int | None = None) -> PersonForm:
    access.require_role(caller, access.ADMINISTRATORS)
    db = uow.session
    person = people.get_person(db, person_id) if person_id is not None else None
    has_account = person is not None and db.scalar(select(Account.id).where(Account.person_id == person.id)) is not None
    teams, _ = people.list_teams(db, per_page=ALL)
    return PersonForm(person, has_account, [(key, role.label) for key, role in {**uow.deployment.profile.roles, **uow.deployment.profile.staff_roles}.items()],
                      teams, movers.candidates(db, (person.id if person is not None else None,)))


def account_form(uow: Work, caller: Caller, person_id: int) -> Person:
    """The person a new sign-in is for."""
    access.require_role(caller, access.ADMINISTRATORS)
    return people.get_person(uow.session, person_id)


def teams(uow: Work, caller: Caller) -> list[Team]:
    access.require_role(caller, access.ADMINISTRATORS)
    return people.list_teams(uow.session, per_page=ALL)[0]


def supervision(uow: Work, caller: Caller) -> Supervision:
    access.require_role(caller, access.ADMINISTRATORS)
    db = uow.session
    return Supervision(people.list_relationships(db, per_page=ALL)[0],
                       people.list_people(db, status="active", per_page=ALL)[0])

