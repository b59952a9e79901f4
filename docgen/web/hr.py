"""HR's pages: leavers with what happens to their records when, forwarding early, and the bundle.

A browser never gets a cancelled download or a JSON error here: a bundle that cannot be given yet
is a page saying why and what to do (`bundle`), and the forward-early form shows its errors in
GOV.UK style.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from docgen.auth import caller, uow
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import Conflict, InvalidInput
from workflows import access, export, retention
from workflows.inputs.retention import ForwardEarly

bp = Blueprint("hr", __name__, url_prefix="/hr")


@bp.get("/leavers")
@page(access.HR)
def leavers() -> Any:
    shown = retention.leavers_page(uow(), caller())
    return render_template("hr/leavers.html", shown=shown, manage_from=clock.today())


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
