"""A supervisee's own pages: the list of their records (each opens read-only in `records.view`)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from docgen.api import guard
from docgen.web import listings
from docgen.web.navigation import page, signed_in
from workflows import records

bp = Blueprint("supervisee", __name__, url_prefix="/my-records")


@bp.get("")
@page()
def my_records() -> Any:
    me = signed_in().person
    guard.read(me, "person", me.id, "records.list")
    return render_template("supervisee/my_records.html", records=listings.records_of(g.db, me.id),
                           number=records.record_number)
