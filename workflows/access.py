"""Who may read or change a person's records and agreements, and on what basis.

The rules (K, W §10, H §11, S 12.4): the supervisee reads their own; the current supervisor reads
and edits their supervisees' (a previous supervisor loses access unless still in the line chain);
line managers up the chain read for monitoring; HR reads once records are forwarded to HR (and the
supervisor and line managers lose them then); an auditor reads with a stated reason; a senior
manager may break glass with a written reason, and the supervisee is told. An administrator
manages people, not document content. Every granted read is written to the audit log by the
caller with the basis returned here.

This is the one home of "may X do Y": reading and editing documents (`read`, `write`, audited),
overseeing and arranging supervision (`visible`, `report_scope`, `may_arrange`), reading who is
who (`directory_scope`), the granted role sets, and the reasons auditors and senior managers give.
Use cases call these; edges never decide.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from storage import audit
from kernel.errors import Conflict, Forbidden, NotFound, Unauthenticated
from storage.models import Account, ConsentRequest, DisagreementEscalation, Person, PlannedSession
from storage.models import Agreement, GroupAttendance, GroupMember, GroupSession, Record, SupervisionGroup
from storage.models import SupervisionRelationship
from storage.uow import UnitOfWork
from workflows import events, group_records, people

READ_BASES = ("supervisee", "supervisor", "line_manager", "hr", "consent", "auditor", "break_glass", "group_lead", "attendee")
GRANTED_ROLES = ("hr", "auditor", "admin", "senior_manager")
SEE_ALL = frozenset({"hr", "admin", "auditor", "senior_manager"})  # everyone's schedule, not content
ARRANGE_ANY = frozenset({"hr", "admin"})
PEOPLE_MANAGERS = frozenset({"admin", "hr"})  # people, who supervises whom, movers, leavers, legal holds
ADMINISTRATORS = frozenset({"admin"})  # teams, sign-ins and the administration pages
HR = frozenset({"hr"})  # the leavers page, and a leaver's file exported for the employee's file (S 12.4)
REASON_ROLES = {"auditor": "auditor", "senior_manager": "break_glass"}  # asked in this order
BREAK_GLASS_SUBJECT = "Your supervision records were read under break-glass access"


@dataclass(frozen=True)
class Caller:
    """Who is asking and from where: the account (None for a link holder or the system), the
    address and browser kept on sign-off events and audit entries, and any stated reason."""

    account: Account | None = None
    ip: str = ""
    user_agent: str = ""
    reason: str = ""

    @property
    def person(self) -> Person:
        """The signed-in person; Unauthenticated when nobody is signed in."""
        if self.account is None:
            raise Unauthenticated("sign in first")
        return self.account.person

    @property
    def person_id(self) -> int | None:
        return self.account.person_id if self.account else None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.account.roles or []) if self.account else frozenset()


SYSTEM = Caller()  # scheduled work: no person, no address


@dataclass(frozen=True)
class Access:
    basis: str
    reason: str = ""

    @property
    def notify_supervisee(self) -> bool:
        return self.basis == "break_glass"


def _is_current_supervisor(db: Session, person_id: int, supervisee: Person) -> bool:
    """Supervisor today; for a leaver, the supervisor on their last day, until HR takes over (S 12.4)."""
    on = clock.today()
    if supervisee.leave_date is not None and supervisee.leave_date < on:
        on = supervisee.leave_date
    supervisor = people.current_supervisor(db, supervisee.id, on)
    return supervisor is not None and supervisor.id == person_id


def no_such_document() -> NotFound:
    """The one answer for a document the caller may not see, whether it exists or not (the same
    status, message and field), so an outsider cannot tell which ids exist."""
    return NotFound("no such document", "id")


def read_access(db: Session, account: Account, supervisee: Person, reason: str = "", *,
                break_glass: bool) -> Access:
    """The basis on which the account may read this person's documents, or an error.

    Someone with no basis at all gets NotFound, so ids cannot be probed; an auditor or senior
    manager without a reason gets Forbidden naming the `reason` field. A senior manager reads
    outside the line only where the profile allows break-glass (`Profile.break_glass`: W §10 "senior
    managers at Director level may need access to supervision records on a need to know basis").
    """
    me = account.person_id
    roles = set(account.roles or [])
    reason = (reason or "").strip()
    forwarded = supervisee.forwarded_to_hr_on is not None
    if me == supervisee.id:
        return Access("supervisee")
    if not forwarded and _is_current_supervisor(db, me, supervisee):
        return Access("supervisor")
    if not forwarded and any(m.id == me for m in people.management_chain(db, supervisee)):
        return Access("line_manager")
    if "hr" in roles and forwarded:
        return Access("hr")
    consented = None if forwarded else _consented(db, me, supervisee)
    if consented is not None:
        return consented
    for role, basis in REASON_ROLES.items():
        if role in roles and (basis != "break_glass" or break_glass):
            if not reason:
                raise Forbidden(f"a {role.replace('_', ' ')} must give a reason to read these records", "reason")
            return Access(basis, reason)
    raise no_such_document()


def edit_access(db: Session, account: Account, supervisee: Person, *, break_glass: bool) -> None:
    """Only the supervisee's current supervisor writes their records and agreements. (`break_glass`:
    the profile's, so that whoever may not read is told the document does not exist.)"""
    if supervisee.forwarded_to_hr_on is not None or supervisee.records_frozen_on is not None:
        try:
            read_access(db, account, supervisee, break_glass=break_glass)  # strangers get NotFound even for frozen records
        except Forbidden:
            pass
        raise Forbidden(f"{supervisee.name}'s records are frozen", "supervisee_id")
    if not _is_current_supervisor(db, account.person_id, supervisee):
        try:
            read_access(db, account, supervisee, break_glass=break_glass)  # strangers get NotFound: ids cannot be probed
        except Forbidden:
            pass
        raise Forbidden("only the supervisee's current supervisor can change this", "supervisee_id")


def require_role(caller: Caller, roles: frozenset[str]) -> None:
    """Refuse a caller holding none of these granted roles (Unauthenticated if nobody signed in)."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    if not roles & caller.roles:
        raise Forbidden(f"needs one of these roles: {', '.join(sorted(roles))}")


def hr_staff(db: Session) -> list[Person]:
    """Whoever holds the HR role on an active account, in the order the accounts were made: told
    when a leaver's records pass to them and when a disagreement is passed to them (W §17)."""
    accounts = db.scalars(select(Account).where(Account.active.is_(True)).order_by(Account.id))
    return [account.person for account in accounts if HR & set(account.roles or [])]


def token_holder(caller: Caller, owner_account_id: int) -> None:
    """A personal API token is revoked by its owner or by an administrator (issue 15); anyone else
    is told there is no such token, so token ids cannot be probed."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    if caller.account.id != owner_account_id and not ADMINISTRATORS & caller.roles:
        raise NotFound("no such token", "token_id")


# --- sign-off's steps and single-use links ---


def writer_id(document: Record | Agreement) -> int:
    """Who writes a document and sends it for sign-off: its supervisor; a group record's recorder,
    held as its `supervisee` (W §8: Practice Co-ordinators record, Advanced Practitioners sign off)."""
    if isinstance(document, Record) and document.group_session_id is not None:
        return document.supervisee_id
    return document.supervisor_id


def require_writer(person: Person, document: Record | Agreement, doing: str) -> None:
    """Only the document's writer (`writer_id`) sends it, re-sends its link and revises it."""
    if person.id != writer_id(document):
        raise Forbidden(f"only the supervisor who wrote it can {doing}", "supervisor_id")


def require_countersigner(person: Person, document: Record | Agreement) -> None:
    """Only the document's supervisor (a group record's signer) countersigns it while signed in."""
    if person.id != document.supervisor_id:
        raise Forbidden("only the record's supervisor can countersign", "supervisor_id")


def require_link_holder(caller: Caller, sent_to_id: int) -> None:
    """A single-use link is the credential of the person it was e-mailed to: a caller signed in as
    anyone else (an API bearer token) may not use it."""
    if caller.account is not None and caller.person_id != sent_to_id:
        raise Forbidden("this link was sent to someone else", "token")


# --- the HR bundle ---


def export_basis(db: Session, account: Account, person: Person, reason: str = "", *, break_glass: bool) -> str:
    """HR exports a person's file once it is forwarded, or for a leaver or a transfer underway (S 12.4).

    Anyone else gets what `read_access` would give them (NotFound for a stranger, so ids cannot be
    probed) or, if they may read the records, Forbidden: the bundle is HR's.
    """
    hr, today = bool(HR & set(account.roles or [])), clock.today()
    if hr and (person.forwarded_to_hr_on is not None or people.has_left(person, today)
               or people.transfer_underway(db, person, today)):
        return "hr"
    if hr and person.leave_date is not None:
        raise Conflict(f"{person.name}'s records have not been forwarded to HR yet. From their leaving date, "
                       f"{person.leave_date:%-d %B %Y}, you can forward them early.", "id")
    read_access(db, account, person, reason, break_glass=break_glass)
    raise Forbidden("only HR exports a person's supervision file, once it is forwarded or for a leaver or a "
                    "transfer", "id")


def breaks_glass(caller: Caller) -> bool:
    """Whether a reason this caller gives opens records by break-glass (a senior manager who is
    not also an auditor: `read_access` asks an auditor's reason first)."""
    return "auditor" not in caller.roles


def read(uow: UnitOfWork, caller: Caller, supervisee: Person, object_type: str, object_id: int | str,
         action: str, detail: Mapping[str, str] | None = None) -> Access:
    """Allow or refuse a read of a person's documents. A granted read is audited and committed at
    once (the entry stands even if the rest of the request fails); on break-glass the supervisee
    is told. `detail` says more of the read beside its basis (how it was shown: `{"as": "csv"}`, as
    the supervision log's reads say it), so one action names one kind of read however it is shown."""
    db, break_glass = uow.session, uow.deployment.profile.break_glass
    if caller.account is None:
        raise Unauthenticated("sign in first")
    group_record = _group_record(db, object_type, object_id)
    if group_record is not None:  # issue 14: its attendees, and the rules of its facilitator's records
        granted = group_read_access(db, caller.account, group_record, caller.reason, break_glass=break_glass)
        supervisee = group_record_group(db, group_record).facilitator
    else:
        granted = read_access(db, caller.account, supervisee, caller.reason, break_glass=break_glass)
    entry = audit.record(db, action, actor_id=caller.person_id, object_type=object_type, object_id=object_id,
                         reason=granted.reason, ip=caller.ip, detail={**(detail or {}), "basis": granted.basis})
    if granted.notify_supervisee:  # told by `workflows.notices_access`, once per reader and reason an hour
        uow.record(events.ReadUnderBreakGlass(supervisee.id, caller.person.id, entry.id))
    uow.commit()
    return granted


def write(uow: UnitOfWork, caller: Caller, supervisee: Person, object_type: str, object_id: int | str,
          action: str) -> None:
    """Allow only the current supervisor; the change is audited in the caller's transaction."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    group_record = _group_record(uow.session, object_type, object_id)
    break_glass = uow.deployment.profile.break_glass
    if group_record is not None:
        group_edit_access(uow.session, caller.account, group_record, break_glass=break_glass)
    else:
        edit_access(uow.session, caller.account, supervisee, break_glass=break_glass)
    audit.record(uow.session, action, actor_id=caller.person_id, object_type=object_type, object_id=object_id,
                 ip=caller.ip)


def visible(db: Session, caller: Caller, *, self_included: bool = False) -> frozenset[int] | None:
    """The supervisees whose schedule the caller may see (and the caller, for their own due list),
    or None for everyone. Supervisors and line managers see the people below them in the chain.
    The compliance report, the supervision log, group attendance and the people pickers read this
    scope too, so it stays `people.overseen_by`: a line manager's view of a supervisor's other
    people is `supervised_by_someone_managed`, for the due list narrowed to that supervisor."""
    if SEE_ALL & caller.roles:
        return None
    overseen = people.overseen_by(db, caller.person_id, clock.today())
    return overseen | {caller.person_id} if self_included else overseen


def directory_scope(db: Session, caller: Caller) -> frozenset[int] | None:
    """Whose directory entry (name, e-mail, role, line manager) and supervision relationships the
    caller may read, or None for everyone: the caller and those whose schedule they see (`visible`),
    that is the people they supervise now and everyone below them in the line; HR, administrators,
    auditors and senior managers everyone. Anyone else is told there is no such person (404, as
    for a document), so a colleague cannot list the staff or probe ids."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    return visible(db, caller, self_included=True)


def supervised_by_someone_managed(db: Session, caller: Caller, supervisor_id: int) -> frozenset[int]:
    """The people `supervisor_id` supervises today, when that supervisor is below the caller in the
    management chain; nobody otherwise. The overdue record e-mail asks a supervisor's line manager
    to follow it up with them (issue 27), and the supervisor may supervise someone from another
    team: the due list narrowed to that supervisor shows the line manager those people's dates and
    where sign-off stands, never a record's content (reading that stays `read_access`'s) and
    nothing of them elsewhere (`visible`). One recursive query."""
    if caller.person_id is None:
        return frozenset()
    rel = SupervisionRelationship
    return frozenset(db.scalars(select(rel.supervisee_id).where(
        rel.supervisor_id == supervisor_id, rel.supervisor_id.in_(people.line_below(caller.person_id)),
        rel.covering(clock.today()))))


def report_scope(db: Session, caller: Caller) -> frozenset[int] | None:
    """The supervisees whose compliance the caller may see (None: everyone); Forbidden for nobody."""
    scope = visible(db, caller)
    if scope is not None and not scope:
        raise Forbidden("compliance reports are for supervisors, line managers, hr, auditors and senior managers")
    return scope


def may_arrange(db: Session, caller: Caller, supervisee_id: int, supervisor_id: int) -> bool:
    """Planning a session: its supervisor or supervisee, someone overseeing the supervisee, hr or admin."""
    return supervisee_id in arrangeable(db, caller, {supervisee_id: supervisor_id})


def arrangeable(db: Session, caller: Caller, supervisors: dict[int, int | None]) -> frozenset[int]:
    """`may_arrange` for many supervisees at once (supervisee id -> current supervisor id, if any):
    those whose supervision the caller may arrange, with at most one query for who the caller
    oversees (a bulk start of records for a team or service asks for hundreds)."""
    if ARRANGE_ANY & caller.roles:
        return frozenset(supervisors)
    me = caller.person_id
    direct = {s for s, boss in supervisors.items() if me is not None and me in (s, boss)}
    rest = set(supervisors) - direct
    if rest and me is not None:
        direct |= rest & people.overseen_by(db, me, clock.today())
    return frozenset(direct)


def session_for(db: Session, caller: Caller, session: PlannedSession, *, read: bool = False) -> PlannedSession:
    """The planned session, or NotFound when the caller may not see it (its existence is not revealed)."""
    if read and SEE_ALL & caller.roles:
        return session
    if not may_arrange(db, caller, session.supervisee_id, session.supervisor_id):
        raise NotFound(f"no planned session with id {session.id}", "id")
    return session


def audit_session(db: Session, caller: Caller, action: str, session: PlannedSession) -> None:
    """Audit a change to a planned session in the caller's transaction."""
    audit.record(db, action, actor_id=caller.person_id, object_type="planned_session",
                 object_id=session.id, ip=caller.ip)


# --- group supervision (issue 14) ---
GROUP_ORGANISERS = frozenset({"admin", "hr"})  # set up any group; a manager sets up groups in their line


def _group_record(db: Session, object_type: str, object_id: int | str) -> Record | None:
    """The record read or written, when it is a group session's record (its own rules apply)."""
    if object_type != "record":
        return None
    record = db.get(Record, int(object_id))
    return record if record is not None and record.group_session_id is not None else None


def group_record_group(db: Session, record: Record) -> SupervisionGroup:
    return db.get(GroupSession, record.group_session_id).group


def attended(db: Session, person_id: int | None, session_id: int) -> bool:
    """Whether the person was marked present at the session (apologies and absence are not)."""
    return person_id is not None and db.scalar(select(GroupAttendance.id).where(
        GroupAttendance.session_id == session_id, GroupAttendance.person_id == person_id,
        GroupAttendance.attendance == "present")) is not None


def group_read_access(db: Session, account: Account, record: Record, reason: str = "", *,
                      break_glass: bool) -> Access:
    """Who reads a group session's record: its facilitator, recorder and signer; each member who
    was present at that session (not one who sent apologies or was absent, nor a member who joined
    later); beyond them only the usual management and HR rules, applied as to the facilitator's
    own records and to the file of each person it belongs to (`group_records.holders`: the record
    is in every attendee's file, issue 23): their line managers, HR once forwarded, an auditor or a
    senior manager with a reason. Anyone else gets NotFound, so ids cannot be probed."""
    me = account.person_id
    group = group_record_group(db, record)
    if me in (record.supervisee_id, record.supervisor_id, group.facilitator_id):
        return Access("group_lead")
    if attended(db, me, record.group_session_id):
        return Access("attendee")
    refused: NotFound | Forbidden = no_such_document()
    for holder in (group.facilitator, *group_records.holders(db, record)):
        try:
            return read_access(db, account, holder, reason, break_glass=break_glass)
        except NotFound:
            continue
        except Forbidden as exc:  # a reason is missing: say so, rather than that nothing exists
            refused = exc
    raise refused


def group_edit_access(db: Session, account: Account, record: Record, *, break_glass: bool) -> None:
    """A group record is written by its recorder and signed off by its signer (W §8); nobody else
    changes it, and a stranger is told it does not exist."""
    if account.person_id in (record.supervisee_id, record.supervisor_id):
        return
    try:
        group_read_access(db, account, record, break_glass=break_glass)
    except Forbidden:
        pass
    raise Forbidden("only the group's recorder or signer can change its record", "recorder_id")


def may_organise_group(db: Session, caller: Caller, facilitator: Person) -> None:
    """Setting up a group and its members: hr or admin for any, otherwise the facilitator's line
    manager or the facilitator themself."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    if GROUP_ORGANISERS & caller.roles or caller.person_id == facilitator.id:
        return
    if any(m.id == caller.person_id for m in people.management_chain(db, facilitator)):
        return
    raise Forbidden("a group is set up by its facilitator, their line manager, hr or admin", "facilitator_id")


def group_for(db: Session, caller: Caller, group: SupervisionGroup, *, manage: bool = False) -> SupervisionGroup:
    """A group, for those who run it (facilitator, recorder, signer, organisers) and, to read, its
    members and everyone who sees all schedules; NotFound for anyone else."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    me = caller.person_id
    runs = me in (group.facilitator_id, group.recorder_id, group.signer_id)
    try:
        may_organise_group(db, caller, group.facilitator)
        organises = True
    except Forbidden:
        organises = False
    if runs or organises:
        return group
    member = db.scalar(select(GroupMember.id).where(GroupMember.group_id == group.id,
                                                    GroupMember.person_id == me)) is not None
    if not manage and (member or SEE_ALL & caller.roles):
        return group
    if member:
        raise Forbidden("only those who run the group can change it", "group_id")
    raise NotFound("no such group", "id")


def manages_group(db: Session, caller: Caller, group: SupervisionGroup) -> bool:
    """Whether the caller may change a group they may read (its page offers the changes then)."""
    try:
        group_for(db, caller, group, manage=True)
    except (Forbidden, NotFound):
        return False
    return True


def group_recorder(caller: Caller, group: SupervisionGroup) -> Person:
    """The one who writes a group session's record, if it is the caller: the group's recorder, else
    its facilitator (W §8: Practice Co-ordinators record); Forbidden for anyone else."""
    recorder = group.recorder or group.facilitator
    if caller.person_id != recorder.id:
        raise Forbidden(f"the group's record is written by {recorder.name}", "recorder_id")
    return recorder


def audit_group(db: Session, caller: Caller, action: str, object_type: str, object_id: int) -> None:
    """Audit a change to a group, its members, sessions or attendance in the caller's transaction."""
    audit.record(db, action, actor_id=caller.person_id, object_type=object_type, object_id=object_id, ip=caller.ip)


# --- disagreement route, quality audits, consent (issue 14) ---
QUALITY_AUDITORS = frozenset({"auditor"})  # any team's records; a manager audits the line below them


def _consented(db: Session, reader_id: int, supervisee: Person) -> Access | None:
    """A reader outside the line whom the supervisee let read (W §10 "where the supervisee
    agrees"; H §11), or whose manager's override of a refusal stands (H §11): the override reads
    as break-glass, so every read is audited with its reason and the supervisee is told."""
    now = clock.now()
    row = db.scalar(select(ConsentRequest).where(
        ConsentRequest.reader_id == reader_id, ConsentRequest.supervisee_id == supervisee.id,
        ConsentRequest.access_until > now).order_by(ConsentRequest.access_until.desc()).limit(1))
    if row is None:
        return None
    if row.overridden_at is not None:
        return Access("break_glass", row.override_reason)
    return Access("consent", row.reason)


def _is_manager(db: Session, caller: Caller) -> bool:
    return "senior_manager" in caller.roles or bool(people.overseen_by(db, caller.person_id, clock.today()))


def may_ask_consent(db: Session, caller: Caller, supervisee: Person, outside_line: bool, *,
                    break_glass: bool) -> None:
    """A manager with no standing right to a person's records may ask them for consent, where the
    profile reads W §10 / H §11 so (`outside_line`); anyone who can read already needs none."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    if not outside_line:
        raise Forbidden("this council's policy gives no reading by consent outside the line", "supervisee_id")
    if not _is_manager(db, caller):
        raise Forbidden("only a manager may ask to read someone's supervision records", "supervisee_id")
    if supervisee.id == caller.person_id or supervisee.forwarded_to_hr_on is not None:
        raise Forbidden("consent is not asked for these records", "supervisee_id")
    try:
        read_access(db, caller.account, supervisee, break_glass=break_glass)
    except (NotFound, Forbidden):
        return
    raise Conflict("you can already read these records; no consent is needed", "supervisee_id")


def decides_override(db: Session, person_id: int | None, supervisee: Person) -> bool:
    """Whether this person decides on overriding the supervisee's refusal (H §11: "where consent is
    not given to share staffing records the manager must make a professional judgement about the
    need to override consent"). The manager is the one who keeps the supervisee's file: individual
    supervision "is provided by the worker's line manager" (H §7) and is "retained in a file by
    the manager" (H §10), that is the supervisee's current supervisor. The manager who asked and
    was refused is never that person (`may_ask_consent` turns away anyone who can already read)."""
    return person_id is not None and _is_current_supervisor(db, person_id, supervisee)


def consent_override_for(db: Session, caller: Caller, request_id: int, manager_override: bool) -> ConsentRequest:
    """A consent request whose refusal the caller may override: the supervisee's own manager
    (`decides_override`), where the profile allows an override. The manager who asked is told
    that it is not theirs to override; anyone else gets NotFound (ids cannot be probed)."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    row = db.get(ConsentRequest, request_id)
    asked = row is not None and row.reader_id == caller.person_id
    if row is None or not (asked or decides_override(db, caller.person_id, row.supervisee)):
        raise NotFound("no such consent request", "id")
    if not manager_override:
        raise Forbidden("this council's policy gives no override of a refused consent", "reason")
    if asked:
        raise Forbidden(f"{row.supervisee.name}'s own manager decides whether to override their refusal, not the "
                        "manager who asked", "id")
    return row


def disagreement_basis(db: Session, caller: Caller, row: DisagreementEscalation) -> str | None:
    """On what basis the caller reads a disagreement taken to a line manager, or None for no basis.

    "disagreement_line_manager": the line manager it was taken to, the supervisor's (S §9 "their
    supervisor's manager", W §17, H §13), who may be outside the supervisee's own line when the
    supervisor supervises someone from another team. They read the disagreement on the basis of
    the route, not of the line: the document itself stays `read_access`'s. Like the line, they lose
    it once the supervisee's records are forwarded to HR (S 12.4).
    "hr_referral": HR, once that line manager passed it to them (W §17: "HR would need to be
    consulted"), who read the route, not the document (`workflows.disagreements`)."""
    if caller.account is None:
        return None
    if row.line_manager_id is not None and row.line_manager_id == caller.person_id:
        document = (db.get_one(Record, row.record_id) if row.record_id is not None
                    else db.get_one(Agreement, row.agreement_id))
        if document.supervisee.forwarded_to_hr_on is None:
            return "disagreement_line_manager"
    if HR & caller.roles and row.outcome == "hr":
        return "hr_referral"
    return None


def disagreement_for(db: Session, caller: Caller, escalation_id: int) -> tuple[DisagreementEscalation, str]:
    """A disagreement taken to a line manager and the caller's `disagreement_basis` to read it;
    NotFound for anyone with none, so ids cannot be probed."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    row = db.get(DisagreementEscalation, escalation_id)
    basis = disagreement_basis(db, caller, row) if row is not None else None
    if row is None or basis is None:
        raise NotFound("no such disagreement", "id")
    return row, basis


def quality_audit_scope(db: Session, caller: Caller) -> frozenset[int] | None:
    """The supervisees whose signed records the caller may sample for a quality audit (None: any):
    the auditor role any team's (K §11, H §15's external audit), a manager those below them in the
    line (S §8: service leaders audit their team leaders' files). Forbidden for anyone else."""
    if caller.account is None:
        raise Unauthenticated("sign in first")
    if QUALITY_AUDITORS & caller.roles:
        return None
    below = people.overseen_by(db, caller.person_id, clock.today())
    if not below:
        raise Forbidden("quality audits are for auditors and managers")
    return below
