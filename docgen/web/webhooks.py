"""An administrator's webhook pages: the subscriptions, adding one (its secret shown once), and
each one's delivery log with pause, resume and remove. The same use cases as the API's
(`workflows.webhooks`)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired

from docgen.auth import caller, uow
from docgen.web import forms
from docgen.web.inputs import form_to
from docgen.web.navigation import page
from kernel.errors import Conflict, InvalidInput
from workflows import access, webhooks
from workflows.inputs.webhooks import Subscribe

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


class SubscriptionForm(FlaskForm):
    url = StringField("Address to deliver to", widget=GovTextInput(),
                      description="The receiving system’s https:// address",
                      validators=[InputRequired(message="Enter the address to deliver to")])
    description = StringField("What it is for (optional)", widget=GovTextInput(),
                              description="For example, HR system: leavers")
    events = SelectMultipleField("Events", widget=GovCheckboxesInput(),
                                 choices=forms.options(*webhooks.EVENT_DESCRIPTIONS.items()),
                                 validators=[InputRequired(message="Choose at least one event")])
    secret = StringField("Signing secret (optional)", widget=GovTextInput(),
                         description=f"Leave it empty to have one made. At least {webhooks.MIN_SECRET_LENGTH} "
                                     "characters; it is shown once and kept encrypted")
    submit = SubmitField("Add the subscription", widget=GovSubmitInput())


class _Mistyped(Exception):
    """The form's own checks failed (their messages are on its fields): shown again, like a form
    the use case refused."""


def _list_page(form: SubscriptionForm, status: int = 200) -> tuple[str, int]:
    return render_template("webhooks/list.html", form=form,
                           subscriptions=webhooks.subscriptions(uow(), caller())), status


@bp.get("")
@page(access.ADMINISTRATORS)
def subscriptions() -> Any:
    return _list_page(SubscriptionForm())


@bp.post("")
@page(access.ADMINISTRATORS)
def subscribe() -> Any:
    form = SubscriptionForm()
    try:
        if not form.validate_on_submit():
            raise _Mistyped
        given = form_to(Subscribe, form)
        created = webhooks.subscribe(uow(), caller(), given.url, given.events, description=given.description,
                                     secret=given.secret)
    except (_Mistyped, InvalidInput) as exc:
        if isinstance(exc, InvalidInput):
            forms.show_error(form, exc)
        return _list_page(form, 400)
    return render_template("webhooks/created.html", subscription=created.subscription, secret=created.secret), 201


@bp.get("/<int:subscription_id>")
@page(access.ADMINISTRATORS)
def deliveries(subscription_id: int) -> Any:
    shown = webhooks.overview(uow(), caller(), subscription_id)
    return render_template("webhooks/deliveries.html", subscription=shown.subscription,
                           deliveries=shown.deliveries,
                           descriptions=webhooks.EVENT_DESCRIPTIONS)


@bp.post("/<int:subscription_id>/pause")
@page(access.ADMINISTRATORS)
def pause(subscription_id: int) -> Any:
    webhooks.pause(uow(), caller(), subscription_id)
    flash("Deliveries are paused. Events are still collected and go when you resume.")
    return redirect(url_for("webhooks.deliveries", subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/resume")
@page(access.ADMINISTRATORS)
def resume(subscription_id: int) -> Any:
    try:
        webhooks.resume(uow(), caller(), subscription_id)
    except Conflict as exc:
        flash(exc.message)
    else:
        flash("Deliveries have resumed. Everything collected meanwhile is being sent.")
    return redirect(url_for("webhooks.deliveries", subscription_id=subscription_id))


@bp.post("/<int:subscription_id>/delete")
@page(access.ADMINISTRATORS)
def unsubscribe(subscription_id: int) -> Any:
    webhooks.unsubscribe(uow(), caller(), subscription_id)
    flash("The subscription has been removed. Nothing more is delivered to it.")
    return redirect(url_for("webhooks.subscriptions"))
