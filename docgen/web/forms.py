"""The page forms (Flask-WTF, GOV.UK widgets) and the error summary that names each field.

A form checks only what a person can get wrong in typing (a missing e-mail, a date that does
not exist); the rules live in `workflows/`, and their `DomainError.field` is put on the form
field it names with `show_error`, so the summary links to the place to fix it.

A form that changes a record, an agreement or a person carries, hidden, the revision it was opened
at (`RevisionedForm`). When someone else saved a change since, the use case refuses it
(`workflows.revisions`) and the page shows the form again as it was typed, with `Stale`: their
saved text beside the typed one, field by field, and the current revision in the hidden field,
so saving again keeps the typed text knowingly. Nothing is overwritten unseen, nothing typed is lost.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (GovCheckboxInput, GovDateInput, GovFileInput, GovPasswordInput,
                                                GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput)
from wtforms import (BooleanField, Field, HiddenField, PasswordField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, ValidationError

from kernel import clock
from kernel.errors import DomainError
from workflows.forms import Field as FormField
from workflows.forms import Form as RecordFormDefinition


class GovDateField(Field):
    """Day, month and year boxes (GOV.UK date input) read into a `datetime.date`.

    Messages follow the GOV.UK date input pattern: what is missing, or that it is not a real date.
    """

    widget = GovDateInput()

    def __init__(self, label: str, required: bool = False, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.required = required
        self.data: dt.date | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = ([v.strip() for v in valuelist] + ["", "", ""])[:3]
        self.raw_data = parts  # the widget shows what was typed, box by box
        self.data = None
        if not any(parts):
            return
        missing = [name for name, value in zip(("day", "month", "year"), parts) if not value]
        if missing:
            raise ValueError(f"{self.label.text} must include a {' and '.join(missing)}")
        try:
            day, month, year = (int(p) for p in parts[:3])
            if year < 1000:
                raise ValueError
            self.data = dt.date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date") from None

    def pre_validate(self, form: Any) -> None:
        if self.required and self.data is None and not self.process_errors:
            raise ValidationError(f"Enter {self.label.text[0].lower()}{self.label.text[1:]}")

    def _value(self) -> str:
        return self.data.strftime("%d %m %Y") if self.data else ""


class ThisYearHint:
    """A hint whose example date is in the current year when the page is drawn ("27 3 2026"),
    not the year the form was written: forms are built once, pages are drawn every day."""

    def __init__(self, template: str) -> None:
        self.template = template

    def __str__(self) -> str:
        return self.template.format(year=clock.today().year)

    def __bool__(self) -> bool:
        return True


def first_input_id(field: Field) -> str:
    """The element an error links to: the day box of a date, else the field itself."""
    return f"{field.name}-day" if isinstance(field, GovDateField) else field.id


def error_summary(form: FlaskForm) -> dict[str, Any] | None:
    """Parameters for govukErrorSummary, one link per field in error (None when all is well)."""
    items = [{"text": field.errors[0], "href": f"#{first_input_id(field)}"} for field in form if field.errors]
    return {"titleText": "There is a problem", "errorList": items} if items else None


def show_error(form: FlaskForm, exc: DomainError, fields: dict[str, str] | None = None) -> None:
    """Put a workflow's error on the form field it names (`fields` maps workflow names to form names).

    An error naming no field of this form goes on its first input, so the summary still links
    somewhere the person can act.
    """
    name = (fields or {}).get(exc.field or "", exc.field or "")
    field = form._fields.get(name) or next(f for f in form if f.type not in ("CSRFTokenField", "SubmitField"))
    message = exc.message
    if exc.field and message.startswith(exc.field):  # "next_supervision must be..." reads as the label
        message = field.label.text + message[len(exc.field):]
    message = message[:1].upper() + message[1:]
    field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]


def revision_in(value: Any) -> int | None:
    """The revision a form was opened at, from its hidden field; None when missing or mangled
    (the use case then refuses the change as not saying what it was made from)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


class RevisionedForm(FlaskForm):
    """A form changing something with an edit revision: the revision it was opened at, hidden."""

    revision = HiddenField()

    def opened_at(self) -> int | None:
        return revision_in(self.revision.data)


@dataclass(frozen=True)
class Difference:
    """One field where the saved text is not what was typed."""

    label: str
    theirs: str
    yours: str
    href: str


def _shown(field: Field, value: Any) -> str:
    """A field's value as a person reads it: a date in words, a choice by its label."""
    if isinstance(field, GovDateField):
        return f"{value:%-d %B %Y}" if value else ""
    if isinstance(field, BooleanField):
        return "Yes" if value else "No"
    if isinstance(field, (SelectField, RadioField)):
        labels = {str(c.value): str(c.label) for c in field.iter_choices()}
        return labels.get(str(value or ""), str(value or ""))
    return str(value or "")


@dataclass(frozen=True)
class Stale:
    """A form refused because someone else saved a change since it was opened: what it changes
    ("record"), the fields where their saved text differs from the typed one, and what the page
    says when no typed text differs (a new area or action, a file). A `locked` one can no longer
    be changed at all (sent for sign-off meanwhile): the typed text is shown only to be copied."""

    what: str
    differences: list[Difference]
    note: str = "The form below still holds what you typed."
    locked: bool = False

    @property
    def summary(self) -> dict[str, Any]:
        """Parameters for govukErrorSummary."""
        if self.locked:
            return {"titleText": f"This {self.what} can no longer be changed",
                    "descriptionText": "It was sent for sign-off since you opened it, so what you typed was not "
                                       "saved. Your text is below: copy what you still need.",
                    "errorList": [{"text": f"{d.label}: your text was not saved", "href": d.href}
                                  for d in self.differences]}
        items = [{"text": f"{d.label}: their saved text is not what you typed", "href": d.href}
                 for d in self.differences]
        return {"titleText": f"Someone else changed this {self.what} since you opened it",
                "descriptionText": "Your changes have not been saved. Check their saved text against yours, "
                                   "then save again to keep what is in the form.",
                "errorList": items or [{"text": f"Check the {self.what} as it is now, then submit again",
                                        "href": "#stale-changes"}]}


def _differences(form: FlaskForm, saved: dict[str, Any], href: str | None = None) -> list[Difference]:
    """The fields of `form` whose typed value is not the saved one, each linking to its input
    (or to `href` when the form is no longer shown)."""
    differences = []
    for field in form:
        if field.short_name not in saved:
            continue
        theirs, yours = _shown(field, saved[field.short_name]), _shown(field, field.data)
        if theirs != yours:
            differences.append(Difference(field.label.text, theirs, yours, href or f"#{first_input_id(field)}"))
    return differences


def stale(form: RevisionedForm, saved: dict[str, Any], revision: int, what: str, **note: str) -> Stale:
    """The typed `form` against `saved` (the current values by field name), and the form moved to
    the current `revision`, so that saving it again replaces their text with the typed one."""
    form.revision.data = str(revision)
    return Stale(what, _differences(form, saved), **note)


def locked_out(form: FlaskForm, saved: dict[str, Any], what: str) -> Stale:
    """The typed `form` against `saved` when the thing can no longer be changed: the typed text
    stays on the page to be copied, not to be saved again."""
    return Stale(what, _differences(form, saved, "#stale-changes"), locked=True)


class Incomplete(Exception):
    """A submitted form has typing errors, already on its fields."""


def filled_in(form: FlaskForm) -> None:
    """Raise `Incomplete` unless the form was submitted without typing errors, so a page shows it
    again in the same `except` as a change the workflow refused (one use case per route)."""
    if not form.validate_on_submit():
        raise Incomplete


def options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """Choices for a select or radios as (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def _text(label: str, required: str | None = None, **kwargs: Any) -> StringField:
    validators = [InputRequired(message=required)] if required else []
    return StringField(label, validators=validators, widget=GovTextInput(), **kwargs)


class SignInForm(FlaskForm):
    email = _text("Email address", "Enter your email address")
    password = PasswordField("Password", validators=[InputRequired(message="Enter your password")],
                             widget=GovPasswordInput())
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class StartRecordForm(FlaskForm):
    session_date = GovDateField("Date of the supervision session", required=True,
                                description=ThisYearHint("For example, 27 3 {year}"))
    submit = SubmitField("Start the record", widget=GovSubmitInput())


class RecordForm(RevisionedForm):
    """The record page's one form: the fields of the record's form (`workflows.forms`), progress on
    each of its actions and a new action and area; each record's fields, areas and actions are
    added by `record_form`.

    Whichever button is pressed (its `step`), what was typed is saved with it, so no button
    discards typing: the GOV.UK "add another" pattern inside one form rather than one form per box.
    """

    new_area_title = _text("Title of the new area")
    new_action_section = SelectField("Raised in", widget=GovSelect(), validate_choice=False)
    new_action_text = TextAreaField("Action", widget=GovTextArea())
    new_action_owner = _text("Who will do it")
    new_action_due = _text("By when", description=ThisYearHint("For example, next supervision or 30 June {year}"))

    def new_action_typed(self) -> bool:
        """Whether anything was typed for a new action (its place alone is not typing)."""
        return any((f.data or "").strip() for f in (self.new_action_text, self.new_action_owner, self.new_action_due))

    def filled_in_for(self, step: str) -> bool:
        """Validate the form for the button pressed: adding an action needs its text, adding an
        area its title, and an action typed in part needs its text whichever button was pressed."""
        valid = self.validate_on_submit()
        if (step == "add-action" or self.new_action_typed()) and not (self.new_action_text.data or "").strip():
            self.new_action_text.errors = [*self.new_action_text.errors, "Enter the action"]
            valid = False
        if step == "add-area" and not (self.new_area_title.data or "").strip():
            self.new_area_title.errors = [*self.new_area_title.errors, "Enter the title of the area"]
            valid = False
        return valid


def box(field: FormField, required: bool = False) -> Field:
    """The page's box for one field of a record's or agreement's form, labelled as the form prints it."""
    if field.type == "date":
        return GovDateField(field.label, required=required, description=field.hint)
    if field.type == "yes_no":
        return RadioField(field.label, choices=options(("Yes", "Yes"), ("No", "No")), validate_choice=False,
                          widget=GovRadioInput(), description=field.hint)
    if field.type == "line":
        return _text(field.label, description=field.hint)
    return TextAreaField(field.label, widget=GovTextArea(), description=field.hint)


def record_form(definition: RecordFormDefinition, areas: list[dict[str, str]], action_ids: Sequence[str] = (),
                **kwargs: Any) -> RecordForm:
    """The RecordForm of one record: a box per field of its form, the welfare discussion where the
    form has one (`welfare`), a discussion box per area (`area_<key>`) and, per action, its
    progress this session and whether it was completed (`progress_<id>`, `completed_<id>`)."""
    fields: dict[str, Field] = {field.key: box(field) for field in definition.fields}
    welfare = next((part for part in definition.parts if part.kind == "welfare"), None)
    if welfare is not None:
        fields["welfare"] = TextAreaField("Welfare discussion", widget=GovTextArea(), description=welfare.prompt)
    fields |= {f"area_{a['key']}": TextAreaField(a["title"], widget=GovTextArea()) for a in areas}
    for action_id in action_ids:
        fields[f"progress_{action_id}"] = TextAreaField(f"Progress on {action_id} this session", widget=GovTextArea())
        fields[f"completed_{action_id}"] = BooleanField("Completed in this session", widget=GovCheckboxInput())
    form_class = type("RecordAreasForm", (RecordForm,), fields)
    return form_class(**kwargs)


class UploadForm(RevisionedForm):
    file = FileField("Upload the edited Word file", widget=GovFileInput(),
                     description="The .docx file you downloaded for this record, with your changes")
    submit = SubmitField("Upload", widget=GovSubmitInput())


class PersonForm(RevisionedForm):
    name = _text("Full name", "Enter the person's full name")
    email = _text("Email address", "Enter an email address", render_kw={"spellcheck": "false"})
    role = SelectField("Role", widget=GovSelect(), validate_choice=False)
    job_title = _text("Job title")
    team_id = SelectField("Team", widget=GovSelect(), validate_choice=False)
    line_manager_id = SelectField("Line manager", widget=GovSelect(), validate_choice=False)
    employment_type = RadioField("Employment", choices=options(("employee", "Employee"), ("agency", "Agency"),
                                                         ("contract", "Contract")), default="employee",
                                 widget=GovRadioInput())
    employment_start = GovDateField("Employment start date", required=True)
    leave_date = GovDateField("Leaving date")
    submit = SubmitField("Save", widget=GovSubmitInput())


class TeamForm(FlaskForm):
    name = _text("Team name", "Enter the team name")
    service = _text("Service")
    submit = SubmitField("Add the team", widget=GovSubmitInput())


class RelationshipForm(FlaskForm):
    supervisee_id = SelectField("Supervisee", widget=GovSelect(), validate_choice=False)
    supervisor_id = SelectField("Supervisor", widget=GovSelect(), validate_choice=False)
    starts_on = GovDateField("Starts on", required=True)
    submit = SubmitField("Start the supervision", widget=GovSubmitInput())
