"""The page an e-mailed sign-off link opens: the document, its PDF and the signer's decision.

No account is needed: the link is the credential. So the pages are rate limited, the token is
written nowhere but in this page's own URLs (the form's action and the PDF), the answers are not
cached, and a used, re-sent or expired link gets a page saying what to do instead. The decision
goes through `workflows.signoff.act`, the function the JSON API calls.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from docgen import signing
from docgen.api import signoff as signoff_api
from docgen.api.signoff import caller
from storage.models import Record
from docgen.web import forms, limits
from workflows import agreements, records, signoff
from storage.errors import Gone, InvalidInput, NotFound

bp = Blueprint("links", __name__, url_prefix="/sign")

LINK_LIMIT = "10/minute"


def _confirm_name() -> StringField:
    return StringField("Type your full name to confirm", validators=[InputRequired(message="Enter your full name")],
                       widget=GovTextInput(), render_kw={"autocomplete": "name", "spellcheck": "false"})


def _code() -> StringField:
    """Shown only when the profile asks for a one-time code (removed from the form otherwise)."""
    return StringField("Code from the e-mail", widget=GovTextInput(),
                       description="We have e-mailed you a 6-digit code to confirm it is you",
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"})


class SignForm(FlaskForm):
    """The supervisee's decision; the comment box is always shown, so it works without JavaScript."""

    decision = RadioField("Do you agree with it?", validate_choice=False, widget=GovRadioInput(),
                          validators=[InputRequired(message="Select whether you agree")],
                          choices=forms.options(("agree", "I agree"), ("agree_with_comment", "I agree, with a comment"),
                                                ("disagree", "I disagree")))
    comment = TextAreaField("Comment", widget=GovTextArea(),
                            description="Needed if you add a comment or disagree: say what should be noted or changed")
    confirm_name = _confirm_name()
    code = _code()
    submit = SubmitField("Submit", widget=GovSubmitInput())


class CountersignLinkForm(FlaskForm):
    """The supervisor's countersignature through a link: agreeing is the only decision."""

    comment = TextAreaField("Comment (optional)", widget=GovTextArea())
    confirm_name = _confirm_name()
    code = _code()
    submit = SubmitField("Countersign", widget=GovSubmitInput())


def _form_for(view: signoff.LinkView) -> SignForm | CountersignLinkForm:
    form = SignForm() if view.link.signer_role == "supervisee" else CountersignLinkForm()
    if not current_app.extensions["docgen"].profile.signoff.one_time_code:
        del form.code
    return form


def _link_page(view: signoff.LinkView, token: str, form: FlaskForm, status: int = 200) -> tuple[str, int]:
    services = current_app.extensions["docgen"]
    document = view.document
    org = services.organisation(g.db)
    doc = (records.record_context(g.db, services.profile, org, document) if isinstance(document, Record)
           else agreements.agreement_context(services.profile, org, document))
    return render_template("sign/link.html", view=view, document=document, doc=doc, token=token, form=form,
                           title=signoff.title(document), has_pdf=signing.review_pdf(g.db, document) is not None,
                           is_record=isinstance(document, Record)), status


@bp.after_request
def not_cached(response: Response) -> Response:
    """The pages hold a personal record and, in their URLs, a credential: keep them out of caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Gone)
@bp.errorhandler(NotFound)
def dead_link(exc: Gone | NotFound) -> tuple[str, int]:
    """What to do now, for a used, replaced, expired or unknown link (never which document it was)."""
    return render_template("sign/dead_link.html", status=exc.status, message=exc.message), exc.status


@bp.get("/<token>")
@limits.rate_limited(LINK_LIMIT)
def open_link(token: str) -> Any:
    view = signoff.open_link(g.db, token, caller())
    signoff.send_code(g.db, current_app.extensions["docgen"].profile, view)
    g.db.commit()  # the "opened" event (and any code sent) stands even if the page is never submitted
    return _link_page(view, token, _form_for(view))


@bp.post("/<token>")
@limits.rate_limited(LINK_LIMIT)
def decide(token: str) -> Any:
    """Agree, agree with a comment or disagree (a supervisor countersigns); then say what happens next."""
    view = signoff.open_link(g.db, token, record_open=False)
    form = _form_for(view)
    if form.validate_on_submit():
        services = current_app.extensions["docgen"]
        decision = form.decision.data if isinstance(form, SignForm) else "agree"
        try:
            document = signoff.act(g.db, services.profile, token, decision=decision,
                                   confirm_name=form.confirm_name.data, comment=form.comment.data or "",
                                   code=form.code.data if "code" in form else "",
                                   base_url=services.config.base_url, caller=caller())
            g.db.commit()
        except signoff.WrongCode as exc:
            g.db.commit()  # the wrong attempt counts even though the decision is refused
            forms.show_error(form, exc)
        except InvalidInput as exc:
            g.db.rollback()
            forms.show_error(form, exc)
        else:
            signing.enqueue_finalisation(document)
            return render_template("sign/done.html", document=document, title=signoff.title(document),
                                   decision=decision, role=view.link.signer_role)
    return _link_page(view, token, form, 400)


@bp.get("/<token>/pdf")
@limits.rate_limited(LINK_LIMIT)
def pdf(token: str) -> Any:
    """The document as PDF, made by the worker when it was sent (the same answer as the API's)."""
    view = signoff.open_link(g.db, token, record_open=False)
    return signoff_api.review_pdf_download(view.document)
