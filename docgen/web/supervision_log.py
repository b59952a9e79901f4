"""Supervision hours and attendance as pages (issue 25 item 3): a person's log, a team's, and each
as CSV. The log is `workflows.supervision_log`'s; each view reads it, has the read audited, and
shapes the answer. GET forms only: a log changes nothing, so its address can be bookmarked."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, url_for

from docgen.auth import caller, uow
from docgen.web.inputs import query_to
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import InvalidInput
from workflows import supervision_log
from workflows.inputs.supervision_log import LogQuery, TeamLogQuery

bp = Blueprint("supervision_log", __name__)

FIELDS = {"from": "from", "to": "to"}  # the workflow's field names are the boxes' names


def _problem(exc: InvalidInput) -> dict[str, Any]:
    """govukErrorSummary's parameters for a refused month, linking to its box."""
    field = exc.field if exc.field in FIELDS else "from"
    message = exc.message[:1].upper() + exc.message[1:]
    return {"field": field, "message": message,
            "summary": {"titleText": "There is a problem", "errorList": [{"text": message, "href": f"#{field}"}]}}


def _shown(template: str, **context: Any) -> str:
    """A log's page, its month boxes hinting at a month of this year (as every date hint does)."""
    return render_template(f"supervision_log/{template}", example_month=f"{clock.today().year}-04", **context)


def _months(log: supervision_log.PersonLog | supervision_log.TeamLog) -> dict[str, str]:
    return {"from": log.months.first.isoformat()[:7], "to": log.months.last.isoformat()[:7]}


def _csv(log: supervision_log.PersonLog | supervision_log.TeamLog, name: str) -> Response:
    return Response(supervision_log.log_csv(log), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="supervision-log-{name}-{log.months.first:%Y-%m}-'
                               f'{log.months.last:%Y-%m}.csv"'})


@bp.get("/supervision/<int:person_id>/log")
@page()
def person(person_id: int) -> Any:
    """A person's months: for those who may see their schedule, themselves included."""
    try:
        asked = query_to(LogQuery)
        log = supervision_log.person_log(uow(), caller(), person_id, asked.first, asked.last)
    except InvalidInput as exc:
        log = supervision_log.person_log(uow(), caller(), person_id)
        return _shown("person.html", log=log, problem=_problem(exc), csv_url=None), 400
    supervision_log.record_read(uow(), caller(), log, "page")
    return _shown("person.html", log=log, problem=None,
                           csv_url=url_for(".person_csv", person_id=person_id, **_months(log)))


@bp.get("/supervision/<int:person_id>/log.csv")
@page()
def person_csv(person_id: int) -> Any:
    """The same months as CSV, one row a month."""
    asked = query_to(LogQuery)
    log = supervision_log.person_log(uow(), caller(), person_id, asked.first, asked.last)
    supervision_log.record_read(uow(), caller(), log, "csv")
    return _csv(log, f"person-{person_id}")


@bp.get("/reports/supervision-log")
@page()
def team() -> Any:
    """A team's months, summed, and each of its people's totals; the team is chosen first."""
    teams = supervision_log.teams_to_choose(uow(), caller())  # first: a stranger learns no team's name
    try:
        asked = query_to(TeamLogQuery)
        log = (supervision_log.team_log(uow(), caller(), asked.team_id, asked.first, asked.last)
               if asked.team_id is not None else None)
    except InvalidInput as exc:
        return _shown("team.html", teams=teams, log=None, problem=_problem(exc),
                               chosen=None, csv_url=None), 400
    if log is None:
        return _shown("team.html", teams=teams, log=None, problem=None, chosen=None,
                               csv_url=None)
    supervision_log.record_read(uow(), caller(), log, "page")
    return _shown("team.html", teams=teams, log=log, problem=None, chosen=log.team_id,
                           csv_url=url_for(".team_csv", team_id=log.team_id, **_months(log)))


@bp.get("/reports/supervision-log.csv")
@page()
def team_csv() -> Any:
    """A team's log as CSV: a row per person and month, then the team's totals."""
    asked = query_to(TeamLogQuery)
    if asked.team_id is None:
        raise InvalidInput("choose a team", "team_id")
    log = supervision_log.team_log(uow(), caller(), asked.team_id, asked.first, asked.last)
    supervision_log.record_read(uow(), caller(), log, "csv")
    return _csv(log, f"team-{log.team_id}")
