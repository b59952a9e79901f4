"""A supervisee's own pages: their open actions across records, their records and agreements (each
opens read-only), and the sealed PDF of each signed one, downloaded from the API's audited route
(which accepts the page session)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from docgen.auth import caller, uow
from docgen.web.navigation import page
from workflows import cpd, due_list, signoff

bp = Blueprint("supervisee", __name__, url_prefix="/my-records")


@bp.get("")
@page()
def my_records() -> Any:
    mine = signoff.own_documents(uow(), caller())
    return render_template("supervisee/my_records.html", records=mine.records, agreements=mine.agreements,
                           sealed_records=mine.sealed_records, sealed_agreements=mine.sealed_agreements,
                           steps=mine.steps, record_tags=mine.record_tags, agreement_tags=mine.agreement_tags,
                           number=signoff.number, open_actions=due_list.own_open_actions(uow(), caller()),
                           swe_registered=cpd.on_register(uow(), caller()))
