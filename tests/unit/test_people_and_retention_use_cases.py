"""People, leavers and retention as use cases: who may change the organisation, what is audited, a
refused change leaves nothing behind, and the retention run's decisions over a unit of work."""
from __future__ import annotations

import datetime as dt
import importlib.util

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, func, select

from kernel import clock
from kernel.errors import Forbidden, InvalidInput
from storage.models import Account, AuditEvent, OutboxMessage, Person, SupervisionRelationship
from workflows import access, accounts, areas, holds, notices_retention, organisation, people, retention
from workflows.access import Caller
from workflows.deployment import Deployment, Work

LEAVE = dt.date(2025, 3, 31)


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


@pytest.fixture
def staff(uow: Work, team: dict[str, int]) -> dict[str, int]:
    """The team, with an administrator and an HR officer who hold their roles by grant."""
    db = uow.session
    org = uow.deployment.organisation(db)
    for key, roles in (("admin", ["admin"]), ("hr", ["hr"])):
        person = people.create_person(db, org, uow.deployment.profile, {
            "name": f"The {key}", "email": f"{key}@knowsley.example.org", "role": "social_worker",
            "employment_start": dt.date(2024, 1, 8)})
        accounts.create_account(db, person, "correct-horse-battery", roles)
        team[key] = person.id
    uow.commit()
    return team


def test_an_administrator_adds_a_person_and_the_addition_is_audited(deployment: Deployment, uow: Work,
                                                                    staff: dict[str, int]) -> None:
    person = organisation.add_person(uow, _caller(uow, staff["admin"]), {
        "name": "Jo Bloggs", "email": "jo@knowsley.example.org", "role": "social_worker",
        "employment_start": dt.date(2025, 4, 1)})
    with deployment.sessions() as db:
        entry = db.scalars(select(AuditEvent)).one()
    assert (entry.action, entry.actor_id, entry.object_id, entry.ip) == (
        "person.create", staff["admin"], str(person.id), "192.0.2.7")


def test_a_supervisor_may_not_add_people_or_teams(uow: Work, staff: dict[str, int]) -> None:
    manager = _caller(uow, staff["manager"])
    with pytest.raises(Forbidden):
        organisation.add_person(uow, manager, {"name": "Jo", "email": "jo@knowsley.example.org"})
    with pytest.raises(Forbidden):
        organisation.add_team(uow, _caller(uow, staff["hr"]), "Leaving Care")


def test_a_refused_change_to_a_person_is_rolled_back_at_once(deployment: Deployment, uow: Work,
                                                             staff: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as refused:
        organisation.change_person(uow, _caller(uow, staff["hr"]), staff["worker"],
                                   {"name": "Alex M", "employment_type": "volunteer"},
                                   uow.session.get_one(Person, staff["worker"]).revision)
    assert refused.value.field == "employment_type"
    assert uow.session.get_one(Person, staff["worker"]).name == "Alex Morgan"


def test_recording_a_leaver_gives_the_dates_their_records_go_to_hr_and_are_destroyed(
        uow: Work, staff: dict[str, int]) -> None:
    leaving = retention.record_leaver(uow, _caller(uow, staff["hr"]), staff["manager"], LEAVE)
    assert (leaving.forward_to_hr_on, leaving.destroy_on) == (dt.date(2025, 9, 30), dt.date(2032, 9, 30))
    assert [p.id for p in leaving.unsupervised] == [staff["worker"]]


def test_a_refused_leaving_date_ends_its_unit_of_work_and_changes_nothing(uow: Work, staff: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as refused:
        retention.record_leaver(uow, _caller(uow, staff["hr"]), staff["worker"], dt.date(2020, 1, 1))

    assert refused.value.field == "leave_date"
    assert not uow.session.in_transaction()  # rolled back by `with uow:`, not left for the caller
    worker = uow.session.get_one(Person, staff["worker"])
    assert (worker.status, worker.leave_date) == ("active", None)


def test_the_daily_run_freezes_then_forwards_with_this_deployments_address(
        deployment: Deployment, uow: Work, staff: dict[str, int]) -> None:
    notices_retention.tell_in(deployment)  # HR's e-mail follows the RecordsForwarded event (issue 24)
    clock.set_clock(lambda: dt.datetime(2025, 3, 1, 10))
    retention.record_leaver(uow, _caller(uow, staff["hr"]), staff["worker"], LEAVE)
    assert [(o.due.step, o.result) for o in retention.run(uow, dt.date(2025, 10, 1), dry_run=True)] == [
        ("freeze", "would do"), ("forward_to_hr", "would do")]
    assert uow.session.get_one(Person, staff["worker"]).records_frozen_on is None  # a dry run changes nothing
    done = retention.run(uow, dt.date(2025, 10, 1))
    assert [(o.due.step, o.result) for o in done] == [("freeze", "done"), ("forward_to_hr", "done")]
    assert retention.run(uow, dt.date(2025, 10, 1)) == []  # a second run finds nothing left to do
    with deployment.sessions() as db:
        mail = db.scalars(select(OutboxMessage)).one()
    assert mail.to_address == "hr@knowsley.example.org"
    assert f"{deployment.config.base_url}/hr/leavers/{staff['worker']}/bundle" in mail.text_body


def test_a_legal_hold_is_placed_by_an_administrator_or_hr_only(uow: Work, staff: dict[str, int]) -> None:
    with pytest.raises(Forbidden):
        holds.place(uow, _caller(uow, staff["manager"]), "Grievance", person_id=staff["worker"])
    placed = holds.place(uow, _caller(uow, staff["hr"]), "Grievance", person_id=staff["worker"])
    assert holds.held_by(uow.session, person_id=staff["worker"]) == (placed.id,)


def test_each_person_works_in_the_areas_their_roles_and_relationships_open(uow: Work, staff: dict[str, int]) -> None:
    assert areas.areas_of(uow, _caller(uow, staff["manager"]))[:2] == (areas.SUPERVISION, areas.OWN_RECORDS)
    assert areas.areas_of(uow, _caller(uow, staff["stranger"])) == (areas.OWN_RECORDS,)
    assert areas.ADMINISTRATION in areas.areas_of(uow, _caller(uow, staff["admin"]))
    assert [areas.home(uow, _caller(uow, staff[who])) for who in ("admin", "hr", "manager", "worker")] == [
        areas.ADMINISTRATION, areas.LEAVERS, areas.SUPERVISION, areas.OWN_RECORDS]


def test_supervising_is_offered_from_the_day_the_relationship_covers(uow: Work, staff: dict[str, int]) -> None:
    """The navigation's one statement is built once and asked with each request's day: the day
    before the manager's first relationship starts they supervise no one, from that day they do."""
    first = uow.session.scalar(select(func.min(SupervisionRelationship.starts_on))
                               .where(SupervisionRelationship.supervisor_id == staff["manager"]))
    manager = _caller(uow, staff["manager"])
    for day, supervising in ((first - dt.timedelta(days=1), False), (first, True)):
        clock.set_clock(lambda day=day: dt.datetime.combine(day, dt.time(10)))
        assert (areas.SUPERVISION in areas.areas_of(uow, manager)) is supervising, day
        assert areas.supervises_anyone(uow.session, staff["manager"]) is supervising, day


def test_the_compliance_entry_follows_the_report_rule_in_one_statement(uow: Work, staff: dict[str, int]) -> None:
    """The navigation offers the report exactly to those `report_scope` lets in: a role that sees
    everyone, a supervisor, or a line manager of someone (here the head of service, with no
    supervisee of their own, over the manager); and it asks in one statement on every page."""
    db = uow.session
    org = uow.deployment.organisation(db)
    head = people.create_person(db, org, uow.deployment.profile, {
        "name": "Hana Head", "email": "head@knowsley.example.org", "role": "head_of_service",
        "employment_start": dt.date(2020, 1, 6)})
    accounts.create_account(db, head, "correct-horse-battery")
    db.get_one(Person, staff["manager"]).line_manager_id = head.id
    uow.commit()
    staff["head"] = head.id
    statements: list[str] = []
    listen = event.listens_for(db.get_bind(), "before_cursor_execute")
    listen(lambda *args: statements.append(args[2]))
    for who in ("manager", "head", "worker", "stranger", "hr", "admin"):
        caller = _caller(uow, staff[who])
        statements.clear()
        offered = areas.REPORTS in areas.areas_of(uow, caller)
        assert len(statements) == 1, (who, statements)
        try:
            access.report_scope(db, caller)
            allowed = True
        except Forbidden:
            allowed = False
        assert offered == allowed == (who not in ("worker", "stranger")), who


def _statements_of_hr_page(uow: Work, caller: Caller) -> int:
    """The SQL statements HR's leavers page runs, names of each recent change's people included."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    bind = uow.session.get_bind()
    uow.session.expunge_all()  # nothing already loaded: the page reads as a new request would
    event.listen(bind, "before_cursor_execute", count)
    try:
        shown = retention.leavers_page(uow, caller)
        assert [(change.supervisee.name, change.supervisor.name) for change in shown.changes]
    finally:
        event.remove(bind, "before_cursor_execute", count)
    return len(statements)


def test_hrs_leavers_page_reads_recent_changes_in_the_same_statements_however_many(uow: Work,
                                                                                   staff: dict[str, int]) -> None:
    """The recent supervision changes name both people; loading them one by one made the page's
    SQL grow with the changes (73 statements at 100k records in bench/pages.py)."""
    db = uow.session
    org = uow.deployment.organisation(db)
    started = clock.today() - dt.timedelta(days=3)

    def newcomer(n: int) -> None:
        person = people.create_person(db, org, uow.deployment.profile, {
            "name": f"New Starter {n}", "email": f"new{n}@knowsley.example.org", "role": "social_worker",
            "employment_start": started})
        people.create_relationship(db, person.id, staff["manager"] if n % 2 else staff["admin"], started)
        uow.commit()

    newcomer(1)
    one = _statements_of_hr_page(uow, _caller(uow, staff["hr"]))
    for n in range(2, 6):
        newcomer(n)
    assert _statements_of_hr_page(uow, _caller(uow, staff["hr"])) == one > 0


def test_importing_accounts_hashes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> str:
        raise AssertionError("a password was hashed at import time")

    monkeypatch.setattr(PasswordHasher, "hash", refuse)
    spec = importlib.util.find_spec("workflows.accounts")
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)  # a second copy: the imported one stays as it is
    spec.loader.exec_module(fresh)
    assert fresh._hasher is None
