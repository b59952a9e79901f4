"""An administrator's pages: people, teams, supervision relationships and the policy profile in use.

Administrators manage who is who, never what a record says (workflows.access); the changes are
audited as the API's are.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovPasswordInput, GovSubmitInput
from sqlalchemy import select
from wtforms import PasswordField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired

from storage.models import Account, Person
from docgen.web import forms
from docgen.web.navigation import page, signed_in
from storage import audit
from workflows import accounts, agreements, people
from storage.errors import Conflict, InvalidInput

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
ALL = 200  # the most a select offers; a bigger organisation needs a search instead
# What each grantable role lets a person do, in the words on the form (keys: accounts.GRANTED_ROLES).
ROLE_HINTS = {"hr": "HR: leavers, transfers and records forwarded to HR",
              "auditor": "Auditor: reads any record, giving a reason each time",
              "admin": "Administrator: people, teams and who supervises whom",
              "senior_manager": "Senior manager: may break glass to read a record; the supervisee is told"}


class AccountForm(FlaskForm):
    """A sign-in for a person; the passwords are never shown back (PasswordField leaves them empty)."""

    password = PasswordField("Password", widget=GovPasswordInput(), description="At least 12 characters",
                             validators=[InputRequired(message="Enter a password")])
    confirm = PasswordField("Confirm the password", widget=GovPasswordInput(),
                            validators=[InputRequired(message="Enter the password again"),
                                        EqualTo("password", message="The passwords do not match")])
    roles = SelectMultipleField("Granted roles (optional)", widget=GovCheckboxesInput(),
                                description="Supervisor and line manager follow from who supervises and "
                                            "manages whom; they are never granted",
                                choices=forms.options(*((r, ROLE_HINTS.get(r, r)) for r in accounts.GRANTED_ROLES)))
    submit = SubmitField("Create the sign-in", widget=GovSubmitInput())


def _services() -> Any:
    return current_app.extensions["docgen"]


def _audit(action: str, object_type: str, object_id: int) -> None:
    audit.record(g.db, action, actor_id=signed_in().person_id, object_type=object_type, object_id=object_id,
                 ip=request.remote_addr or "")


def _person_choices(blank: str | None) -> list[SelectChoice]:
    everyone, _ = people.list_people(g.db, status="active", per_page=ALL)
    return forms.options(*([("", blank)] if blank else []), *((str(p.id), f"{p.name} ({p.email})") for p in everyone))


def _person_form(person: Person | None = None) -> forms.PersonForm:
    form = forms.PersonForm(obj=person)
    teams, _ = people.list_teams(g.db, per_page=ALL)
    form.role.choices = forms.options(*((key, role.label) for key, role in _services().profile.roles.items()))
    form.team_id.choices = forms.options(("", "No team"), *((str(t.id), t.name) for t in teams))
    form.line_manager_id.choices = [c for c in _person_choices("No line manager") if not person or c.value != str(person.id)]
    if person is not None and request.method == "GET":
        form.team_id.data = str(person.team_id or "")
        form.line_manager_id.data = str(person.line_manager_id or "")
    return form


def _person_data(form: forms.PersonForm) -> dict[str, Any]:
    return {"name": form.name.data, "email": form.email.data, "role": form.role.data,
            "job_title": form.job_title.data or "", "team_id": forms.optional_id(form.team_id.data),
            "line_manager_id": forms.optional_id(form.line_manager_id.data),
            "employment_type": form.employment_type.data, "employment_start": form.employment_start.data,
            "leave_date": form.leave_date.data}


@bp.get("/people")
@page("admin")
def people_list() -> Any:
    number = max(1, request.args.get("page", 1, type=int) or 1)
    items, total = people.list_people(g.db, page=number, per_page=PER_PAGE)
    return render_template("admin/people.html", people=items, total=total, per_page=PER_PAGE, page=number,
                           profile=_services().profile)


@bp.route("/people/new", methods=["GET", "POST"])
@page("admin")
def people_new() -> Any:
    form = _person_form()
    if form.validate_on_submit():
        try:
            person = people.create_person(g.db, _services().organisation(g.db), _services().profile, _person_data(form))
            _audit("person.create", "person", person.id)
            g.db.commit()
            flash(f"{person.name} has been added")
            return redirect(url_for("admin.people_list"))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    return render_template("admin/person_form.html", form=form, person=None), 400 if form.errors else 200


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@page("admin")
def people_edit(person_id: int) -> Any:
    person = people.get_person(g.db, person_id)
    form = _person_form(person)
    if form.validate_on_submit():
        try:
            people.update_person(g.db, person, _services().profile, _person_data(form))
            _audit("person.update", "person", person.id)
            g.db.commit()
            flash(f"{person.name} has been updated")
            return redirect(url_for("admin.people_list"))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    has_account = g.db.scalar(select(Account.id).where(Account.person_id == person.id)) is not None
    return render_template("admin/person_form.html", form=form, person=person,
                           has_account=has_account), 400 if form.errors else 200


@bp.route("/people/<int:person_id>/account", methods=["GET", "POST"])
@page("admin")
def account_new(person_id: int) -> Any:
    """Give an existing person a sign-in, with any granted roles (workflows.accounts checks both)."""
    person = people.get_person(g.db, person_id)
    form = AccountForm()
    if form.validate_on_submit():
        try:
            account = accounts.create_account(g.db, person, form.password.data or "", form.roles.data or [])
            _audit("account.create", "account", account.id)
            g.db.commit()
            flash(f"{person.name} can now sign in with {person.email}")
            return redirect(url_for("admin.people_edit", person_id=person.id))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc, {"email": "password"})
    return render_template("admin/account_form.html", form=form, person=person), 400 if form.errors else 200


@bp.route("/teams", methods=["GET", "POST"])
@page("admin")
def teams() -> Any:
    form = forms.TeamForm()
    if form.validate_on_submit():
        try:
            team = people.create_team(g.db, _services().organisation(g.db), form.name.data, form.service.data or "")
            _audit("team.create", "team", team.id)
            g.db.commit()
            flash(f"The team ‘{team.name}’ has been added")
            return redirect(url_for("admin.teams"))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    items, _ = people.list_teams(g.db, per_page=ALL)
    return render_template("admin/teams.html", form=form, teams=items), 400 if form.errors else 200


@bp.route("/relationships", methods=["GET", "POST"])
@page("admin")
def relationships() -> Any:
    """Who supervises whom; starting one also starts the draft agreement it needs (as in the API)."""
    form = forms.RelationshipForm()
    form.supervisee_id.choices = _person_choices("Choose the supervisee")
    form.supervisor_id.choices = _person_choices("Choose the supervisor")
    if form.validate_on_submit():
        try:
            rel, _draft = agreements.start_relationship(
                g.db, _services().profile, forms.optional_id(form.supervisee_id.data),
                forms.optional_id(form.supervisor_id.data), form.starts_on.data)
            _audit("relationship.create", "relationship", rel.id)
            g.db.commit()
            flash(f"{rel.supervisor.name} now supervises {rel.supervisee.name}")
            return redirect(url_for("admin.relationships"))
        except (InvalidInput, Conflict) as exc:
            g.db.rollback()
            forms.show_error(form, exc)
    items, _ = people.list_relationships(g.db, per_page=ALL)
    return render_template("admin/relationships.html", form=form, relationships=items), 400 if form.errors else 200


@bp.get("/policy")
@page("admin")
def policy() -> Any:
    return render_template("admin/policy.html", profile=_services().profile)
