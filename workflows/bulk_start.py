"""Starting records for a whole team or service at once, in the background.

The page's and API's counterpart of `docgen generate` (`workflows.drafting`): every active member
of the team (or of every team in the service) gets a pre-filled draft record for the session date,
made by `records.create_record` as a supervisor's own "new record" does. A command line waits for
its drafts; a page cannot wait for a thousand, so `begin` writes one item per supervisee, commits,
and hands the items to the task queue in chunks; `start_one` makes each record.

- Progress is counted from the items (done, failed with the reason named, pending), so two
  consumers finishing items at once never race on a counter, and a restart loses nothing: the
  pending items are still in the database, `resume` (the page's button) and the periodic sweep
  (`stalled`) hand them to the queue again.
- A task may run twice (a retry, a sweep, a resume while the first task still runs): the step from
  pending to done is a compare-and-set committed with the record it made, so a record is created
  once, and the loser's record is rolled back with its transaction.
- Only people who may arrange supervision for a supervisee (`access.arrangeable`: their supervisor,
  someone above them in the management chain, HR or an administrator) start their records.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kernel import clock
from storage import audit
from kernel.errors import DomainError, Forbidden, InvalidInput, NotFound
from storage.models import BulkStart, BulkStartItem, Person, Team
from workflows import access, people, records
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work

CHUNK = 20  # items per task: enough to keep a consumer busy, few enough for two to share the work
MOST = 5000  # the most records one bulk start makes (a large service); more is a mistake or two starts
STALLED_AFTER = dt.timedelta(minutes=10)  # no item finished for this long: the tasks were lost
TEAMS_OFFERED = 200  # teams listed on the page's form (the most one page of teams holds)


@dataclass(frozen=True)
class Failure:
    """A supervisee whose record was not started, and why (the use case's own message)."""

    supervisee_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class Progress:
    """Where a bulk start stands: what the page and the API show."""

    bulk: BulkStart
    scope: str
    done: int
    failures: list[Failure]
    pending: int

    @property
    def finished(self) -> bool:
        return self.pending == 0


def _scope(db: Session, team_id: int | None, service: str) -> tuple[str, list[Person]]:
    """The name of the team or service and its active members, in name order."""
    query = select(Person).join(Team, Person.team_id == Team.id).where(Person.status == "active")
    if team_id is not None:
        team = people.get_team(db, team_id)
        name, query = team.name, query.where(Team.id == team.id)
    elif service.strip():
        name, query = service.strip(), query.where(Team.service == service.strip())
    else:
        raise InvalidInput("choose a team or a service", "team_id")
    members = list(db.scalars(query.order_by(Person.name, Person.id)))
    if not members:
        raise InvalidInput(f"{name} has nobody in it to start records for", "service" if team_id is None else "team_id")
    return name, members


def _chunks(item_ids: list[int]) -> list[list[int]]:
    return [item_ids[i:i + CHUNK] for i in range(0, len(item_ids), CHUNK)]


def _hand_over(uow: Work, item_ids: list[int]) -> None:
    """Enqueue the items, in chunks, once the transaction in hand commits."""
    for chunk in _chunks(item_ids):
        uow.on_commit(uow.deployment.enqueue, "start_bulk_records", chunk)


@transaction
def begin(uow: Work, caller: Caller, session_date: dt.date, *, team_id: int | None = None,
          service: str = "") -> Progress:
    """Start a record on `session_date` for everyone in the team (or service) whose supervision the
    caller may arrange, in the background. Members with nobody supervising them on the day are
    kept, so the page names them as failures rather than leaving them out unseen."""
    db = uow.session
    me = caller.person
    name, members = _scope(db, team_id, service)
    supervisors = {p.id: getattr(people.current_supervisor(db, p.id, session_date), "id", None)
                   for p in members if p.id != me.id}
    mine = access.arrangeable(db, caller, supervisors)
    if not mine:
        raise Forbidden(f"you do not arrange supervision for anyone in {name}", "service" if team_id is None else "team_id")
    if len(mine) > MOST:
        raise InvalidInput(f"{name} has {len(mine)} people; start at most {MOST} records at once, a team at a time",
                           "service" if team_id is None else "team_id")
    bulk = BulkStart(team_id=team_id, service="" if team_id is not None else name, session_date=session_date,
                     started_by_id=me.id, total=len(mine))
    db.add(bulk)
    db.flush()
    items = [BulkStartItem(bulk_start_id=bulk.id, supervisee_id=p.id) for p in members if p.id in mine]
    db.add_all(items)
    db.flush()
    audit.record(db, "bulk_start.begin", actor_id=me.id, object_type="bulk_start", object_id=bulk.id, ip=caller.ip,
                 detail={"scope": name, "session_date": session_date.isoformat(), "total": bulk.total})
    _hand_over(uow, [item.id for item in items])
    return _progress(db, bulk)


def start_one(uow: Work, item_id: int) -> str:
    """Make one item's record (or name why not) and mark the item: the task's step, safe to run
    twice. Answers the item's state, or `taken` when another run marked it first."""
    db = uow.session
    item = db.get(BulkStartItem, item_id)
    if item is None or item.state != "pending":
        return item.state if item else "gone"
    bulk = db.get(BulkStart, item.bulk_start_id)
    assert bulk is not None  # an item's bulk start is never deleted
    try:
        with db.begin_nested():  # a refusal leaves nothing of the record behind
            record = records.create_record(db, uow.deployment.profile, item.supervisee, bulk.session_date)
        outcome = {"state": "done", "record_id": record.id}
    except DomainError as exc:  # a leaver, nobody supervising on the day, a record already there
        record, outcome = None, {"state": "failed", "reason": str(exc)}
    claimed = db.execute(update(BulkStartItem)
                         .where(BulkStartItem.id == item.id, BulkStartItem.state == "pending")
                         .values(**outcome, finished_at=clock.now())
                         .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:  # another run of this item committed first: its record stands, ours goes
        uow.rollback()
        return "taken"
    if record is not None:
        audit.record(db, "record.create", actor_id=bulk.started_by_id, object_type="record", object_id=record.id,
                     detail={"bulk_start": bulk.id})
    uow.commit()
    return str(outcome["state"])


def _bulk_for(db: Session, caller: Caller, bulk_id: int) -> BulkStart:
    """The bulk start, for whoever started it, HR or an administrator; to anyone else it does not exist."""
    bulk = db.get(BulkStart, bulk_id)
    if bulk is None or not (bulk.started_by_id == caller.person_id or access.ARRANGE_ANY & caller.roles):
        raise NotFound(f"no bulk start with id {bulk_id}", "id")
    return bulk


def _progress(db: Session, bulk: BulkStart) -> Progress:
    counts = dict(db.execute(select(BulkStartItem.state, func.count()).where(BulkStartItem.bulk_start_id == bulk.id)
                             .group_by(BulkStartItem.state)).all())
    failed = db.execute(select(BulkStartItem, Person.name).join(Person, BulkStartItem.supervisee_id == Person.id)
                        .where(BulkStartItem.bulk_start_id == bulk.id, BulkStartItem.state == "failed")
                        .order_by(Person.name)).all()
    scope = people.get_team(db, bulk.team_id).name if bulk.team_id is not None else bulk.service
    return Progress(bulk, scope, counts.get("done", 0),
                    [Failure(item.supervisee_id, name, item.reason) for item, name in failed], counts.get("pending", 0))


def progress(uow: Work, caller: Caller, bulk_id: int) -> Progress:
    """How far a bulk start has got: done of total, the failures named, what is still to do."""
    return _progress(uow.session, _bulk_for(uow.session, caller, bulk_id))


@dataclass(frozen=True)
class Overview:
    """The page's form choices and the caller's bulk starts, latest first."""

    teams: list[Team]
    services: list[str]
    started: list[Progress]


def overview(uow: Work, caller: Caller) -> Overview:
    """What the "Start records for a team" page offers (every team and service: `begin` decides
    whom in it the caller may start records for) and the caller's last bulk starts."""
    db = uow.session
    teams, _ = people.list_teams(db, per_page=TEAMS_OFFERED)
    bulks = db.scalars(select(BulkStart).where(BulkStart.started_by_id == caller.person.id)
                       .order_by(BulkStart.id.desc()).limit(10))
    return Overview(teams, sorted({t.service for t in teams if t.service}), [_progress(db, bulk) for bulk in bulks])


def _pending(db: Session, bulk_id: int) -> list[int]:
    return list(db.scalars(select(BulkStartItem.id).where(BulkStartItem.bulk_start_id == bulk_id,
                                                          BulkStartItem.state == "pending").order_by(BulkStartItem.id)))


def resume(uow: Work, caller: Caller, bulk_id: int) -> Progress:
    """Hand a bulk start's pending items to the queue again (after a restart lost its tasks): items
    still queued as well run twice, harmlessly."""
    db = uow.session
    bulk = _bulk_for(db, caller, bulk_id)
    pending = _pending(db, bulk.id)
    audit.record(db, "bulk_start.resume", actor_id=caller.person_id, object_type="bulk_start", object_id=bulk.id,
                 ip=caller.ip, detail={"pending": len(pending)})
    _hand_over(uow, pending)
    uow.commit()
    return _progress(db, bulk)


def stalled(uow: Work) -> list[list[int]]:
    """Chunks of pending items of bulk starts where nothing has finished for `STALLED_AFTER`: their
    tasks were lost (the periodic sweep enqueues them again)."""
    db = uow.session
    unfinished = select(BulkStartItem.bulk_start_id).where(BulkStartItem.state == "pending")
    last = func.coalesce(func.max(BulkStartItem.finished_at), BulkStart.started_at)
    quiet = db.scalars(select(BulkStart.id).join(BulkStartItem, BulkStartItem.bulk_start_id == BulkStart.id)
                       .where(BulkStart.id.in_(unfinished)).group_by(BulkStart.id, BulkStart.started_at)
                       .having(last < clock.now() - STALLED_AFTER))
    return [chunk for bulk_id in quiet for chunk in _chunks(_pending(db, bulk_id))]
