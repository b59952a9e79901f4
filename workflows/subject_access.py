"""Subject access requests (UK GDPR Art. 15; issue 25 item 1): a supervisee, or a leaver, asks for
everything held about them; HR, or the data protection officer, records the request, reviews the
third-party data in it, produces the export and closes the request with the day it was answered.

The rules, and where they come from:

- The council answers "without undue delay and in any event within one month of receipt"
  (Art. 12(3)). The month runs from the day the request was received to the same date in the next
  month, or that month's last day when it has no such date (the ICO's counting; dateutil's
  `relativedelta`, as `workflows.periods` adds months); when that day is a weekend or a bank
  holiday, the ICO gives until the next working day (`workflows.working_days`): `deadline_of`.
- It "may be extended by two further months where necessary", if the person is told, with the
  reasons, "within one month of receipt" (Art. 12(3)): an extension needs a reason and is
  refused once the first month has passed; the extended deadline is three months from receipt,
  counted the same way (`extend`). The first month ends on a working day too.
- A request is received before it is recorded, but not long before: one received more than a year
  ago (`OLDEST`) is a typing slip, refused naming received_on.
- A request warns at `WARN_DAYS` days left or fewer (issue 25), and is open until it is closed
  with the day it was answered (`close`), or closed unanswered with a reason when the person withdrew
  it or it was recorded in error (`withdraw`). One open request a person: the database's partial
  unique index holds it when two are recorded at once.
- Other staff named in records and children's case IDs are third-party data (Art. 15(4)): HR
  reads them on the redaction schedule (`workflows.subject_access_export.redaction_schedule`),
  withholds each with a reason (`withhold`), or one text in every file it is in at once
  (`withhold_everywhere`: a withholding for each of its mentions not already withheld, whose own
  reasons stand), and the export leaves the withheld text out. A text's withholdings with one
  reason are released in every file at once (`release_everywhere`): those HR withheld with
  another reason stay. A
  withholding whose mention is no longer found (the record changed) is shown so it can be released:
  the export refuses withholdings off the schedule.
- The export is built from the data as it is when asked for, an answered request's too: it is not
  a copy of what was sent (that is the zip sent, whose SHA-256 the audit log keeps). HR asks for it
  (`ask_export`: checked against the schedule, recorded with the schedule's mentions and audited)
  and the worker builds it, refusing it if its own schedule has a mention HR's did not, and
  files it in the document store with its SHA-256 (`make_export`), because a redacted copy is a
  LibreOffice conversion and a conversion never holds up a web request; a task lost on the way is
  asked again by the sweep after `EXPORT_LOST_AFTER`, for a day (`EXPORT_SWEPT_FOR`: `unfiled_exports`),
  and from `EXPORT_LOST_AFTER` on the page offers to prepare it again. One that cannot be made (a
  withholding off the schedule, a redacted copy still readable, a damaged PDF, LibreOffice failing)
  is recorded with why and not asked again. The filed zip is served
  only after its bytes match the SHA-256 recorded (`download_export`), and not at all once a
  withholding has changed since it was built (it is out of date: HR prepares it again). The
  operator's `docgen sar export` builds it in its own process with the same function
  (`export_by_operator`). Retention destroys a filed export with the person's records, and the
  export's row then says so (DESTROYED): nothing rebuilds it from what is left.
- Only HR and administrators (standing for the data protection officer, who has no role of their
  own in docgen) act on requests (`OFFICERS`); anyone else is told there is no such request, so
  who has asked cannot be learnt.
- Every step is in the audit log (object type `OBJECT_TYPE`), and a change to a request is made
  from the revision its author read (`workflows.revisions`): of two officers' changes from one
  read, one lands and the other is refused (412) with nothing written.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeGuard

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from documents import redaction
from documents.pdf import ConversionError
from kernel import clock
from kernel.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated
from storage import audit, subject_access_exports
from storage.filing import DamagedDocument
from storage.models import Person, SubjectAccessExport, SubjectAccessRequest, SubjectAccessWithholding
from storage.uow import transaction
from workflows import access, people, revisions, working_days
from workflows.access import Caller
from workflows.deployment import Work
from workflows.inputs.subject_access import (TEXT_LIMIT, CloseRequest, ExtendRequest, RecordRequest,
                                             ReleaseEverywhere, ReleaseMention, WithdrawRequest, WithholdEverywhere,
                                             WithholdMention)
from workflows.subject_access_export import Mention, RedactionFailed, check_reviewed, export_zip, redaction_schedule

log = logging.getLogger(__name__)
OFFICERS = access.PEOPLE_MANAGERS  # HR, and an administrator acting as the data protection officer
OBJECT_TYPE = "subject_access_request"
FIRST_MONTH = relativedelta(months=1)  # Art. 12(3): "within one month of receipt"
EXTENDED = relativedelta(months=3)  # "extended by two further months": three from receipt
WARN_DAYS = 7  # issue 25: "warns at 7 days"
OLDEST = relativedelta(years=1)  # a request received longer ago than this is a typing slip
EXPORT_TASK = "make_subject_access_export"  # docgen.tasks
EXPORT_LOST_AFTER = dt.timedelta(minutes=10)  # asked for and not filed by then: its task was lost
EXPORT_SWEPT_FOR = dt.timedelta(days=1)  # asked longer ago than this, the sweep leaves it to HR to ask again
NOT_ASKED, PREPARING, FAILED, READY, STALE = "not_asked", "preparing", "failed", "ready", "stale"
DESTROYED = "destroyed"
CONVERSION_FAILED = ("LibreOffice could not make the PDF of a redacted copy; prepare it again, and if it fails "
                     "again ask an administrator to check LibreOffice on the worker")


def no_such_request() -> NotFound:
    """The one answer for a request the caller may not see, whether it exists or not."""
    return NotFound("no such subject access request", "id")


def require_officer(caller: Caller) -> None:
    """HR or an administrator; anyone else is told there is no such request (a 404)."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    if not OFFICERS & caller.roles:
        raise no_such_request()


def _due(received_on: dt.date, months: relativedelta) -> dt.date:
    """The corresponding date `months` on, or the next working day when that is a weekend or a bank
    holiday (the ICO: "you have until the next working day to respond")."""
    day = received_on + months
    return working_days.add_working_days(day - dt.timedelta(days=1), 1)


def first_month_end(request: SubjectAccessRequest) -> dt.date:
    """The last day the request may be extended: the first month's deadline."""
    return _due(request.received_on, FIRST_MONTH)


def deadline_of(request: SubjectAccessRequest) -> dt.date:
    """The day the answer is due: a month from receipt, or three once extended."""
    return _due(request.received_on, EXTENDED if request.extended_on is not None else FIRST_MONTH)


def is_open(request: SubjectAccessRequest) -> bool:
    """Neither answered nor withdrawn."""
    return request.answered_on is None and request.withdrawn_on is None


def may_still_extend(request: SubjectAccessRequest, today: dt.date) -> bool:
    """Whether the request may be extended today: open, not extended, within its first month."""
    return is_open(request) and request.extended_on is None and today <= first_month_end(request)


@dataclass(frozen=True)
class Timing:
    """A request as the pages show it: its deadline, the days left to it (negative once passed)
    and whether to warn."""

    request: SubjectAccessRequest
    deadline: dt.date
    days_left: int
    can_extend: bool

    @property
    def extended_deadline(self) -> dt.date:
        """The deadline an extension would give (three months from receipt)."""
        return _due(self.request.received_on, EXTENDED)

    @property
    def open(self) -> bool:
        return is_open(self.request)

    @property
    def warning(self) -> bool:
        """Open with `WARN_DAYS` days left or fewer (an overdue request too)."""
        return self.open and self.days_left <= WARN_DAYS


def timing(request: SubjectAccessRequest, today: dt.date) -> Timing:
    deadline = deadline_of(request)
    return Timing(request, deadline, (deadline - today).days, may_still_extend(request, today))


def _request(db: Session, request_id: int) -> SubjectAccessRequest:
    request = db.get(SubjectAccessRequest, request_id)
    if request is None:
        raise no_such_request()
    return request


def _audit(db: Session, caller: Caller, request: SubjectAccessRequest, action: str, **detail: Any) -> None:
    _audit_as(db, caller.person_id, caller.ip, request, action, **detail)


def _audit_as(db: Session, actor_id: int | None, ip: str, request: SubjectAccessRequest, action: str,
              **detail: Any) -> None:
    """An entry for the worker's step in the name of the officer who asked for it."""
    audit.record(db, f"subject_access.{action}", actor_id=actor_id, object_type=OBJECT_TYPE,
                 object_id=request.id, ip=ip, detail={"person_id": request.person_id, **detail})


def _open_request(db: Session, person_id: int) -> SubjectAccessRequest | None:
    return db.scalar(select(SubjectAccessRequest).where(SubjectAccessRequest.person_id == person_id,
                                                        SubjectAccessRequest.answered_on.is_(None),
                                                        SubjectAccessRequest.withdrawn_on.is_(None))
                     .order_by(SubjectAccessRequest.id).limit(1))


def _changing(db: Session, request: SubjectAccessRequest, revision: int | None) -> None:
    """A change to an open request from the revision the caller read; the request's row is written
    (its revision checked and raised) even when only its withholdings change, so it is the claim."""
    revisions.expect(request, revision, "subject access request")
    if request.answered_on is not None:
        raise Conflict(f"this request was answered on {request.answered_on:%-d %B %Y} and is closed", "id")
    if request.withdrawn_on is not None:
        raise Conflict(f"this request was withdrawn on {request.withdrawn_on:%-d %B %Y} and is closed", "id")
    flag_modified(request, "received_on")


def _check_received_on(received_on: dt.date, today: dt.date) -> None:
    if received_on > today:
        raise InvalidInput("received_on must be today or earlier: record a request once it has arrived", "received_on")
    if received_on < today - OLDEST:
        raise InvalidInput(f"received_on must be within the last year, on or after {today - OLDEST:%-d %B %Y}: "
                           "check the year", "received_on")


def _already_open(person: Person, received_on: dt.date | None) -> Conflict:
    since = f", received on {received_on:%-d %B %Y}" if received_on is not None else ""
    return Conflict(f"{person.name} already has an open request{since}; answer it first", "email")


# --- Use cases ----------------------------------------------------------------------------------


@transaction
def record_request(uow: Work, caller: Caller, given: RecordRequest) -> SubjectAccessRequest:
    """Record a request received for a person (a leaver too); one open request per person, so the
    export and the deadline are never in doubt."""
    require_officer(caller)
    db = uow.session
    person = db.scalar(select(Person).where(Person.email == people.normalise_email(given.email)))
    if person is None:
        raise InvalidInput(f"nobody in docgen has the e-mail address {given.email}", "email")
    _check_received_on(given.received_on, clock.today())
    already = _open_request(db, person.id)
    if already is not None:
        raise _already_open(person, already.received_on)
    request = SubjectAccessRequest(person_id=person.id, received_on=given.received_on, recorded_by_id=caller.person.id)
    try:  # the partial unique index is the claim: of two recorded at once, one lands
        with db.begin_nested():
            db.add(request)
    except IntegrityError:
        raise _already_open(person, None) from None
    _audit(db, caller, request, "recorded", received_on=given.received_on.isoformat(),
           deadline=deadline_of(request).isoformat())
    return request


def open_requests(uow: Work, caller: Caller) -> list[Timing]:
    """The requests neither answered nor withdrawn, the nearest deadline first."""
    require_officer(caller)
    today = clock.today()
    found = uow.session.scalars(select(SubjectAccessRequest).options(selectinload(SubjectAccessRequest.person))
                                .where(SubjectAccessRequest.answered_on.is_(None),
                                       SubjectAccessRequest.withdrawn_on.is_(None)))
    return sorted((timing(r, today) for r in found), key=lambda shown: (shown.deadline, shown.request.id))


def show(uow: Work, caller: Caller, request_id: int) -> Timing:
    """One request with its deadline and days left (no documents are read)."""
    require_officer(caller)
    return timing(_request(uow.session, request_id), clock.today())


@dataclass(frozen=True)
class ScheduleRow:
    """A mention on the redaction schedule, and HR's decision on it (None: released as it is)."""

    mention: Mention
    withheld: SubjectAccessWithholding | None


@dataclass(frozen=True)
class ScheduleText:
    """One text on the schedule (a colleague's name, a case ID) with its mentions in every file it
    is in: what HR withholds, or releases, everywhere in one step."""

    text: str
    kind: str
    rows: list[ScheduleRow]

    @property
    def withheld(self) -> int:
        return sum(1 for row in self.rows if row.withheld is not None)

    @property
    def everywhere(self) -> bool:
        """Withheld in every file it is in."""
        return self.withheld == len(self.rows)

    @property
    def reasons(self) -> dict[str, int]:
        """Each reason it is withheld for, and in how many files: what a release in every file
        releases is the withholdings with one of them."""
        counted: dict[str, int] = {}
        for row in self.rows:
            if row.withheld is not None:
                counted[row.withheld.reason] = counted.get(row.withheld.reason, 0) + 1
        return counted


@dataclass(frozen=True)
class ExportState:
    """Where a request's export stands: NOT_ASKED; PREPARING (asked, the worker has not filed it;
    `late` once that has taken longer than `EXPORT_LOST_AFTER`, when HR may ask again); FAILED (it
    could not be made: `row.problem` says why); READY (filed, to download); STALE (filed, but a
    withholding changed since it was built, so it may hold what is now withheld); DESTROYED (filed,
    then destroyed by retention with the records it copied: `row.problem` says when)."""

    row: SubjectAccessExport | None
    status: str
    late: bool = False


def _decisions(request: SubjectAccessRequest) -> dict[str, str]:
    """The mentions withheld from the request's export, and why."""
    return {w.mention_key: w.reason for w in request.withholdings}


def _digest(withheld: Mapping[str, str]) -> str:
    """The withholdings an export is built with, as one value: another decision changes it."""
    return hashlib.sha256(json.dumps(sorted(withheld.items())).encode()).hexdigest()


def _export_of(db: Session, request_id: int, lock: bool = False) -> SubjectAccessExport | None:
    query = select(SubjectAccessExport).where(SubjectAccessExport.request_id == request_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.scalar(query)


def export_state(db: Session, request: SubjectAccessRequest) -> ExportState:
    """Where the request's export stands, its withholdings compared with those it was built with."""
    row = _export_of(db, request.id)
    if row is None:
        return ExportState(None, NOT_ASKED)
    if row.storage_key is not None:
        return ExportState(row, READY if row.withheld == _digest(_decisions(request)) else STALE)
    if row.problem:
        return ExportState(row, DESTROYED if row.filed_at is not None else FAILED)
    return ExportState(row, PREPARING, late=row.asked_at < clock.now() - EXPORT_LOST_AFTER)


@dataclass(frozen=True)
class Review:
    """A request's page: its timing, its redaction schedule with the decisions made, the
    withholdings whose mention is no longer found (to be released: the export refuses them), and
    where its export stands."""

    shown: Timing
    schedule: list[ScheduleRow]
    gone: list[SubjectAccessWithholding]
    export: ExportState

    @property
    def withheld(self) -> int:
        return sum(1 for row in self.schedule if row.withheld is not None)

    @cached_property
    def texts(self) -> list[ScheduleText]:
        """Each text on the schedule once, in the order it is first met, however it is cased or
        spaced in each file; but one longer than a form takes (`TEXT_LIMIT`: a signer's browser
        can be), which is withheld mention by mention."""
        grouped: dict[str, list[ScheduleRow]] = {}
        for row in self.schedule:
            if len(row.mention.text) <= TEXT_LIMIT:
                grouped.setdefault(redaction.normalised(row.mention.text), []).append(row)
        return [ScheduleText(rows[0].mention.text, rows[0].mention.kind, rows) for rows in grouped.values()]

    @property
    def to_withhold_everywhere(self) -> list[ScheduleText]:
        """The texts offered to withhold in every file: those with a mention not yet withheld."""
        return [text for text in self.texts if not text.everywhere] if self.shown.open else []

    @property
    def to_release_everywhere(self) -> list[ScheduleText]:
        """The texts offered to release in every file, reason by reason: those withheld anywhere."""
        return [text for text in self.texts if text.withheld] if self.shown.open else []


def _schedule(uow: Work, request: SubjectAccessRequest) -> list[Mention]:
    return redaction_schedule(uow.session, uow.store, request.person)


@transaction
def review(uow: Work, caller: Caller, request_id: int) -> Review:
    """The request and its redaction schedule joined with the decisions: reading the schedule reads
    the person's documents, so it is audited."""
    require_officer(caller)
    request = _request(uow.session, request_id)
    mentions = _schedule(uow, request)
    decided = {w.mention_key: w for w in request.withholdings}
    _audit(uow.session, caller, request, "schedule_read", mentions=len(mentions))
    found = {m.key for m in mentions}
    return Review(timing(request, clock.today()), [ScheduleRow(m, decided.get(m.key)) for m in mentions],
                  [w for key, w in decided.items() if key not in found], export_state(uow.session, request))


@transaction
def extend(uow: Work, caller: Caller, request_id: int, given: ExtendRequest) -> SubjectAccessRequest:
    """Extend the month by two more, with the reason the person is told; only within the first month."""
    require_officer(caller)
    request = _request(uow.session, request_id)
    _changing(uow.session, request, given.revision)
    today = clock.today()
    if request.extended_on is not None:
        raise Conflict(f"this request was already extended on {request.extended_on:%-d %B %Y}", "reason")
    if not may_still_extend(request, today):
        raise InvalidInput(f"the first month ended on {first_month_end(request):%-d %B %Y}: a request can "
                           "only be extended within a month of receipt", "reason")
    request.extended_on, request.extension_reason = today, given.reason
    _audit(uow.session, caller, request, "extended", reason=given.reason, deadline=deadline_of(request).isoformat())
    return request


def _withhold_mention(db: Session, caller: Caller, request: SubjectAccessRequest, mention: Mention, reason: str,
                      **detail: Any) -> None:
    """HR's decision to withhold one mention, recorded and audited (a new reason for a mention
    already withheld replaces the old one, and its decider)."""
    decided = next((w for w in request.withholdings if w.mention_key == mention.key), None)
    if decided is None:
        decided = SubjectAccessWithholding(request=request, mention_key=mention.key, reason=reason,
                                           decided_by_id=caller.person.id)
        db.add(decided)
    decided.reason, decided.decided_by_id, decided.decided_at = reason, caller.person.id, clock.now()
    _audit(db, caller, request, "withheld", key=mention.key, kind=mention.kind, document=mention.document,
           reason=reason, **detail)


def _release_mention(db: Session, caller: Caller, request: SubjectAccessRequest, decided: SubjectAccessWithholding,
                     **detail: Any) -> None:
    request.withholdings.remove(decided)
    db.delete(decided)
    _audit(db, caller, request, "released", key=decided.mention_key, **detail)


def _mentions_of(mentions: list[Mention], text: str) -> list[Mention]:
    """The mentions of one text in every file, however it is cased or spaced in each."""
    wanted = redaction.normalised(text)
    return [mention for mention in mentions if redaction.normalised(mention.text) == wanted]


@transaction
def withhold(uow: Work, caller: Caller, request_id: int, given: WithholdMention) -> SubjectAccessRequest:
    """Withhold one mention on the schedule from the export, with the reason."""
    require_officer(caller)
    db = uow.session
    request = _request(db, request_id)
    # The schedule (which reads the documents) is built before the request's row is claimed, so its
    # row lock is held for the write only.
    mention = next((m for m in _schedule(uow, request) if m.key == given.key), None)
    _changing(db, request, given.revision)
    if mention is None:
        raise InvalidInput("key is not a mention on this request's redaction schedule", "key")
    _withhold_mention(db, caller, request, mention, given.reason)
    return request


@transaction
def withhold_everywhere(uow: Work, caller: Caller, request_id: int, given: WithholdEverywhere) -> SubjectAccessRequest:
    """Withhold one text (a colleague's name, a child's case ID) in every file of the export in one
    step, with one reason: each of its mentions on the schedule not yet withheld is withheld and
    audited as if HR had withheld it alone (marked `everywhere`), in one unit of work, so the export,
    its check against the schedule and a release work on them as on any other. A mention already
    withheld keeps the reason and decider HR gave it."""
    require_officer(caller)
    db = uow.session
    request = _request(db, request_id)
    mentions = _mentions_of(_schedule(uow, request), given.text)  # read before the row is claimed, as above
    _changing(db, request, given.revision)
    if not mentions:
        raise InvalidInput("text is not on this request's redaction schedule", "text")
    decided = set(_decisions(request))
    new = [mention for mention in mentions if mention.key not in decided]
    if not new:
        raise InvalidInput("text is already withheld in every file it is in", "text")
    for mention in new:
        _withhold_mention(db, caller, request, mention, given.reason, everywhere=True)
    return request


@transaction
def release(uow: Work, caller: Caller, request_id: int, given: ReleaseMention) -> SubjectAccessRequest:
    """Put a withheld mention back into the export."""
    require_officer(caller)
    db = uow.session
    request = _request(db, request_id)
    _changing(db, request, given.revision)
    decided = next((w for w in request.withholdings if w.mention_key == given.key), None)
    if decided is None:
        raise InvalidInput("key is not withheld on this request", "key")
    _release_mention(db, caller, request, decided)
    return request


@transaction
def release_everywhere(uow: Work, caller: Caller, request_id: int, given: ReleaseEverywhere) -> SubjectAccessRequest:
    """Put a text back into every file of the export it was withheld from with one reason, in one
    step (each release audited, marked `everywhere`). Only the withholdings with that reason (the
    page shows each reason with its count): one HR made with another reason, by hand or in another
    step, was decided on its own and stays."""
    require_officer(caller)
    db = uow.session
    request = _request(db, request_id)
    keys = {mention.key for mention in _mentions_of(_schedule(uow, request), given.text)}
    _changing(db, request, given.revision)
    decided = [w for w in request.withholdings if w.mention_key in keys and w.reason == given.reason]
    if not decided:
        raise InvalidInput("text is not withheld with that reason in any file of this request", "text")
    for withholding in decided:
        _release_mention(db, caller, request, withholding, everywhere=True)
    return request


@dataclass(frozen=True)
class Export:
    """A request's export as built: whose and for which request (read before it was built: the
    reading transaction is over), the file name to offer, the zip, its manifest and the withholdings
    it was built with."""

    person_name: str
    received_on: dt.date
    deadline: dt.date
    filename: str
    data: bytes
    manifest: dict[str, Any]
    withheld: dict[str, str]


def _filename(request: SubjectAccessRequest, on: dt.date) -> str:
    return f"subject-access-{request.person_id}-{request.id}-{on:%Y%m%d}.zip"


def _build(uow: Work, request: SubjectAccessRequest, reviewed: list[str] | None = None) -> Export:
    """The export of a request as its withholdings stand: the worker's and the command line's one
    way to make it; refused if its schedule has a mention not among `reviewed` (those HR reviewed,
    when known: an export asked for before they were kept has none). Read in the caller's
    transaction, which is ended before the conversions (rolled back: `export_zip` only reads), so a
    SQLite write lock is not held while LibreOffice works."""
    withheld, filename, deadline = _decisions(request), _filename(request, clock.today()), deadline_of(request)
    person, received_on = request.person, request.received_on
    whose = person.name
    data, manifest = export_zip(uow.session, uow.store, person, withheld=withheld, received_on=received_on,
                                deadline=deadline, converter=uow.deployment.converter(), read=uow.rollback,
                                reviewed=reviewed)
    return Export(whose, received_on, deadline, filename, data, manifest, withheld)


@transaction
def ask_export(uow: Work, caller: Caller, request_id: int) -> SubjectAccessRequest:
    """HR asks for the export: refused now (409) if a withholding is no longer on the schedule,
    otherwise recorded as asked, with the schedule's mentions as HR reviewed them (a filed one it
    replaces is destroyed after the commit), and audited; the worker builds and files it after the
    commit (`make_export`), unless its schedule then has a mention beyond those."""
    require_officer(caller)
    db = uow.session
    request = _request(db, request_id)
    schedule = _schedule(uow, request)
    check_reviewed(schedule, _decisions(request))
    export = _export_of(db, request.id, lock=True) or _new_export(db, request)
    subject_access_exports.forget(db, uow.store, export)
    export.asked_at, export.asked_by_id, export.problem = clock.now(), caller.person.id, ""
    export.reviewed_mentions = [mention.key for mention in schedule]
    _audit(db, caller, request, "export_asked", withheld=sorted(_decisions(request)))
    uow.on_commit(uow.deployment.enqueue, EXPORT_TASK, request.id)
    return request


def _new_export(db: Session, request: SubjectAccessRequest) -> SubjectAccessExport:
    """The request's export row, made once: the unique request_id is the claim, so of two officers
    asking at once, one makes it and the other takes it."""
    try:
        with db.begin_nested():
            export = SubjectAccessExport(request_id=request.id)
            db.add(export)
        return export
    except IntegrityError:
        return db.scalars(select(SubjectAccessExport).where(SubjectAccessExport.request_id == request.id)
                          .with_for_update()).one()


def _still_asked(export: SubjectAccessExport | None, asked_at: dt.datetime) -> TypeGuard[SubjectAccessExport]:
    """The export asked for at `asked_at` is still the one wanted, and not yet filed or refused."""
    return (export is not None and export.asked_at == asked_at and export.storage_key is None
            and not export.problem)


def make_export(uow: Work, request_id: int) -> None:
    """The worker's step: build the export asked for and file it in the document store, recording
    its key, SHA-256 and the withholdings it was built with, audited in the name of the officer who
    asked. One that cannot be made as things stand (a withholding off the schedule, a mention HR
    did not review, a redacted copy
    still readable, a damaged sealed PDF, LibreOffice failing on a redacted copy) is recorded with
    why, for HR to see and ask again. Safe to run twice: nothing is done once it is filed, refused,
    destroyed, or asked for again since (the newer task files that)."""
    db = uow.session
    export = _export_of(db, request_id)
    if export is None or export.storage_key is not None or export.problem:
        uow.rollback()
        return
    asked_at, reviewed, request = export.asked_at, export.reviewed_mentions, _request(db, request_id)
    try:
        made = _build(uow, request, reviewed)
    except (Conflict, RedactionFailed, DamagedDocument, ConversionError) as exc:
        if isinstance(exc, ConversionError):
            log.error("subject access export of request %s: LibreOffice failed: %s", request_id, exc)
        problem = exc.message if isinstance(exc, DomainError) else CONVERSION_FAILED
        with uow:
            export = _export_of(db, request_id, lock=True)
            if _still_asked(export, asked_at):
                export.problem = problem
                _audit_as(db, export.asked_by_id, "", request, "export_failed", problem=problem)
        return
    with uow:
        export = _export_of(db, request_id, lock=True)
        if not _still_asked(export, asked_at):
            return
        filed = subject_access_exports.file_export(db, uow.store, request, made.data)
        export.storage_key, export.sha256, export.size = filed.key, filed.sha256, filed.size
        export.filed_at, export.withheld = clock.now(), _digest(made.withheld)
        _audit_as(db, export.asked_by_id, "", request, "exported", basis="page", sha256=filed.sha256,
                  size=filed.size, withheld=sorted(made.withheld))


def unfiled_exports(uow: Work) -> list[int]:
    """The requests whose export was asked for more than `EXPORT_LOST_AFTER` ago, but less than
    `EXPORT_SWEPT_FOR`, and is neither filed nor refused: its task was lost (the sweep asks the worker
    again). One asked for longer ago is left: a task that keeps dying is not tried for ever, and the
    page has offered HR to prepare it again since `EXPORT_LOST_AFTER`."""
    now = clock.now()
    return list(uow.session.scalars(select(SubjectAccessExport.request_id).where(
        SubjectAccessExport.storage_key.is_(None), SubjectAccessExport.problem == "",
        SubjectAccessExport.asked_at < now - EXPORT_LOST_AFTER, SubjectAccessExport.asked_at >= now - EXPORT_SWEPT_FOR)
        .order_by(SubjectAccessExport.id)))


@dataclass(frozen=True)
class Download:
    """A filed export, checked, with the file name to offer."""

    filename: str
    data: bytes


@transaction
def download_export(uow: Work, caller: Caller, request_id: int) -> Download:
    """The filed export, served only once its bytes match the SHA-256 recorded when it was filed
    (`DamagedDocument` otherwise) and only while no withholding has changed since it was built;
    audited with its SHA-256."""
    require_officer(caller)
    db = uow.session
    request = _request(db, request_id)
    state = export_state(db, request)
    if state.status == STALE:
        raise Conflict("a withholding has changed since this export was prepared: prepare it again", "export")
    if state.status != READY or state.row is None or state.row.filed_at is None:
        raise Conflict("there is no export ready to download: prepare it first", "export")
    data = subject_access_exports.read_export(uow.store, state.row)
    _audit(db, caller, request, "export_downloaded", sha256=state.row.sha256, size=state.row.size)
    return Download(_filename(request, state.row.filed_at.date()), data)


@transaction
def export_by_operator(uow: Work, email: str) -> Export:
    """The operator at the server's command line exports a person's open request (`docgen sar
    export`), built in this process as the worker builds it: nothing new is recorded but the audit
    of the export."""
    person = people.person_by_email(uow.session, email)
    request = _open_request(uow.session, person.id)
    if request is None:
        raise Conflict(f"no open subject access request for {email}; record one first", "person")
    made = _build(uow, request)
    _audit(uow.session, access.SYSTEM, request, "exported", basis="cli", sha256=hashlib.sha256(made.data).hexdigest(),
           size=len(made.data), withheld=sorted(made.withheld))
    return made


@transaction
def close(uow: Work, caller: Caller, request_id: int, given: CloseRequest) -> SubjectAccessRequest:
    """Close the request with the day it was answered (not before it was received, nor ahead)."""
    require_officer(caller)
    request = _request(uow.session, request_id)
    _changing(uow.session, request, given.revision)
    if not request.received_on <= given.answered_on <= clock.today():
        raise InvalidInput(f"answered_on must be between {request.received_on:%-d %B %Y}, when the request was "
                           "received, and today", "answered_on")
    request.answered_on = given.answered_on
    _audit(uow.session, caller, request, "closed", answered_on=given.answered_on.isoformat(),
           deadline=deadline_of(request).isoformat(), on_time=given.answered_on <= deadline_of(request))
    return request


@transaction
def withdraw(uow: Work, caller: Caller, request_id: int, given: WithdrawRequest) -> SubjectAccessRequest:
    """Close the request unanswered, because the person withdrew it or it was recorded in error, with
    the reason (audited); it then no longer counts as open, answered or late."""
    require_officer(caller)
    request = _request(uow.session, request_id)
    _changing(uow.session, request, given.revision)
    request.withdrawn_on, request.withdrawal_reason = clock.today(), given.reason
    _audit(uow.session, caller, request, "withdrawn", reason=given.reason)
    return request
