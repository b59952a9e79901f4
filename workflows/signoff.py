"""Sign-off of records and agreements: supervisee first, then supervisor (K; S 12.3; H).

States: DRAFT -> AWAITING_SUPERVISEE -> AWAITING_SUPERVISOR -> SIGNED, and CHANGES_REQUESTED when
the supervisee disagrees (back to the supervisor, who revises and re-sends a new version, or
countersigns with the disagreement recorded on the certificate). A disagreement is never sealed as
signed by both: where the policy has both agree (K §9, S 12.3, H §9) the supervisor countersigns
over it only once the disagreement route has recorded its outcome (`DisagreementUnsettled`), and
the document is then "finalised after a disagreement", with both views, the outcome and whose
signature is missing, on every page and the certificate (`FinalisedAfterDisagreement`). A profile
may need only the supervisor's signature (H records), which skips the supervisee step.

Links: one per signer per version (`workflows.links`: 32 random bytes, only the SHA-256 kept,
single use, expiring); re-sending or a new version kills the old ones. The token exists only in the
e-mail. The states and the moves between them are `workflows.status`.

This is sign-off's one home: its states, links, events and the certificate's content, and the use
cases the API and the pages call: for the sender `resend_link`, `countersign`, `status`,
`final_pdf`; for the link holder `open_link`, `link_view`, `decide`, `review_pdf`; for a supervisee
`own_documents`; for pages listing documents `next_steps` and `tags`. Versions are told apart
(issue 27): each version's decision (`decisions`), who signed and who is still to
(`signature_lines`: nobody is called a signer before they signed), and, for a version re-sent after
a disagreement, what changed since (`changes_since_disagreement`, worded by
`workflows.version_changes`). Sending starts in
`workflows.pipeline.send_for_signoff`, because it first files the Word file being signed: the
pipeline sits above sign-off (it prints sign-off's evidence on the certificate page, and files the
final PDF under retention's protection, while retention freezes leavers through `withdraw_links`
here), so sign-off never calls into it. Background work (the review PDF, the sealed PDF) is
scheduled to run after the commit through the unit of work; the worker does it through the pipeline.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Union

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from kernel import clock
from kernel.errors import Conflict, Gone, InvalidInput, NotFound
from storage.db import next_revision
from storage.backends.base import StorageError
from storage.filing import DamagedDocument, read_document
from storage.models import Agreement, DocumentVersion, Person, Record, SignoffEvent, SignoffLink
from workflows import access, agreements, disagreement_notices, emails, group_records, links, records, version_changes
from storage.uow import transaction
from workflows.access import Caller
from workflows import events as domain_events
from workflows.deployment import Work
from workflows.inputs.signoff import Decide
from workflows.profiles import Profile
from workflows.status import (AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, CHANGES_REQUESTED, COUNTERSIGNABLE, DRAFT,
                              EDITABLE, SIGNED, SUPERSEDED, WAITING, check_move, words)

SENDABLE = EDITABLE  # what its writer may still change may be sent (again)
# A signed version the supervisee disagreed with: never "signed", which would read as signed by both
FINALISED_AFTER_DISAGREEMENT = "Finalised after a disagreement"

Document = Union[Record, Agreement]
Kind = Literal["record", "agreement"]
DECISIONS = ("agree", "agree_with_comment", "disagree")
CODE_ATTEMPTS = 5  # wrong one-time codes before the code is void and a new one must be e-mailed


class WrongCode(InvalidInput):
    """A wrong one-time code. The attempt is counted (committed) before it is refused."""


class DisagreementUnsettled(Conflict):
    """A countersignature over the supervisee's disagreement where the policy has both agree
    (`signoff.finalise_over_disagreement` false), before the disagreement route has settled it."""

    code = "disagreement_unsettled"


def _owner(document: Document) -> dict[str, int]:
    return {"record_id": document.id} if isinstance(document, Record) else {"agreement_id": document.id}


def kind_of(document: Document) -> Kind:
    """'record' or 'agreement': the word tasks, storage keys and API paths use."""
    return "record" if isinstance(document, Record) else "agreement"


def get_document(db: Session, kind: str, document_id: int) -> Document:
    """The record or agreement of this kind and id; NotFound when there is none."""
    if kind == "record":
        return records.get_record(db, document_id)
    return agreements.get_agreement(db, document_id)


def number(document: Document) -> str:
    """The number printed on the form (R-000042, AG-000007)."""
    return (records.record_number(document) if isinstance(document, Record)
            else agreements.agreement_number(document))


def title(document: Document) -> str:
    if isinstance(document, Record):
        return f"Supervision record {number(document)} ({document.session_date:%-d %B %Y})"
    return f"Supervision agreement {number(document)}"


def signers(profile: Profile, document: Document) -> list[str]:
    if isinstance(document, Record) and document.group_session_id is not None:
        return ["supervisor"]  # issue 14: a group record's signer alone signs it off (W §8)
    return list(profile.signoff.record_signers if isinstance(document, Record) else profile.signoff.agreement_signers)


# --- Whose turn ----------------------------------------------------------------------------------

Viewer = Literal["supervisee", "supervisor", "other"]


@dataclass(frozen=True)
class NextStep:
    """Whose turn it is on a document and what they must do, in the one wording the dashboard, the
    document's page, My records and the e-mails all use (issue 18: "always clear whose turn it is").

    `what` says where it stands ("Alex Morgan disagreed"), `then` what to do about it ("revise or
    countersign"), if anything; `who` is the role that must act (None once nothing is left to do).
    """

    who: Literal["supervisee", "supervisor"] | None
    what: str
    then: str = ""
    download: bool = False  # `then` is "download PDF": pages make it the link to the sealed PDF

    @property
    def text(self) -> str:
        return f"{self.what}: {self.then}" if self.then else self.what


def ago(day: dt.date, today: dt.date) -> str:
    """'today', 'yesterday', '3 days ago': how long a signer has had the e-mail."""
    days = (today - day).days
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def turn(status: str, supervisee: str, supervisor: str, viewer: Viewer, *, sent_on: dt.date | None = None,
         today: dt.date | None = None, sealed: bool = False, disagreed: bool = False) -> NextStep:
    """The next step from a document's state and its two people's names, as `viewer` reads it.

    Plain values rather than the document, so the organisation's due list (rows, not objects)
    words its sign-off items the same way. `disagreed`: the signed version was countersigned over
    the supervisee's disagreement, so it is never called "signed" (K §9 "signed by both").
    """
    sent = f" (sent {ago(sent_on, today)})" if sent_on is not None and today is not None else ""
    if status == AWAITING_SUPERVISEE:
        if viewer == "supervisee":
            return NextStep("supervisee", "Ready for you to agree", "open the link in your e-mail")
        return NextStep("supervisee", f"Waiting for {supervisee} to agree{sent}")
    if status == AWAITING_SUPERVISOR:
        if viewer == "supervisor":
            return NextStep("supervisor", "Ready for you to countersign")
        return NextStep("supervisor", f"Waiting for {supervisor} to countersign")
    if status == CHANGES_REQUESTED:
        if viewer == "supervisor":
            return NextStep("supervisor", f"{supervisee} disagreed", "revise or countersign")
        who = "You" if viewer == "supervisee" else supervisee
        return NextStep("supervisor", f"{who} disagreed", f"waiting for {supervisor} to revise or countersign")
    if status == SUPERSEDED:
        return NextStep(None, "Superseded by a newer agreement")
    if status == SIGNED:
        done = FINALISED_AFTER_DISAGREEMENT if disagreed else "Signed"
        if sealed:
            return NextStep(None, done, "download PDF", download=True)
        return NextStep(None, done, "the PDF is being sealed")
    if viewer == "supervisor":
        return NextStep("supervisor", "Draft", "finish it and send it for sign-off")
    return NextStep("supervisor", f"Being written by {supervisor}")


def viewer_of(document: Document, person_id: int | None) -> Viewer:
    """Which of the document's people is looking (a manager or auditor is 'other')."""
    if person_id is not None and person_id == document.supervisor_id:
        return "supervisor"
    if person_id is not None and person_id == document.supervisee_id:
        return "supervisee"
    return "other"


@dataclass(frozen=True)
class Facts:
    """What a document's row does not say but its next step and its tag need: when its current
    version was last sent (for a supervisee's turn), and once it is signed, whether the sealed PDF
    is filed and whether it was countersigned over the supervisee's disagreement."""

    sent_on: dt.date | None
    sealed: bool
    disagreed: bool


def facts(db: Session, documents: Sequence[Document]) -> dict[int, Facts]:
    """The facts of each document, by id, in at most three queries however many documents there
    are: a page listing a team's records must not ask once per record (issue 26). The documents are
    all records or all agreements, whose ids are numbered apart."""
    sent, sealed, disagreed = _sent_on(db, documents), _sealed(db, documents), _disagreed(db, documents)
    return {d.id: Facts(sent.get(d.id), d.id in sealed, d.id in disagreed) for d in documents}


def _columns(documents: Sequence[Document]) -> tuple[Any, Any]:
    """The owner columns of sign-off events and filed versions for these documents' kind."""
    if documents and isinstance(documents[0], Agreement):
        return SignoffEvent.agreement_id, DocumentVersion.agreement_id
    return SignoffEvent.record_id, DocumentVersion.record_id


def _sent_on(db: Session, documents: Sequence[Document]) -> dict[int, dt.date]:
    """When the current version of each document waiting for its supervisee was last sent (one query)."""
    waiting = {d.id: d.version for d in documents if d.status == AWAITING_SUPERVISEE}
    if not waiting:
        return {}
    owner, _ = _columns(documents)
    rows = db.execute(select(owner, SignoffEvent.version, func.max(SignoffEvent.at))
                      .where(owner.in_(sorted(waiting)), SignoffEvent.event == "sent")
                      .group_by(owner, SignoffEvent.version))
    return {document_id: at.date() for document_id, version, at in rows if version == waiting[document_id]}


def _sealed(db: Session, documents: Sequence[Document]) -> set[int]:
    """The signed documents whose current version's sealed PDF is filed and not destroyed (one query)."""
    signed = {d.id: d.version for d in documents if d.status == SIGNED}
    if not signed:
        return set()
    _, owner = _columns(documents)
    rows = db.execute(select(owner, DocumentVersion.version).where(
        owner.in_(sorted(signed)), DocumentVersion.kind == "final_pdf", DocumentVersion.destroyed_at.is_(None)))
    return {document_id for document_id, version in rows if version == signed[document_id]}


def _disagreed(db: Session, documents: Sequence[Document]) -> set[int]:
    """The signed documents whose current version the supervisee disagreed with, so countersigned
    over the disagreement (one query)."""
    signed = {d.id: d.version for d in documents if d.status == SIGNED}
    if not signed:
        return set()
    owner, _ = _columns(documents)
    rows = db.execute(select(owner, SignoffEvent.version).where(owner.in_(sorted(signed)),
                                                                SignoffEvent.event == "disagreed"))
    return {document_id for document_id, version in rows if version == signed[document_id]}


def next_steps(db: Session, documents: Sequence[Document], viewer_id: int | None,
               today: dt.date) -> dict[int, NextStep]:
    """Whose turn it is on each document (all records or all agreements), by id, as the person
    `viewer_id` reads it, with the facts for all of them read at once (`facts`). The documents'
    supervisee and supervisor are read for their names: a list loads them with the documents."""
    known = facts(db, documents)
    return {d.id: _step(d, known[d.id], viewer_id, today) for d in documents}


def _step(document: Document, known: Facts, viewer_id: int | None, today: dt.date) -> NextStep:
    return turn(document.status, document.supervisee.name, document.supervisor.name, viewer_of(document, viewer_id),
                sent_on=known.sent_on, today=today, sealed=known.sealed, disagreed=known.disagreed)


def next_step(db: Session, document: Document, viewer_id: int | None, today: dt.date) -> NextStep:
    """Whose turn it is on this document, as the person `viewer_id` reads it (`next_steps` of one)."""
    return next_steps(db, [document], viewer_id, today)[document.id]


def tag(status: str, disagreed: bool) -> str:
    """A document's state as its tag reads it: "Finalised after a disagreement", never "Signed", for a
    version countersigned over the supervisee's disagreement (K §9 "signed by both"; W §10 "or not")."""
    return FINALISED_AFTER_DISAGREEMENT if status == SIGNED and disagreed else words(status).capitalize()


def tags(uow: Work, documents: Sequence[Document]) -> dict[int, str]:
    """Each document's tag (`tag`), by id, for a page showing documents the caller was let read
    (all records or all agreements): whether each was signed over a disagreement, read at once."""
    disagreed = _disagreed(uow.session, documents)
    return {d.id: tag(d.status, d.id in disagreed) for d in documents}


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
    record_ids = select(Record.id).where(Record.supervisee_id == supervisee_id)
    agreement_ids = select(Agreement.id).where(Agreement.supervisee_id == supervisee_id)
    result = db.execute(update(SignoffLink).where(
        SignoffLink.record_id.in_(record_ids) | SignoffLink.agreement_id.in_(agreement_ids),
        SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None)).values(invalidated_at=now))
    return result.rowcount or 0


def _issue_link(db: Session, profile: Profile, document: Document, signer: Person, role: str,
                base_url: str, caller: Caller) -> None:
    """A fresh link for one signer, e-mailed; every older open link of the document dies."""
    _kill_links(db, document)
    link = links.issue(profile.signoff.link_expiry_days)
    db.add(SignoffLink(**_owner(document), version=document.version, signer_id=signer.id, signer_role=role,
                       token_hash=link.token_hash, created_at=clock.now(), expires_at=link.expires_at))
    step = turn(document.status, document.supervisee.name, document.supervisor.name,
                "supervisee" if role == "supervisee" else "supervisor")
    again = f" \u2013 version {document.version}, revised" if document.version > 1 else ""  # told apart from the first
    emails.queue(db, "signoff_link", to=signer.email, subject=f"{step.what}: {title(document)}{again}",
                 redact=(link.token,), signer=signer.name, what=title(document), role=role, version=document.version,
                 url=links.url(base_url, "sign", link.token),
                 expiry_days=profile.signoff.link_expiry_days)
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
    access.require_writer(by, document, "send it for sign-off")
    if document.status not in SENDABLE:
        raise Conflict(f"cannot send: it is {words(document.status)}", "status")
    if docx.version != document.version:
        raise Conflict("the filed document is not the current version", "version")
    # The move first, as a compare-and-set: of two sends of one draft only one finds it still
    # unsent (and unedited since it was rendered); the other is a Conflict with nothing e-mailed.
    first = "supervisee" if "supervisee" in signers(profile, document) else "supervisor"
    _move(db, document, document.status, AWAITING_SUPERVISEE if first == "supervisee" else AWAITING_SUPERVISOR)
    _event(db, document, "filed", by, caller, docx_sha256=docx.sha256)
    domain_events.record(db, domain_events.DocumentSent(kind_of(document), document.id, document.version))
    signer = document.supervisee if first == "supervisee" else document.supervisor
    _issue_link(db, profile, document, signer, first, base_url, caller)
    db.flush()


def new_version(db: Session, document: Document, by: Person) -> None:
    """The supervisor revises after a disagreement: the next version, old links dead."""
    access.require_writer(by, document, "revise it")
    if document.status != CHANGES_REQUESTED:
        raise Conflict(f"a new version is started only after changes are requested, not when {document.status}",
                       "status")
    _move(db, document, CHANGES_REQUESTED, CHANGES_REQUESTED, version=document.version + 1)
    _kill_links(db, document)
    db.flush()


def resend(db: Session, profile: Profile, document: Document, by: Person, *, base_url: str,
           caller: Caller = Caller()) -> None:
    """A new link for whoever is waiting (lost e-mail, expired link); the old link dies."""
    access.require_writer(by, document, "re-send the link")
    if document.status not in WAITING:
        raise Conflict(f"nobody is waiting to sign: it is {words(document.status)}", "status")
    # A compare-and-set on the state it stays in: of two re-sends made at once only one issues a
    # link; the other is a Conflict, so one link stays alive and one e-mail goes out.
    _move(db, document, document.status, document.status)
    if document.status == AWAITING_SUPERVISEE:
        _issue_link(db, profile, document, document.supervisee, "supervisee", base_url, caller)
    else:
        _issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    db.flush()


@dataclass(frozen=True)
class Holder:
    """A live link, its document and the person it was sent to."""

    link: SignoffLink
    document: Document
    signer: Person


def _holder(db: Session, token: str) -> Holder:
    """Check a link; a used, re-sent, expired or superseded link is Gone (410)."""
    link = links.find(db, SignoffLink, token, "sign-off")
    if link.used_at is not None:
        raise Gone("this sign-off link has already been used", "token")
    if link.invalidated_at is not None:
        _spent_in_app(db, link)
        raise Gone("this sign-off link was replaced by a newer one; use the latest e-mail", "token")
    if links.expired(link.expires_at):
        raise Gone("this sign-off link has expired; ask your supervisor to send it again", "token")
    document: Document = db.get(Record, link.record_id) if link.record_id else db.get(Agreement, link.agreement_id)
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


def _use_link(db: Session, link: SignoffLink) -> None:
    """Spend a link, once: a conditional UPDATE in the transaction that records the decision.

    Two requests may both have read the link as open; only the one whose UPDATE finds it still
    unused and not replaced goes on, and the other is Gone before anything is recorded or sent.
    """
    now = clock.now()
    if not links.spend(db, SignoffLink, link.id, [SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None)],
                       used_at=now):
        db.refresh(link)
        if link.invalidated_at is not None and link.used_at is None:
            raise Gone("this sign-off link was replaced by a newer one; use the latest e-mail", "token")
        raise Gone("this sign-off link has already been used", "token")
    set_committed_value(link, "used_at", now)


def _move(db: Session, document: Document, expected: str, new: str, **also: Any) -> None:
    """Move a document from `expected` to `new` as a compare-and-set on its state, version and edit
    revision as this request read them: a concurrent request that moved or edited it first makes
    this one a Conflict (409), nothing recorded. The move raises the revision, so an edit made
    from before it is refused too (`workflows.revisions`)."""
    check_move(expected, new)
    db.flush()  # the revision compared is the one in the database, not one a pending change will raise
    model = type(document)
    changed = {"status": new, "revision": next_revision(db, document), **also}
    result = db.execute(update(model)
                        .where(model.id == document.id, model.status == expected,
                               model.version == document.version, model.revision == document.revision)
                        .values(**changed).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("someone else changed it at the same time; reload it and try again", "status")
    for name, value in changed.items():
        set_committed_value(document, name, value)


def _code_hash(link: SignoffLink, code: str) -> str:
    return hashlib.sha256(f"{link.token_hash}:{code}".encode()).hexdigest()


def _send_code(db: Session, profile: Profile, holder: Holder) -> None:
    """E-mail a one-time code when the profile asks for one and none is outstanding.

    The code goes to the same address as the link: it proves the person at the page still holds
    that mailbox now, not just a forwarded or leaked link.
    """
    if not profile.signoff.one_time_code or holder.link.code_hash is not None:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    holder.link.code_hash = _code_hash(holder.link, code)
    holder.link.code_attempts = 0
    emails.queue(db, "signoff_code", to=holder.signer.email, subject=f"Your code to sign {number(holder.document)}",
                 redact=(code,), what=title(holder.document), code=code)


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
    """The typed name is the person's, however it was spaced, cased or composed (an accent typed as
    one character or as a letter and a combining mark)."""
    def plain(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    return plain(typed) == plain(name)


def _act(db: Session, profile: Profile, token: str, answers: Decide, *, base_url: str, caller: Caller) -> Document:
    """The signer's decision through their link: agree, agree with a comment, or disagree.

    A signed-in caller (an API bearer token) must be the person the link was sent to.
    """
    decision = answers.decision
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}", "decision")
    holder = _holder(db, token)
    link, document, signer = holder.link, holder.document, holder.signer
    access.require_link_holder(caller, signer.id)
    comment = _checked_answers(profile, link, signer, answers)
    # The link is spent and the document moved before anything is recorded or e-mailed: a
    # concurrent request that got there first leaves this one Gone (410) or in Conflict (409).
    _use_link(db, link)
    expected = document.status
    if link.signer_role == "supervisee":  # the decision is heard of before what it leads to (signed, or a revision)
        domain_events.record(db, domain_events.DocumentDecided(kind_of(document), document.id, document.version,
                                                               "disagreed" if decision == "disagree" else "agreed"))
        if decision == "disagree":
            _move(db, document, expected, CHANGES_REQUESTED)
        elif "supervisor" in signers(profile, document):
            _move(db, document, expected, AWAITING_SUPERVISOR)
        else:
            _mark_signed(db, document, expected)
    else:
        _mark_signed(db, document, expected)
    docx = filed_version(db, document, "docx")
    sha = docx.sha256 if docx else ""
    if link.signer_role == "supervisee":
        if decision == "disagree":
            _event(db, document, "disagreed", signer, caller, comment, sha)
            _tell_supervisor_of_disagreement(db, profile, document, comment, base_url)
        else:
            _event(db, document, "agreed", signer, caller, comment, sha)
            if document.status == AWAITING_SUPERVISOR:
                _issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    else:
        _event(db, document, "countersigned", signer, caller, comment, sha)
    db.flush()
    return document


def _checked_answers(profile: Profile, link: SignoffLink, signer: Person, answers: Decide) -> str:
    """The signer's comment, once the code, the typed name and the comment their decision needs
    are checked: each refusal names the field to correct."""
    _check_code(profile, link, answers.code)
    if not _same_name(answers.confirm_name or "", signer.name):
        raise InvalidInput("type your full name exactly as it appears on the document", "confirm_name")
    comment = (answers.comment or "").strip()
    if answers.decision != "agree" and not comment:
        raise InvalidInput("say what you disagree with or want noted", "comment")
    if link.signer_role == "supervisor" and answers.decision == "disagree":
        raise InvalidInput("a supervisor countersigns, or revises the record instead of signing", "decision")
    return comment


def _mark_signed(db: Session, document: Document, expected: str) -> None:
    domain_events.record(db, domain_events.DocumentSigned(kind_of(document), document.id, document.version))
    if isinstance(document, Record):
        _move(db, document, expected, SIGNED, signed_at=clock.now())
    else:
        _move(db, document, expected, SIGNED)


def page_path(document: Document) -> str:
    """The path of the page its supervisor revises, re-sends or countersigns a document from."""
    return f"/records/{document.id}/edit" if isinstance(document, Record) else f"/agreements/{document.id}"


def _tell_supervisor_of_disagreement(db: Session, profile: Profile, document: Document, comment: str,
                                     base_url: str) -> None:
    """The supervisor hears of the disagreement with the comment, and the link to the page where
    they revise or countersign (issue 27: the e-mail once led nowhere)."""
    step = turn(document.status, document.supervisee.name, document.supervisor.name, "supervisor")
    emails.queue(db, "signoff_disagreed", to=document.supervisor.email, subject=f"{step.text}: {title(document)}",
                 step=step.text, supervisee=document.supervisee.name, what=title(document), comment=comment,
                 finalise_over_disagreement=profile.signoff.finalise_over_disagreement,
                 url=f"{base_url.rstrip('/')}{page_path(document)}")


def unsettled(db: Session, profile: Profile, document: Document) -> str | None:
    """Why the supervisor may not countersign over the supervisee's disagreement yet, or None.

    Where the policy has both agree ("signed by both", K §9; "must always be agreed by both",
    S 12.3; H §9) a disagreement waits for the route to settle it: sealed now, the document would
    read as agreed by someone who did not agree it. W §10 records "what has been agreed (or not)".
    """
    disagreed = disagreement_notices.latest_disagreement(db, document) if document.status == CHANGES_REQUESTED else None
    if disagreed is None or profile.signoff.finalise_over_disagreement:
        return None
    if disagreement_notices.settled(disagreement_notices.escalation_of(db, disagreed)):
        return None
    rule = "signoff.finalise_over_disagreement"
    quote = profile.quote(rule)
    said = f' ({profile.source(rule)}: "{quote}")' if quote else ""
    return (f"{document.supervisee.name} disagreed with this version, and the policy has both agree it{said}: revise "
            "it and send the new version, or countersign once your line manager has recorded the outcome of a "
            f"three-way meeting about it (they are told if it is not settled within "
            f"{profile.disagreement.resolve_within.text})")


def _countersign(db: Session, profile: Profile, document: Document, by: Person, comment: str,
                 caller: Caller, base_url: str, confirm_name: str | None = None) -> None:
    """The supervisor signs while signed in: after the supervisee agreed, or over a recorded
    disagreement where the profile allows it or the route has settled it (`unsettled`), with their
    full name typed when `confirm_name` is given."""
    access.require_countersigner(by, document)
    if document.status not in COUNTERSIGNABLE:
        raise Conflict(f"cannot countersign: it is {words(document.status)}", "status")
    held = unsettled(db, profile, document)
    if held is not None:  # before anything is written
        raise DisagreementUnsettled(held, "status")
    if confirm_name is not None and document.status == CHANGES_REQUESTED and not _same_name(confirm_name, by.name):
        raise InvalidInput("type your full name to countersign over the disagreement", "confirm_name")
    expected = document.status
    disagreed = disagreement_notices.latest_disagreement(db, document) if expected == CHANGES_REQUESTED else None
    _mark_signed(db, document, expected)  # first write: a concurrent countersign makes this one a Conflict
    docx = filed_version(db, document, "docx")
    _kill_links(db, document)
    _event(db, document, "countersigned", by, caller, comment.strip(), docx.sha256 if docx else "")
    if disagreed is not None:  # S §9, W §17, H §13: the line manager hears of it at once, with the comment
        told = (disagreement_notices.tell_line_manager(db, document, disagreed, "countersigned", title(document),
                                                       caller, comment.strip())
                or disagreement_notices.escalation_of(db, disagreed))  # told before, or found nobody to tell
        _tell_supervisee_of_countersignature(db, document, disagreed, comment.strip(), base_url,
                                             manager_told=told is not None and told.line_manager_id is not None)
    db.flush()


def _tell_supervisee_of_countersignature(db: Session, document: Document, disagreed: SignoffEvent, comment: str,
                                         base_url: str, *, manager_told: bool) -> None:
    """The supervisee hears at once that their supervisor countersigned over their disagreement
    (issue 27): with both views, and where their copy will be (My records)."""
    supervisee, supervisor = document.supervisee, document.supervisor
    if not supervisee.email:
        return
    emails.queue(db, "signoff_countersigned_over", to=supervisee.email,
                 subject=f"{supervisor.name} countersigned over your disagreement: {title(document)}",
                 supervisee=supervisee.name, supervisor=supervisor.name, what=title(document),
                 version=document.version, yours=disagreed.comment, theirs=comment, manager_told=manager_told,
                 url=f"{base_url.rstrip('/')}/my-records")


@dataclass(frozen=True)
class FinalisedAfterDisagreement:
    """A signed version the supervisee disagreed with, as the certificate and the pages show it:
    both views, the route's outcome and whose signature is missing, never "signed by both"."""

    supervisee_view: str
    supervisor_view: str  # the supervisor's comment when countersigning ("" when none was given)
    outcome: str  # the route's outcome; "" where the policy let the supervisor finalise without one (W §10)
    missing_signature: str


def finalised_after_disagreement(db: Session, document: Document) -> FinalisedAfterDisagreement | None:
    """How the signed current version was finalised over the supervisee's disagreement; None when
    it is not signed, or was signed without one."""
    disagreed = disagreement_notices.latest_disagreement(db, document) if document.status == SIGNED else None
    if disagreed is None:
        return None
    countersigned = db.scalar(select(SignoffEvent).filter_by(**_owner(document), event="countersigned",
                                                             version=document.version).limit(1))
    escalation = disagreement_notices.escalation_of(db, disagreed)
    supervisee, supervisor = document.supervisee.name, document.supervisor.name
    return FinalisedAfterDisagreement(
        supervisee_view=disagreed.comment, supervisor_view=countersigned.comment if countersigned else "",
        outcome=disagreement_notices.outcome_words(escalation) if escalation is not None else "",
        missing_signature=f"Signed by {supervisor} only: {supervisee} did not sign, having disagreed with this version")


def certificate(db: Session, document: Document) -> dict[str, Any]:
    """The certificate page's content (shape expected by documents.certificate)."""
    people_by_id = {p.id: p for p in (document.supervisee, document.supervisor)}
    finalised = finalised_after_disagreement(db, document)
    shown = {"sent": "sent", "opened": "opened", "agreed": "signed",
             "countersigned": "finalised after a disagreement" if finalised else "signed",
             "disagreed": "disagreement", "filed": None, "viewed": None, **disagreement_notices.ROUTE_EVENTS}
    rows = []
    every = events(db, document)
    views = Counter(e.person_id for e in every if e.event in ("opened", "viewed") and e.version == document.version)
    for event in every:
        label = shown.get(event.event, event.event)
        # Earlier versions' disagreements, and where they were taken, stay on the certificate: they
        # are recorded, not suppressed.
        kept = event.event == "disagreed" or event.event in disagreement_notices.ROUTE_EVENTS
        if label is None or (event.version != document.version and not kept):
            continue
        who = people_by_id.get(event.person_id) or (db.get(Person, event.person_id) if event.person_id else None)
        rows.append({"event": label, "who": who.name if who else "", "at": event.at.replace(tzinfo=dt.timezone.utc).isoformat(),
                     "ip": event.ip, "user_agent": event.user_agent, "comment": event.comment, "version": event.version,
                     **({"views": views[event.person_id]} if event.event == "opened" else {})})
    return {"record_id": number(document), "title": title(document), "version": document.version,
            "supervisee": {"name": document.supervisee.name, "email": document.supervisee.email},
            "supervisor": {"name": document.supervisor.name, "email": document.supervisor.email},
            "events": rows, "signed_on": _signed_on(every, document),
            "decisions": [decision.text for decision in decisions(every)],
            "finalised_after_disagreement": asdict(finalised) if finalised else None}


@dataclass(frozen=True)
class Decision:
    """The supervisee's decision on one version, as the certificate and the link pages word it
    (issue 27: "version 1: disagreed, with comment; version 2: agreed")."""

    version: int
    decided: str  # "agreed", "agreed, with comment" or "disagreed, with comment"
    comment: str
    on: dt.date

    @property
    def disagreed(self) -> bool:
        return self.decided.startswith("disagreed")

    @property
    def text(self) -> str:
        return f"version {self.version}: {self.decided}"


def decisions(every: Sequence[SignoffEvent]) -> list[Decision]:
    """The supervisee's decision on each version, oldest first, from a document's events: only a
    supervisee agrees or disagrees (a supervisor countersigns)."""
    worded = {"disagreed": "disagreed, with comment", "agreed": "agreed"}
    return [Decision(e.version, worded[e.event] + (", with comment" if e.event == "agreed" and e.comment else ""),
                     e.comment, clock.uk(e.at).date())
            for e in every if e.event in worded]


def signature_lines(profile: Profile, document: Document, every: Sequence[SignoffEvent]) -> list[str]:
    """Who signed the current version and who is still to, one line per signer the profile names:
    nobody is called a signer before they signed (issue 27: "To be signed by", "Waiting for")."""
    done = {e.event: clock.uk(e.at) for e in every if e.version == document.version
            and e.event in ("agreed", "disagreed", "countersigned")}
    lines = []
    for role in signers(profile, document):
        person = document.supervisee if role == "supervisee" else document.supervisor
        who = f"{person.name} ({role})"
        if role == "supervisee" and "agreed" in done:
            lines.append(f"Signed by {who} on {done['agreed']:%-d %B %Y}")
        elif role == "supervisee" and "disagreed" in done:
            lines.append(f"Not signed by {who}, who disagreed with this version on {done['disagreed']:%-d %B %Y}")
        elif role == "supervisor" and "countersigned" in done:
            lines.append(f"Countersigned by {who} on {done['countersigned']:%-d %B %Y}")
        elif document.status == (AWAITING_SUPERVISEE if role == "supervisee" else AWAITING_SUPERVISOR):
            lines.append(f"Waiting for {who} to {'agree and sign' if role == 'supervisee' else 'countersign'}")
        else:
            lines.append(f"To be {'signed' if role == 'supervisee' else 'countersigned'} by {who}")
    return lines


@dataclass(frozen=True)
class ChangesSince:
    """What changed since the version the supervisee disagreed with, for the page of the version
    re-sent to them (issue 27: "a re-sent version looks exactly like the first")."""

    disagreed: Decision
    changes: list[str] | None  # None: the two versions' Word files could not be read and compared


def _labels(profile: Profile, document: Document) -> dict[str, str]:
    """The form's own wording of each field, by the key its Word cell is bookmarked with."""
    if isinstance(document, Record):
        form = records.form_of(profile, document)
        return {field.key: field.label for field in (*form.details, *form.fields)}
    return {key: field.label for field in profile.agreement.fields for key in (field.key, f"agreement_{field.key}")}


def changes_since_disagreement(uow: Work, document: Document, told: Sequence[Decision]) -> ChangesSince | None:
    """The changes from the latest earlier version the supervisee disagreed with to the current one,
    read from the two versions' filed Word files; None when no earlier version was disagreed with."""
    disagreed = next((d for d in reversed(told) if d.disagreed and d.version < document.version), None)
    if disagreed is None:
        return None
    db = uow.session
    files = [filed_version(db, document, "docx", version) for version in (disagreed.version, document.version)]
    try:
        before, after = [version_changes.read(read_document(db, uow.store, row)) if row else None for row in files]
    except (DamagedDocument, StorageError):  # the page the supervisee decides on still opens, saying so
        return ChangesSince(disagreed, None)
    if before is None or after is None:
        return ChangesSince(disagreed, None)
    return ChangesSince(disagreed, version_changes.described(before, after, _labels(uow.deployment.profile, document)))


def _signed_on(every: list[SignoffEvent], document: Document) -> dict[str, str]:
    """The UK date each signer signed this version, for the record's own signature block."""
    signed = {"agreed": "supervisee", "countersigned": "supervisor"}
    days = {"supervisee": "", "supervisor": ""}
    for event in every:
        if event.version == document.version and event.event in signed:
            days[signed[event.event]] = clock.uk(event.at).date().isoformat()
    return days


# --- Use cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a document's sign-off stands, as its sender sees it: never a link or its token."""

    document: Document
    number: str
    events: list[SignoffEvent]
    names: dict[int, str]  # who each event's person_id is
    final_pdf: DocumentVersion | None
    step: NextStep  # whose turn it is, as the reader (`viewer_id`) reads it
    signing: list[str]  # who signed this version and who is still to (`signature_lines`)


def progress(uow: Work, document: Document, viewer_id: int | None = None) -> Progress:
    """The state, events, sealed PDF and next step of a document the caller has already been let
    read; `viewer_id` is who reads the next step ("Ready for you to countersign")."""
    db = uow.session
    names = {document.supervisee_id: document.supervisee.name, document.supervisor_id: document.supervisor.name}
    rows = events(db, document)
    for event in rows:
        if event.person_id is not None and event.person_id not in names:
            names[event.person_id] = db.get_one(Person, event.person_id).name
    return Progress(document, number(document), rows, names, filed_version(db, document, "final_pdf"),
                    next_step(db, document, viewer_id, clock.today()),
                    signature_lines(uow.deployment.profile, document, rows))


def as_sent(uow: Work, document: Document) -> dict[str, Any] | None:
    """A record as it was sent, for its page once it can no longer be edited (the supervisor reads
    what the supervisee was asked to agree, in the same HTML as the link's page); None while it
    is a draft, or for an agreement, whose page shows it already. The reader was let read it."""
    if not isinstance(document, Record) or document.status in SENDABLE:
        return None
    db, deployment = uow.session, uow.deployment
    return records.record_context(db, deployment.profile, deployment.organisation(db), document)


def _after_signing(uow: Work, document: Document) -> None:
    """Once the commit that made a document signed succeeds, ask the worker for its sealed PDF."""
    if document.status == SIGNED:
        uow.on_commit(uow.deployment.enqueue, "finalise_document", kind_of(document), document.id,
                         document.version)


def ask_for_review_pdf(uow: Work, document: Document) -> None:
    """Once the commit that sent a version succeeds, ask the worker for the PDF its signers may
    download (a conversion never holds up a request); does nothing once made."""
    if document.status in WAITING:
        uow.on_commit(uow.deployment.enqueue, "make_review_pdf", kind_of(document), document.id,
                         document.version)


def for_supervisor(uow: Work, caller: Caller, kind: str, document_id: int, action: str) -> Document:
    """The document, if the caller is its supervisee's current supervisor (the write is audited)."""
    document = get_document(uow.session, kind, document_id)
    access.write(uow, caller, document.supervisee, kind, document.id, action)
    return document


@transaction
def resend_link(uow: Work, caller: Caller, kind: str, document_id: int) -> Progress:
    """Send whoever is waiting to sign a new link (lost e-mail, expired link); the old one dies."""
    document = for_supervisor(uow, caller, kind, document_id, "signoff.resend")
    deployment = uow.deployment
    resend(uow.session, deployment.profile, document, caller.person, base_url=deployment.config.base_url,
           caller=caller)
    ask_for_review_pdf(uow, document)  # made already, it does nothing; a lost task is recovered
    return progress(uow, document)


@transaction
def countersign(uow: Work, caller: Caller, kind: str, document_id: int, comment: str = "",
                confirm_name: str | None = None) -> Progress:
    """The supervisor countersigns while signed in (over a recorded disagreement where the profile
    allows it or the route has settled it: `DisagreementUnsettled` otherwise); the worker then
    seals the final PDF. Over a disagreement, a `confirm_name` given (the pages give it) must be
    the supervisor's full name, as the link asks: signing over someone's "no" is never one click."""
    document = for_supervisor(uow, caller, kind, document_id, "signoff.countersign")
    _countersign(uow.session, uow.deployment.profile, document, caller.person, comment, caller,
                 uow.deployment.base_url, confirm_name)
    _after_signing(uow, document)
    return progress(uow, document)


def status(uow: Work, caller: Caller, kind: str, document_id: int) -> Progress:
    """A document's sign-off state and events, for anyone with a basis to read it (audited)."""
    document = get_document(uow.session, kind, document_id)
    access.read(uow, caller, document.supervisee, kind, document.id, "signoff.read")
    return progress(uow, document)


@dataclass(frozen=True)
class Download:
    """A file to hand over: its bytes and the name to give it."""

    data: bytes
    filename: str


def final_pdf(uow: Work, caller: Caller, kind: str, document_id: int) -> Download:
    """The sealed final PDF, for anyone with a basis to read the document (audited)."""
    document = get_document(uow.session, kind, document_id)
    access.read(uow, caller, document.supervisee, kind, document.id, "document.download")
    row = filed_version(uow.session, document, "final_pdf")
    if row is None:
        raise InvalidInput("there is no final PDF yet: it is made once both have signed", "status")
    return Download(read_document(uow.session, uow.store, row), f"{number(document)}.pdf")


@dataclass(frozen=True)
class LinkView:
    """What a link holder sees: never the token or its hash. `content` is the document as the
    API shows it, or filled in as on its form for the link's page (`on_form`)."""

    link: SignoffLink
    document: Document
    signer: Person
    number: str
    title: str
    code_required: bool
    has_pdf: bool  # the worker has made the PDF the signer may download
    content: dict[str, Any]
    decisions: list[Decision]  # the supervisee's decision on each version so far, comments and all
    signing: list[str]  # who signed this version and who is still to (`signature_lines`)
    changes: ChangesSince | None  # a version re-sent after a disagreement: what changed since


def _view(uow: Work, holder: Holder, on_form: bool) -> LinkView:
    db, deployment, document = uow.session, uow.deployment, holder.document
    if on_form:
        organisation = deployment.organisation(db)
        content = (records.record_context(db, deployment.profile, organisation, document)
                   if isinstance(document, Record)
                   else agreements.agreement_context(deployment.profile, organisation, document))
    else:
        content = (records.record_json(db, document) if isinstance(document, Record)
                   else agreements.agreement_json(document))
    every = events(db, document)
    told = decisions(every)
    return LinkView(holder.link, document, holder.signer, number(document), title(document),
                    deployment.profile.signoff.one_time_code,
                    filed_version(db, document, "review_pdf") is not None, content, told,
                    signature_lines(deployment.profile, document, every),
                    changes_since_disagreement(uow, document, told) if holder.link.signer_role == "supervisee" else None)


def _opened(uow: Work, caller: Caller, token: str) -> Holder:
    """The link opened: the event (and any one-time code e-mailed) stands even if no decision follows.

    Only the first opening of a version by its signer is "opened"; every later page view is
    "viewed", which the certificate counts on the opening's row instead of listing each one."""
    holder = _holder(uow.session, token)
    document, signer = holder.document, holder.signer
    seen = any(e.event == "opened" and e.version == document.version and e.person_id == signer.id
               for e in events(uow.session, document))
    _event(uow.session, document, "viewed" if seen else "opened", signer, caller)
    _send_code(uow.session, uow.deployment.profile, holder)
    return holder


def open_link(uow: Work, caller: Caller, token: str, *, on_form: bool = False) -> LinkView:
    """The link holder opens their link (no account: the link is the credential): the opening is
    recorded, and any one-time code e-mailed, in one commit. The document comes as the API shows
    it, or filled in as on its form for the link's page (`on_form`)."""
    with uow:
        holder = _opened(uow, caller, token)
    return _view(uow, holder, on_form)


def link_view(uow: Work, token: str, *, on_form: bool = False) -> LinkView:
    """What the holder of a live link sees, without recording an opening: the page a decision is
    made from is shown again around its refused form, or read to know which form it takes."""
    return _view(uow, _holder(uow.session, token), on_form)


def decide(uow: Work, caller: Caller, token: str, decision: Decide) -> Document:
    """The link holder's decision: agree, agree with a comment, or disagree (a supervisor
    countersigns), as the API's body or the link page's form gives it. A caller signed in with a
    bearer token must be the person the link was sent to. A refused decision changes nothing but
    a wrong code's count of attempts, which is committed before the refusal goes on."""
    deployment = uow.deployment
    with uow:
        try:
            decided = _act(uow.session, deployment.profile, token, decision, base_url=deployment.config.base_url,
                           caller=caller)
        except WrongCode:
            uow.commit()  # the wrong attempt counts even though the decision is refused
            raise
        _after_signing(uow, decided)
    return decided


def review_pdf(uow: Work, caller: Caller, token: str) -> Download:
    """The PDF a link holder reads, once the worker has made it (NotFound until then)."""
    holder = _holder(uow.session, token)
    row = filed_version(uow.session, holder.document, "review_pdf")
    if row is None:
        raise NotFound("the PDF is being prepared; the document is shown on the page of the link", "token")
    return Download(read_document(uow.session, uow.store, row), f"{number(holder.document)}.pdf")


@dataclass(frozen=True)
class OwnDocuments:
    """A supervisee's own records and agreements, newest first, each with its tag, and which have
    their sealed PDF (a signed one without it is waiting for the worker's seal)."""

    records: list[Record]
    agreements: list[Agreement]
    sealed_records: set[int]
    sealed_agreements: set[int]
    steps: dict[int, NextStep]  # each record's next step, as its supervisee reads it
    record_tags: dict[int, str]
    agreement_tags: dict[int, str]


def own_documents(uow: Work, caller: Caller) -> OwnDocuments:
    """What a supervisee's "My records" page lists (an audited read of their own file), in the
    same handful of queries however many documents they have: the people named are loaded with the
    documents, and the facts behind each tag, step and PDF are read for all at once (`facts`)."""
    me = caller.person
    access.read(uow, caller, me, "person", me.id, "records.list")
    db = uow.session
    mine = list(db.scalars(select(Record).where(group_records.belongs_to(me.id))  # and groups attended
                           .options(selectinload(Record.supervisee), selectinload(Record.supervisor))
                           .order_by(Record.session_date.desc(), Record.id.desc())))
    agreed = list(db.scalars(select(Agreement).where(Agreement.supervisee_id == me.id)
                             .options(selectinload(Agreement.supervisor))
                             .order_by(Agreement.started_on.desc(), Agreement.id.desc())))
    of_records, of_agreements = facts(db, mine), facts(db, agreed)
    today = clock.today()
    return OwnDocuments(mine, agreed, {i for i, known in of_records.items() if known.sealed},
                        {i for i, known in of_agreements.items() if known.sealed},
                        {r.id: _step(r, of_records[r.id], me.id, today) for r in mine},
                        {r.id: tag(r.status, of_records[r.id].disagreed) for r in mine},
                        {a.id: tag(a.status, of_agreements[a.id].disagreed) for a in agreed})
