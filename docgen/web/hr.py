"""HR's pages: leavers with what happens to their records when, forwarding early, and the bundle;
and moving someone to another team, supervisor or line manager (a transfer, H §10).

A browser never gets a cancelled download or a JSON error here: a bundle that cannot be given yet
is a page saying why and what to do (`bundle`), and the forward-early and move forms show their
errors in GOV.UK style. HR finds the person to move by name on the leavers and transfers page; the
move is the API's transfer (`workflows.movers.move`, the same `Transfer` input), made from the
person's revision the page was read at, so of two moves made from one read only the first lands.
HR records (or corrects, until the records freeze) a person's leaving date from the same search and
from the move page: the API's leaver (`retention.record_leaver`, the same `RecordLeaver` input).
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput
from wtforms import SelectField, SubmitField

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to, query_to
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from workflows import access, areas, export, movers, organisation, retention
from workflows.inputs.organisation import PeopleQuery
from workflows.inputs.retention import ForwardEarly, RecordLeaver, Transfer

bp = Blueprint("hr", __name__, url_prefix="/hr")

FOUND = 20  # the most people a search on the leavers page lists: more means typing more of the name


@bp.get("/leavers")
@page(access.HR)
def leavers() -> Any:
    """Leavers, recent changes of supervisor and, given `q`, the people still here whose name or
    e-mail has it in, each with the link to move them."""
    typed = (query_to(PeopleQuery).q or "").strip()
    shown = retention.leavers_page(uow(), caller())
    found = organisation.find_people(uow(), caller(), status="active", q=typed, per_page=FOUND) if typed else None
    return render_template("hr/leavers.html", shown=shown, manage_from=clock.today(), typed=typed, found=found,
                           most=FOUND)


@bp.get("/leavers/<int:person_id>/bundle")
@page(access.HR)
def bundle(person_id: int) -> Any:
    try:
        made = export.for_hr(uow(), caller(), person_id)  # audited and committed before the first byte leaves
    except Conflict as exc:
        return render_template("hr/bundle_unavailable.html", message=exc.message, person_id=person_id), 409
    return Response(made.chunks, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})


@bp.get("/leavers/<int:person_id>/forward")
@page(access.HR)
def forward_form(person_id: int) -> Any:
    return render_template("hr/forward.html", leaver=retention.leaver_schedule(uow(), caller(), person_id),
                           reason="", error=None)


@bp.post("/leavers/<int:person_id>/forward")
@page(access.HR)
def forward(person_id: int) -> Any:
    reason = request.form.get("reason", "")
    try:
        retention.forward_early(uow(), caller(), person_id, form_to(ForwardEarly).reason)
    except (InvalidInput, Conflict) as exc:
        leaver = retention.leaver_schedule(uow(), caller(), person_id)
        return render_template("hr/forward.html", leaver=leaver, reason=reason, error=exc), exc.status
    return redirect(url_for("hr.forwarded", person_id=person_id), 303)


@bp.get("/leavers/<int:person_id>/forwarded")
@page(access.HR)
def forwarded(person_id: int) -> Any:
    return render_template("hr/forwarded.html", leaver=retention.leaver_schedule(uow(), caller(), person_id))


def _people_managers_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page for HR and administrators (`access.PEOPLE_MANAGERS`, whom `movers` lets move people);
    anyone else gets the answer an unknown person gets, so a person's id in the URL cannot be probed
    (a refusal is 404 where the caller has no basis at all, as for documents)."""
    guarded = page(access.PEOPLE_MANAGERS)(view)

    @wraps(view)
    def hidden(*args: Any, **kwargs: Any) -> Any:
        try:
            return guarded(*args, **kwargs)
        except Forbidden:
            raise NotFound("no such page", "id") from None
    return hidden


class MoveForm(forms.RevisionedForm):
    """A move from a date to a new team, supervisor or line manager: the API's `Transfer`, typed.
    A box left at "No change" is a change not asked for."""

    on = forms.GovDateField("Date the move takes effect", required=True,
                            description=forms.ThisYearHint("For example, 1 4 {year}"))
    team_id = SelectField("New team", widget=GovSelect(), validate_choice=False,
                          description="A team or line manager changes on the day it is recorded: it cannot be "
                                      "dated ahead")
    supervisor_id = SelectField("New supervisor", widget=GovSelect(), validate_choice=False,
                                description="The current supervision ends the day before, and a draft supervision "
                                            "agreement is started with the new supervisor")
    line_manager_id = SelectField("New line manager (optional)", widget=GovSelect(), validate_choice=False)
    submit = SubmitField("Move this person", widget=GovSubmitInput())


def _back() -> tuple[str, str]:
    """Where the move page leads back to: HR's leavers and transfers page, which lists recent
    changes; an administrator without HR's page, to who supervises whom."""
    if areas.LEAVERS in areas.areas_of(uow(), caller()):
        return url_for("hr.leavers"), "Back to leavers and transfers"
    return url_for("admin.relationships"), "Back to who supervises whom"


def _move_page(form: MoveForm, person_id: int, status: int = 200, stale: bool = False,
               out_of_date: bool = False) -> tuple[str, int]:
    """The person as they stand now, with the move form; `stale` when the move was refused because
    someone else changed the person since the form was opened (the form then moves to their
    current revision, keeping what was chosen); `out_of_date` when the form did not say which
    revision it was opened at (its hidden field missing or mangled): nobody else's change is known,
    so the page says only to open it again."""
    shown = movers.move_form(uow(), caller(), person_id)
    person = shown.person
    form.team_id.choices = forms.options(("", "No change"), *((str(t.id), t.name) for t in shown.teams))
    form.supervisor_id.choices = forms.options(("", "No change"), *((str(p.id), p.name) for p in shown.supervisors))
    form.line_manager_id.choices = forms.options(("", "No change"),
                                                 *((str(p.id), p.name) for p in shown.line_managers))
    clash = forms.stale(form, {}, person.revision, "person", note=f"Someone else changed {person.name} since you "
                        "opened this page, so nothing was moved. Check their team, supervisor and line manager as "
                        "they are now, then move them again if they still need it.") if stale else None
    if not stale and form.revision.data in (None, ""):
        form.revision.data = str(person.revision)
    return render_template("hr/move.html", form=form, shown=shown, stale=clash, out_of_date=out_of_date,
                           back=_back()), status


@bp.get("/people/<int:person_id>/move")
@_people_managers_only
def move_form(person_id: int) -> Any:
    """The form moving a person to another team, supervisor or line manager from a date."""
    return _move_page(MoveForm(), person_id)


def _in_words(items: list[str]) -> str:
    """A list as a banner's sentence says it: "A", "A and B", "A, B and C"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _moved(asked: Transfer, moved: movers.Moved) -> str:
    """The success banner: who moves where from when, and the draft agreement a new supervisor needs."""
    person, started, ended = moved.person, moved.started, moved.ended
    to: list[str] = []
    if asked.team_id is not None and person.team is not None:
        to.append(f"to {person.team.name}")
    if started is not None:
        to.append(f"to {started.supervisor.name}’s supervision")
    if asked.line_manager_id is not None and person.line_manager is not None:
        to.append(f"to {person.line_manager.name} as line manager")
    said = f"{person.name} moves {_in_words(to)} from {asked.on:%-d %B %Y}."
    if ended is not None and ended.ends_on is not None:
        said += f" {ended.supervisor.name}’s supervision ends on {ended.ends_on:%-d %B %Y}."
    if moved.agreement is not None and started is not None:
        said += f" A draft supervision agreement with {started.supervisor.name} has been started."
    return said


@bp.post("/people/<int:person_id>/move")
@_people_managers_only
def move(person_id: int) -> Any:
    """Move the person (`movers.move`, as the API's transfer): one commit, audited; a refused move
    is shown again as chosen, and one made from a read someone else's change overtook shows the
    person as they are now."""
    form = MoveForm()
    try:
        forms.filled_in(form)
        asked = form_to(Transfer, form)
        moved = movers.move(uow(), caller(), person_id, form.opened_at(), on=asked.on,
                            supervisor_id=asked.supervisor_id, team_id=asked.team_id,
                            line_manager_id=asked.line_manager_id)
    except PreconditionFailed:
        return _move_page(form, person_id, 409, stale=True)
    except PreconditionRequired as exc:
        return _move_page(form, person_id, exc.status, out_of_date=True)
    except (forms.Incomplete, InvalidInput, Conflict) as exc:
        if not isinstance(exc, forms.Incomplete):  # a refusal of the person as a whole ("has left") is on the date
            forms.show_error(form, exc, {"id": "on"})
        return _move_page(form, person_id, 400)
    flash(_moved(asked, moved))
    return redirect(_back()[0], 303)


class LeavingForm(FlaskForm):
    """The day a person leaves: the API's `RecordLeaver`, typed in GOV.UK date boxes."""

    leave_date = forms.GovDateField("Leaving date", required=True, description=forms.ThisYearHint(
        "Their sign-in closes on this day. For example, 31 3 {year}"))
    submit = SubmitField("Record the leaving date", widget=GovSubmitInput())


def _leaving_page(form: LeavingForm, person_id: int, status: int = 200) -> tuple[str, int]:
    """The person, what happens after their leaving date in the council profile's words, and the
    form, holding the date already recorded until another is typed."""
    shown = movers.leaving_form(uow(), caller(), person_id)
    if not form.is_submitted() and shown.person.leave_date is not None:
        form.leave_date.data = shown.person.leave_date
    return render_template("hr/leaving.html", form=form, shown=shown, back=_back()), status


@bp.get("/people/<int:person_id>/leaving")
@_people_managers_only
def leaving_form(person_id: int) -> Any:
    """The form recording (or correcting) the day a person leaves."""
    return _leaving_page(LeavingForm(), person_id)


def _recorded(leaving: retention.Leaving) -> str:
    """The success banner: the leaving date, what happens to the records when, and whom the
    leaver supervised, who need a new supervisor from that day."""
    person = leaving.person
    said = (f"{person.name} leaves on {person.leave_date:%-d %B %Y}. Their records "
            f"{'were frozen on' if person.records_frozen_on else 'are frozen on'} "
            f"{person.records_frozen_on or person.leave_date:%-d %B %Y}, go to HR on "
            f"{leaving.forward_to_hr_on:%-d %B %Y} and are due to be destroyed on {leaving.destroy_on:%-d %B %Y} "
            "unless a legal hold stops it.")
    if leaving.unsupervised:
        said += (f" Their supervision of {_in_words([p.name for p in leaving.unsupervised])} ends that day: "
                 "give them a new supervisor.")
    return said


@bp.post("/people/<int:person_id>/leaving")
@_people_managers_only
def record_leaving(person_id: int) -> Any:
    """Record the leaving date (`retention.record_leaver`, as the API's leaver: audited, one commit);
    a refused date is the form again as typed, the refusal on the date, with the API's status."""
    form = LeavingForm()
    try:
        forms.filled_in(form)
        asked = form_to(RecordLeaver, form)
        leaving = retention.record_leaver(uow(), caller(), person_id, asked.leave_date)
    except forms.Incomplete:
        return _leaving_page(form, person_id, 400)
    except (InvalidInput, Conflict) as exc:
        forms.show_error(form, exc, {"id": "leave_date"})
        return _leaving_page(form, person_id, exc.status)
    flash(_recorded(leaving))
    return redirect(_back()[0], 303)
