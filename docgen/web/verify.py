"""/verify: anyone may upload a PDF and learn whether it is a record this organisation sealed.

The verdict is the API's (`workflows.pipeline.verify`: the organisation's certificate as the only
trust root, and the hashes of the final PDFs filed here); this page only words it.
Public, so rate limited.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, render_template
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField

from docgen.auth import uow
from documents import seal
from docgen.web import limits
from workflows import pipeline

bp = Blueprint("verify", __name__, url_prefix="/verify")

class VerifyForm(FlaskForm):
    file = FileField("Upload the PDF", validators=[FileRequired(message="Select the PDF to check")],
                     widget=GovFileInput(), description="The sealed PDF of a supervision record or agreement")
    submit = SubmitField("Check the PDF", widget=GovSubmitInput())


def _when(moment: str) -> str:
    at = dt.datetime.fromisoformat(moment.removesuffix("Z"))
    return f"{at:%-d %B %Y at %H:%M} UTC"


def finding(verdict: seal.Verdict, organisation: str) -> tuple[str, str]:
    """The verdict as a headline and, for a genuine document, which one it is and who signed it when."""
    if verdict.status == "genuine":
        return "Genuine and unaltered", _genuine(verdict, organisation)
    if verdict.status == "altered" and verdict.details.get("reason") == seal.RENEWAL_NEEDED:
        return ("The seal cannot be checked now", "its archive timestamp needs renewing: the time-stamping "
                "authority's certificate has expired since it dated the record; this does not show an alteration")
    if verdict.status == "altered" and seal.REVOKED in verdict.details.get("reason", ""):
        return ("The seal is not valid", f"{organisation}’s certificate had been revoked when this document was "
                "sealed, so the seal does not show who made it")
    if verdict.status == "altered" and verdict.details.get("reason", "").startswith(seal.REVOCATION_UNKNOWN):
        return ("The seal cannot be checked", f"the document does not carry the revocation data that shows "
                f"{organisation}’s certificate had not been revoked when it was sealed{_judged(verdict)}, so the "
                "seal does not show who made it; this does not show an alteration")
    if verdict.status == "altered":
        return "This document has been altered since it was sealed", ""
    return f"This is not a document sealed by {organisation}", ""


def _genuine(verdict: seal.Verdict, organisation: str) -> str:
    """Which genuine document it is, who signed it when, and, for a certificate a CA issued, when it
    was shown unrevoked (a filed copy without a timestamp: when it was filed here)."""
    what = "agreement" if (verdict.record_id or "").startswith("AG-") else "record"
    known = verdict.details.get("record", {})
    signed = " and ".join(f"{s['name']} on {_when(s['at'])}" for s in known.get("signatures", []))
    if "superseded_at" in known:
        note = "; this is an earlier copy we filed: the copy on file now has a renewed archive timestamp"
    elif verdict.details.get("timestamp") == seal.RENEWAL_NEEDED:
        note = ("; it is the copy filed here, and its archive timestamp needs renewing (the time-stamping "
                "authority's certificate has expired since it dated the record)")
    else:
        note = ""
    judged = verdict.details.get("revocation_judged")
    unrevoked = f"; {organisation}’s certificate was unrevoked {seal.judged_when(judged)}" if judged else ""
    return f"{what} {verdict.record_id}" + (f", signed by {signed}" if signed else "") + note + unrevoked


def _judged(verdict: seal.Verdict) -> str:
    """", judged when checked on 7 December 2026 (…)": when a seal that cannot be checked was judged."""
    judged = verdict.details.get("revocation_judged")
    return f", judged {seal.judged_when(judged)}" if judged else ""


@bp.route("", methods=["GET", "POST"])
@limits.rate_limited("10/minute")
def check() -> Any:
    form = VerifyForm()
    upload = form.file.data.read() if form.validate_on_submit() else None  # the app's request limit caps the size
    checked = pipeline.verification(uow(), upload)
    headline, detail = finding(checked.verdict, checked.organisation) if checked.verdict else ("", "")
    return render_template("verify/verify.html", form=form, verdict=checked.verdict, headline=headline,
                           detail=detail), 400 if form.errors else 200
