"""Sign in and sign out with an e-mail address and a password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from docgen.auth import caller, start_session, uow
from docgen.web import forms, limits
from docgen.web.navigation import home_page
from kernel.errors import InvalidInput
from workflows import accounts, areas

bp = Blueprint("auth", __name__)

# One message whatever was wrong, so the form does not tell which e-mail addresses have accounts.
BAD_CREDENTIALS = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (not //elsewhere), so the sign-in page cannot redirect away."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/sign-in", methods=["GET", "POST"])
@limits.rate_limited(limits.SIGN_IN, methods=["POST"])
def sign_in() -> Any:
    form = forms.SignInForm()
    if form.validate_on_submit():
        signed = accounts.sign_in(uow(), form.email.data or "", form.password.data or "")
        if signed is not None:
            start_session(signed.account)
            return redirect(_safe_next(request.args.get("next")) or url_for(home_page(signed.home)))
        forms.show_error(form, InvalidInput(BAD_CREDENTIALS, "email"))
    offered = current_app.config.get("OIDC_ENABLED", False)
    return render_template("auth/sign_in.html", form=form, organisation_sign_in=offered), 400 if form.errors else 200


@bp.post("/sign-out")
def sign_out() -> Any:
    session.clear()
    return redirect(url_for("auth.sign_in"))


@bp.get("/")
def home() -> Any:
    return redirect(url_for(home_page(areas.home(uow(), caller()))))
