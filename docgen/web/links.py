"""The page an e-mailed sign-off link opens: the document, its PDF and the signer's decision.

No account is needed: the link is the credential. So the pages are rate limited, the token is
written nowhere but in this page's own URLs (the form's action and the PDF), the answers are not
cached, and a used, re-sent or expired link gets a page saying what to do instead. The decision
goes through `workflows.signoff`, the same decision as the JSON API's.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from docgen.auth import link_holder, uow
from docgen.web import forms, limits
from docgen.web.inputs import form_to
from kernel.errors import Gone, InvalidInput, NotFound
from storage.models import Record
from workflows import signoff
from workflows.inputs.signoff import Decide

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
    if not view.code_required:
        del form.code
    return form


def _decision(form: SignForm | CountersignLinkForm) -> Decide | None:
    """The submitted decision if the form itself is complete (read through `Decide`, as the API's
    decision is; a value it refuses goes on its field), else None."""
    if not form.validate_on_submit():
        return None
    try:
        fixed = {} if isinstance(form, SignForm) else {"decision": "agree"}  # a countersignature only agrees
        return form_to(Decide, form, **fixed, **({} if "code" in form else {"code": ""}))
    except InvalidInput as exc:
        forms.show_error(form, exc)
        return None


def _link_page(view: signoff.LinkView, token: str, form: FlaskForm, status: int = 200) -> tuple[str, int]:
    return render_template("sign/link.html", view=view, document=view.document, doc=view.content, token=token,
                           form=form, title=view.title, has_pdf=view.has_pdf,
                           is_record=isinstance(view.document, Record)), status


@bp.after_request
def not_cached(response: Response) -> Response:
    """The pages hold a personal record and, in their URLs, a credential: keep them out of caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Gone)
@bp.errorhandler(NotFound)
def dead_link(exc: Gone | NotFound) -> tuple[str, int]:
    """What to do now, for a used, replaced, expired or unknown link (never which document it was,
    except to the supervisor whose link died because they countersigned in docgen: the page they
    need is the document's own, which asks them to sign in)."""
    document_url = None
    if isinstance(exc, signoff.AlreadyCountersigned):
        document_url = (url_for("records.edit", record_id=exc.document_id) if exc.kind == "record"
                        else url_for("agreements.view", agreement_id=exc.document_id))
    return render_template("sign/dead_link.html", status=exc.status, message=exc.message,
                           document_url=document_url, kind=getattr(exc, "kind", None)), exc.status


@bp.get("/<token>")
@limits.rate_limited(LINK_LIMIT, key=limits.address_and_link)
def open_link(token: str) -> Any:
    """The document and the decision form; opening it is recorded (and any one-time code e-mailed)
    even if the form is never submitted."""
    view = signoff.open_link(uow(), link_holder(), token, on_form=True)
    return _link_page(view, token, _form_for(view))


@bp.post("/<token>")
@limits.rate_limited(LINK_LIMIT, key=limits.address_and_link)
def decide(token: str) -> Any:
    """Agree, agree with a comment or disagree (a supervisor countersigns); then say what happens next.
    The form depends on the link (a supervisee decides, a supervisor countersigns; a code when the
    profile asks), so the page is read first; a refused decision shows it again with the reason."""
    view = signoff.link_view(uow(), token, on_form=True)
    form = _form_for(view)
    decision = _decision(form)
    if decision is None:
        return _link_page(view, token, form, 400)
    try:
        decided = signoff.decide(uow(), link_holder(), token, decision)
    except InvalidInput as problem:  # nothing was decided (a wrong code's attempt is counted)
        forms.show_error(form, problem)
        return _link_page(view, token, form, 400)
    return render_template("sign/done.html", document=decided, title=view.title, decision=decision.decision,
                           role=view.link.signer_role, noun=signoff.kind_of(decided), back_url=_back_url(view))


def _back_url(view: signoff.LinkView) -> str:
    """The document's own page, for reading it again once the link is spent (issue 27: after
    deciding, the link holder had no way back): the supervisee's reading page, the supervisor's
    page of sign-off. Either asks its reader to sign in."""
    document = view.document
    if not isinstance(document, Record):
        return url_for("agreements.view", agreement_id=document.id)
    if view.link.signer_role == "supervisor":
        return url_for("records.edit", record_id=document.id)
    return url_for("records.view", record_id=document.id)


@bp.get("/<token>/pdf")
@limits.rate_limited(LINK_LIMIT, key=limits.address_and_link)
def pdf(token: str) -> Any:
    """The document as PDF, made by the worker when it was sent (the same answer as the API's)."""
    review = signoff.review_pdf(uow(), link_holder(), token)
    return Response(review.data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{review.filename}"', "Cache-Control": "no-store"})
