"""Personal API tokens on a page: a signed-in person makes and revokes their own (each shown once,
when made); an administrator also sees everyone's live tokens and may revoke any."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.navigation import page
from kernel import clock
from kernel.errors import DomainError
from workflows import accounts

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


@bp.app_template_filter("uk_time")
def uk_time(moment: dt.datetime | None) -> dt.datetime | None:
    """Times are kept in UTC; people read them in UK time."""
    return clock.uk(moment) if moment else None


# The lifetimes offered, in days ("" for a token that does not expire).
LIFETIMES = forms.options(("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "It does not expire"))


class TokenForm(FlaskForm):
    name = StringField("Name", description="What the token is for, so you know it later: for example ‘HR system sync’",
                       validators=[InputRequired(message="Enter a name for the token"),
                                   Length(max=accounts.TOKEN_NAME_MAX,
                                          message=f"The name must be {accounts.TOKEN_NAME_MAX} characters or fewer")],
                       widget=GovTextInput())
    expires = RadioField("When should it stop working?", choices=LIFETIMES, default="90", widget=GovRadioInput())
    submit = SubmitField("Create token", widget=GovSubmitInput())


def _list(form: TokenForm, status: int = 200) -> Any:
    tokens = accounts.token_list(uow(), caller())
    return render_template("tokens/list.html", form=form, own=tokens.own, others=tokens.others), status


@bp.get("")
@page()
def list_tokens() -> Any:
    return _list(TokenForm())


@bp.post("")
@page()
def create_token() -> Any:
    """Make a token and show it this once, on a page that is never cached: only its hash is kept."""
    form = TokenForm()
    try:
        forms.filled_in(form)
        issued = accounts.create_token(uow(), caller(), form.name.data or "",
                                       int(form.expires.data) if form.expires.data else None)
    except (forms.Incomplete, DomainError) as exc:
        if isinstance(exc, DomainError):
            forms.show_error(form, exc, {"expires_in_days": "expires"})
        return _list(form, 400)
    return render_template("tokens/created.html", issued=issued), 201, {"Cache-Control": "no-store"}


@bp.post("/<int:token_id>/revoke")
@page()
def revoke_token(token_id: int) -> Any:
    row = accounts.revoke_token(uow(), caller(), token_id)
    flash(f"The token ‘{row.label}’ has been revoked: it no longer works")
    return redirect(url_for("tokens.list_tokens"))
