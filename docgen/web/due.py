"""The due list as a page: what is due or overdue for the supervisees the reader may see
(`workflows.due_list.due_for`, scoped by `workflows.access.visible`: dates and where sign-off
stands, never a document's content), narrowed as the API's `/due` is, to a team, a supervisor or
one state. The overdue record e-mail sends a supervisor's line manager here, narrowed to that
supervisor's overdue items, which then include the supervisor's people from other teams (issue 27:
the record itself may be one they cannot read)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from docgen.auth import caller, uow
from docgen.web.inputs import query_to
from docgen.web.navigation import page
from workflows import due_list
from workflows.inputs.reports import DueQuery

bp = Blueprint("due", __name__, url_prefix="/due")


@bp.get("")
@page()
def listed() -> Any:
    asked = query_to(DueQuery)
    shown = due_list.due_for(uow(), caller(), team_id=asked.team_id, supervisor_id=asked.supervisor_id,
                             state=asked.state)
    return render_template("due/list.html", shown=shown, asked=asked)
