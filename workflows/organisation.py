"""Use cases over the organisation docgen knows: people, teams and who supervises whom.

Anyone signed in may look teams up. A person's directory entry and their supervision relationships
are read by those with a reason to (`access.directory_scope`): the person, whoever supervises them
now or is above them in the line, and HR, administrators, auditors and senior managers; anyone else
is told there is no such person or relationship, and lists leave them out. Administrators and HR
add and change people and relationships; only administrators add and change teams. Every change
is audited with who made it and from where, in the same transaction. The API and the
administration pages call these same functions; the rules they apply are in `workflows.people`,
`workflows.agreements` and `workflows.access`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from storage import audit
from kernel.errors import DomainError, NotFound, Unauthenticated
from storage.models import Organisation, Person, SupervisionRelationship, Team
from workflows import access, agreements, movers, people, revisions
from workflows.access import Caller
from workflows.deployment import Work


@dataclass(frozen=True)
class Established:
    """The organisation a deployment serves, and the demo sign-ins made with it (name, e-mail,
    roles), if asked for."""

    organisation: Organisation
    demo_logins: list[tuple[str, str, str]] = field(default_factory=list)


def establish(uow: Work) -> Established:
    """The organisation this deployment serves, made on first use under the configured name (or
    the profile's council) and profile (`workflows.demo.establish` adds a demo team to it).
    Safe to run twice: what exists is kept."""
    db, deployment = uow.session, uow.deployment
    org = db.scalar(select(Organisation).limit(1))
    if org is None:
        org = Organisation(name=deployment.config.organisation or deployment.profile.council,
                           profile=deployment.profile.name)
        db.add(org)
        db.flush()
    uow.commit()
    return Established(org)


def _signed_in(caller: Caller) -> None:
    if caller.account is None:
        raise Unauthenticated("sign in first")


@contextmanager
def _refused_undone(uow: Work) -> Iterator[None]:
    """A refused change is rolled back at once, so a page showing its form again reads the
    organisation as it was."""
    try:
        yield
    except DomainError:
        uow.rollback()
        raise


def _audited(uow: Work, caller: Caller, action: str, object_type: str, object_id: int) -> None:
    """Audit the change and commit it with its entry."""
    audit.record(uow.session, action, actor_id=caller.person_id, object_type=object_type, object_id=object_id,
                 ip=caller.ip)
    uow.commit()


# --- People -------------------------------------------------------------------------------------


def find_people(uow: Work, caller: Caller, *, team_id: int | None = None, role: str | None = None,
                status: str | None = None, q: str | None = None, page: int = 1,
                per_page: int = 50) -> tuple[list[Person], int]:
    """A page of the people the caller may look up (`access.directory_scope`) matching the
    filters, and how many match in all."""
    within = access.directory_scope(uow.session, caller)
    return people.list_people(uow.session, team_id=team_id, role=role, status=status, q=q, within=within,
                              page=page, per_page=per_page)


def read_person(uow: Work, caller: Caller, person_id: int) -> Person:
    """A person's directory entry, for a caller who may look them up (`access.directory_scope`);
    anyone else gets the answer an id never issued gets."""
    scope = access.directory_scope(uow.session, caller)
    if scope is not None and person_id not in scope:
        raise NotFound(f"no person with id {person_id}", "id")  # `people.get_person`'s words
    return people.get_person(uow.session, person_id)


def add_person(uow: Work, caller: Caller, data: dict[str, Any]) -> Person:
    """Add a member of staff (name, email, role and employment_start required)."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    with _refused_undone(uow):
        person = people.create_person(uow.session, uow.deployment.organisation(uow.session),
                                      uow.deployment.profile, data)
    _audited(uow, caller, "person.create", "person", person.id)
    return person


def change_person(uow: Work, caller: Caller, person_id: int, data: dict[str, Any], revision: int | None) -> Person:
    """Change a person, from the revision the caller read (If-Match, or the page's hidden field):
    a change someone else made since is never overwritten (PreconditionFailed)."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    with _refused_undone(uow):
        person = people.get_person(uow.session, person_id)
        revisions.expect(person, revision, "person")
        data = dict(data)
        leave_date = data.pop("leave_date", person.leave_date)
        people.update_person(uow.session, person, uow.deployment.profile, data)
        if leave_date != person.leave_date:  # one path for a leaving date: it ends supervision (S 12.4)
            movers.leave_on(uow.session, person, leave_date, caller.person)
    _audited(uow, caller, "person.update", "person", person.id)
    return person


# --- Teams --------------------------------------------------------------------------------------


def find_teams(uow: Work, caller: Caller, *, service: str | None = None, page: int = 1,
               per_page: int = 50) -> tuple[list[Team], int]:
    _signed_in(caller)
    return people.list_teams(uow.session, service=service, page=page, per_page=per_page)


def read_team(uow: Work, caller: Caller, team_id: int) -> Team:
    _signed_in(caller)
    return people.get_team(uow.session, team_id)


def add_team(uow: Work, caller: Caller, name: str, service: str = "") -> Team:
    access.require_role(caller, access.ADMINISTRATORS)
    with _refused_undone(uow):
        team = people.create_team(uow.session, uow.deployment.organisation(uow.session), name, service)
    _audited(uow, caller, "team.create", "team", team.id)
    return team


def change_team(uow: Work, caller: Caller, team_id: int, data: dict[str, Any]) -> Team:
    access.require_role(caller, access.ADMINISTRATORS)
    with _refused_undone(uow):
        team = people.update_team(uow.session, people.get_team(uow.session, team_id), data)
    _audited(uow, caller, "team.update", "team", team.id)
    return team


# --- Who supervises whom ------------------------------------------------------------------------


def find_relationships(uow: Work, caller: Caller, *, supervisee_id: int | None = None,
                       supervisor_id: int | None = None, page: int = 1,
                       per_page: int = 50) -> tuple[list[SupervisionRelationship], int]:
    """A page of the relationships the caller may read (`read_relationship`) matching the
    filters, and how many match in all."""
    involving = access.directory_scope(uow.session, caller)
    return people.list_relationships(uow.session, supervisee_id=supervisee_id, supervisor_id=supervisor_id,
                                     involving=involving, page=page, per_page=per_page)


def read_relationship(uow: Work, caller: Caller, rel_id: int) -> SupervisionRelationship:
    """A supervision relationship, for a caller who may look up its supervisee or its supervisor
    (`access.directory_scope`: a supervisor, current or former, reads their own); anyone else gets
    the answer an id never issued gets."""
    scope = access.directory_scope(uow.session, caller)
    rel = people.get_relationship(uow.session, rel_id)
    if scope is not None and not {rel.supervisee_id, rel.supervisor_id} & scope:
        raise NotFound(f"no supervision relationship with id {rel_id}", "id")  # `people.get_relationship`'s
    return rel


def start_supervision(uow: Work, caller: Caller, supervisee_id: int | None, supervisor_id: int | None,
                      starts_on: dt.date, ends_on: dt.date | None = None) -> SupervisionRelationship:
    """One person supervises another from a date; the draft agreement the relationship needs
    starts with it (K: "at the start of the supervisory relationship"). A missing id (a page's
    empty choice) is refused naming its field."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    with _refused_undone(uow):
        rel, _draft = agreements.start_relationship(uow.session, uow.deployment.profile, supervisee_id,
                                                    supervisor_id, starts_on, ends_on)
        # The claim, as a move's (`movers.move`): the supervisee's row is written, its revision
        # checked and raised, so of two supervisions started at once for someone the second is
        # refused rather than both passing the overlap check before either committed.
        flag_modified(rel.supervisee, "status")
    _audited(uow, caller, "relationship.create", "relationship", rel.id)
    return rel


def change_relationship(uow: Work, caller: Caller, rel_id: int, data: dict[str, Any],
                        revision: int | None) -> SupervisionRelationship:
    """Change or end a relationship (the same checks as starting one), from the revision the caller
    read, as `change_person`."""
    access.require_role(caller, access.PEOPLE_MANAGERS)
    with _refused_undone(uow):
        rel = people.get_relationship(uow.session, rel_id)
        revisions.expect(rel, revision, "supervision relationship")
        people.update_relationship(uow.session, rel, data)
    _audited(uow, caller, "relationship.update", "relationship", rel.id)
    return rel
