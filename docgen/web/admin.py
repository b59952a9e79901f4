"""An administrator's pages: people, teams, supervision relationships and the policy profile in use.

Administrators manage who is who, never what a record says (workflows.access). A page shows what
`workflows.administration` gives it; a form is saved by the same use case as the API's
(`workflows.organisation`, `workflows.accounts.open_account`), audited alike. A refused form is
shown again, with the refusal on the field it names; a person's form refused because someone else
changed them since it was opened is shown as typed, beside their saved details (`forms.Stale`).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovPasswordInput, GovSelect, GovSubmitInput
from wtforms import PasswordField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import EqualTo, InputRequired

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to, query_to
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import Conflict, DomainError, InvalidInput, PreconditionFailed
from storage.models import Person
from workflows import (access, accounts, administration, areas, organisation, people, profile_confirmations,
                       profile_sources, supervision_changes)
from workflows.inputs import Paging
from workflows.inputs.organisation import PersonCreate, PersonUpdate, RelationshipCreate, RelationshipUpdate, TeamCreate
from workflows.inputs.supervision import ChangeSupervisor

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


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
                                choices=forms.options(*((r, accounts.ROLE_DESCRIPTIONS.get(r, r))
                                                        for r in access.GRANTED_ROLES)))
    submit = SubmitField("Create the sign-in", widget=GovSubmitInput())


class _Mistyped(Exception):
    """A form whose own checks failed (their messages are on its fields): shown again, like a form
    a use case refused."""


def _typed(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        raise _Mistyped


def _person_typed(form: forms.PersonForm) -> None:
    """The person form's own checks and the e-mail's format together, so every box at fault is named
    in one answer (issue 27: the e-mail's error came only once the date was fixed)."""
    typed = form.validate_on_submit()
    problem = people.email_problem(form.email.data) if form.email.data and not form.email.errors else None
    if problem:
        form.email.errors = [*form.email.errors, problem]
    if problem or not typed:
        raise _Mistyped


def _refused(form: FlaskForm, exc: Exception, fields: dict[str, str] | None = None) -> None:
    """Put a use case's refusal on the form (a mistyped form carries its own messages)."""
    if isinstance(exc, DomainError):
        forms.show_error(form, exc, fields)


def _person_choices(people: list[Person], blank: str) -> list[Any]:
    return forms.options(("", blank), *((str(p.id), f"{p.name} ({p.email})") for p in people))


def _person_page(form: forms.PersonForm, shown: administration.PersonForm, status: int = 200,
                 stale: bool = False) -> tuple[str, int]:
    """The form for a new or existing person, with the choices the organisation offers; `stale`
    when it was refused because someone else changed the person since it was opened."""
    form.role.choices = forms.options(*shown.roles)
    form.team_id.choices = forms.options(("", "No team"), *((str(t.id), t.name) for t in shown.teams))
    form.line_manager_id.choices = _person_choices(shown.line_managers, "No line manager")
    person = shown.person
    clash = (forms.stale(form, _saved_person(person), person.revision, "person’s details")
             if stale and person is not None else None)
    return render_template("admin/person_form.html", form=form, person=person,
                           has_account=shown.has_account, stale=clash), status


def _saved_person(person: Person) -> dict[str, Any]:
    """The person form's fields as the person stands."""
    return {"name": person.name, "email": person.email, "role": person.role, "job_title": person.job_title,
            "team_id": str(person.team_id or ""), "line_manager_id": str(person.line_manager_id or ""),
            "employment_type": person.employment_type, "employment_start": person.employment_start,
            "leave_date": person.leave_date}


@bp.get("/people")
@page(access.ADMINISTRATORS)
def people_list() -> Any:
    number = query_to(Paging).page
    shown = administration.people_list(uow(), caller(), number, PER_PAGE)
    return render_template("admin/people.html", people=shown.people, total=shown.total, per_page=PER_PAGE,
                           page=number, profile=shown.profile)


@bp.get("/people/new")
@page(access.ADMINISTRATORS)
def people_new() -> Any:
    return _person_page(forms.PersonForm(), administration.person_form(uow(), caller()))


@bp.post("/people/new")
@page(access.ADMINISTRATORS)
def people_add() -> Any:
    form = forms.PersonForm()
    try:
        _person_typed(form)
        person = organisation.add_person(uow(), caller(), form_to(PersonCreate, form).model_dump())
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc)
        return _person_page(form, administration.person_form(uow(), caller()), 400)
    flash(f"{person.name} has been added")
    return redirect(url_for("admin.people_list"))


@bp.get("/people/<int:person_id>")
@page(access.ADMINISTRATORS)
def people_edit(person_id: int) -> Any:
    shown = administration.person_form(uow(), caller(), person_id)
    person = shown.person
    form = forms.PersonForm(obj=person)
    form.team_id.data = str(person.team_id or "")
    form.line_manager_id.data = str(person.line_manager_id or "")
    return _person_page(form, shown)


@bp.post("/people/<int:person_id>")
@page(access.ADMINISTRATORS)
def people_change(person_id: int) -> Any:
    form = forms.PersonForm()
    try:
        _person_typed(form)
        # Every box is on the form: one left empty empties the field, as a null does over JSON.
        changed = form_to(PersonUpdate, form).model_dump()
        person = organisation.change_person(uow(), caller(), person_id, changed, form.opened_at())
    except PreconditionFailed:
        return _person_page(form, administration.person_form(uow(), caller(), person_id), 409, stale=True)
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc)
        return _person_page(form, administration.person_form(uow(), caller(), person_id), 400)
    flash(f"{person.name} has been updated")
    return redirect(url_for("admin.people_list"))


def _account_page(form: AccountForm, person: Person, status: int = 200) -> tuple[str, int]:
    return render_template("admin/account_form.html", form=form, person=person), status


@bp.get("/people/<int:person_id>/account")
@page(access.ADMINISTRATORS)
def account_new(person_id: int) -> Any:
    """The form giving an existing person a sign-in, with any granted roles."""
    return _account_page(AccountForm(), administration.account_form(uow(), caller(), person_id))


@bp.post("/people/<int:person_id>/account")
@page(access.ADMINISTRATORS)
def account_add(person_id: int) -> Any:
    """Give the person a sign-in (workflows.accounts checks the password and the roles)."""
    form = AccountForm()
    try:
        _typed(form)
        account = accounts.open_account(uow(), caller(), person_id, form.password.data or "", form.roles.data or [])
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc, {"email": "password"})
        return _account_page(form, administration.account_form(uow(), caller(), person_id), 400)
    flash(f"{account.person.name} can now sign in with {account.person.email}")
    return redirect(url_for("admin.people_edit", person_id=person_id))


def _teams_page(form: forms.TeamForm, teams: list[Any], status: int = 200) -> tuple[str, int]:
    return render_template("admin/teams.html", form=form, teams=teams), status


@bp.get("/teams")
@page(access.ADMINISTRATORS)
def teams() -> Any:
    return _teams_page(forms.TeamForm(), administration.teams(uow(), caller()))


@bp.post("/teams")
@page(access.ADMINISTRATORS)
def teams_add() -> Any:
    form = forms.TeamForm()
    try:
        _typed(form)
        added = form_to(TeamCreate, form)
        team = organisation.add_team(uow(), caller(), added.name, added.service)
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc)
        return _teams_page(form, administration.teams(uow(), caller()), 400)
    flash(f"The team ‘{team.name}’ has been added")
    return redirect(url_for("admin.teams"))


def _relationships_page(form: forms.RelationshipForm, shown: administration.Supervision,
                        status: int = 200) -> tuple[str, int]:
    """Who supervises whom, and the form starting a relationship (and the draft agreement it needs)."""
    form.supervisee_id.choices = _person_choices(shown.people, "Choose the supervisee")
    form.supervisor_id.choices = _person_choices(shown.people, "Choose the supervisor")
    return render_template("admin/relationships.html", form=form, relationships=shown.relationships,
                           manage_from=clock.today()), status


@bp.get("/relationships")
@page(access.ADMINISTRATORS)
def relationships() -> Any:
    return _relationships_page(forms.RelationshipForm(), administration.supervision(uow(), caller()))


@bp.post("/relationships")
@page(access.ADMINISTRATORS)
def relationships_add() -> Any:
    form = forms.RelationshipForm()
    try:
        _typed(form)
        started = form_to(RelationshipCreate, form)
        rel = organisation.start_supervision(uow(), caller(), started.supervisee_id, started.supervisor_id,
                                             started.starts_on, started.ends_on)
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc)
        return _relationships_page(form, administration.supervision(uow(), caller()), 400)
    flash(f"{rel.supervisor.name} now supervises {rel.supervisee.name}")
    return redirect(url_for("admin.relationships"))


class ChangeSupervisorForm(forms.RevisionedForm):
    """A new supervisor for a relationship's supervisee, from a date (the relationship ends the day before)."""

    supervisor_id = SelectField("New supervisor", widget=GovSelect(), validate_choice=False)
    starts_on = forms.GovDateField("New supervisor starts on", required=True)
    submit = SubmitField("Change the supervisor", widget=GovSubmitInput())


class EndRelationshipForm(forms.RevisionedForm):
    """The last day of a supervision relationship."""

    ends_on = forms.GovDateField("Last day of this supervision", required=True)
    submit = SubmitField("End the supervision", widget=GovSubmitInput())


RelationshipChangeForm = ChangeSupervisorForm | EndRelationshipForm


def _relationship_page(form: RelationshipChangeForm, rel_id: int, status: int = 200,
                       stale: bool = False) -> tuple[str, int]:
    """A relationship with the form changing its supervisor or ending it; `stale` when it was
    refused because someone else changed the relationship since the form was opened."""
    if isinstance(form, ChangeSupervisorForm):
        shown = supervision_changes.change_form(uow(), caller(), rel_id)
        rel = shown.relationship
        form.supervisor_id.choices = _person_choices(shown.candidates, "Choose the new supervisor")
    else:
        rel = organisation.read_relationship(uow(), caller(), rel_id)
    clash = forms.stale(form, {}, rel.revision, "supervision", note="Someone else changed this supervision since you "
                        "opened the page: check it as it is now, then submit again if it still needs the change.") \
        if stale else None
    if not stale and form.revision.data in (None, ""):
        form.revision.data = str(rel.revision)
    return render_template("admin/relationship_form.html", form=form, rel=rel, stale=clash, back=_back(),
                           ending=isinstance(form, EndRelationshipForm)), status


def _back() -> tuple[str, str]:
    """Where a relationship's form leads back to: who supervises whom for an administrator; for HR,
    who may change a supervisor too, the leavers and transfers page, which lists recent changes."""
    if areas.ADMINISTRATION in areas.areas_of(uow(), caller()):
        return url_for("admin.relationships"), "Back to who supervises whom"
    return url_for("hr.leavers"), "Back to leavers and transfers"


# Who may change a supervisor is the use case's to decide (`supervision_changes.CHANGED_BY`), the
# same on this page as over the API.
@bp.get("/relationships/<int:rel_id>/change-supervisor")
@page()
def relationship_change_form(rel_id: int) -> Any:
    """The form giving the supervisee a new supervisor from a date."""
    return _relationship_page(ChangeSupervisorForm(), rel_id)


@bp.post("/relationships/<int:rel_id>/change-supervisor")
@page()
def relationship_change(rel_id: int) -> Any:
    """Change the supervisor: the relationship ends the day before the new one starts, in one
    commit (`workflows.supervision_changes`); a refused change is shown again as typed."""
    form = ChangeSupervisorForm()
    try:
        _typed(form)
        done = supervision_changes.change_supervisor(uow(), caller(), rel_id, form_to(ChangeSupervisor, form),
                                                     form.opened_at())
    except PreconditionFailed:
        return _relationship_page(form, rel_id, 409, stale=True)
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc)
        return _relationship_page(form, rel_id, 400)
    started, ended = done.started, done.ended
    flash(f"{started.supervisor.name} supervises {started.supervisee.name} from {started.starts_on:%-d %B %Y}"
          + (f"; {ended.supervisor.name}’s supervision ends on {ended.ends_on:%-d %B %Y}" if ended and ended.ends_on
             else "") + ". A draft supervision agreement has been started.")
    return redirect(_back()[0])


# Ending a supervision is for those who may change one (`organisation.change_relationship`: HR too).
@bp.get("/relationships/<int:rel_id>/end")
@page(access.PEOPLE_MANAGERS)
def relationship_end_form(rel_id: int) -> Any:
    """The form ending a supervision relationship on a date."""
    return _relationship_page(EndRelationshipForm(), rel_id)


@bp.post("/relationships/<int:rel_id>/end")
@page(access.PEOPLE_MANAGERS)
def relationship_end(rel_id: int) -> Any:
    """End the relationship on the date given (the API's PATCH with `ends_on`, audited alike)."""
    form = EndRelationshipForm()
    try:
        _typed(form)
        ended = form_to(RelationshipUpdate, form).model_dump(exclude_unset=True)
        rel = organisation.change_relationship(uow(), caller(), rel_id, ended, form.opened_at())
    except PreconditionFailed:
        return _relationship_page(form, rel_id, 409, stale=True)
    except (_Mistyped, InvalidInput, Conflict) as exc:
        _refused(form, exc)
        return _relationship_page(form, rel_id, 400)
    flash(f"{rel.supervisor.name}’s supervision of {rel.supervisee.name} ends on {rel.ends_on:%-d %B %Y}")
    return redirect(_back()[0])


@bp.get("/policy")
@page(access.ADMINISTRATORS)
def policy() -> Any:
    shown = profile_confirmations.policy_page(uow(), caller())
    return render_template("admin/policy.html", profile=shown.profile, unconfirmed=shown.unconfirmed,
                           is_default=profile_sources.is_default, reason=profile_sources.reason)


@bp.get("/policy/confirm")
@page(access.ADMINISTRATORS)
def policy_confirm_check() -> Any:
    """The default to confirm, to check before confirming it (issue 27: it was one click)."""
    shown = profile_confirmations.to_check(uow(), caller(), request.args.get("key", ""))
    return render_template("admin/policy_confirm.html", default=shown, reason=profile_sources.reason, error=None)


@bp.post("/policy/confirm")
@page(access.ADMINISTRATORS)
def policy_confirm() -> Any:
    """An administrator confirms one of docgen's defaults for the council (recorded in the audit
    log), declaring that the council has decided to keep it; without that, the check page again."""
    key = request.form.get("key", "")
    try:
        done = profile_confirmations.confirm(uow(), caller(), key, request.form.get("fingerprint", ""),
                                             decided=request.form.get("decided") == "yes")
    except InvalidInput as exc:
        if exc.field == "decided":
            return render_template("admin/policy_confirm.html", reason=profile_sources.reason, error=exc,
                                   default=profile_confirmations.to_check(uow(), caller(), key)), exc.status
        flash(f"Not confirmed: {exc}")
        return redirect(url_for("admin.policy"))
    flash(f"Confirmed for the council: {done.key} ({done.value})")
    return redirect(url_for("admin.policy"))
