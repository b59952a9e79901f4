"""HR's page: leavers and transfers, with the link to each person's export bundle."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, g, render_template

from docgen.web import listings
from docgen.web.navigation import page
from storage import clock

bp = Blueprint("hr", __name__, url_prefix="/hr")

RECENT_DAYS = 90  # how far back a change of supervisor still counts as recent on this page


@bp.get("/leavers")
@page("hr")
def leavers() -> Any:
    since = clock.today() - dt.timedelta(days=RECENT_DAYS)
    return render_template("hr/leavers.html", leavers=listings.leavers(g.db), since=since,
                           changes=listings.relationship_changes(g.db, since), today=clock.today())
