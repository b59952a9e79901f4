"""Sign-off over JSON: send, the link holder's view and decision, countersign, final PDF, verify."""
from __future__ import annotations

from typing import Any

from flask import Response, request

from docgen.api.routing import json_body, route
from docgen.api.schemas import DecisionOut, LinkDocument, SignoffEventOut, SignoffStatus, VerifyOut, parse
from docgen.auth import caller, link_holder, login_required, uow
from kernel.errors import InvalidInput
from workflows import pipeline, signoff
from workflows.inputs.signoff import Countersign, Decide

KINDS = "<any(records, agreements):kind>"


def _kind(segment: str) -> str:
    """The URL's records|agreements as the workflow's record|agreement."""
    return segment[:-1]


def _status(progress: signoff.Progress) -> dict[str, Any]:
    document = progress.document
    return SignoffStatus(status=document.status, version=document.version,
                         events=[SignoffEventOut.model_validate(e, from_attributes=True) for e in progress.events],
                         final_pdf_sha256=progress.final_pdf.sha256 if progress.final_pdf else None
                         ).model_dump(mode="json")


@route("POST", f"/{KINDS}/<int:document_id>/send", "Send for sign-off (a revision becomes a new version)",
       response=SignoffStatus)
@login_required
def send(kind: str, document_id: int) -> Any:
    return _status(pipeline.send_for_signoff(uow(), caller(), _kind(kind), document_id))


@route("POST", f"/{KINDS}/<int:document_id>/resend", "Send the waiting signer a new link (the old one dies)",
       response=SignoffStatus)
@login_required
def resend(kind: str, document_id: int) -> Any:
    return _status(signoff.resend_link(uow(), caller(), _kind(kind), document_id))


@route("POST", f"/{KINDS}/<int:document_id>/countersign",
       "Countersign as the supervisor (over a recorded disagreement where the policy allows it or its route "
       "has recorded an outcome; 409 disagreement_unsettled otherwise)", request_model=Countersign,
       response=SignoffStatus)
@login_required
def countersign(kind: str, document_id: int) -> Any:
    body = parse(Countersign, json_body())
    return _status(signoff.countersign(uow(), caller(), _kind(kind), document_id, body.comment,
                                       confirm_name=body.confirm_name))


@route("GET", f"/{KINDS}/<int:document_id>/signoff", "Sign-off status and events (never the links)",
       response=SignoffStatus)
@login_required
def status(kind: str, document_id: int) -> Any:
    return _status(signoff.status(uow(), caller(), _kind(kind), document_id))


@route("GET", f"/{KINDS}/<int:document_id>/pdf", "Download the sealed final PDF", response=None,
       content_type="application/pdf")
@login_required
def final_pdf(kind: str, document_id: int) -> Any:
    pdf = signoff.final_pdf(uow(), caller(), _kind(kind), document_id)
    return Response(pdf.data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{pdf.filename}"'})


@route("GET", "/sign/<token>", "What the holder of a sign-off link sees", response=LinkDocument)
def open_link(token: str) -> Any:
    view = signoff.open_link(uow(), link_holder(), token)
    return LinkDocument(number=view.number, title=view.title, status=view.document.status,
                        version=view.document.version, signer_role=view.link.signer_role,
                        signer_name=view.signer.name, code_required=view.code_required,
                        document=view.content).model_dump(mode="json")


@route("GET", "/sign/<token>/pdf", "The document of a sign-off link as PDF (once the worker has made it)",
       response=None, content_type="application/pdf")
def link_pdf(token: str) -> Any:
    pdf = signoff.review_pdf(uow(), link_holder(), token)
    return Response(pdf.data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{pdf.filename}"', "Cache-Control": "no-store"})


@route("POST", "/sign/<token>", "Agree, agree with a comment, or disagree with a comment", request_model=Decide,
       response=DecisionOut)
def decide(token: str) -> Any:
    body = parse(Decide, json_body())
    # With a bearer token the decision must come from the person the link was sent to.
    who = caller() if request.headers.get("Authorization") else link_holder()
    document = signoff.decide(uow(), who, token, body)
    return DecisionOut(status=document.status, version=document.version).model_dump()


@route("POST", "/verify", "Is this PDF a genuine, unaltered docgen record?", response=VerifyOut)
def verify() -> Any:
    upload = request.files.get("file")
    data = upload.read(50_000_000) if upload else request.get_data(cache=False)
    if not data:
        raise InvalidInput("upload the PDF to check", "file")
    verdict = pipeline.verify(uow(), data)
    return VerifyOut(status=verdict.status, record_id=verdict.record_id, signed_by=verdict.signed_by,
                     details=verdict.details).model_dump(mode="json")
