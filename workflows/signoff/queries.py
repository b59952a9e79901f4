"""Sign-off as pages and the API read it; nothing here changes a document.

For the sender `status` and `final_pdf`; for the link holder `link_view` and `review_pdf` (and the
view `open_link` answers with); for a supervisee `own_documents`; for pages listing documents
`next_steps` and `tags`, whose facts (when each was sent, whether it is sealed, whether it was
signed over a disagreement) are read for all the documents at once. A read of someone's documents
is audited (`workflows.access.read`), which is the only row these write.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from kernel import clock
from kernel.errors import InvalidInput, NotFound
from storage.filing import read_document
from storage.models import Agreement, DocumentVersion, Person, Record, SignoffEvent, SignoffLink
from workflows import access, agreements, group_records, records
from workflows.access import Caller
from workflows.deployment import Work
from workflows.signoff.evidence import (ChangesSince, Decision, changes_since_disagreement, decisions, events,
                                        filed_version, signature_lines)
from workflows.signoff.links import Holder, holder_of
from workflows.signoff.states import AWAITING_SUPERVISEE, SENDABLE, SIGNED, Document, get_document
from workflows.signoff.wording import NextStep, number, tag, title, turn, viewer_of


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
    sent, disagreed = _sent_on_and_disagreed(db, documents)
    sealed = _sealed(db, documents)
    return {d.id: Facts(sent.get(d.id), d.id in sealed, d.id in disagreed) for d in documents}


def _columns(documents: Sequence[Document]) -> tuple[Any, Any]:
    """The owner columns of sign-off events and filed versions for these documents' kind."""
    if documents and isinstance(documents[0], Agreement):
        return SignoffEvent.agreement_id, DocumentVersion.agreement_id
    return SignoffEvent.record_id, DocumentVersion.record_id


def _sent_on_and_disagreed(db: Session, documents: Sequence[Document]) -> tuple[dict[int, dt.date], set[int]]:
    """When the current version of each document waiting for its supervisee was last sent, and the
    signed documents whose current version the supervisee disagreed with (so countersigned over the
    disagreement): one query of their events for both."""
    waiting = {d.id: d.version for d in documents if d.status == AWAITING_SUPERVISEE}
    signed = {d.id: d.version for d in documents if d.status == SIGNED}
    if not waiting and not signed:
        return {}, set()
    owner, _ = _columns(documents)
    asked = [*([owner.in_(sorted(waiting)) & (SignoffEvent.event == "sent")] if waiting else []),
             *([owner.in_(sorted(signed)) & (SignoffEvent.event == "disagreed")] if signed else [])]
    rows = db.execute(select(owner, SignoffEvent.version, SignoffEvent.event, func.max(SignoffEvent.at))
                      .where(or_(*asked)).group_by(owner, SignoffEvent.version, SignoffEvent.event))
    sent: dict[int, dt.date] = {}
    disagreed: set[int] = set()
    for document_id, version, event, at in rows:
        if event == "sent" and waiting.get(document_id) == version:
            sent[document_id] = at.date()
        elif event == "disagreed" and signed.get(document_id) == version:
            disagreed.add(document_id)
    return sent, disagreed


def _sealed(db: Session, documents: Sequence[Document]) -> set[int]:
    """The signed documents whose current version's sealed PDF is filed and not destroyed (one query)."""
    signed = {d.id: d.version for d in documents if d.status == SIGNED}
    if not signed:
        return set()
    _, owner = _columns(documents)
    rows = db.execute(select(owner, DocumentVersion.version).where(
        owner.in_(sorted(signed)), DocumentVersion.kind == "final_pdf", DocumentVersion.destroyed_at.is_(None)))
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


def tags(uow: Work, documents: Sequence[Document]) -> dict[int, str]:
    """Each document's tag (`tag`), by id, for a page showing documents the caller was let read
    (all records or all agreements): whether each was signed over a disagreement, read at once."""
    _, disagreed = _sent_on_and_disagreed(uow.session, documents)
    return {d.id: tag(d.status, d.id in disagreed) for d in documents}


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
    sealed = filed_version(db, document, "final_pdf")
    return Progress(document, number(document), rows, names, sealed,
                    _step(document, _facts_of(document, rows, sealed), viewer_id, clock.today()),
                    signature_lines(uow.deployment.profile, document, rows))


def _facts_of(document: Document, rows: Sequence[SignoffEvent], final: DocumentVersion | None) -> Facts:
    """`facts` of one document from its events and its current version's sealed PDF, already read
    for its page: the same answers without asking the database again."""
    current = [event for event in rows if event.version == document.version]
    sent = (max((e.at for e in current if e.event == "sent"), default=None)
            if document.status == AWAITING_SUPERVISEE else None)
    signed = document.status == SIGNED
    return Facts(sent.date() if sent is not None else None, signed and final is not None,
                 signed and any(e.event == "disagreed" for e in current))


def as_sent(uow: Work, document: Document) -> dict[str, Any] | None:
    """A record as it was sent, for its page once it can no longer be edited (the supervisor reads
    what the supervisee was asked to agree, in the same HTML as the link's page); None while it
    is a draft, or for an agreement, whose page shows it already. The reader was let read it."""
    if not isinstance(document, Record) or document.status in SENDABLE:
        return None
    db, deployment = uow.session, uow.deployment
    return records.record_context(db, deployment.profile, deployment.organisation(db), document)


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


def holder_view(uow: Work, holder: Holder, on_form: bool, every: list[SignoffEvent] | None = None) -> LinkView:
    """What the holder of a live link sees (`LinkView`), the document as the API shows it or as on its form;
    `every` is the document's events (`events`) where the caller has just read them."""
    db, deployment, document = uow.session, uow.deployment, holder.document
    if on_form:
        organisation = deployment.organisation(db)
        content = (records.record_context(db, deployment.profile, organisation, document)
                   if isinstance(document, Record)
                   else agreements.agreement_context(deployment.profile, organisation, document))
    else:
        content = (records.record_json(db, document) if isinstance(document, Record)
                   else agreements.agreement_json(document))
    every = events(db, document) if every is None else every
    told = decisions(every)
    return LinkView(holder.link, document, holder.signer, number(document), title(document),
                    deployment.profile.signoff.one_time_code,
                    filed_version(db, document, "review_pdf") is not None, content, told,
                    signature_lines(deployment.profile, document, every),
                    changes_since_disagreement(uow, document, told) if holder.link.signer_role == "supervisee" else None)


def link_view(uow: Work, token: str, *, on_form: bool = False) -> LinkView:
    """What the holder of a live link sees, without recording an opening: the page a decision is
    made from is shown again around its refused form, or read to know which form it takes."""
    return holder_view(uow, holder_of(uow.session, token), on_form)


def review_pdf(uow: Work, caller: Caller, token: str) -> Download:
    """The PDF a link holder reads, once the worker has made it (NotFound until then)."""
    holder = holder_of(uow.session, token)
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
    # The second condition follows from the first (a group session's record has its session) and
    # says it in a form PostgreSQL answers from two indexes: alone, the first's OR over a subquery
    # read all 100,000 records (110 ms for a supervisee's 36). The list never shows a record's text.
    mine = list(db.scalars(select(Record).where(group_records.belongs_to(me.id),  # and groups attended
                                                (Record.supervisee_id == me.id) | Record.group_session_id.is_not(None))
                           .options(selectinload(Record.supervisee), selectinload(Record.supervisor),
                                    defer(Record.sections))
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
