"""A supervisee's own pages: their records and agreements (each opens read-only), and the sealed PDF
of each signed one, downloaded from the API's audited route (which accepts the page session)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, g, render_template
from sqlalchemy import select

from docgen import finalisation
from docgen.api import guard
from storage.models import Agreement
from docgen.web import listings
from docgen.web.navigation import page, signed_in
from workflows import agreements, due_list, records
from workflows.signoff import Document

bp = Blueprint("supervisee", __name__, url_prefix="/my-records")


def _agreements_of(supervisee_id: int) -> list[Agreement]:
    """A supervisee's agreements, newest first. The query belongs in `listings.records_of`'s module."""
    return list(g.db.scalars(select(Agreement).where(Agreement.supervisee_id == supervisee_id)
                             .order_by(Agreement.started_on.desc(), Agreement.id.desc())))


def _sealed(documents: Sequence[Document]) -> set[int]:
    """Ids of the signed documents whose sealed PDF is filed: a signed one waits for the worker's seal."""
    return {d.id for d in documents if d.status in due_list.SIGNED and finalisation.final_pdf(g.db, d)}


@bp.get("")
@page()
def my_records() -> Any:
    me = signed_in().person
    guard.read(me, "person", me.id, "records.list")
    mine, agreed = listings.records_of(g.db, me.id), _agreements_of(me.id)
    return render_template("supervisee/my_records.html", records=mine, agreements=agreed,
                           sealed_records=_sealed(mine), sealed_agreements=_sealed(agreed),
                           signed=due_list.SIGNED, number=records.record_number,
                           agreement_number=agreements.agreement_number)
