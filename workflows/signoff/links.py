"""Sign-off's links: one per signer per version, made by `workflows.links` (32 random bytes, only
the SHA-256 kept, single use, expiring) and e-mailed; the token exists only in the e-mail.
Re-sending or a new version kills the old ones, and a leaver's are withdrawn when their records
are frozen. Opening a link checks it (`holder_of`: used, replaced, expired or for an earlier
version is Gone), a decision spends it once (`use_link`, a compare-and-set), and where the profile
asks, a one-time code e-mailed to the same address proves the mailbox is still the signer's.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kernel import clock
from kernel.errors import Gone, InvalidInput
from storage.models import Agreement, Person, Record, SignoffEvent, SignoffLink
from workflows import emails
from workflows import links as single_use
from workflows.access import Caller
from workflows.profiles import Profile
from workflows.signoff.evidence import record_event
from workflows.signoff.states import AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, Document, Kind, owner_ids
from workflows.signoff.wording import number, title, turn


CODE_ATTEMPTS = 5  # wrong one-time codes before the code is void and a new one must be e-mailed


class WrongCode(InvalidInput):
    """A wrong one-time code. The attempt is counted (committed) before it is refused."""


def issue_link(db: Session, profile: Profile, document: Document, signer: Person, role: str,
               base_url: str, caller: Caller) -> None:
    """A fresh link for one signer, e-mailed; every older open link of the document dies.

    The e-mail is written here, not by a subscriber of a domain event (`workflows.notices`): the
    token exists only in this call before its hash is stored, and an event never carries a secret."""
    kill_links(db, document)
    link = single_use.issue(profile.signoff.link_expiry_days)
    db.add(SignoffLink(**owner_ids(document), version=document.version, signer_id=signer.id, signer_role=role,
                       token_hash=link.token_hash, created_at=clock.now(), expires_at=link.expires_at))
    step = turn(document.status, document.supervisee.name, document.supervisor.name,
                "supervisee" if role == "supervisee" else "supervisor")
    again = f" \u2013 version {document.version}, revised" if document.version > 1 else ""  # told apart from the first
    emails.queue(db, "signoff_link", to=signer.email, subject=f"{step.what}: {title(document)}{again}",
                 redact=(link.token,), signer=signer.name, what=title(document), role=role, version=document.version,
                 url=single_use.url(base_url, "sign", link.token),
                 expiry_days=profile.signoff.link_expiry_days)
    record_event(db, document, "sent", signer, caller)


def kill_links(db: Session, document: Document) -> None:
    """Every open link of the document dies (a new one is issued, or nobody signs it any more)."""
    owner = SignoffLink.record_id if isinstance(document, Record) else SignoffLink.agreement_id
    db.execute(update(SignoffLink).where(owner == document.id, SignoffLink.used_at.is_(None),
                                         SignoffLink.invalidated_at.is_(None)).values(invalidated_at=clock.now()))


def withdraw_links(db: Session, supervisee_id: int) -> int:
    """Kill every open link to a supervisee's documents: once their records are frozen (a leaver),
    nobody may sign them any more. Returns how many links died."""
    now = clock.now()
    record_ids = select(Record.id).where(Record.supervisee_id == supervisee_id)
    agreement_ids = select(Agreement.id).where(Agreement.supervisee_id == supervisee_id)
    result = db.execute(update(SignoffLink).where(
        SignoffLink.record_id.in_(record_ids) | SignoffLink.agreement_id.in_(agreement_ids),
        SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None)).values(invalidated_at=now))
    return result.rowcount or 0


@dataclass(frozen=True)
class Holder:
    """A live link, its document and the person it was sent to."""

    link: SignoffLink
    document: Document
    signer: Person


def holder_of(db: Session, token: str) -> Holder:
    """Check a link; a used, re-sent, expired or superseded link is Gone (410)."""
    link = single_use.find(db, SignoffLink, token, "sign-off")
    if link.used_at is not None:
        raise Gone("this sign-off link has already been used", "token")
    if link.invalidated_at is not None:
        _spent_in_app(db, link)
        raise Gone("this sign-off link was replaced by a newer one; use the latest e-mail", "token")
    if single_use.expired(link.expires_at):
        raise Gone("this sign-off link has expired; ask your supervisor to send it again", "token")
    # With its two people (the signer is one of them) and the supervisee's team, which the page names.
    people = (joinedload(Record.supervisee).joinedload(Person.team), joinedload(Record.supervisor))
    document: Document = (db.get(Record, link.record_id, options=people) if link.record_id
                          else db.get(Agreement, link.agreement_id))
    expected = AWAITING_SUPERVISEE if link.signer_role == "supervisee" else AWAITING_SUPERVISOR
    if link.version != document.version or document.status != expected:
        db.refresh(link)  # a decision through this very link may have moved the document since it was read
        if link.used_at is not None:
            raise Gone("this sign-off link has already been used", "token")
        raise Gone("this link is for an earlier version of the document", "token")
    return Holder(link, document, db.get(Person, link.signer_id))


class AlreadyCountersigned(Gone):
    """The supervisor's own link, spent because they countersigned in docgen itself: there is no
    newer e-mail to look for, so the page says when they signed and links to the document."""

    def __init__(self, kind: Kind, document_id: int, on: dt.datetime) -> None:
        super().__init__(f"you already countersigned in docgen on {on:%-d %B %Y}", "token")
        self.kind = kind
        self.document_id = document_id
        self.on = on


def _spent_in_app(db: Session, link: SignoffLink) -> None:
    """Raise AlreadyCountersigned when this supervisor's link died because they countersigned
    while signed in (`_countersign` kills the open links of the version it signs)."""
    if link.signer_role != "supervisor":
        return
    owner = SignoffEvent.record_id == link.record_id if link.record_id else SignoffEvent.agreement_id == link.agreement_id
    signed = db.scalar(select(SignoffEvent).where(owner, SignoffEvent.event == "countersigned",
                                                  SignoffEvent.version == link.version,
                                                  SignoffEvent.person_id == link.signer_id).limit(1))
    if signed is not None:
        kind: Kind = "record" if link.record_id else "agreement"
        raise AlreadyCountersigned(kind, link.record_id or link.agreement_id, signed.at)


def use_link(db: Session, link: SignoffLink) -> None:
    """Spend a link, once: a conditional UPDATE in the transaction that records the decision.

    Two requests may both have read the link as open; only the one whose UPDATE finds it still
    unused and not replaced goes on, and the other is Gone before anything is recorded or sent.
    """
    now = clock.now()
    if not single_use.spend(db, SignoffLink, link.id, [SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None)],
                       used_at=now):
        db.refresh(link)
        if link.invalidated_at is not None and link.used_at is None:
            raise Gone("this sign-off link was replaced by a newer one; use the latest e-mail", "token")
        raise Gone("this sign-off link has already been used", "token")
    set_committed_value(link, "used_at", now)


def _code_hash(link: SignoffLink, code: str) -> str:
    return hashlib.sha256(f"{link.token_hash}:{code}".encode()).hexdigest()


def send_code(db: Session, profile: Profile, holder: Holder) -> None:
    """E-mail a one-time code when the profile asks for one and none is outstanding.

    The code goes to the same address as the link: it proves the person at the page still holds
    that mailbox now, not just a forwarded or leaked link. Written here, not by a subscriber of a
    domain event: only this call holds the code before its hash is stored.
    """
    if not profile.signoff.one_time_code or holder.link.code_hash is not None:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    holder.link.code_hash = _code_hash(holder.link, code)
    holder.link.code_attempts = 0
    emails.queue(db, "signoff_code", to=holder.signer.email, subject=f"Your code to sign {number(holder.document)}",
                 redact=(code,), what=title(holder.document), code=code)


def check_code(profile: Profile, link: SignoffLink, code: str) -> None:
    """Refuse a wrong one-time code, counting the attempt; the code is void after `CODE_ATTEMPTS`."""
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
