"""Sign-off's commands: each changes a document's sign-off and commits once.

For the sender `send` (started by `workflows.pipeline.send_for_signoff`, which first files the
Word file being signed), `new_version`, `resend_link` and `countersign`; for the link holder
`open_link` and `decide`. Supervisee first, then supervisor (K; S 12.3; H): a disagreement goes
back to the supervisor, who revises and re-sends a new version, or countersigns with the
disagreement recorded. Where the policy has both agree (K §9, S 12.3, H §9) the supervisor
countersigns over it only once the disagreement route has recorded its outcome
(`DisagreementUnsettled` until then; `unsettled` says why).

What happened is recorded as domain events (`workflows.events`: DocumentSent, LinkResent,
DocumentDecided, DocumentSigned) in the transaction of the change. Their subscribers, wired once
by the composition root (`docgen.bootstrap`), write the webhook deliveries and the e-mails that
tell people of a decision or a signature (`workflows.notices`: the supervisor of a disagreement,
the supervisee of a countersignature over theirs) and, after the commit, ask the worker for the
review PDF and the sealed PDF: sign-off names no task and writes no notice.

The e-mails written here are those that carry a secret: a signer's single-use link
(`links.issue_link`, on sending, re-sending and the supervisee's agreement) and a one-time code
(`links.send_code`, on opening a link). Only the command that makes the secret holds it before
its hash is stored, so it writes the e-mail itself; an event, which carries ids and never a
secret, could not. The line manager's e-mail of a countersignature over a disagreement is written
with the escalation row it reports (`disagreement_notices.tell_line_manager`).
"""
from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import Conflict, InvalidInput
from storage.models import DocumentVersion, Person, Record, SignoffEvent, SignoffLink
from storage.uow import transaction
from workflows import access, disagreement_notices
from workflows import events as domain_events
from workflows.access import Caller
from workflows.deployment import Work
from workflows.inputs.signoff import Decide
from workflows.profiles import Profile
from workflows.signoff.evidence import events, filed_version, record_event
from workflows.signoff.links import Holder, WrongCode, check_code, holder_of, issue_link, kill_links, send_code, use_link
from workflows.signoff.queries import LinkView, Progress, holder_view, progress
from workflows.signoff.states import (AWAITING_SUPERVISEE, AWAITING_SUPERVISOR, CHANGES_REQUESTED, COUNTERSIGNABLE,
                                      SENDABLE, SIGNED, WAITING, Document, get_document, kind_of, move, signers, words)
from workflows.signoff.wording import title


DECISIONS = ("agree", "agree_with_comment", "disagree")


class DisagreementUnsettled(Conflict):
    """A countersignature over the supervisee's disagreement where the policy has both agree
    (`signoff.finalise_over_disagreement` false), before the disagreement route has settled it."""

    code = "disagreement_unsettled"


def for_supervisor(uow: Work, caller: Caller, kind: str, document_id: int, action: str) -> Document:
    """The document, if the caller is its supervisee's current supervisor (the write is audited)."""
    document = get_document(uow.session, kind, document_id)
    access.write(uow, caller, document.supervisee, kind, document.id, action)
    return document


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
    move(db, document, document.status, AWAITING_SUPERVISEE if first == "supervisee" else AWAITING_SUPERVISOR)
    record_event(db, document, "filed", by, caller, docx_sha256=docx.sha256)
    # Heard by the webhooks and, once this commits, by the worker, which makes the review PDF
    domain_events.record(db, domain_events.DocumentSent(kind_of(document), document.id, document.version))
    signer = document.supervisee if first == "supervisee" else document.supervisor
    issue_link(db, profile, document, signer, first, base_url, caller)
    db.flush()


def new_version(db: Session, document: Document, by: Person) -> None:
    """The supervisor revises after a disagreement: the next version, old links dead."""
    access.require_writer(by, document, "revise it")
    if document.status != CHANGES_REQUESTED:
        raise Conflict(f"a new version is started only after changes are requested, not when {document.status}",
                       "status")
    move(db, document, CHANGES_REQUESTED, CHANGES_REQUESTED, version=document.version + 1)
    kill_links(db, document)
    db.flush()


def resend(db: Session, profile: Profile, document: Document, by: Person, *, base_url: str,
           caller: Caller = Caller()) -> None:
    """A new link for whoever is waiting (lost e-mail, expired link); the old link dies."""
    access.require_writer(by, document, "re-send the link")
    if document.status not in WAITING:
        raise Conflict(f"nobody is waiting to sign: it is {words(document.status)}", "status")
    # A compare-and-set on the state it stays in: of two re-sends made at once only one issues a
    # link; the other is a Conflict, so one link stays alive and one e-mail goes out.
    move(db, document, document.status, document.status)
    if document.status == AWAITING_SUPERVISEE:
        issue_link(db, profile, document, document.supervisee, "supervisee", base_url, caller)
    else:
        issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    db.flush()


@transaction
def resend_link(uow: Work, caller: Caller, kind: str, document_id: int) -> Progress:
    """Send whoever is waiting to sign a new link (lost e-mail, expired link); the old one dies."""
    document = for_supervisor(uow, caller, kind, document_id, "signoff.resend")
    deployment = uow.deployment
    resend(uow.session, deployment.profile, document, caller.person, base_url=deployment.config.base_url,
           caller=caller)
    # Heard after the commit by the worker, which remakes a review PDF whose task was lost (a made one stays)
    uow.record(domain_events.LinkResent(kind_of(document), document.id, document.version))
    return progress(uow, document)


def open_link(uow: Work, caller: Caller, token: str, *, on_form: bool = False) -> LinkView:
    """The link holder opens their link (no account: the link is the credential): the opening is
    recorded, and any one-time code e-mailed, in one commit. The document comes as the API shows
    it, or filled in as on its form for the link's page (`on_form`)."""
    with uow:
        holder, trail = _opened(uow, caller, token)
    return holder_view(uow, holder, on_form, trail)


def _opened(uow: Work, caller: Caller, token: str) -> tuple[Holder, list[SignoffEvent]]:
    """The link opened: the event (and any one-time code e-mailed) stands even if no decision follows.
    Answers the holder and the document's events, this opening last, for the page.

    Only the first opening of a version by its signer is "opened"; every later page view is
    "viewed", which the certificate counts on the opening's row instead of listing each one."""
    holder = holder_of(uow.session, token)
    document, signer = holder.document, holder.signer
    earlier = events(uow.session, document)
    seen = any(e.event == "opened" and e.version == document.version and e.person_id == signer.id for e in earlier)
    opening = record_event(uow.session, document, "viewed" if seen else "opened", signer, caller)
    send_code(uow.session, uow.deployment.profile, holder)
    return holder, [*earlier, opening]


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
    return decided


def _act(db: Session, profile: Profile, token: str, answers: Decide, *, base_url: str, caller: Caller) -> Document:
    """The signer's decision through their link: agree, agree with a comment, or disagree.

    A signed-in caller (an API bearer token) must be the person the link was sent to.
    """
    decision = answers.decision
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}", "decision")
    holder = holder_of(db, token)
    link, document, signer = holder.link, holder.document, holder.signer
    access.require_link_holder(caller, signer.id)
    comment = _checked_answers(profile, link, signer, answers)
    # The link is spent and the document moved before anything is recorded or e-mailed: a
    # concurrent request that got there first leaves this one Gone (410) or in Conflict (409).
    use_link(db, link)
    expected = document.status
    if link.signer_role == "supervisee":  # the decision is heard of before what it leads to (signed, or a revision)
        domain_events.record(db, domain_events.DocumentDecided(kind_of(document), document.id, document.version,
                                                               "disagreed" if decision == "disagree" else "agreed"))
        if decision == "disagree":
            move(db, document, expected, CHANGES_REQUESTED)
        elif "supervisor" in signers(profile, document):
            move(db, document, expected, AWAITING_SUPERVISOR)
        else:
            _mark_signed(db, document, expected)
    else:
        _mark_signed(db, document, expected)
    docx = filed_version(db, document, "docx")
    sha = docx.sha256 if docx else ""
    if link.signer_role == "supervisee":
        if decision == "disagree":
            record_event(db, document, "disagreed", signer, caller, comment, sha)  # read by the supervisor's notice
        else:
            record_event(db, document, "agreed", signer, caller, comment, sha)
            if document.status == AWAITING_SUPERVISOR:
                issue_link(db, profile, document, document.supervisor, "supervisor", base_url, caller)
    else:
        record_event(db, document, "countersigned", signer, caller, comment, sha)
    db.flush()
    return document


def _checked_answers(profile: Profile, link: SignoffLink, signer: Person, answers: Decide) -> str:
    """The signer's comment, once the code, the typed name and the comment their decision needs
    are checked: each refusal names the field to correct."""
    check_code(profile, link, answers.code)
    if not _same_name(answers.confirm_name or "", signer.name):
        raise InvalidInput("type your full name exactly as it appears on the document", "confirm_name")
    comment = (answers.comment or "").strip()
    if answers.decision != "agree" and not comment:
        raise InvalidInput("say what you disagree with or want noted", "comment")
    if link.signer_role == "supervisor" and answers.decision == "disagree":
        raise InvalidInput("a supervisor countersigns, or revises the record instead of signing", "decision")
    return comment


def _same_name(typed: str, name: str) -> bool:
    """The typed name is the person's, however it was spaced, cased or composed (an accent typed as
    one character or as a letter and a combining mark)."""
    def plain(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    return plain(typed) == plain(name)


def _mark_signed(db: Session, document: Document, expected: str) -> None:
    """Move the document to signed; the worker seals its PDF once this commits (`DocumentSigned`)."""
    domain_events.record(db, domain_events.DocumentSigned(kind_of(document), document.id, document.version))
    if isinstance(document, Record):
        move(db, document, expected, SIGNED, signed_at=clock.now())
    else:
        move(db, document, expected, SIGNED)


@transaction
def countersign(uow: Work, caller: Caller, kind: str, document_id: int, comment: str = "",
                confirm_name: str | None = None) -> Progress:
    """The supervisor countersigns while signed in (over a recorded disagreement where the profile
    allows it or the route has settled it: `DisagreementUnsettled` otherwise); the worker then
    seals the final PDF. Over a disagreement, a `confirm_name` given (the pages give it) must be
    the supervisor's full name, as the link asks: signing over someone's "no" is never one click."""
    document = for_supervisor(uow, caller, kind, document_id, "signoff.countersign")
    _countersign(uow.session, uow.deployment.profile, document, caller.person, comment, caller, confirm_name)
    return progress(uow, document)


def _countersign(db: Session, profile: Profile, document: Document, by: Person, comment: str,
                 caller: Caller, confirm_name: str | None = None) -> None:
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
    kill_links(db, document)
    record_event(db, document, "countersigned", by, caller, comment.strip(), docx.sha256 if docx else "")
    if disagreed is not None:  # S §9, W §17, H §13: the line manager hears of it at once, with the comment
        # (unless told before); the supervisee is told by `workflows.notices`, which hears `DocumentSigned`
        disagreement_notices.tell_line_manager(db, document, disagreed, "countersigned", title(document), caller,
                                               comment.strip())
    db.flush()


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
