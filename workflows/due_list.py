"""The organisation's due list: everything due for the supervisees in a scope, in a fixed handful
of queries.

The rules (when supervision, a record, a rebooking or an agreement review falls due) are
`workflows.due_dates`; this module reads the facts they need for a whole organisation at once, one
query per kind of fact aggregated in SQL, never one per person, so it stays fast at 100,000
records, and turns the answers into `DueItem` rows. The API's due list and the supervisor's
dashboard are its use cases; a supervisee's open actions, by the date each is due, are My records'.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Date, DateTime, Row, Select, and_, bindparam, func, or_, select, text, true
from sqlalchemy.orm import Session, aliased, defer, joinedload

from kernel import clock
from kernel.errors import InvalidInput
from storage.models import (UNSIGNED_RECORD, Action, Agreement, AsyeSupportEntry, Person, PlannedSession, Record,
                            SupervisionRelationship, Team)
from workflows import access, actions, agreements, groups, signoff
from workflows.asye_support import review_month
from workflows.access import Caller
from workflows.agreements import AgreementLink
from workflows.deployment import Work
from workflows.due_dates import (REMINDER_DAYS, STATES, RoleClock, State, agreed_step, agreement_review_on,
                                 due_state, next_deadlines, rebook_deadline, recurring_on, reminder_state,
                                 review_state, role_clocks, signing_deadline)
from workflows.periods import Step
from workflows.profiles import Profile
from workflows.status import SIGNED, SUPERSEDED


class DueItem(NamedTuple):
    """One thing due for one supervisee; `ref_id` names the record, agreement or session."""

    kind: str  # supervision|record|signoff|agreement_missing|agreement_signoff|agreement_review|review|rebook
    #            or a role's `also_due` key (reflective_1_1, direct_observation, appraisal, mid_year_review, ...)
    state: State
    due_on: dt.date
    label: str
    supervisee_id: int
    supervisee_name: str
    supervisor_id: int | None
    supervisor_name: str
    team_id: int | None
    ref_id: int | None = None


@dataclass(frozen=True)
class Scope:
    """Whose items to include: a team, a service, one supervisor's supervisees, or given people.

    Every filter given applies (they narrow each other); none at all means the whole organisation.
    """

    team_id: int | None = None
    service: str | None = None
    supervisor_id: int | None = None
    supervisee_ids: frozenset[int] | None = None

    def where(self, query: Select[Any], person: Any, relationship: Any | None = None) -> Select[Any]:
        """Narrow a query over `person` (a Person entity or alias) to this scope."""
        if self.team_id is not None:
            query = query.where(person.team_id == self.team_id)
        if self.service is not None:
            query = query.where(person.team_id.in_(select(Team.id).where(Team.service == self.service)))
        if self.supervisee_ids is not None:
            query = query.where(person.id.in_(sorted(self.supervisee_ids)))
        if self.supervisor_id is not None and relationship is not None:
            query = query.where(relationship.supervisor_id == self.supervisor_id)
        return query

    @property
    def whole_organisation(self) -> bool:
        return self.team_id is None and self.service is None and self.supervisee_ids is None


# --- queries ---------------------------------------------------------------------------------
#
# Each query is built once per scope, with the day as a bound parameter: building one from the
# ORM entities costs about as much as PostgreSQL takes to run it (3 ms for the supervisees'), and
# the rows are read as plain rows, without the ORM's per-row work (a third of the fetching time).

_TODAY = bindparam("today", type_=Date)
_DAY_AFTER = bindparam("day_after", type_=DateTime)  # midnight after `today`: planned sessions are timed


def _rows(db: Session, query: Select[Any], today: dt.date) -> Sequence[Row[Any]]:
    """All rows of a column query built on `_TODAY`; pending changes are flushed first, as the ORM
    would. fetchall, because iterating the result fetches row by row."""
    if db.autoflush:
        db.flush()
    day_after = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    return db.connection().execute(query, {"today": today, "day_after": day_after}).all()


class SuperviseeRow(NamedTuple):
    id: int
    name: str
    role: str
    employment_start: dt.date
    team_id: int | None
    supervisor_id: int
    supervisor_name: str
    relationship_start: dt.date
    supervised_since: dt.date
    last_session: dt.date | None


def _latest(a: dt.date | None, b: dt.datetime | None) -> dt.date | None:
    held = b.date() if b is not None else None
    return max(a, held) if a is not None and held is not None else a or held


@lru_cache(maxsize=64)
def _supervisees_query(scope: Scope, with_last_session: bool = True) -> Select[Any]:
    rel = aliased(SupervisionRelationship)
    supervisor = aliased(Person)
    earlier = SupervisionRelationship
    narrow = scope.supervisor_id is not None or scope.team_id is not None
    if narrow:  # a supervisor's or a team's few people: one step into the relationships' index each
        since: Any = (select(func.min(earlier.starts_on)).where(earlier.supervisee_id == Person.id)
                      .scalar_subquery())
    else:
        grouped = (select(earlier.supervisee_id.label("sid"), func.min(earlier.starts_on).label("since"))
                   .group_by(earlier.supervisee_id).subquery())
        since = grouped.c.since
    last_record = (select(func.max(Record.session_date))
                   .where(Record.supervisee_id == Person.id, Record.session_date <= _TODAY,
                          Record.group_session_id.is_(None)).scalar_subquery())  # issue 14: 1:1 only
    last_held = (select(func.max(PlannedSession.starts_at))
                 .where(PlannedSession.supervisee_id == Person.id, PlannedSession.status == "held",
                        PlannedSession.starts_at < _DAY_AFTER)
                 .scalar_subquery())
    query = (select(Person.id, Person.name, Person.role, Person.employment_start, Person.team_id,
                    rel.supervisor_id, supervisor.name, rel.starts_on, since,
                    *((last_record, last_held) if with_last_session else ()))
             .join(rel, and_(rel.supervisee_id == Person.id, rel.covering(_TODAY)))
             .join(supervisor, supervisor.id == rel.supervisor_id)
             .where(Person.status == "active", or_(Person.leave_date.is_(None), Person.leave_date >= _TODAY)))
    if not narrow:
        query = query.join(grouped, grouped.c.sid == Person.id)
    return scope.where(query, Person, rel)


def current_supervisees(db: Session, today: dt.date, scope: Scope = Scope(), *,
                        last_sessions: Mapping[int, dt.date | None] | None = None) -> list[SuperviseeRow]:
    """Active staff with a supervisor on `today`, in scope, with their last held session (one query).

    A person without a current supervision relationship is not a supervisee as far as docgen
    knows, so has nothing due here. A session counts as held when it has a record (whatever the
    record's status: the session happened even if the write-up is late) or a planned session is
    marked held. The last one is found by a correlated MAX per person, which PostgreSQL answers
    with one backward step on the (supervisee_id, session_date) index: on 100,000 records that
    measured 9 ms against 22 ms for a GROUP BY over the whole table. The first relationship's
    start comes from a GROUP BY instead: relationships are few, and one pass over them measured
    4 ms less than a step into their index per person; but for one supervisor's or one team's
    people (the dashboard's 19) a step each is the cheaper (0.1 ms against 6 ms for the pass
    over 3,000 relationships), so a narrow scope takes it.

    A caller that has already read everyone's last held session on `today` (the compliance
    report, from its period's sessions) passes them as `last_sessions`, and the lookup is skipped;
    it must hold everyone found whose role the profile knows (the others are ignored anyway).
    """
    if last_sessions is not None:
        return [SuperviseeRow(*row, last_sessions.get(row[0]))
                for row in _rows(db, _supervisees_query(scope, with_last_session=False), today)]
    return [SuperviseeRow(*row[:9], row[9] if row[10] is None else _latest(row[9], row[10]))
            for row in _rows(db, _supervisees_query(scope), today)]


def _scoped(column: Any, scope: Scope) -> Any:
    """`column IN (supervisees in scope on _TODAY)`, or no condition for the whole organisation."""
    if scope.whole_organisation and scope.supervisor_id is None:
        return true()
    rel = aliased(SupervisionRelationship)
    ids = select(Person.id).join(rel, and_(rel.supervisee_id == Person.id, rel.covering(_TODAY)))
    return column.in_(scope.where(ids, Person, rel))


class AgreementRow(NamedTuple):
    id: int
    supervisee_id: int
    supervisor_id: int
    status: str
    started_on: dt.date
    review_date: dt.date
    frequency: str


@lru_cache(maxsize=64)
def _signed_agreements_query(scope: Scope) -> Select[Any]:
    rank = func.row_number().over(partition_by=Agreement.supervisee_id,
                                  order_by=(Agreement.started_on.desc(), Agreement.id.desc())).label("rank")
    ranked = (select(Agreement.id, Agreement.supervisee_id, Agreement.supervisor_id, Agreement.status,
                     Agreement.started_on, Agreement.review_date,
                     Agreement.fields["frequency"].as_string().label("frequency"), rank)
              .where(Agreement.status == signoff.SIGNED, _scoped(Agreement.supervisee_id, scope))
              .subquery())
    return select(*ranked.c[:-1]).where(ranked.c.rank == 1)


def latest_signed_agreements(db: Session, today: dt.date, scope: Scope = Scope()) -> dict[int, AgreementRow]:
    """Each supervisee's most recent signed agreement (one query, ranked in SQL)."""
    return {sid: AgreementRow(aid, sid, sup, status, started, review, frequency or "")
            for aid, sid, sup, status, started, review, frequency
            in _rows(db, _signed_agreements_query(scope), today)}


@lru_cache(maxsize=64)
def _pending_agreements_query(scope: Scope) -> Select[Any]:
    return (select(Agreement.supervisee_id, Agreement.id, Agreement.supervisor_id)
            .where(Agreement.status.not_in((SIGNED, SUPERSEDED)), Agreement.superseded_by_id.is_(None),
                   _scoped(Agreement.supervisee_id, scope)))


def _pending_agreements(db: Session, today: dt.date, scope: Scope) -> dict[int, tuple[int, int]]:
    """Unsigned, unsuperseded agreements: supervisee -> (agreement id, supervisor id)."""
    return {sid: (aid, sup) for sid, aid, sup in _rows(db, _pending_agreements_query(scope), today)}


# --- the due list ----------------------------------------------------------------------------

Wanted = Callable[[str, State], bool]  # (kind, state) -> keep the item?


@lru_cache(maxsize=4096)
def _day(day: dt.date) -> str:
    """A date as the labels write it, in GOV.UK's one date style ("8 April 2024"). strftime costs
    as much as the rest of an item, and an organisation's items share a few hundred dates, so each
    is written once."""
    return f"{day:%-d %B %Y}"


def _item(row: SuperviseeRow, kind: str, state: State, due_on: dt.date, label: str,
          ref_id: int | None = None) -> DueItem:
    return DueItem(kind, state, due_on, label, row.id, row.name, row.supervisor_id, row.supervisor_name,
                   row.team_id, ref_id)


def _supervision_item(clock: RoleClock, row: SuperviseeRow, agreement: AgreementRow | None, today: dt.date,
                      wanted: Wanted | None, memo: dict[Any, tuple[State, dt.date, str]]) -> DueItem | None:
    # Only the agreement made with the current supervisor speaks for the current arrangement.
    agreed = agreement.frequency if agreement is not None and agreement.supervisor_id == row.supervisor_id else ""
    start = row.employment_start
    since = row.last_session or max(start, row.supervised_since or start)
    # People share their last session's day, role and agreed frequency far more often than not,
    # so what those mean today is worked out once per call (`memo`).
    key = (clock, start if clock.untils else None, since, agreed)
    found = memo.get(key)
    if found is None:
        due, late, basis = next_deadlines(clock, start, since, agreed_step(agreed) if agreed else None)
        state = due_state(today, due, late)
        if state == "overdue":
            label = f"supervision overdue (due {_day(due)})"
        elif state == "due":
            label = f"supervision due (overdue after {_day(late)})"
        else:
            label = f"next supervision by {_day(due)}"
        if basis == "agreement":
            label += " as agreed"
        found = memo[key] = (state, due, label)
    state, due, label = found
    if wanted is not None and not wanted("supervision", state):
        return None
    return _item(row, "supervision", state, due, label)


def _agreement_item(clock: RoleClock, profile: Profile, row: SuperviseeRow, signed: AgreementRow | None,
                    pending: tuple[int, int] | None, today: dt.date, wanted: Wanted | None,
                    memo: dict[Any, tuple[State, dt.date, str] | None]) -> DueItem | None:
    """A new supervisor needs a new agreement (K: made at the start of the relationship); a
    current one needs its review, shown from REMINDER_DAYS before it. The new agreement is due by
    the first supervision under the new supervisor (docgen's choice)."""
    if signed is None or signed.supervisor_id != row.supervisor_id:
        due, late = clock.deadlines(row.employment_start, row.relationship_start)
        state = due_state(today, due, late)
        if pending is not None and pending[1] == row.supervisor_id:
            if wanted is not None and not wanted("agreement_signoff", state):
                return None
            return _item(row, "agreement_signoff", state, due, f"agreement awaiting sign-off (due {_day(due)})",
                         pending[0])
        if wanted is not None and not wanted("agreement_missing", state):
            return None
        return _item(row, "agreement_missing", state, due,
                     f"no signed agreement with {row.supervisor_name} (due {_day(due)})")
    key = (signed.started_on, signed.review_date)  # shared by many: see _supervision_item
    if key in memo:
        review = memo[key]
    else:
        review_on = agreement_review_on(profile, signed.started_on, signed.review_date)
        state = review_state(review_on, today)
        review = memo[key] = (state, review_on, f"agreement review due {_day(review_on)}") if state else None
    if review is None or (wanted is not None and not wanted("agreement_review", review[0])):
        return None
    return _item(row, "agreement_review", *review, signed.id)


Reviews = tuple[tuple[str, Step], ...]  # a `RoleClock`'s formal reviews: (wording, point)
AlsoDue = tuple[tuple[Any, ...], ...]  # a `RoleClock`'s `also_due`: (key, label, every, until, first)
_REMINDER_STATES: tuple[State, ...] = ("upcoming", "due")  # all `reminder_state` answers: never overdue


class _Reminders(NamedTuple):
    """A role's reviews and `also_due` items that the caller keeps in some state."""

    reviews: Reviews
    also_due: AlsoDue


def _reminders(clocks: Mapping[str, RoleClock], wanted: Wanted | None) -> dict[str, _Reminders]:
    """Each role's reminders, less the kinds `wanted` refuses in every state they can take, asked
    once per kind rather than once per person: the compliance report keeps only what is overdue
    and agreement gaps, so for it no one's reviews or `also_due` dates are worked out at all, nor
    the reviews held read."""
    def kept(kind: str) -> bool:
        return wanted is None or any(wanted(kind, state) for state in _REMINDER_STATES)

    reviews = kept("review")
    return {role: _Reminders(clock.reviews if reviews else (),
                             tuple(entry for entry in clock.also_due if kept(entry[0])))
            for role, clock in clocks.items()}


@lru_cache(maxsize=64)
def _reviews_held_query(scope: Scope) -> Select[Any]:
    return (select(AsyeSupportEntry.person_id, AsyeSupportEntry.review_month).distinct()
            .where(AsyeSupportEntry.kind == "review", _scoped(AsyeSupportEntry.person_id, scope)))


def _reviews_held(db: Session, today: dt.date, scope: Scope) -> set[tuple[int, int]]:
    """The reviews recorded on an ASYE's record of support (`workflows.asye_support`): (person, the
    review point's whole months from the start)."""
    return {(person_id, month) for person_id, month in _rows(db, _reviews_held_query(scope), today)}


def _review_items(reviews: Reviews, row: SuperviseeRow, today: dt.date, wanted: Wanted | None,
                  held: Collection[tuple[int, int]]) -> list[DueItem]:
    """Formal reviews at the profile's points (S: NQSW at 3, 6 and 12 months).

    Each shows from REMINDER_DAYS before its date until REMINDER_DAYS after, and is never called
    overdue, unless it is `held`: a review recorded for that point on the record-of-support page
    settles it, whenever it was held (the page reads the same entries: `asye_support.reviews`).
    """
    items = []
    for wording, period in reviews:
        if (row.id, review_month(period)) in held:
            continue
        on = row.employment_start + period
        state = reminder_state(on, today)
        if state is not None and (wanted is None or wanted("review", state)):
            items.append(_item(row, "review", state, on, f"{wording} review due {_day(on)}"))
    return items


def _also_due_items(also_due: AlsoDue, row: SuperviseeRow, today: dt.date, wanted: Wanted | None) -> list[DueItem]:
    """What the role has due besides supervision (S §10's NQSW reflective 1-1, W §9's direct
    observations, L §5.13's quarterly performance conversation), on its schedule from the
    employment start. As with formal reviews, docgen keeps no record of it being done, so each
    shows from REMINDER_DAYS before its date until REMINDER_DAYS after, never overdue."""
    items = []
    for key, label, every, until, first in also_due:
        on = recurring_on(row.employment_start, every, until, today, dt.timedelta(days=REMINDER_DAYS), first)
        state = None if on is None else reminder_state(on, today)
        if state is not None and (wanted is None or wanted(key, state)):
            items.append(_item(row, key, state, on, f"{label} due {_day(on)}"))
    return items


@lru_cache(maxsize=64)
def _unsigned_records_query(scope: Scope) -> Select[Any]:
    return (select(Record.id, Record.supervisee_id, Record.session_date, Record.due_date, Record.status,
                   Record.next_supervision)
            .where(text(UNSIGNED_RECORD), _scoped(Record.supervisee_id, scope),
                   Record.group_session_id.is_(None)))  # issue 14: a group record is its recorder's, not 1:1


def _record_items(db: Session, profile: Profile, rows: dict[int, SuperviseeRow], today: dt.date, scope: Scope,
                  wanted: Wanted | None) -> list[DueItem]:
    """Records not yet signed: still being written ("record"), or sent and waiting ("signoff"),
    each due by its deadline, or once sent, by `signing_deadline` (S 13.1: agreed at the next
    supervision). A draft started ahead of its session (issue 27: sessions on 8 and 9 December,
    seen on 7 December) is listed too, as upcoming: the supervisor must find it again, though
    nothing is due until the session is held."""
    items = []
    for rid, sid, session_date, due, status, next_supervision in _rows(db, _unsigned_records_query(scope), today):
        row = rows.get(sid)
        if row is None:
            continue
        if status not in signoff.SENDABLE:
            due = signing_deadline(profile, due, next_supervision)
        state = "upcoming" if session_date > today else "overdue" if due is not None and today > due else "due"
        kind = "record" if status in signoff.SENDABLE else "signoff"  # still being written, or sent
        if wanted is not None and not wanted(kind, state):
            continue
        by = f"by {_day(due)}" if due is not None else "(no deadline set)"
        if status == signoff.DRAFT:
            label = f"record of {_day(session_date)} to complete {by}"
        else:  # sent or disagreed: whose turn it is, in sign-off's own words
            step = signoff.turn(status, row.name, row.supervisor_name, "other")
            label = f"record of {_day(session_date)}: {step.text} ({'due ' + _day(due) if due else 'no deadline set'})"
        # With no deadline the item is listed by its session date, oldest first.
        items.append(_item(row, kind, state, due or session_date, label, rid))
    return items


@lru_cache(maxsize=64)
def _cancelled_query(scope: Scope) -> Select[Any]:
    return (select(PlannedSession.id, PlannedSession.supervisee_id, PlannedSession.cancelled_on)
            .where(PlannedSession.status == "cancelled", PlannedSession.rebooked_as_id.is_(None),
                   PlannedSession.cancelled_on.is_not(None), PlannedSession.cancelled_on <= _TODAY,
                   _scoped(PlannedSession.supervisee_id, scope)))


def _rebook_items(db: Session, profile: Profile, rows: dict[int, SuperviseeRow], today: dt.date,
                  scope: Scope, wanted: Wanted | None) -> list[DueItem]:
    """Cancelled sessions not rebooked. A session held since the cancellation settles it too."""
    items = []
    for session_id, sid, cancelled_on in _rows(db, _cancelled_query(scope), today):
        row = rows.get(sid)
        if row is None or (row.last_session is not None and row.last_session >= cancelled_on):
            continue
        by = rebook_deadline(profile, cancelled_on)
        state = "overdue" if today > by else "due"
        if wanted is not None and not wanted("rebook", state):
            continue
        label = f"rebook overdue (was due by {_day(by)})" if state == "overdue" else f"rebook due by {_day(by)}"
        items.append(_item(row, "rebook", state, by, label, session_id))
    return items


class DueSummary(NamedTuple):
    """The items wanted, most urgent first, and how many supervisees were looked at."""

    items: list[DueItem]
    supervisees: int


_URGENCY = itemgetter(2, 5, 0)  # due_on, supervisee_name, kind: the order within one state


def due_summary(db: Session, profile: Profile, today: dt.date, scope: Scope = Scope(), *,
                wanted: Wanted | None = None,
                last_sessions: Mapping[int, dt.date | None] | None = None,
                supervisees: Sequence[SuperviseeRow] | None = None) -> DueSummary:
    """What `due_list` lists, keeping only the items `wanted(kind, state)` accepts (all if None).

    Unwanted items are dropped before their labels are written, which is most of their cost, and
    reminders of a kind `wanted` refuses in every state it can take are not worked out at all
    (`_reminders`): the compliance report asks for the overdue and agreement items of a whole
    organisation this way, passing the last held sessions it has read already (see
    `current_supervisees`). `wanted` must answer from its arguments alone. A caller that
    has read `current_supervisees(db, today, scope)` already (the dashboard, which lists them)
    passes them as `supervisees`, and they are not read again.
    `supervisees` in the answer counts everyone whose supervision was worked out, wanted or not.
    """
    if supervisees is None:
        supervisees = current_supervisees(db, today, scope, last_sessions=last_sessions)
    rows = {r.id: r for r in supervisees if r.role in profile.roles}
    signed = latest_signed_agreements(db, today, scope)
    pending = _pending_agreements(db, today, scope)
    clocks = role_clocks(profile)
    reminders = _reminders(clocks, wanted)
    held = _reviews_held(db, today, scope) if any(r.reviews for r in reminders.values()) else set()
    items: list[DueItem] = []
    supervision_memo: dict[Any, tuple[State, dt.date, str]] = {}
    review_memo: dict[Any, tuple[State, dt.date, str] | None] = {}
    for row in rows.values():
        clock = clocks[row.role]
        agreement = signed.get(row.id)
        for item in (_supervision_item(clock, row, agreement, today, wanted, supervision_memo),
                     _agreement_item(clock, profile, row, agreement, pending.get(row.id), today, wanted, review_memo)):
            if item is not None:
                items.append(item)
        reviews, also_due = reminders[row.role]
        if reviews:
            items.extend(_review_items(reviews, row, today, wanted, held))
        if also_due:
            items.extend(_also_due_items(also_due, row, today, wanted))
    items.extend(_record_items(db, profile, rows, today, scope, wanted))
    items.extend(_rebook_items(db, profile, rows, today, scope, wanted))
    by_state: dict[State, list[DueItem]] = {state: [] for state in STATES}  # most urgent state first
    for item in items:
        by_state[item.state].append(item)
    ordered = [item for group in by_state.values() for item in sorted(group, key=_URGENCY)]
    return DueSummary(ordered, len(rows))


def due_list(db: Session, profile: Profile, today: dt.date, *, team_id: int | None = None,
             supervisor_id: int | None = None, service: str | None = None,
             supervisee_ids: frozenset[int] | None = None,
             states: Collection[State] | None = None) -> list[DueItem]:
    """Everything due for the supervisees in scope on `today`, most urgent first.

    One supervision item per supervisee (upcoming, due or overdue), plus agreement, review,
    record, sign-off and rebooking items when they apply; `states` keeps only items in those
    states. The same few queries whatever the size of the organisation (one more where the profile
    sets formal reviews, to read those recorded). People whose role the profile does not know are
    left out.
    """
    scope = Scope(team_id, service, supervisor_id, supervisee_ids)
    wanted = None if states is None else (lambda kind, state, keep=frozenset(states): state in keep)
    return due_summary(db, profile, today, scope, wanted=wanted).items




# --- use cases -------------------------------------------------------------------------------

class DueList(NamedTuple):
    """What is due on `as_at`, most urgent first."""

    as_at: dt.date
    items: list[DueItem]


def due_for(uow: Work, caller: Caller, *, team_id: int | None = None, supervisor_id: int | None = None,
            state: str | None = None) -> DueList:
    """What is due today for the supervisees the caller may see, and for the caller themselves
    (`access.visible`), narrowed to a team, a supervisor or one state. Narrowed to a supervisor
    below the caller in the line, it also shows that supervisor's people from other teams
    (`access.supervised_by_someone_managed`): the overdue record e-mail sends the supervisor's line
    manager here to follow it up with them (issue 27)."""
    if state and state not in STATES:
        raise InvalidInput("state must be upcoming, due or overdue", "state")
    today = clock.today()
    db = uow.session
    seen = access.visible(db, caller, self_included=True)
    if seen is not None and supervisor_id is not None:
        seen |= access.supervised_by_someone_managed(db, caller, supervisor_id)
    items = due_list(db, uow.deployment.profile, today, team_id=team_id, supervisor_id=supervisor_id,
                     supervisee_ids=seen, states=(state,) if state else None)
    return DueList(today, items)


def lists_overdue(db: Session, profile: Profile, record: Record, today: dt.date) -> bool:
    """Whether the record is on its supervisor's overdue list today (`due_for` narrowed to
    `record.supervisor_id` and "overdue"), asked of the list itself: a one-to-one record of an
    active supervisee whom its writer still supervises. A group record, a record whose supervisee
    has a new supervisor since, or a leaver's, is on no such list."""
    if record.group_session_id is not None:
        return False
    shown = due_list(db, profile, today, supervisor_id=record.supervisor_id, states=("overdue",))
    return any(item.ref_id == record.id and item.kind in ("record", "signoff") for item in shown)


RECENTLY_SIGNED = dt.timedelta(days=30)  # how long a signed record stays on the dashboard (docgen's choice)


class Turn(NamedTuple):
    """A record of the supervisor's that is out for sign-off, disagreed or recently signed, with
    whose turn it is as the supervisor reads it ("Ready for you to countersign")."""

    supervisee_id: int
    record_id: int
    number: str
    session_date: dt.date
    step: signoff.NextStep
    overdue: bool  # not signed by its deadline


class Supervisees(NamedTuple):
    """A supervisor's own people today, everything due for them, and whose turn it is on the
    records in sign-off."""

    people: list[SuperviseeRow]
    due: list[DueItem]
    profile: Profile
    turns: list[Turn]
    agreements: dict[int, AgreementLink]  # each supervisee's current agreement, if any
    groups_due: list[groups.GroupDue] = []  # issue 14: the caller's groups due or overdue to meet


def _late(profile: Profile, record: Record, today: dt.date) -> bool:
    """Not signed by its deadline (once sent, `signing_deadline`'s)."""
    if record.status == signoff.SIGNED:
        return False
    due = (record.due_date if record.status in signoff.SENDABLE
           else signing_deadline(profile, record.due_date, record.next_supervision))
    return due is not None and today > due


def _turns(db: Session, profile: Profile, me: int, today: dt.date) -> list[Turn]:
    """The caller's records in sign-off, and those signed in the last RECENTLY_SIGNED, newest first."""
    since = dt.datetime.combine(today, dt.time()) - RECENTLY_SIGNED
    # Each step names the record's supervisee (loaded with it) and its supervisor, who is the
    # caller, already in the session; the record's text is not needed here.
    mine = list(db.scalars(select(Record).where(
        Record.supervisor_id == me, Record.group_session_id.is_(None),  # issue 14: 1:1 records only
        Record.status.in_((*signoff.WAITING, signoff.CHANGES_REQUESTED))
        | ((Record.status == signoff.SIGNED) & (Record.signed_at >= since)))
        .options(joinedload(Record.supervisee), defer(Record.sections))
        .order_by(Record.session_date.desc(), Record.id.desc())))
    steps = signoff.next_steps(db, mine, me, today)
    return [Turn(r.supervisee_id, r.id, signoff.number(r), r.session_date, steps[r.id], _late(profile, r, today))
            for r in mine]


def my_supervisees(uow: Work, caller: Caller) -> Supervisees:
    """The people the caller supervises today with what is due for each: next supervision, drafts,
    records in sign-off and whose turn it is, recently signed records, agreements (the
    supervisor's dashboard)."""
    me = caller.person.id
    today = clock.today()
    db, profile = uow.session, uow.deployment.profile
    scope = Scope(supervisor_id=me)
    people = current_supervisees(db, today, scope)
    due = due_summary(db, profile, today, scope, supervisees=people).items  # `due_list` for the supervisor
    return Supervisees(people, due, profile, _turns(db, profile, me, today),
                       agreements.current_links(uow, [p.id for p in people]), groups.groups_due(uow, caller))


class OpenAction(NamedTuple):
    """One of a supervisee's open actions, with the record that raised it and its latest progress."""

    id: str
    text: str
    owner: str
    due: str  # "By when" as the supervisor wrote it
    due_on: dt.date | None  # the date written in it, if any ("Friday" has none)
    record_id: int
    raised_on: dt.date
    progress: str


def own_open_actions(uow: Work, caller: Caller) -> list[OpenAction]:
    """The caller's open actions across all their records, those with a date soonest first, then
    the undated oldest first (issue 27: My records listed records but no actions, so a supervisee
    opened each record to learn what they had agreed to do). Actions in a record still being
    written are left out: they are the supervisor's draft until it is sent. Their own file, read
    on the page whose listing is already audited (`signoff.own_documents`)."""
    db = uow.session
    rows = db.execute(select(Action, Record.session_date)
                      .join(Record, Record.id == Action.raised_in_record_id)
                      .where(Action.supervisee_id == caller.person.id, Action.completed_in_record_id.is_(None),
                             Record.status != signoff.DRAFT)
                      .order_by(Record.session_date, Action.id)).all()
    progress = actions.latest_progress(db, [action.id for action, _ in rows])
    found = [OpenAction(a.id, a.text, a.owner, a.due, actions.due_date(a.due), a.raised_in_record_id, day,
                        progress.get(a.id, "")) for a, day in rows]
    return sorted(found, key=lambda o: (o.due_on is None, o.due_on or o.raised_on))

