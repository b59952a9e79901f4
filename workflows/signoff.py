"""Sign-off of records and agreements: supervisee first, then supervisor (K; S 12.3; H).

States: draft -> awaiting_supervisee -> awaiting_supervisor -> signed, and changes_requested when
the supervisee disagrees (back to the supervisor, who revises and re-sends a new version, or
countersigns with the disagreement recorded on the certificate). A profile may need only the
supervisor's signature (H records), which skips the supervisee step.

Links: one per signer per version, 32 random bytes, only the SHA-256 kept, single use, expiring;
re-sending or a new version kills the old ones. The token exists only in the e-mail.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal, Union

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Agreement, DocumentVersion, Person, Record, SignoffEvent, SignoffLink
from storage import clock
from workflows import notifications
from workflows.access import Caller
from workflows.agreements import agreement_number
from workflows.records import record_number
from storage.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from workflows.profiles import Profile

Document = Union[Record, Agreement]
Decision = Literal["agree", "agree_with_comment", "disagree"]
DECISIONS = ("agree", "agree_with_comment", "disagree")
SENDABLE = ("draft", "changes_requested")
CODE_ATTEMPTS = 5  # wrong one-time codes before the code is void and a new one must be e-mailed


class WrongCode(InvalidInput):
    """A wrong one-time code. The caller commits the counted attempt before answering."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner(document: Document) -> dict[str, int]:
    return {"record_id": document.id} if isinstance(document, Record) else {"agreement_id": document.id}


def kind_of(document: Document) -> str:
    """'record' or 'agreement': the word tasks, storage keys and API paths use."""
    return "record" if isinstance(document, Record) else "agreement"


def number(document: Document) -> str:
    """The number printed on the form (R-000042, AG-000007)."""
    return record_number(document) if isinstance(document, Record) else agreement_number(document)


def title(document: Document) -> str:
    if isinstance(document, Record):
        return f"Supervision record {number(document)} ({document.session_date:%-d %B %Y})"
    return f"Supervision agreement {number(document)}"


def signers(profile: Profile, document: Document) -> list[str]:
    return list(profile.signoff.record_signers if isinstance(document, Record) else profile.signoff.agreement_signers)


def _event(db: Session, document: Document, event: str, person: Person | None, caller: Caller,
           comment: str = "", docx_sha256: str = "") -> SignoffEvent:
    row = SignoffEvent(**_owner(document), version=document.version, event=event,
                       person_id=person.id if person else None, at=clock.now(), ip=caller.ip[:64],
                       user_agent=caller.user_agent[:400], comment=comment, docx_sha256=docx_sha256)
    db.add(row)
    return row


def events(db: Session, document: Document) -> list[SignoffEvent]:
    """Every sign-off event of a document, all versions, in order (the sender's page shows these)."""
    owner = SignoffEvent.record_id if isinstance(document, Record) else SignoffEvent.agreement_id
    return list(db.scalars(select(SignoffEvent).where(owner == document.id).order_by(SignoffEvent.at, SignoffEvent.id)))


def _kill_links(db: Session, document: Document) -> None:
    owner = SignoffLink.record_id if isinstance(document, Record) else SignoffLink.agreement_id
    db.execute(update(SignoffLink).where(owner == document.id, SignoffLink.used_at.is_(None),
                                         SignoffLink.invalidated_at.is_(None)).values(invalidated_at=clock.now()))


def withdraw_links(db: Session, supervisee_id: int) -> int:
    """Kill every open link to a supervisee's documents: once their records are frozen (a leaver),
    nobody may sign them any more. Returns how many links died."""
    now = clock.now()
    records = select(Record.id).where(Record.supervisee_id == supervisee_id)
    agreements = select(Agreement.id).where(Agreement.supervisee_id == supervisee_id)
    result = db.execute(update(SignoffLink).where(
        SignoffLink.record_id.in_(records) | SignoffLink.agreement_id.in_(agreements),
        SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None)).values(invalidated_at=now))
    return result.rowcount or 0


def _issue_link(db: Session, profile: Profile, document: Document, signer: Person, role: str,
                base_url: str, caller: Caller) -> None:
    """A fresh link for one signer, e-mailed; every older open link of the document dies."""
    _kill_links(db, document)
    token = secrets.token_urlsafe(32)
    db.add(SignoffLink(**_owner(document), version=document.version, signer_id=signer.id, signer_role=role,
                       token_hash=token_hash(token), created_at=clock.now(),
                       expires_at=clock.now() + dt.timedelta(days=profile.signoff.link_expiry_days)))
    url = f"{base_url.rstrip('/')}/sign/{token}"
    what = title(document)
    ask = ("read it and agree, or disagree with a comment" if role == "supervisee"
           else "read it, including any comment from the supervisee, and countersign")
    notifications.queue_email(
        db, to=signer.email, subject=f"Please sign: {what}",
        text=(f"Dear {signer.name},\n\n{what} is ready for your signature. Please {ask}:\n\n{url}\n\n"
              f"This link is for you only, works once, and expires in {profile.signoff.link_expiry_days} days.\n"),
        html=(f"<p>Dear {signer.name},</p><p>{what} is ready for your signature. Please {ask}:</p>"
              f'<p><a href="{url}">Open the document to sign</a></p>'
              f"<p>This link is for you only, works once, and expires in {profile.signoff.link_expiry_days} days.</p>"))
    _event(db, document, "sent", signer, caller)


def filed_version(db: Session, document: Document, kind: str, version: int | None = None) -> DocumentVersion | None:
    """The stored file of one kind (docx as sent, review_pdf, final_pdf) of a version, unless destroyed.

    `version` defaults to the document's current one.
    """
    owner = DocumentVersion.record_id if isinstance(document, Record) else DocumentVersion.agreement_id
    return db.scalar(select(DocumentVersion).where(
        owner == document.id, DocumentVersion.kind == kind, DocumentVersion.version == (version or document.version),
        DocumentVersion.destroyed_at.is_(None)).limit(1))


def send(db: Session, profile: Profile, document: Document, by: Person, *, docx: DocumentVersion,
         base_url: str, caller: Caller = Caller()) -> None:
    """Send a draft (or a revision after disagreement) to the first signer.

    `docx` is the filed DOCX of the version being sent: what is signed is fixed bytes, not
    whatever the record says later. A revision after "changes requested" is a new version.
    """
    if by.id != document.supervisor_id:
        raise Forbidden("only the supervisor who wrote it can send it for sign-off", "supervisor_id")
    if document.status not in SENDABLE:
        raise Conflict(f"cannot send: it is {document.status.replace('_', ' ')}", "status")
    if docx.version != document.version:
        raise Conflict("the filed document is not the current version", "version")
    _event(db, document, "filed", by, caller, docx_sha256=docx.sha256)
    if "supervisee" in signers(profile, document):
        document.status = "awaiting_supervisee"
        _issue_link(db, profile, document, document.supervisee, "supervisee", base_url, caller)
    else:
        document.status = "awaiting_supervisor"
        _issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    db.flush()


def new_version(db: Session, document: Document, by: Person) -> None:
    """The supervisor revises after a disagreement: the next version, old links dead."""
    if by.id != document.supervisor_id:
        raise Forbidden("only the supervisor can revise it", "supervisor_id")
    if document.status != "changes_requested":
        raise Conflict(f"a new version is started only after changes are requested, not when {document.status}",
                       "status")
    _kill_links(db, document)
    document.version += 1
    db.flush()


def resend(db: Session, profile: Profile, document: Document, by: Person, *, base_url: str,
           caller: Caller = Caller()) -> None:
    """A new link for whoever is waiting (lost e-mail, expired link); the old link dies."""
    if by.id != document.supervisor_id:
        raise Forbidden("only the supervisor can re-send the link", "supervisor_id")
    if document.status == "awaiting_supervisee":
        _issue_link(db, profile, document, document.supervisee, "supervisee", base_url, caller)
    elif document.status == "awaiting_supervisor":
        _issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    else:
        raise Conflict(f"nobody is waiting to sign: it is {document.status.replace('_', ' ')}", "status")
    db.flush()


@dataclass(frozen=True)
class LinkView:
    """What a link holder sees: never the token or its hash."""

    link: SignoffLink
    document: Document
    signer: Person


def open_link(db: Session, token: str, caller: Caller = Caller(), *, record_open: bool = True) -> LinkView:
    """Check a link; a used, re-sent, expired or superseded link is Gone (410)."""
    link = db.scalar(select(SignoffLink).where(SignoffLink.token_hash == token_hash(token or "")))
    if link is None:
        raise NotFound("this sign-off link is not recognised", "token")
    if link.used_at is not None:
        raise Gone("this sign-off link has already been used", "token")
    if link.invalidated_at is not None:
        raise Gone("this sign-off link was replaced by a newer one; use the latest e-mail", "token")
    if link.expires_at < clock.now():
        raise Gone("this sign-off link has expired; ask your supervisor to send it again", "token")
    document: Document = db.get(Record, link.record_id) if link.record_id else db.get(Agreement, link.agreement_id)
    expected = "awaiting_supervisee" if link.signer_role == "supervisee" else "awaiting_supervisor"
    if link.version != document.version or document.status != expected:
        raise Gone("this link is for an earlier version of the document", "token")
    signer = db.get(Person, link.signer_id)
    if record_open:
        _event(db, document, "opened", signer, caller)
    return LinkView(link, document, signer)


def _code_hash(link: SignoffLink, code: str) -> str:
    return hashlib.sha256(f"{link.token_hash}:{code}".encode()).hexdigest()


def send_code(db: Session, profile: Profile, view: LinkView) -> bool:
    """E-mail a one-time code when the profile asks for one and none is outstanding.

    The code goes to the same address as the link: it proves the person at the page still holds
    that mailbox now, not just a forwarded or leaked link.
    """
    if not profile.signoff.one_time_code or view.link.code_hash is not None:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    view.link.code_hash = _code_hash(view.link, code)
    view.link.code_attempts = 0
    notifications.queue_email(
        db, to=view.signer.email, subject=f"Your code to sign {number(view.document)}",
        text=f"Your one-time code to sign {title(view.document)} is {code}.\n\nIf you did not open the link, tell "
             "your supervisor.\n")
    return True


def _check_code(profile: Profile, link: SignoffLink, code: str) -> None:
    if not profile.signoff.one_time_code:
        return
    if link.code_hash is None:
        raise InvalidInput("open the link again and we will e-mail you a new code", "code")
    if not hmac.compare_digest(link.code_hash, _code_hash(link, (code or "").strip())):
        link.code_attempts += 1
        if link.code_attempts >= CODE_ATTEMPTS:
            link.code_hash = None
            raise WrongCode("too many wrong codes: open the link again for a new one", "code")
        raise WrongCode("the code is not right: use the one in the latest e-mail", "code")


def _same_name(typed: str, name: str) -> bool:
    return " ".join(typed.split()).casefold() == " ".join(name.split()).casefold()


def act(db: Session, profile: Profile, token: str, *, decision: str, confirm_name: str, comment: str = "",
        base_url: str, caller: Caller = Caller(), signed_in: Person | None = None, code: str = "") -> Document:
    """The signer's decision through their link: agree, agree with a comment, or disagree."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}", "decision")
    view = open_link(db, token, caller, record_open=False)
    link, document, signer = view.link, view.document, view.signer
    if signed_in is not None and signed_in.id != signer.id:
        raise Forbidden("this link was sent to someone else", "token")
    _check_code(profile, link, code)
    if not _same_name(confirm_name or "", signer.name):
        raise InvalidInput("type your full name exactly as it appears on the document", "confirm_name")
    comment = (comment or "").strip()
    if decision != "agree" and not comment:
        raise InvalidInput("say what you disagree with or want noted", "comment")
    if link.signer_role == "supervisor" and decision == "disagree":
        raise InvalidInput("a supervisor countersigns, or revises the record instead of signing", "decision")
    link.used_at = clock.now()
    docx = filed_version(db, document, "docx")
    sha = docx.sha256 if docx else ""
    if link.signer_role == "supervisee":
        if decision == "disagree":
            _event(db, document, "disagreed", signer, caller, comment, sha)
            document.status = "changes_requested"
            _tell_supervisor_of_disagreement(db, document, comment)
        else:
            _event(db, document, "agreed", signer, caller, comment, sha)
            _after_supervisee(db, profile, document, base_url, caller)
    else:
        _event(db, document, "countersigned", signer, caller, comment, sha)
        _mark_signed(document)
    db.flush()
    return document


def _after_supervisee(db: Session, profile: Profile, document: Document, base_url: str, caller: Caller) -> None:
    if "supervisor" in signers(profile, document):
        document.status = "awaiting_supervisor"
        _issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    else:
        _mark_signed(document)


def _mark_signed(document: Document) -> None:
    document.status = "signed"
    if isinstance(document, Record):
        document.signed_at = clock.now()


def _tell_supervisor_of_disagreement(db: Session, document: Document, comment: str) -> None:
    notifications.queue_email(
        db, to=document.supervisor.email, subject=f"Changes requested: {title(document)}",
        text=(f"{document.supervisee.name} disagreed with {title(document)}:\n\n{comment}\n\n"
              "Revise it and send the new version, or countersign it with the disagreement recorded on the "
              "certificate (S 12.3: disagreements are recorded and discussed at the next session).\n"))


def countersign(db: Session, profile: Profile, document: Document, by: Person, *, comment: str = "",
                caller: Caller = Caller()) -> Document:
    """The supervisor signs while signed in: after the supervisee agreed, or over a recorded disagreement."""
    if by.id != document.supervisor_id:
        raise Forbidden("only the record's supervisor can countersign", "supervisor_id")
    if document.status not in ("awaiting_supervisor", "changes_requested"):
        raise Conflict(f"cannot countersign: it is {document.status.replace('_', ' ')}", "status")
    docx = filed_version(db, document, "docx")
    _kill_links(db, document)
    note = comment.strip()
    if document.status == "changes_requested":
        note = ("Finalised with the supervisee's disagreement recorded. " + note).strip()
    _event(db, document, "countersigned", by, caller, note, docx.sha256 if docx else "")
    _mark_signed(document)
    db.flush()
    return document


def certificate(db: Session, document: Document) -> dict:
    """The certificate page's content (shape expected by docgen.documents.seal.certificate_page_docx)."""
    people_by_id = {p.id: p for p in (document.supervisee, document.supervisor)}
    shown = {"sent": "sent", "opened": "opened", "agreed": "signed", "countersigned": "signed",
             "disagreed": "disagreement", "filed": None}
    rows = []
    for event in events(db, document):
        label = shown.get(event.event, event.event)
        # Earlier versions' disagreements stay on the certificate: they are recorded, not suppressed.
        if label is None or (event.version != document.version and event.event != "disagreed"):
            continue
        who = people_by_id.get(event.person_id) or (db.get(Person, event.person_id) if event.person_id else None)
        rows.append({"event": label, "who": who.name if who else "", "at": event.at.replace(tzinfo=dt.timezone.utc).isoformat(),
                     "ip": event.ip, "user_agent": event.user_agent, "comment": event.comment})
    return {"record_id": number(document), "title": title(document), "version": document.version,
            "supervisee": {"name": document.supervisee.name, "email": document.supervisee.email},
            "supervisor": {"name": document.supervisor.name, "email": document.supervisor.email},
            "events": rows}
