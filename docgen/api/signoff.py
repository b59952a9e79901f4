"""Sign-off over JSON: send, the link holder's view and decision, countersign, final PDF, verify."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from docgen.documents import seal

from docgen import finalisation, signing
from docgen.api.routing import commit, json_body, route
from docgen.api import guard
from docgen.api.schemas import (CountersignIn, DecisionOut, LinkDocument, SignDecision, SignoffEventOut, SignoffStatus, VerifyOut,
                                parse)
from docgen.auth import current_account, login_required
from storage.filing import read_document
from workflows import agreements, records, signoff
from storage.errors import InvalidInput, NotFound
from workflows.access import Caller
from workflows.signoff import Document

KINDS = "<any(records, agreements):kind>"


def _services() -> Any:
    return current_app.extensions["docgen"]


def caller() -> Caller:
    """Where a sign-off step came from (API or page), kept on its event for the certificate page."""
    return Caller(ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", ""))


def _document(kind: str, document_id: int) -> Document:
    return (records.get_record(g.db, document_id) if kind == "records"
            else agreements.get_agreement(g.db, document_id))


def _object_type(kind: str) -> str:
    return kind[:-1]


def _status(document: Document) -> dict[str, Any]:
    pdf = finalisation.final_pdf(g.db, document)
    return SignoffStatus(status=document.status, version=document.version,
                         events=[SignoffEventOut.model_validate(e, from_attributes=True)
                                 for e in signoff.events(g.db, document)],
                         final_pdf_sha256=pdf.sha256 if pdf else None).model_dump(mode="json")


@route("POST", f"/{KINDS}/<int:document_id>/send", "Send for sign-off (a revision becomes a new version)",
       response=SignoffStatus)
@login_required
def send(kind: str, document_id: int) -> Any:
    document = _document(kind, document_id)
    guard.write(document.supervisee, _object_type(kind), document.id, "signoff.send")
    signing.send_for_signoff(_services(), g.db, document, g.account.person, caller())
    commit()
    signing.enqueue_review_pdf(document)
    signing.enqueue_finalisation(document)  # Haringey-style supervisor-only sign-off may already be done
    return _status(document)


@route("POST", f"/{KINDS}/<int:document_id>/resend", "Send the waiting signer a new link (the old one dies)",
       response=SignoffStatus)
@login_required
def resend(kind: str, document_id: int) -> Any:
    document = _document(kind, document_id)
    guard.write(document.supervisee, _object_type(kind), document.id, "signoff.resend")
    signoff.resend(g.db, _services().profile, document, g.account.person, base_url=_services().config.base_url,
                   caller=caller())
    commit()
    return _status(document)


@route("POST", f"/{KINDS}/<int:document_id>/countersign",
       "Countersign as the supervisor (also over a recorded disagreement)", request_model=CountersignIn,
       response=SignoffStatus)
@login_required
def countersign(kind: str, document_id: int) -> Any:
    body = parse(CountersignIn, json_body())
    document = _document(kind, document_id)
    guard.write(document.supervisee, _object_type(kind), document.id, "signoff.countersign")
    signoff.countersign(g.db, _services().profile, document, g.account.person, comment=body.comment, caller=caller())
    commit()
    signing.enqueue_finalisation(document)
    return _status(document)


@route("GET", f"/{KINDS}/<int:document_id>/signoff", "Sign-off status and events (never the links)",
       response=SignoffStatus)
@login_required
def status(kind: str, document_id: int) -> Any:
    document = _document(kind, document_id)
    guard.read(document.supervisee, _object_type(kind), document.id, "signoff.read")
    return _status(document)


@route("GET", f"/{KINDS}/<int:document_id>/pdf", "Download the sealed final PDF", response=None,
       content_type="application/pdf")
@login_required
def final_pdf(kind: str, document_id: int) -> Any:
    document = _document(kind, document_id)
    guard.read(document.supervisee, _object_type(kind), document.id, "document.download")
    row = finalisation.final_pdf(g.db, document)
    if row is None:
        raise InvalidInput("there is no final PDF yet: it is made once both have signed", "status")
    data = _services().store.get(row.storage_key)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{signoff.number(document)}.pdf"'})


def _link_document(view: signoff.LinkView) -> dict[str, Any]:
    document = view.document
    body = (records.record_json(g.db, document) if signoff.kind_of(document) == "record"
            else agreements.agreement_json(document))
    return LinkDocument(number=signoff.number(document), title=signoff.title(document), status=document.status,
                        version=document.version, signer_role=view.link.signer_role, signer_name=view.signer.name,
                        code_required=_services().profile.signoff.one_time_code, document=body).model_dump(mode="json")


@route("GET", "/sign/<token>", "What the holder of a sign-off link sees", response=LinkDocument)
def open_link(token: str) -> Any:
    view = signoff.open_link(g.db, token, caller())
    signoff.send_code(g.db, _services().profile, view)
    commit()
    return _link_document(view)


@route("GET", "/sign/<token>/pdf", "The document of a sign-off link as PDF (once the worker has made it)",
       response=None, content_type="application/pdf")
def link_pdf(token: str) -> Any:
    view = signoff.open_link(g.db, token, caller(), record_open=False)
    return review_pdf_download(view.document)


def review_pdf_download(document: Document) -> Response:
    """The PDF a signer reads (the page of their link offers it too); 404 until the worker made it."""
    row = signing.review_pdf(g.db, document)
    if row is None:
        raise NotFound("the PDF is being prepared; the document is shown on the page of the link", "token")
    return Response(read_document(g.db, _services().store, row), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{signoff.number(document)}.pdf"',
                             "Cache-Control": "no-store"})


@route("POST", "/sign/<token>", "Agree, agree with a comment, or disagree with a comment", request_model=SignDecision,
       response=DecisionOut)
def decide(token: str) -> Any:
    body = parse(SignDecision, json_body())
    account = current_account() if request.headers.get("Authorization") else None
    try:
        document = signoff.act(g.db, _services().profile, token, decision=body.decision,
                               confirm_name=body.confirm_name, comment=body.comment, code=body.code,
                               base_url=_services().config.base_url, caller=caller(),
                               signed_in=account.person if account else None)
    except signoff.WrongCode:
        commit()  # the wrong attempt counts even though the decision is refused
        raise
    commit()
    signing.enqueue_finalisation(document)
    return DecisionOut(status=document.status, version=document.version).model_dump()


@route("POST", "/verify", "Is this PDF a genuine, unaltered docgen record?", response=VerifyOut)
def verify() -> Any:
    upload = request.files.get("file")
    data = upload.read(50_000_000) if upload else request.get_data(cache=False)
    if not data:
        raise InvalidInput("upload the PDF to check", "file")
    verdict = verify_bytes(data)
    return VerifyOut(status=verdict.status, record_id=verdict.record_id, signed_by=verdict.signed_by,
                     details=verdict.details).model_dump(mode="json")


def verify_bytes(data: bytes) -> seal.Verdict:
    """The verdict for this request's upload (shared with the /verify page)."""
    return finalisation.verify(_services(), g.db, data)
