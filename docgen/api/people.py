"""People, teams and supervision relationships over JSON. Reads: teams, any account; a person and
their relationships, those with a reason to look them up (the person, their supervisor and line
managers, HR, administrators, auditors, senior managers; 404 for anyone else); writes: admin or HR
(teams: admin), as `workflows.organisation` decides."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from docgen.api.revisions import if_match, tagged
from docgen.api.routing import json_body, page_of, route
from docgen.api.schemas import AgreementOut, PersonOut, RecordOut, RelationshipOut, TeamOut, given, parse
from docgen.auth import caller, login_required, uow
from workflows import accounts, organisation, supervision_changes, supervision_file
from workflows.inputs import Paging
from workflows.inputs.organisation import (PeopleQuery, PersonCreate, PersonUpdate, RelationshipCreate, RelationshipsQuery,
                                          RelationshipUpdate, TeamCreate, TeamsQuery, TeamUpdate)
from workflows.inputs.supervision import ChangeSupervisor


class MeOut(BaseModel):
    """Who the bearer token (or session) signs in."""

    account_id: int
    roles: list[str] = Field(description="granted roles: hr, auditor, admin, senior_manager; supervising and "
                                         "managing follow from relationships, not from here")
    person: PersonOut


@route("GET", "/me", "Who this token signs in: the person, and the roles granted to them", response=MeOut)
@login_required
def me() -> Any:
    account = accounts.me(caller())
    return MeOut(account_id=account.id, roles=sorted(account.roles or []),
                 person=PersonOut.model_validate(account.person)).model_dump(mode="json")


@route("GET", "/people", "List the people you may look up: yourself, those you supervise and those below you in "
       "the line (HR, admin, auditors and senior managers: everyone); filters: team_id, role, status, q",
       response=PersonOut, paged=True, query=PeopleQuery)
@login_required
def list_people(query: PeopleQuery) -> Any:
    items, total = organisation.find_people(uow(), caller(), team_id=query.team_id, role=query.role,
                                            status=query.status, q=query.q, page=query.page, per_page=query.per_page)
    return page_of(items, total, query)


@route("POST", "/people", "Add a person", request_model=PersonCreate, response=PersonOut, status=201,
       revisioned=True)
@login_required
def create_person() -> Any:
    body = parse(PersonCreate, json_body())
    person = organisation.add_person(uow(), caller(), given(body) | {
        "name": body.name, "email": body.email, "role": body.role, "employment_start": body.employment_start})
    return tagged(PersonOut.model_validate(person).model_dump(mode="json"), 201)


@route("GET", "/people/<int:person_id>", "Read a person you may look up (404 otherwise, as for an id never "
       "issued)", response=PersonOut, revisioned=True)
@login_required
def get_person(person_id: int) -> Any:
    return tagged(PersonOut.model_validate(organisation.read_person(uow(), caller(), person_id)).model_dump(mode="json"))


@route("PATCH", "/people/<int:person_id>", "Change a person", request_model=PersonUpdate, response=PersonOut,
       revisioned=True)
@login_required
def update_person(person_id: int) -> Any:
    body = parse(PersonUpdate, json_body())
    person = organisation.change_person(uow(), caller(), person_id, given(body), if_match())
    return tagged(PersonOut.model_validate(person).model_dump(mode="json"))


@route("GET", "/teams", "List teams (filter: service)", response=TeamOut, paged=True, query=TeamsQuery)
@login_required
def list_teams(query: TeamsQuery) -> Any:
    items, total = organisation.find_teams(uow(), caller(), service=query.service, page=query.page,
                                           per_page=query.per_page)
    return page_of(items, total, query)


@route("POST", "/teams", "Add a team", request_model=TeamCreate, response=TeamOut, status=201)
@login_required
def create_team() -> Any:
    body = parse(TeamCreate, json_body())
    team = organisation.add_team(uow(), caller(), body.name, body.service)
    return TeamOut.model_validate(team).model_dump(mode="json"), 201


@route("GET", "/teams/<int:team_id>", "Read a team", response=TeamOut)
@login_required
def get_team(team_id: int) -> Any:
    return TeamOut.model_validate(organisation.read_team(uow(), caller(), team_id)).model_dump(mode="json")


@route("PATCH", "/teams/<int:team_id>", "Change a team", request_model=TeamUpdate, response=TeamOut)
@login_required
def update_team(team_id: int) -> Any:
    body = parse(TeamUpdate, json_body())
    team = organisation.change_team(uow(), caller(), team_id, given(body))
    return TeamOut.model_validate(team).model_dump(mode="json")


@route("GET", "/relationships", "List the supervision relationships of people you may look up (filters: "
       "supervisee_id, supervisor_id)",
       response=RelationshipOut, paged=True, query=RelationshipsQuery)
@login_required
def list_relationships(query: RelationshipsQuery) -> Any:
    items, total = organisation.find_relationships(uow(), caller(), supervisee_id=query.supervisee_id,
                                                   supervisor_id=query.supervisor_id, page=query.page,
                                                   per_page=query.per_page)
    return page_of(items, total, query)


@route("POST", "/relationships", "Start a supervision relationship (and its agreement draft)", request_model=RelationshipCreate,
       response=RelationshipOut, status=201, revisioned=True)
@login_required
def create_relationship() -> Any:
    body = parse(RelationshipCreate, json_body())
    rel = organisation.start_supervision(uow(), caller(), body.supervisee_id, body.supervisor_id, body.starts_on,
                                         body.ends_on)
    return tagged(RelationshipOut.model_validate(rel).model_dump(mode="json"), 201)


@route("GET", "/relationships/<int:rel_id>", "Read a supervision relationship whose supervisee or supervisor "
       "you may look up (404 otherwise)", response=RelationshipOut,
       revisioned=True)
@login_required
def get_relationship(rel_id: int) -> Any:
    rel = organisation.read_relationship(uow(), caller(), rel_id)
    return tagged(RelationshipOut.model_validate(rel).model_dump(mode="json"))


@route("PATCH", "/relationships/<int:rel_id>", "Change or end a supervision relationship",
       request_model=RelationshipUpdate, response=RelationshipOut, revisioned=True)
@login_required
def update_relationship(rel_id: int) -> Any:
    body = parse(RelationshipUpdate, json_body())
    rel = organisation.change_relationship(uow(), caller(), rel_id, given(body), if_match())
    return tagged(RelationshipOut.model_validate(rel).model_dump(mode="json"))


@route("POST", "/relationships/<int:rel_id>/change-supervisor", "Give the supervisee a new supervisor from a "
       "date: this relationship (at the revision in If-Match) ends the day before; answers with the new one",
       request_model=ChangeSupervisor, response=RelationshipOut, status=201, revisioned=True, conditional=True)
@login_required
def change_supervisor(rel_id: int) -> Any:
    body = parse(ChangeSupervisor, json_body())
    done = supervision_changes.change_supervisor(uow(), caller(), rel_id, body, if_match())
    return tagged(RelationshipOut.model_validate(done.started).model_dump(mode="json"), 201)


@route("GET", "/people/<int:person_id>/records", "A person's records as supervisee, newest first (an audited read: "
       "the supervisee, their supervisor and line managers, HR once forwarded, an auditor with a reason)",
       response=RecordOut, paged=True, query=Paging)
@login_required
def person_records(person_id: int, query: Paging) -> Any:
    items, total = supervision_file.records_of(uow(), caller(), person_id, query.page, query.per_page)
    return page_of(items, total, query)


@route("GET", "/people/<int:person_id>/agreements", "A person's supervision agreements, newest first (an audited "
       "read, under the same rules as their records)", response=AgreementOut, paged=True,
       query=Paging)
@login_required
def person_agreements(person_id: int, query: Paging) -> Any:
    items, total = supervision_file.agreements_of(uow(), caller(), person_id, query.page, query.per_page)
    return page_of(items, total, query)
