"""What a subject-access export holds (UK GDPR Art. 15; issue 25 item 1), and the third-party data
in it that HR reviews before it is released.

What is the person's: every record and agreement they are in, as `workflows.export` chooses them
for HR's file (their own records, and the group records of the sessions they were present at:
`group_records.belongs_to`; agreements where they are the supervisee), the sealed final PDF where
there is one and the Word file of a draft; their actions and each session's progress on them;
the sign-off steps and consent requests about them; who read their records, when and why (the
audit log's granted reads, which name their basis); the e-mails docgen sent them, text only and
with every link removed (a link may still open something); and the quality audits of their
records. A record they wrote or signed only as someone else's supervisor is about that person:
the manifest names it by number and date, and its content is not enclosed.

What is someone else's (Art. 15(4): the right "shall not adversely affect the rights and freedoms
of others"): the names and e-mail addresses of other staff (the organisation's people, whatever
their role, and whoever signed, attended or supervised on the person's documents, whatever their
organisation), the IP addresses and browsers other signers used (printed on a sealed record's
certificate page), and the children's case IDs the person's records name (`workflows.case_notes.
case_ids`). Each is a
`Mention` on the redaction schedule, with the file, the page of the PDF and the words around it;
HR withholds a mention with a reason, and the export removes its text from that file. A sealed PDF
cannot be changed without breaking its seal, so a file with anything withheld is replaced by a
redacted copy made from the Word file it was sealed from (`documents.redaction`), headed as a
redacted copy and without the certificate page, converted again, and checked: a copy in which a
withheld text can still be read is never released. A document no file of which can be given
(destroyed, a draft never filed, a file missing or unreadable) is listed in the manifest with why.

The export only reads (its caller rolls its transaction back before the conversions). The schedule
only reads but for keeping each sealed PDF's page texts by its SHA-256 the first time it parses it,
and each draft's text with a SHA-256 of the template, context and code it is rendered with
(`storage.page_texts`), so the schedule, read on every view and every withholding, parses none of
them again and renders a draft again only once one of those has changed. The caller audits
(`workflows.subject_access`).
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import inspect
import io
import json
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from importlib import metadata
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from documents import redaction, render
from documents.render import docx_bytes, rendered
from documents.seal import PdfConverter
from kernel import clock
from kernel.errors import Conflict, DomainError
from storage import page_texts
from storage.backends.base import DocumentStore, ObjectMissing
from storage.filing import read_filed
from storage.models import (Action, ActionEntry, Agreement, AuditEvent, ConsentRequest, DocumentVersion,
                            GroupAttendance, Organisation, OutboxMessage, Person, QualityAudit,
                            QualityAuditItem, Record, SignoffEvent)
from storage.uow import UnitOfWork
from workflows import case_notes, group_records, pipeline, quality_audits, signoff
from workflows.agreements import agreement_number
from workflows.deployment import Deployment
from workflows.records import record_number
from workflows.spreadsheets import safe_cell

STAFF, CASE_ID, CONTACT, DEVICE = "staff", "case_id", "contact", "device"
CATEGORIES = {STAFF: ("name of another member of staff", "names of other members of staff"),
              CASE_ID: ("child's case ID", "children's case IDs"),
              CONTACT: ("e-mail address of another member of staff", "e-mail addresses of other members of staff"),
              DEVICE: ("IP address or browser of another signer", "IP addresses or browsers of other signers")}
SPOOLED = 16 * 1024 * 1024  # bytes of the zip kept in memory before it is written to a temporary file
CONTEXT = 30  # characters each side of a mention shown to the reviewer
LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
LINK_REMOVED = "[link removed]"
RENDERING_CODE = (render, redaction)  # what renders a draft's Word file and reads its text
RENDERING_LIBRARIES = ("docxtpl", "python-docx", "jinja2", "lxml")  # what those modules render and read with
ICO = ("the Information Commissioner's Office (ICO): https://ico.org.uk/make-a-complaint/ or 0303 123 1113")

Owner = Record | Agreement
log = logging.getLogger(__name__)


class RedactionFailed(DomainError):
    """A withheld text could still be read in a redacted copy (Word keeps it somewhere docgen
    did not rewrite): the export is not made rather than released with it."""

    status = 500
    code = "redaction_failed"


@dataclass(frozen=True)
class Mention:
    """One piece of third-party data in one file of the export, for HR to release or withhold."""

    key: str  # stable: the same document, kind and text give the same key on every run
    document: str  # the file's path inside the export zip, e.g. "records/R-000012-w-app-c.pdf"
    page: int | None  # 1-based page of that PDF on which the text first appears (None if not a PDF)
    kind: str  # STAFF, CASE_ID, CONTACT (another's e-mail address) or DEVICE (another signer's IP or browser)
    text: str  # the words as they appear
    context: str  # the words around it, for the reviewer


@dataclass(frozen=True)
class _Document:
    """A record or agreement as the export holds it: its sealed PDF, or a draft's Word file. Its
    number and kind are read with it, so writing the export needs no database."""

    path: str
    number: str
    kind: str
    data: bytes | None  # None when gathered for the schedule only: no sealed PDF is read, no draft rendered
    sealed: DocumentVersion | None  # the final PDF's row; None for a draft's Word file
    pages: list[str]  # each PDF page's text, whitespace made single spaces; a Word file's as one


@dataclass(frozen=True)
class _Table:
    """A CSV file of the export: its rows read before anything is written."""

    path: str
    description: str
    header: tuple[str, ...]
    rows: list[tuple[object, ...]] = field(default_factory=list)

    def text(self, redact: Callable[[str], str] = str) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        writer.writerows([safe_cell(redact("" if cell is None else str(cell))) for cell in row] for row in self.rows)
        return out.getvalue()


@dataclass(frozen=True)
class _Contents:
    owners: list[Owner]  # the person's records and agreements
    documents: list[_Document]
    not_enclosed: list[dict[str, str]]  # the person's records and agreements no file of which can be given
    tables: list[_Table]
    about_others: list[dict[str, str]]  # records and agreements written as someone else's supervisor
    case_ids: list[str]


# --- the two functions H1's use cases call ---------------------------------------------------


def redaction_schedule(db: Session, store: DocumentStore, person: Person) -> list[Mention]:
    """Every third-party mention in what a subject-access export of `person` would hold, file by
    file in the order the export lists them, so HR reviews them before anything is released."""
    return _schedule(db, person, _gather(db, store, person, files=False))


def export_zip(db: Session, store: DocumentStore, person: Person, *, withheld: Mapping[str, str],
               received_on: dt.date, deadline: dt.date, converter: PdfConverter,
               read: Callable[[], None] = lambda: None,
               reviewed: Collection[str] | None = None) -> tuple[bytes, dict]:
    """The export as zip bytes, and its manifest (the dict written as manifest.json inside it).
    `withheld` maps Mention.key -> the reason; each withheld mention is removed from the text of the
    file it is in. A key no longer on the schedule is refused (Conflict), and so is a mention not
    among `reviewed` (the schedule's keys when HR asked for it, if known): what HR reviewed is not
    what would be released. Reads only; writes no audit (the caller audits). Everything is read from
    the database before anything is converted, and `read()` is called in between, so the caller can
    end its transaction before the conversions (on SQLite it holds the write lock)."""
    contents = _gather(db, store, person, files=True)
    schedule = _schedule(db, person, contents)
    check_reviewed(schedule, withheld)
    if reviewed is not None:
        check_nothing_new(schedule, reviewed)
    chosen = [mention for mention in schedule if mention.key in withheld]
    withholdings = _withholdings(chosen, withheld)
    letter = _cover_letter(db, person, contents, withholdings, received_on, deadline)
    whose = {"id": person.id, "name": person.name, "email": person.email}
    read()
    by_file: dict[str, list[str]] = {}
    for mention in chosen:
        by_file.setdefault(mention.document, []).append(mention.text)
    files: dict[str, bytes] = {}
    listed: list[dict[str, object]] = []
    for document in contents.documents:
        _add_document(document, by_file.get(document.path, []), converter, files, listed)
    for table in contents.tables:
        redact = redaction.redactor(by_file.get(table.path, []))
        _add(files, listed, table.path, table.text(redact).encode(), table.description)
    _add(files, listed, "cover-letter.txt", letter.encode(), "this letter: what is enclosed and what was withheld")
    manifest = _manifest(whose, listed, withholdings, contents, received_on, deadline)
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    return _zipped(files), manifest


def check_reviewed(schedule: Sequence[Mention], withheld: Mapping[str, str]) -> None:
    """A withheld mention the schedule no longer has means the files changed since HR's review (a
    record re-sealed, a name edited): its text may now be elsewhere, so nothing is released."""
    stale = set(withheld) - {mention.key for mention in schedule}
    if stale:
        raise Conflict(f"the redaction schedule has changed since it was reviewed ({len(stale)} withheld mention(s) "
                       "are no longer on it): review the schedule again before exporting", "withheld")


def check_nothing_new(schedule: Sequence[Mention], reviewed: Collection[str]) -> None:
    """A mention the schedule has that HR's review did not (a record edited, a draft sealed with its
    signers' addresses on its certificate page) was never released or withheld by anyone, so
    nothing is released until HR has reviewed it."""
    new = {mention.key for mention in schedule} - set(reviewed)
    if new:
        raise Conflict(f"the files changed since the schedule was reviewed: {len(new)} new mention(s); review the "
                       "schedule and prepare the export again", "export")


# --- what the export holds --------------------------------------------------------------------


def _gather(db: Session, store: DocumentStore, person: Person, *, files: bool) -> _Contents:
    """Everything the export would hold, read before any of it is written out; without `files`,
    only what the schedule needs (a sealed PDF's page texts, not its bytes)."""
    own = list(db.scalars(select(Record).where(group_records.belongs_to(person.id))
                          .order_by(Record.session_date, Record.id)))
    agreements = list(db.scalars(select(Agreement).where(Agreement.supervisee_id == person.id)
                                 .order_by(Agreement.started_on, Agreement.id)))
    found = [_document(db, store, owner, files) for owner in (*own, *agreements)]
    tables = [_actions(db, person), _progress(db, person), _signoff_events(db, person, own, agreements),
              _consent(db, person), _reads(db, person, own, agreements), _emails(db, person),
              _quality_audits(db, own)]
    ids = [case_id for record in own for case_id in case_notes.case_ids(str((record.sections or {}).get("cases", "")))
           if any(character.isdigit() for character in case_id)]  # "LL-104240", not "and" or "TBC"
    return _Contents([*own, *agreements], [d for d in found if isinstance(d, _Document)],
                     [d for d in found if not isinstance(d, _Document)], tables, _about_others(db, person),
                     list(dict.fromkeys(ids)))


def _document(db: Session, store: DocumentStore, owner: Owner, files: bool) -> _Document | dict[str, str]:
    """The sealed final PDF of a record or agreement (checked against its SHA-256 as it is read),
    or, while it has none, its Word file as it stands now; or, where neither can be given, why not
    (the export still answers the request, and tells the person what is missing). Without `files`
    a sealed PDF is read only if its page texts were never kept, and they are kept then; with them,
    its bytes are read and parsed and nothing is kept (the export writes nothing)."""
    number, kind = signoff.number(owner), _kind(owner)
    folder = "records" if isinstance(owner, Record) else "agreements"
    stem = f"{folder}/{number}-{kind.replace('_', '-')}"
    try:
        sealed = _latest(db, owner, "final_pdf")
        if sealed is not None:
            key, sha256 = sealed.storage_key, sealed.sha256
            if files:
                data = read_filed(store, key, sha256, f"{stem}.pdf")
                return _Document(f"{stem}.pdf", number, kind, data, sealed, _pdf_pages(data))
            pages = page_texts.pages_of(db, sha256, lambda: _pdf_pages(read_filed(store, key, sha256, f"{stem}.pdf")))
            return _Document(f"{stem}.pdf", number, kind, None, sealed, pages)
        destroyed = _destroyed_on(db, owner)
        if destroyed is not None:
            return _not_enclosed(owner, f"destroyed on {destroyed:%Y-%m-%d} under the retention schedule")
        draft = _draft(db, store, owner, files)
    except (ObjectMissing, FileNotFoundError, PyPdfError) as exc:
        log.error("subject-access export: %s cannot be read: %r", stem, exc)
        return _not_enclosed(owner, "unavailable: its file could not be read; we are looking into it")
    if draft is None:
        return _not_enclosed(owner, "draft not available: no copy of it has been made yet")
    return _Document(f"{stem}.docx", number, kind, draft[0], None, draft[1])


def _not_enclosed(owner: Owner, reason: str) -> dict[str, str]:
    on = owner.session_date if isinstance(owner, Record) else owner.started_on
    return {"number": signoff.number(owner), "kind": _kind(owner), "date": on.isoformat(), "reason": reason}


def _destroyed_on(db: Session, owner: Owner) -> dt.datetime | None:
    """When the last of its sealed PDFs was destroyed, if it had any: its draft is not rendered again
    from what is left of it (a blank form would pass for the record)."""
    column = DocumentVersion.record_id if isinstance(owner, Record) else DocumentVersion.agreement_id
    return db.scalar(select(func.max(DocumentVersion.destroyed_at)).where(column == owner.id,
                                                                          DocumentVersion.kind == "final_pdf"))


def _kind(owner: Owner) -> str:
    return owner.kind if isinstance(owner, Record) else "agreement"


def _latest(db: Session, owner: Owner, kind: str) -> DocumentVersion | None:
    column = DocumentVersion.record_id if isinstance(owner, Record) else DocumentVersion.agreement_id
    return db.scalar(select(DocumentVersion).where(column == owner.id, DocumentVersion.kind == kind,
                                                   DocumentVersion.destroyed_at.is_(None))
                     .order_by(DocumentVersion.version.desc(), DocumentVersion.id.desc()).limit(1))


def _deployment(db: Session) -> Deployment | None:
    """The deployment of the unit of work `db` belongs to (its profile, templates), if any."""
    work = UnitOfWork.of(db)
    return work.deployment if work is not None and isinstance(work.deployment, Deployment) else None


def _draft(db: Session, store: DocumentStore, owner: Owner, files: bool) -> tuple[bytes | None, list[str]] | None:
    """A draft's Word file and its text as it stands (what is held about the person is the current
    text), or, outside a deployment's unit of work, the last one filed for sign-off. Without `files`
    only its text, kept by a SHA-256 of what it is rendered from (`_rendering`): rendering is the
    slow part of a schedule of drafts, and an unchanged draft renders the same file."""
    deployment = _deployment(db)
    if deployment is None:
        filed = _latest(db, owner, "docx")
        if filed is None:
            return None
        data = read_filed(store, filed.storage_key, filed.sha256, signoff.number(owner))
        return data, [redaction.docx_text(data)]
    template, context = pipeline.draft_rendering(deployment, db, owner)
    if files:
        data = docx_bytes(rendered(template, context))
        return data, [redaction.docx_text(data)]
    pages = page_texts.draft_pages_of(db, signoff.kind_of(owner), owner.id, _rendering(template, context),
                                      lambda: [redaction.docx_text(docx_bytes(rendered(template, context)))])
    return None, pages


def _rendering(template: Path, context: Mapping[str, object]) -> str:
    """A SHA-256 of what a draft's Word file is rendered from: the template's bytes (a council may
    replace its template), the context as JSON (its form's definition by its fields), and the code
    that renders it and reads its text (`_renderer`)."""
    digest = hashlib.sha256(_renderer().encode())
    digest.update(template.read_bytes())
    digest.update(json.dumps(context, sort_keys=True, default=_plain).encode())
    return digest.hexdigest()


@functools.cache
def _renderer() -> str:
    """A SHA-256 of the code that turns a template and a context into a draft's text: the source of
    the modules that render it and read its text, and the versions of the libraries they use. An
    upgrade that changes either may change the text, so the texts kept before it are not used after
    it. Once per process: the code does not change under a running process."""
    digest = hashlib.sha256()
    for module in RENDERING_CODE:
        digest.update(Path(inspect.getfile(module)).read_bytes())
    for library in RENDERING_LIBRARIES:
        digest.update(f"{library} {metadata.version(library)}\n".encode())
    return digest.hexdigest()


def _plain(value: object) -> object:
    """A context value JSON has no form for, in one that stays the same from one reading to the next."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def _pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text as pypdf reads it, with line breaks and runs of spaces made one space, so a
    name broken over two lines of a table cell is still found."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _about_others(db: Session, person: Person) -> list[dict[str, str]]:
    """Records and agreements the person wrote or signed as someone else's supervisor (not theirs)."""
    records = db.scalars(select(Record).where(Record.supervisor_id == person.id, ~group_records.belongs_to(person.id))
                         .order_by(Record.session_date, Record.id))
    agreements = db.scalars(select(Agreement).where(Agreement.supervisor_id == person.id)
                            .order_by(Agreement.started_on, Agreement.id))
    return ([{"number": record_number(r), "kind": r.kind, "date": r.session_date.isoformat()} for r in records]
            + [{"number": agreement_number(a), "kind": "agreement", "date": a.started_on.isoformat()}
               for a in agreements])


# --- the CSV files ------------------------------------------------------------------------------


def _actions(db: Session, person: Person) -> _Table:
    rows = db.scalars(select(Action).where(Action.supervisee_id == person.id).order_by(Action.date_added, Action.id))
    return _Table("actions.csv", "your actions: raised, owned, due and completed",
                  ("action id", "raised in", "section", "added on", "what is to be done", "owner", "due",
                   "completed in", "completed on"),
                  [(a.id, _number_of(db, a.raised_in_record_id), a.section, a.date_added, a.text, a.owner, a.due,
                    _number_of(db, a.completed_in_record_id), a.completed_on) for a in rows])


def _number_of(db: Session, record_id: int | None) -> str:
    record = db.get(Record, record_id) if record_id is not None else None  # loaded already, mostly
    return record_number(record) if record is not None else ""


def _progress(db: Session, person: Person) -> _Table:
    rows = db.execute(select(ActionEntry, Record).join(Action, Action.id == ActionEntry.action_id)
                      .join(Record, Record.id == ActionEntry.record_id).where(Action.supervisee_id == person.id)
                      .order_by(Record.session_date, Record.id, ActionEntry.position))
    return _Table("action-progress.csv", "the progress on your actions recorded at each session",
                  ("record", "session date", "action", "progress", "completed"),
                  [(record_number(r), r.session_date, e.action_id, e.progress, "yes" if e.completed else "no")
                   for e, r in rows])


def _signoff_events(db: Session, person: Person, own: Sequence[Record], agreements: Sequence[Agreement]) -> _Table:
    """Each sign-off step of their records and agreements. Where and on what device is shown only
    for the person's own steps: another signer's address is theirs."""
    owners = {("r", r.id): record_number(r) for r in own} | {("a", a.id): agreement_number(a) for a in agreements}
    query = (select(SignoffEvent, Person).outerjoin(Person, Person.id == SignoffEvent.person_id)
             .where(_events_on([*own, *agreements])).order_by(SignoffEvent.at, SignoffEvent.id))
    rows = []
    for event, who in db.execute(query):
        mine = event.person_id == person.id
        owner = ("r", event.record_id) if event.record_id is not None else ("a", event.agreement_id)
        rows.append((owners[owner], event.version, event.event, who.name if who else "", _when(event.at),
                     event.ip if mine else "", event.user_agent if mine else "", event.comment))
    return _Table("sign-off-events.csv", "each step of the sign-off of your records and agreements, with comments",
                  ("document", "version", "step", "by", "at (UTC)", "your IP address", "your browser", "comment"),
                  rows)


def _events_on(owners: Sequence[Owner]) -> ColumnElement[bool]:
    """The sign-off events of `owners` (records and agreements)."""
    return or_(SignoffEvent.record_id.in_([o.id for o in owners if isinstance(o, Record)]),
               SignoffEvent.agreement_id.in_([o.id for o in owners if isinstance(o, Agreement)]))


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else ""


def _consent(db: Session, person: Person) -> _Table:
    rows = db.scalars(select(ConsentRequest).where(ConsentRequest.supervisee_id == person.id)
                      .order_by(ConsentRequest.created_at, ConsentRequest.id))
    return _Table("consent.csv", "requests to read your records from outside your line, and your answers",
                  ("asked at (UTC)", "asked by", "their reason", "your answer", "answered at (UTC)", "your comment",
                   "overridden because", "overridden at (UTC)", "may read until (UTC)"),
                  [(_when(c.created_at), c.reader.name, c.reason, c.answer, _when(c.answered_at), c.answer_comment,
                    c.override_reason, _when(c.overridden_at), _when(c.access_until)) for c in rows])


def _reads(db: Session, person: Person, own: Sequence[Record], agreements: Sequence[Agreement]) -> _Table:
    """Who read their records, agreements, actions, file or ASYE record of support, when and why. A
    read the access rules granted carries its basis (`workflows.access.read`, the HR export); other
    entries are changes."""
    actions = db.scalars(select(Action.id).where(Action.supervisee_id == person.id))
    objects = {"record": [str(r.id) for r in own], "agreement": [str(a.id) for a in agreements],
               "person": [str(person.id)], "asye_support": [str(person.id)], "action": list(actions)}
    numbers = {("record", str(r.id)): record_number(r) for r in own} | {
        ("agreement", str(a.id)): agreement_number(a) for a in agreements}
    query = (select(AuditEvent, Person).outerjoin(Person, Person.id == AuditEvent.actor_id)
             .where(or_(*(and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids))
                          for kind, ids in objects.items())))
             .order_by(AuditEvent.at, AuditEvent.id))
    rows = [(_when(event.at), who.name if who else "docgen (no one signed in)", _done(event),
             numbers.get((event.object_type, event.object_id), _object_read(event)),
             (event.detail or {}).get("basis", ""), event.reason)
            for event, who in db.execute(query) if "basis" in (event.detail or {})]
    return _Table("who-read-your-records.csv", "who read your records, when and why, from the audit log",
                  ("at (UTC)", "who", "what they did", "what", "on what basis", "reason given"), rows)


def _done(event: AuditEvent) -> str:
    """The action, with how the thing was shown where the read says (`access.read`'s detail)."""
    shown_as = (event.detail or {}).get("as")
    return f"{event.action} (as {shown_as})" if shown_as else event.action


def _object_read(event: AuditEvent) -> str:
    named = {"person": "your supervision file", "asye_support": "your ASYE record of support"}
    return named.get(event.object_type, f"{event.object_type} {event.object_id}")


def _emails(db: Session, person: Person) -> _Table:
    """The e-mails docgen wrote to them, as text, with each link taken out (a sign-off or consent
    link, still open, would let whoever reads the export act as them)."""
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == person.email)
                      .order_by(OutboxMessage.created_at, OutboxMessage.id))
    return _Table("emails.csv", "the e-mails sent to you, as text, with links removed",
                  ("written at (UTC)", "sent at (UTC)", "subject", "text"),
                  [(_when(m.created_at), _when(m.sent_at), LINK.sub(LINK_REMOVED, m.subject),
                    LINK.sub(LINK_REMOVED, m.text_body)) for m in rows])


def _quality_audits(db: Session, own: Sequence[Record]) -> _Table:
    rows = db.execute(select(QualityAuditItem, QualityAudit).join(QualityAudit)
                      .where(QualityAuditItem.record_id.in_([r.id for r in own]))
                      .order_by(QualityAudit.drawn_at, QualityAuditItem.id))
    return _Table("quality-audits.csv", "the quality audits of your records",
                  ("audit", "period", "record", "criteria", "findings", "actions for the supervisor",
                   "scored at (UTC)"),
                  [(quality_audits.number(a), f"{a.period_start} to {a.period_end}", record_number(i.record),
                    "; ".join(f"{k}: {v or 'not scored'}" for k, v in sorted((i.criteria or {}).items())),
                    i.findings, i.supervisor_actions, _when(i.scored_at)) for i, a in rows])


# --- the redaction schedule ---------------------------------------------------------------------


def _schedule(db: Session, person: Person, contents: _Contents) -> list[Mention]:
    kinds = {redaction.normalised(text): (text, kind) for text, kind in _third_parties(db, person, contents).items()}
    found = redaction.matcher(text for text, _ in kinds.values())
    if found is None:
        return []
    mentions: list[Mention] = []
    for document in contents.documents:
        pdf = document.sealed is not None
        mentions += _mentions(document.path, document.pages, found, kinds, pdf)
    for table in contents.tables:
        mentions += _mentions(table.path, [table.text()], found, kinds, False)
    return mentions


def _third_parties(db: Session, person: Person, contents: _Contents) -> dict[str, str]:
    """The texts that are someone else's, and their kind: the names and e-mail addresses of other
    staff, the IP addresses and browsers other signers used on the person's documents, and the case
    IDs. A text shared with the person (a name, an office's IP) cannot be told apart from theirs, so
    it is left."""
    events = list(db.scalars(select(SignoffEvent).where(_events_on(contents.owners))))
    others = _others(db, person, contents.owners, events)
    mine = {redaction.normalised(text) for text in (person.name, person.email, *_devices(e for e in events
                                                                                         if e.person_id == person.id))}
    texts = {**{other.name: STAFF for other in others}, **{other.email: CONTACT for other in others if other.email},
             **{device: DEVICE for device in _devices(e for e in events if e.person_id != person.id)},
             **{case_id: CASE_ID for case_id in contents.case_ids}}
    return {text: kind for text, kind in texts.items() if text.strip() and redaction.normalised(text) not in mine}


def _devices(events: Iterable[SignoffEvent]) -> set[str]:
    return {text for event in events for text in (event.ip, event.user_agent) if text}


def _others(db: Session, person: Person, owners: Sequence[Owner], events: Sequence[SignoffEvent]) -> list[Person]:
    """Everyone else who may be named: the organisation's staff, and whoever signed, attended or
    supervised on the person's documents, whatever their organisation (a neighbouring council's
    Advanced Practitioner, someone since moved)."""
    ids = {event.person_id for event in events} | {owner.supervisor_id for owner in owners}
    ids |= {owner.supervisee_id for owner in owners if isinstance(owner, Record)}
    sessions = [owner.group_session_id for owner in owners if isinstance(owner, Record) and owner.group_session_id]
    ids |= set(db.scalars(select(GroupAttendance.person_id).where(GroupAttendance.session_id.in_(sessions))))
    return list(db.scalars(select(Person).where(or_(Person.organisation_id == person.organisation_id,
                                                    Person.id.in_(ids - {None})), Person.id != person.id)
                           .order_by(Person.id)))


def _mentions(path: str, pages: list[str], found: re.Pattern[str], kinds: Mapping[str, tuple[str, str]],
              pdf: bool) -> list[Mention]:
    """One mention per text per file, at the first page it appears on (withholding it removes
    every occurrence in that file, however it is cased or spaced there)."""
    seen: dict[str, Mention] = {}
    for number, text in enumerate(pages, start=1):
        for match in found.finditer(text):
            known, kind = kinds.get(redaction.normalised(match.group()), ("", ""))  # "" only if case folding differs
            if known and known not in seen:
                seen[known] = Mention(_key(path, kind, known), path, number if pdf else None, kind,
                                      " ".join(match.group().split()), _context(text, match.start(), match.end()))
    return list(seen.values())


def _context(text: str, start: int, end: int) -> str:
    """The words either side of the mention at `start`:`end`, up to `CONTEXT` characters each, whole
    words only (a word cut in two reads as another word: "ex" for "Alex"), with an ellipsis where
    the text goes on."""
    before, after = text[max(0, start - CONTEXT):start], text[end:end + CONTEXT]
    cut_before, cut_after = start > CONTEXT, end + CONTEXT < len(text)
    if cut_before and not text[start - CONTEXT - 1].isspace():
        before = re.sub(r"^\S*", "", before)
    if cut_after and not text[end + CONTEXT].isspace():
        after = re.sub(r"\S*$", "", after)
    shown = " ".join(f"{before}{text[start:end]}{after}".split())
    return f"{'… ' if cut_before else ''}{shown}{' …' if cut_after else ''}"


def _key(document: str, kind: str, text: str) -> str:
    """The same file, kind and words give the same key on every run, so HR's decision on a mention
    outlives reading the schedule again (`SubjectAccessWithholding.mention_key`). The file is named
    without its extension: a draft's Word file sealed between the review and the export is the same
    document, and what HR withheld from it stays withheld."""
    stem = document.rsplit(".", 1)[0]
    return hashlib.sha256(f"{stem}\n{kind}\n{text}".encode()).hexdigest()[:32]


# --- writing the export ---------------------------------------------------------------------------


def _add(files: dict[str, bytes], listed: list[dict[str, object]], path: str, data: bytes, description: str,
         **more: object) -> None:
    files[path] = data
    listed.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                   "description": description, **more})


def _add_document(document: _Document, texts: list[str], converter: PdfConverter,
                  files: dict[str, bytes], listed: list[dict[str, object]]) -> None:
    """The file as held, or, with anything withheld from it, a redacted copy in its place."""
    what = f"{document.number} ({document.kind.replace('_', ' ')})"
    assert document.data is not None  # the export gathers files
    if not texts:
        held = "sealed final PDF" if document.sealed is not None else "draft, as its Word file"
        _add(files, listed, document.path, document.data, f"{what}: {held}")
        return
    pdf = _redacted_copy(document, texts, converter)
    path = document.path.rsplit(".", 1)[0] + "-redacted.pdf"
    source = {"path": document.path, "sha256": hashlib.sha256(document.data).hexdigest(),
              "sealed": document.sealed is not None}
    held = "sealed record" if document.sealed is not None else "draft"
    _add(files, listed, path, pdf, f"{what}: a redacted copy of the {held} {document.path}, withheld text "
         f"removed; the original is not enclosed", redacted_copy_of=source)


def _redacted_copy(document: _Document, texts: list[str], converter: PdfConverter) -> bytes:
    """The document again from its Word file (for a sealed one, the signed Word file attached to
    it), with the withheld texts removed, headed and titled as a redacted copy, as a PDF checked for
    them. A sealed record's certificate page is left out: rebuilt, it would show the signed file's
    SHA-256 as if this copy were sealed (sign-off-events.csv lists the sign-off instead)."""
    source = document.data if document.sealed is None else _attached_docx(document)
    pdf = converter.convert(redaction.redact_docx(source, texts, _banner(document)))
    left = redaction.matcher(texts)
    if left is not None and any(left.search(page) for page in _pdf_pages(pdf)):
        raise RedactionFailed(f"withheld text could still be read in the redacted copy of {document.number}, "
                              "so the export was not made", "withheld")
    return pdf


def _attached_docx(document: _Document) -> bytes:
    """The signed Word file sealed inside the final PDF (`documents.seal`: its /Source attachment)."""
    attachments = PdfReader(io.BytesIO(document.data)).attachments
    for name, contents in attachments.items():
        if name.lower().endswith(".docx") and contents:
            return contents[0]
    raise RedactionFailed(f"the sealed PDF of {document.number} carries no Word file to redact", "withheld")


def _banner(document: _Document) -> str:
    """The copy's first paragraph and title: it must not pass for the signed record."""
    banner = (f"REDACTED COPY of {document.number} made {clock.today():%-d %B %Y} for a subject access request. "
              f"This is not the sealed record; withheld text reads {redaction.WITHHELD}.")
    if document.sealed is not None:
        banner += " The signature and audit certificate is left out: sign-off-events.csv lists the sign-off."
    return banner


def _withholdings(chosen: Sequence[Mention], withheld: Mapping[str, str]) -> list[dict[str, object]]:
    """What was withheld, by category and count with the reasons given; never the withheld text,
    not even where HR's reason repeats it."""
    redact = redaction.redactor(mention.text for mention in chosen)
    reasons: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for mention in chosen:
        counts[mention.kind] = counts.get(mention.kind, 0) + 1
        given = reasons.setdefault(mention.kind, [])
        if redact(withheld[mention.key]) not in given:
            given.append(redact(withheld[mention.key]))
    return [{"kind": kind, "category": CATEGORIES[kind][count > 1], "count": count, "reasons": reasons[kind]}
            for kind, count in counts.items()]


def _manifest(person: dict[str, object], listed: list[dict[str, object]], withholdings: list[dict[str, object]],
              contents: _Contents, received_on: dt.date, deadline: dt.date) -> dict[str, object]:
    return {"person": person,
            "request": {"received_on": received_on.isoformat(), "deadline": deadline.isoformat()},
            "generated_at": clock.now().isoformat(timespec="seconds") + "Z",
            "files": listed, "withheld": withholdings, "not_enclosed": contents.not_enclosed,
            "written_about_others": contents.about_others}


def _cover_letter(db: Session, person: Person, contents: _Contents, withholdings: list[dict[str, object]],
                  received_on: dt.date, deadline: dt.date) -> str:
    """The letter in plain English: what is enclosed, what was withheld and why, how to complain."""
    organisation = db.get(Organisation, person.organisation_id)
    sealed = sum(1 for d in contents.documents if d.sealed is not None)
    drafts = len(contents.documents) - sealed
    withheld = [f"- {line['count']} {line['category']}, because: {'; '.join(map(str, line['reasons']))}"
                for line in withholdings]
    lines = [f"Dear {person.name},", "",
             f"You asked {organisation.name if organisation else 'us'} on {received_on:%-d %B %Y} for a copy of the "
             f"information about you in its supervision records. This is our answer, dated {clock.today():%-d %B %Y}"
             f" (it was due by {deadline:%-d %B %Y}).", "", "What is enclosed",
             f"- Your supervision records and agreements: {sealed} signed, each as its sealed PDF, and {drafts} not "
             "yet signed, each as its Word file (in the records and agreements folders). Where words were withheld "
             "from one, it is a PDF copy with those words removed instead.",
             *(f"- {table.path}: {table.description}" for table in contents.tables), "",
             "What we have withheld",
             *(withheld or ["- Nothing."]),
             *(["Where words were withheld, the file reads [withheld] instead. They are about other people, whose "
                "information the law says we must protect (UK GDPR Article 15(4))."] if withheld else []), ""]
    if contents.not_enclosed:
        lines += [f"{len(contents.not_enclosed)} of your records or agreements could not be enclosed (destroyed under "
                  "the retention schedule, not yet drafted, or unavailable); manifest.json lists each with the "
                  "reason.", ""]
    if contents.about_others:
        one = len(contents.about_others) == 1
        lines += [f"You also wrote or signed {len(contents.about_others)} record{'' if one else 's'} as someone else's "
                  "supervisor. " + ("It is about that person, so it is not enclosed; manifest.json lists it"
                                    if one else "They are about those people, so they are not enclosed; "
                                    "manifest.json lists them") + " by number and date.", ""]
    return "\n".join(lines + [
        "manifest.json lists every file with its size and SHA-256, so you can check nothing has changed.", "",
        "If you are unhappy with this answer, please tell us first. You can also complain to " + ICO + ".", ""])


def _zipped(files: Mapping[str, bytes]) -> bytes:
    """The zip, written to a file that spills to disk past SPOOLED bytes (a file of years of sealed
    PDFs would otherwise be held twice in memory while it is written)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOLED) as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in files.items():
                archive.writestr(path, data)
        out.seek(0)
        return out.read()
