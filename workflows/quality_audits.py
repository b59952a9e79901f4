"""Quality audits of supervision records: a reproducible sample, a short audit form, a report.

K §11: records "may be audited"; senior leaders "review effectiveness through dip sampling".
S §8: service leaders "audit at least 1 supervision file for each of the team leaders for which
they have responsibility at least annually". H §12: "monthly and planned thematic audits", team
managers "comment on the quality of supervision records on each case sampled"; H §15: records
"monitored and audited once a year", but "Individual supervision (none case related) will not be
audited" (H §12). L §5.11: files available to inspectors. The profile's `quality_audit` holds how
many records per supervisor, the period an audit covers and which kinds of record it draws from
(one-to-one, group).

The sample is drawn per supervisor from a team's signed records in the period, with Python's
seeded generator over the record ids in order: the seed is recorded, so the same team, period,
size and seed draw the same records again (`sample`), and an auditor can show how it was drawn.
The audit form's criteria come from the policies; docgen pre-fills what it can compute (signed
within the deadline, an agreement current on the day, actions with an owner and a due date) and
the auditor judges the rest. Reading a sampled record is an audited read with the audit as the
stated reason (`workflows.access`).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import secrets
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from storage import audit
from kernel.errors import Conflict, InvalidInput, NotFound
from storage.models import Account, Action, Agreement, Person, QualityAudit, QualityAuditItem, Record, Team
from workflows import access, people, periods, records, signoff
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work

# criterion -> the question on the audit form (K App B, K's text before App A, S 12.3, K §9)
CRITERIA = {
    "actions_specific": "Actions are specific, with an owner and a due date",
    "reflection": "Reflection is present",
    "decisions": "Decisions and their rationale are recorded",
    "signed_in_time": "Signed within the deadline",
    "agreement_current": "A supervision agreement was current",
}
COMPUTED = ("signed_in_time", "agreement_current")  # facts docgen knows ("n/a": no deadline); not the auditor's
JUDGED = ("actions_specific", "reflection", "decisions")  # pre-filled where docgen can, judged by the auditor
MARKS = ("yes", "no")


def number(quality_audit: QualityAudit) -> str:
    return f"QA-{quality_audit.id:06d}"


def _reason(quality_audit: QualityAudit) -> str:
    return f"Quality audit {number(quality_audit)} (sampled record)"


def sample(db: Session, team_id: int, start: dt.date, end: dt.date, seed: int, per_supervisor: int,
           scope: frozenset[int] | None, auditor_id: int | None,
           draws_from: Collection[str] = ("individual", "group")) -> dict[int, list[int]]:
    """The records drawn: supervisor id -> record ids, `per_supervisor` each (fewer if they have
    fewer), from the team's records signed for sessions in [start, end], of the kinds the profile
    audits (`draws_from`: H §12 audits no "Individual supervision (none case related)"). The same
    arguments give the same sample. An auditor's own supervision is never in their sample."""
    query = (select(Record.supervisor_id, Record.id).join(Person, Person.id == Record.supervisee_id)
             .where(Person.team_id == team_id, Record.status == signoff.SIGNED,
                    Record.session_date >= start, Record.session_date <= end))
    if "individual" not in draws_from:
        query = query.where(Record.group_session_id.is_not(None))
    if "group" not in draws_from:
        query = query.where(Record.group_session_id.is_(None))
    if scope is not None:
        query = query.where(Record.supervisee_id.in_(scope))
    if auditor_id is not None:
        query = query.where(Record.supervisor_id != auditor_id)
    by_supervisor: dict[int, list[int]] = defaultdict(list)
    for supervisor_id, record_id in db.execute(query):
        by_supervisor[supervisor_id].append(record_id)
    rng = random.Random(seed)
    return {sid: sorted(rng.sample(sorted(ids), min(per_supervisor, len(ids)))) for sid, ids in sorted(by_supervisor.items())}


def _prefill(db: Session, record: Record) -> dict[str, str]:
    """What docgen can tell of a signed record: signed by its due date (UK day; "n/a" where the policy
    sets no deadline), a signed agreement between the two covering the session day ("n/a" for a
    group session's record), and every action
    raised in it with an owner and a due date (left to the auditor when it raised none)."""
    signed_on = clock.uk(record.signed_at).date() if record.signed_at else None
    agreement = db.scalar(select(Agreement.id).where(
        Agreement.supervisee_id == record.supervisee_id, Agreement.supervisor_id == record.supervisor_id,
        Agreement.status == signoff.SIGNED, Agreement.started_on <= record.session_date,
        Agreement.review_date >= record.session_date).limit(1))
    raised = list(db.scalars(select(Action).where(Action.raised_in_record_id == record.id)))
    in_time = ("n/a" if record.due_date is None  # W, H and L set no record deadline
               else "yes" if signed_on and signed_on <= record.due_date else "no")
    return {"signed_in_time": in_time,  # a group record has no agreement of its own (an agreement is 1:1)
            "agreement_current": "n/a" if record.group_session_id else "yes" if agreement else "no",
            "actions_specific": "yes" if raised and all(a.owner.strip() and a.due.strip() for a in raised) else "",
            "reflection": "", "decisions": ""}


@transaction
def draw(uow: Work, caller: Caller, team_id: int, start: dt.date | None = None, end: dt.date | None = None,
         seed: int | None = None, per_supervisor: int | None = None) -> AuditReport:
    """Draw and record a sample of a team's signed records for a period (by default the profile's
    period up to today), `per_supervisor` per supervisor (the profile's by default); a fresh seed
    unless one is given to draw a recorded sample again."""
    db, rule = uow.session, uow.deployment.profile.quality_audit
    scope = access.quality_audit_scope(db, caller)
    team = people.get_team(db, team_id)
    end = end or clock.today()
    start = start or end - periods.parse_period(rule.every.text) + dt.timedelta(days=1)
    if start > end:
        raise InvalidInput("the period must start on or before its end", "period_start")
    per = per_supervisor or rule.per_supervisor
    if not 1 <= per <= 50:
        raise InvalidInput("per_supervisor must be between 1 and 50", "per_supervisor")
    seed = secrets.randbelow(2**31) if seed is None else seed
    if not 0 <= seed < 2**31:
        raise InvalidInput(f"seed must be a whole number from 0 to {2**31 - 1}", "seed")
    drawn = sample(db, team.id, start, end, seed, per, scope, caller.person_id, rule.draws_from)
    if not drawn:
        only = "" if len(set(rule.draws_from)) > 1 else {"individual": "one-to-one ", "group": "group "}[
            rule.draws_from[0]]
        raise InvalidInput(f"{team.name} has no signed {only}records for sessions in this period", "period_start")
    row = QualityAudit(team_id=team.id, period_start=start, period_end=end, seed=seed, per_supervisor=per,
                       drawn_by_id=caller.person_id, drawn_at=clock.now())
    db.add(row)
    db.flush()
    for supervisor_id, record_ids in drawn.items():
        for record_id in record_ids:
            db.add(QualityAuditItem(audit_id=row.id, record_id=record_id, supervisor_id=supervisor_id,
                                    criteria=_prefill(db, db.get_one(Record, record_id))))
    audit.record(db, "quality_audit.drawn", actor_id=caller.person_id, object_type="quality_audit", object_id=row.id,
                 ip=caller.ip, detail={"team_id": team.id, "period_start": start.isoformat(),
                                       "period_end": end.isoformat(), "seed": seed, "per_supervisor": per,
                                       "records": sorted(i for ids in drawn.values() for i in ids)})
    return _report(uow, row)


def _audit(uow: Work, caller: Caller, audit_id: int) -> QualityAudit:
    """The audit, for its drawer, any auditor, or a manager whose line covers its records."""
    row = uow.session.get(QualityAudit, audit_id)
    scope = access.quality_audit_scope(uow.session, caller)
    if row is None or not (scope is None or row.drawn_by_id == caller.person_id):
        raise NotFound("no such quality audit", "id")
    return row


@dataclass(frozen=True)
class AuditReport:
    """An audit's sample and findings, for its page, its CSV and `docgen audit-sample`."""

    audit: QualityAudit
    number: str
    team: str
    items: list[QualityAuditItem]
    numbers: dict[int, str]  # record id -> R-000042
    names: dict[int, str]  # supervisor id -> name
    met: dict[str, int]  # criterion -> how many sampled records met it

    @property
    def scored(self) -> int:
        return sum(1 for i in self.items if i.scored_at is not None)

    @property
    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["audit", "team", "period start", "period end", "seed", "record", "supervisor",
                         *CRITERIA.values(), "findings", "actions for the supervisor", "scored"])
        for item in self.items:
            writer.writerow([self.number, self.team, self.audit.period_start.isoformat(),
                             self.audit.period_end.isoformat(), self.audit.seed, self.numbers[item.record_id],
                             self.names[item.supervisor_id], *(item.criteria.get(k, "") for k in CRITERIA),
                             item.findings, item.supervisor_actions, "yes" if item.scored_at else "no"])
        return out.getvalue()


def _report(uow: Work, row: QualityAudit) -> AuditReport:
    db = uow.session
    items = list(db.scalars(select(QualityAuditItem).where(QualityAuditItem.audit_id == row.id)
                            .order_by(QualityAuditItem.supervisor_id, QualityAuditItem.record_id)))
    numbers = {i.record_id: records.record_number(i.record) for i in items}
    names = {i.supervisor_id: i.supervisor.name for i in items}
    met = {k: sum(1 for i in items if i.criteria.get(k) == "yes") for k in CRITERIA}
    return AuditReport(row, number(row), row.team.name, items, numbers, names, met)


def report(uow: Work, caller: Caller, audit_id: int) -> AuditReport:
    """An audit's report: records sampled, each one's form, findings and actions."""
    return _report(uow, _audit(uow, caller, audit_id))


def draw_for_team_named(uow: Work, auditor_email: str, team_name: str, start: dt.date | None, end: dt.date | None,
                        seed: int | None, per_supervisor: int | None) -> AuditReport:
    """`docgen audit-sample`: draw as the auditor or manager with this e-mail (the same access rules
    as on the page) for a team named as people call it."""
    db = uow.session
    account = db.scalar(select(Account).where(Account.person_id == people.person_by_email(db, auditor_email).id))
    if account is None or not account.active:
        raise InvalidInput(f"{auditor_email} cannot sign in, so cannot audit", "--by")
    team = people.team_by_name(db, team_name)
    return draw(uow, Caller(account=account), team.id, start, end, seed, per_supervisor)


@dataclass(frozen=True)
class AuditsPage:
    audits: list[QualityAudit]
    teams: list[Team]
    per_supervisor: int
    every: str


def audits_page(uow: Work, caller: Caller) -> AuditsPage:
    """The audits the caller may see (auditors: all; a manager: their own) and the teams to audit."""
    db, rule = uow.session, uow.deployment.profile.quality_audit
    scope = access.quality_audit_scope(db, caller)
    query = select(QualityAudit).order_by(QualityAudit.drawn_at.desc(), QualityAudit.id.desc())
    if scope is not None:
        query = query.where(QualityAudit.drawn_by_id == caller.person_id)
    teams = list(db.scalars(select(Team).order_by(Team.name)))
    return AuditsPage(list(db.scalars(query)), teams, rule.per_supervisor, rule.every.text)


@dataclass(frozen=True)
class SampledRecord:
    """One sampled record as the auditor reads it, with its audit form."""

    audit: QualityAudit
    item: QualityAuditItem
    record: dict[str, Any]  # as the API shows it
    number: str


def _item(uow: Work, caller: Caller, audit_id: int, item_id: int, action: str) -> SampledRecord:
    row = _audit(uow, caller, audit_id)
    item = uow.session.get(QualityAuditItem, item_id)
    if item is None or item.audit_id != row.id:
        raise NotFound("no such sampled record", "item_id")
    record = item.record
    access.read(uow, replace(caller, reason=_reason(row)), record.supervisee, "record", record.id, action)
    return SampledRecord(row, item, records.record_json(uow.session, record), records.record_number(record))


def sampled_record(uow: Work, caller: Caller, audit_id: int, item_id: int) -> SampledRecord:
    """Read a sampled record for its audit: an audited read, the audit the stated reason."""
    return _item(uow, caller, audit_id, item_id, "quality_audit.read")


@transaction
def score(uow: Work, caller: Caller, audit_id: int, item_id: int, marks: dict[str, str], findings: str,
          supervisor_actions: str, revision: int | None) -> SampledRecord:
    """Save the auditor's judgement of one sampled record. `revision` is the form's as read: a save
    made from an older read is refused (Conflict), so two auditors cannot overwrite each other."""
    sampled = _item(uow, caller, audit_id, item_id, "quality_audit.score")
    item = sampled.item
    for key, mark in marks.items():
        if key not in JUDGED:
            raise InvalidInput(f"{key} is not judged by the auditor; judged: {', '.join(JUDGED)}", key)
        if mark not in MARKS:
            raise InvalidInput(f"{key} must be yes or no", key)
    if revision is not None and revision != item.revision:
        raise Conflict("someone else saved this audit form since you opened it; reload it", "revision")
    item.criteria = {**item.criteria, **marks}
    item.findings = (findings or "").strip()
    item.supervisor_actions = (supervisor_actions or "").strip()
    item.scored_by_id, item.scored_at = caller.person_id, clock.now()
    uow.session.flush()  # the revision check: a concurrent save from the same read loses here
    audit.record(uow.session, "quality_audit.scored", actor_id=caller.person_id, object_type="quality_audit_item",
                 object_id=item.id, ip=caller.ip, detail={"audit_id": audit_id, "record_id": item.record_id})
    return sampled
