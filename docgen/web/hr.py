"""HR's page: leavers and transfers, with the link to each person's export bundle."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from docgen.auth import caller, uow
from docgen.web.navigation import page
from workflows import access, movers

bp = Blueprint("hr", __name__, url_prefix="/hr")


@bp.get("/leavers")
@page(access.HR)
def leavers() -> Any:
    shown = movers.overview(uow(), caller())
    return render_template("hr/leavers.html", leavers=shown.leavers, since=shown.since, changes=shown.changes,
                           today=shown.today)
