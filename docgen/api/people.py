"""People, teams and supervision relationships over JSON. Reads: any account; writes: admin or HR."""
from __future__ import annotations

from typing import Any

from flask import current_app, g, request

from docgen.api.routing import commit, int_arg, json_body, page_of, paging, route
from docgen.api.schemas import (PersonCreate, PersonOut, PersonUpdate, RelationshipCreate, RelationshipOut,
                                RelationshipUpdate, TeamCreate, TeamOut, TeamUpdate, given, parse)
from docgen.auth import login_required, roles_required
from storage import audit
from workflows import agreements, people


def _services() -> Any:
    return current_app.extensions["docgen"]




def _audit(action: str, object_type: str, object_id: int) -> None:
    audit.record(g.db, action, actor_id=g.account.person_id, object_type=object_type, object_id=object_id,
                 ip=request.remote_addr or "")


@route("GET", "/people", "List people (filters: team_id, role, status, q)", response=PersonOut, paged=True)
@login_required
def list_people() -> Any:
    page, per_page = paging()
    items, total = people.list_people(g.db, team_id=int_arg("team_id"), role=request.args.get("role"),
                                      status=request.args.get("status"), q=request.args.get("q"),
                                      page=page, per_page=per_page)
    return page_of(items, total, PersonOut, page, per_page)


@route("POST", "/people", "Add a person", request_model=PersonCreate, response=PersonOut, status=201)
@roles_required("admin", "hr")
def create_person() -> Any:
    body = parse(PersonCreate, json_body())
    services = _services()
    person = people.create_person(g.db, services.organisation(g.db), services.profile, given(body) | {
        "name": body.name, "email": body.email, "role": body.role, "employment_start": body.employment_start})
    _audit("person.create", "person", person.id)
    commit()
    return PersonOut.model_validate(person).model_dump(mode="json"), 201


@route("GET", "/people/<int:person_id>", "Read a person", response=PersonOut)
@login_required
def get_person(person_id: int) -> Any:
    return PersonOut.model_validate(people.get_person(g.db, person_id)).model_dump(mode="json")


@route("PATCH", "/people/<int:person_id>", "Change a person", request_model=PersonUpdate, response=PersonOut)
@roles_required("admin", "hr")
def update_person(person_id: int) -> Any:
    body = parse(PersonUpdate, json_body())
    person = people.update_person(g.db, people.get_person(g.db, person_id), _services().profile, given(body))
    _audit("person.update", "person", person.id)
    commit()
    return PersonOut.model_validate(person).model_dump(mode="json")


@route("GET", "/teams", "List teams (filter: service)", response=TeamOut, paged=True)
@login_required
def list_teams() -> Any:
    page, per_page = paging()
    items, total = people.list_teams(g.db, service=request.args.get("service"), page=page, per_page=per_page)
    return page_of(items, total, TeamOut, page, per_page)


@route("POST", "/teams", "Add a team", request_model=TeamCreate, response=TeamOut, status=201)
@roles_required("admin")
def create_team() -> Any:
    body = parse(TeamCreate, json_body())
    team = people.create_team(g.db, _services().organisation(g.db), body.name, body.service)
    _audit("team.create", "team", team.id)
    commit()
    return TeamOut.model_validate(team).model_dump(mode="json"), 201


@route("GET", "/teams/<int:team_id>", "Read a team", response=TeamOut)
@login_required
def get_team(team_id: int) -> Any:
    return TeamOut.model_validate(people.get_team(g.db, team_id)).model_dump(mode="json")


@route("PATCH", "/teams/<int:team_id>", "Change a team", request_model=TeamUpdate, response=TeamOut)
@roles_required("admin")
def update_team(team_id: int) -> Any:
    body = parse(TeamUpdate, json_body())
    team = people.update_team(g.db, people.get_team(g.db, team_id), given(body))
    _audit("team.update", "team", team.id)
    commit()
    return TeamOut.model_validate(team).model_dump(mode="json")


@route("GET", "/relationships", "List supervision relationships (filters: supervisee_id, supervisor_id)",
       response=RelationshipOut, paged=True)
@login_required
def list_relationships() -> Any:
    page, per_page = paging()
    items, total = people.list_relationships(g.db, supervisee_id=int_arg("supervisee_id"),
                                             supervisor_id=int_arg("supervisor_id"), page=page, per_page=per_page)
    return page_of(items, total, RelationshipOut, page, per_page)


@route("POST", "/relationships", "Start a supervision relationship (and its agreement draft)", request_model=RelationshipCreate,
       response=RelationshipOut, status=201)
@roles_required("admin", "hr")
def create_relationship() -> Any:
    body = parse(RelationshipCreate, json_body())
    rel, _draft = agreements.start_relationship(g.db, _services().profile, body.supervisee_id, body.supervisor_id,
                                                body.starts_on, body.ends_on)
    _audit("relationship.create", "relationship", rel.id)
    commit()
    return RelationshipOut.model_validate(rel).model_dump(mode="json"), 201


@route("GET", "/relationships/<int:rel_id>", "Read a supervision relationship", response=RelationshipOut)
@login_required
def get_relationship(rel_id: int) -> Any:
    return RelationshipOut.model_validate(people.get_relationship(g.db, rel_id)).model_dump(mode="json")


@route("PATCH", "/relationships/<int:rel_id>", "Change or end a supervision relationship",
       request_model=RelationshipUpdate, response=RelationshipOut)
@roles_required("admin", "hr")
def update_relationship(rel_id: int) -> Any:
    body = parse(RelationshipUpdate, json_body())
    rel = people.update_relationship(g.db, people.get_relationship(g.db, rel_id), given(body))
    _audit("relationship.update", "relationship", rel.id)
    commit()
    return RelationshipOut.model_validate(rel).model_dump(mode="json")
