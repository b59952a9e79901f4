"""Supervision hours and attendance (issue 25 item 3) counted on a small hand-made history, on
SQLite and PostgreSQL: Alex Morgan (a Knowsley social worker, monthly) from January to April 2026,
with one-to-ones written up, sessions planned, cancelled and rebooked, and a group session."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.errors import InvalidInput, NotFound
from storage.models import (Account, AuditEvent, GroupAttendance, GroupMember, GroupSession, GroupSessionRebooking,
                            Person, PlannedSession, Record, SupervisionGroup)
from workflows import compliance, supervision_log
from workflows.access import Caller
from workflows.deployment import Work

TODAY = dt.datetime(2026, 4, 15, 12, 0)
JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


def _record(uow: Work, org: Any, who: str, day: dt.date, group_session_id: int | None = None) -> None:
    uow.session.add(Record(kind="practitioner", supervisee_id=org.ids[who], supervisor_id=org.ids["manager"],
                           session_date=day, status="signed", sections={}, group_session_id=group_session_id))


def _planned(uow: Work, org: Any, at: dt.datetime, minutes: int, status: str = "planned",
             rebooked_as: PlannedSession | None = None) -> PlannedSession:
    session = PlannedSession(supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"], starts_at=at,
                             minutes=minutes, status=status, uid=f"{at.isoformat()}-{minutes}@test",
                             rebooked_as_id=rebooked_as.id if rebooked_as else None,
                             cancelled_on=at.date() if status == "cancelled" else None)
    uow.session.add(session)
    uow.session.flush()
    return session


def _group(uow: Work, org: Any) -> None:
    """Alex and Priya in a group: present and apologies in March; April's session cancelled."""
    group = SupervisionGroup(name="Reflective group", facilitator_id=org.ids["manager"])
    uow.session.add(group)
    uow.session.flush()
    for who in ("worker", "asye"):
        uow.session.add(GroupMember(group_id=group.id, person_id=org.ids[who], joined_on=dt.date(2025, 1, 1)))
    held = GroupSession(group_id=group.id, starts_at=dt.datetime(2026, 3, 5, 10), minutes=90, status="held",
                        uid="group-march@test")
    cancelled = GroupSession(group_id=group.id, starts_at=dt.datetime(2026, 4, 8, 10), minutes=90,
                             status="cancelled", uid="group-april@test")
    uow.session.add_all([held, cancelled])
    uow.session.flush()
    uow.session.add_all([GroupAttendance(session_id=held.id, person_id=org.ids["worker"], attendance="present"),
                         GroupAttendance(session_id=held.id, person_id=org.ids["asye"], attendance="apologies")])
    _record(uow, org, "manager", dt.date(2026, 3, 5), group_session_id=held.id)  # the group's record: not a 1:1


@pytest.fixture
def uow(app: Any, org: Any) -> Iterator[Work]:
    """Alex's history, written straight to the tables (the log reads them, nothing more), as at
    15 April 2026."""
    clock.set_clock(lambda: TODAY)
    with app.extensions["docgen"].unit_of_work() as unit:
        _record(unit, org, "worker", dt.date(2025, 12, 15))  # before the log: the frequency counts from it
        _planned(unit, org, dt.datetime(2026, 1, 12, 10), 90)  # booked for 90 minutes, then written up
        _record(unit, org, "worker", dt.date(2026, 1, 12))
        replacement = _planned(unit, org, dt.datetime(2026, 2, 11, 14), 45)
        _planned(unit, org, dt.datetime(2026, 2, 9, 14), 60, "cancelled", rebooked_as=replacement)
        _planned(unit, org, dt.datetime(2026, 2, 20, 14), 60, "cancelled")  # not rebooked
        _record(unit, org, "worker", dt.date(2026, 2, 11))
        _record(unit, org, "worker", dt.date(2026, 4, 2))  # no booking: the policy's length (K App A, an hour)
        _group(unit, org)
        unit.commit()
        yield unit


def _caller(uow: Work, org: Any, who: str) -> Caller:
    return Caller(account=uow.session.scalar(select(Account).where(Account.person_id == org.ids[who])))


def _alex(uow: Work, org: Any) -> supervision_log.PersonLog:
    return supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], JAN, APR)


def test_a_one_to_one_held_is_a_record_and_its_hours_the_booked_length(uow: Work, org: Any) -> None:
    jan, feb, mar, apr = _alex(uow, org).lines
    assert (jan.one_to_one_held, jan.one_to_one_minutes, jan.one_to_one_hours) == (1, 90, 1.5)
    assert (feb.one_to_one_held, feb.one_to_one_minutes) == (1, 45)  # the replacement's booking
    assert (mar.one_to_one_held, mar.one_to_one_minutes) == (0, 0)
    assert jan.one_to_one_policy_length == feb.one_to_one_policy_length == 0


def test_a_one_to_one_with_no_booking_takes_the_policys_stated_length_counted_apart(uow: Work, org: Any) -> None:
    log = _alex(uow, org)
    apr = log.lines[3]
    assert (apr.one_to_one_held, apr.one_to_one_minutes, apr.one_to_one_policy_length) == (1, 60, 1)
    assert apr.one_to_one_unmeasured == 0
    assert log.length == supervision_log.SessionLength(60, "K App A")


def test_where_the_policy_states_no_length_a_session_is_counted_without_hours(app: Any, uow: Work, org: Any) -> None:
    deployment = app.extensions["docgen"]
    profile = deployment.profile
    deployment.profile = profile.model_copy(update={"sources": {
        **profile.sources, "session_minutes": "default: docgen — the profile sets no session length"}})
    try:
        log = _alex(uow, org)
    finally:
        deployment.profile = profile
    apr = log.lines[3]
    assert (apr.one_to_one_held, apr.one_to_one_minutes, apr.one_to_one_unmeasured) == (1, 0, 1)
    assert log.length is None
    assert log.lines[0].one_to_one_minutes == 90  # a booked length is still known


def test_cancelled_sessions_count_in_the_month_they_were_to_be_held_with_those_rebooked(uow: Work, org: Any) -> None:
    lines = _alex(uow, org).lines
    assert [(line.cancelled, line.rebooked) for line in lines] == [(0, 0), (2, 1), (0, 0), (0, 0)]


def test_group_sessions_attended_count_with_their_length_and_a_cancelled_one_for_each_member(
        uow: Work, org: Any) -> None:
    lines = _alex(uow, org).lines
    assert [(line.group_attended, line.group_minutes) for line in lines] == [(0, 0), (0, 0), (1, 90), (0, 0)]
    assert [line.group_cancelled for line in lines] == [0, 0, 0, 1]
    assert sum(line.one_to_one_held for line in lines) == 3  # the group's record is not a one-to-one
    priya = supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["asye"], JAN, APR)
    assert [line.group_attended for line in priya.lines] == [0, 0, 0, 0]  # apologies
    assert [line.group_cancelled for line in priya.lines] == [0, 0, 0, 1]


def test_a_rebooking_copied_by_migration_with_no_time_counts_once_on_the_day_it_was_cancelled_from(
        uow: Work, org: Any) -> None:
    group = uow.session.scalar(select(SupervisionGroup).where(SupervisionGroup.name == "Reflective group"))
    session = GroupSession(group_id=group.id, starts_at=dt.datetime(2026, 3, 19, 10), minutes=90, status="planned",
                           uid="group-rebooked@test")
    uow.session.add(session)
    uow.session.flush()
    uow.session.add(GroupSessionRebooking(session_id=session.id, cancelled_from=dt.date(2026, 2, 18), rebooked_at=None))
    uow.commit()

    lines = _alex(uow, org).lines

    assert [(line.group_cancelled, line.group_rebooked) for line in lines] == [(0, 0), (1, 1), (0, 0), (1, 0)]


def test_each_rebooking_of_a_session_counts_in_the_month_it_was_cancelled_from_for_each_member(
        uow: Work, org: Any) -> None:
    """Cancelled from 21 January, then from 18 February, and held on 5 March: two of each."""
    held = uow.session.scalar(select(GroupSession).where(GroupSession.uid == "group-march@test"))
    uow.session.add_all([GroupSessionRebooking(session_id=held.id, cancelled_from=dt.date(2026, 1, 21),
                                               rebooked_at=dt.datetime(2026, 1, 19, 9)),
                         GroupSessionRebooking(session_id=held.id, cancelled_from=dt.date(2026, 2, 18),
                                               rebooked_at=dt.datetime(2026, 2, 16, 9))])
    uow.commit()

    priya = supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["asye"], JAN, APR)

    for log in (_alex(uow, org), priya):
        assert [(line.group_cancelled, line.group_rebooked) for line in log.lines] == [(1, 1), (1, 1), (0, 0), (1, 0)]
    assert [line.group_attended for line in _alex(uow, org).lines] == [0, 0, 1, 0]


def test_a_month_with_a_day_overdue_by_the_profile_is_missed(uow: Work, org: Any) -> None:
    """Monthly: 15 Dec, 12 Jan and 11 Feb were on time; nothing from 12 March until 2 April."""
    lines = _alex(uow, org).lines
    assert [line.frequency_asked for line in lines] == ["every 1 month"] * 4
    assert [line.frequency for line in lines] == ["met", "met", "missed", "missed"]
    assert _alex(uow, org).total.met == 2


def test_the_months_to_come_have_no_verdict(uow: Work, org: Any) -> None:
    log = supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], APR, dt.date(2026, 5, 1))
    assert [line.frequency for line in log.lines] == ["missed", "not yet"]


def test_the_team_log_sums_its_people_and_counts_who_met_the_frequency(uow: Work, org: Any) -> None:
    team = supervision_log.team_log(uow, _caller(uow, org, "head"), org.team.id, JAN, APR)
    names = [log.name for log in team.people]
    assert "Alex Morgan" in names and "Priya Patel" in names and "Harriet Reid" in names
    assert [line.one_to_one_held for line in team.lines] == [1, 1, 0, 1]
    assert [line.cancelled for line in team.lines] == [0, 2, 0, 0]
    assert team.lines[2].group_attended == 1 and team.lines[3].group_cancelled == 2
    alex = next(log for log in team.people if log.name == "Alex Morgan")
    assert team.lines[0].met >= alex.lines[0].met == 1


def test_the_log_is_for_those_who_may_see_the_persons_schedule(uow: Work, org: Any) -> None:
    assert supervision_log.person_log(uow, _caller(uow, org, "worker"), org.ids["worker"], JAN, APR).lines
    assert supervision_log.person_log(uow, _caller(uow, org, "hr"), org.ids["worker"], JAN, APR).lines
    with pytest.raises(NotFound):
        supervision_log.person_log(uow, _caller(uow, org, "worker"), org.ids["asye"], JAN, APR)
    with pytest.raises(NotFound):
        supervision_log.person_log(uow, _caller(uow, org, "manager"), 99999, JAN, APR)


def test_a_span_backwards_or_too_long_is_refused_naming_to(uow: Work, org: Any) -> None:
    with pytest.raises(InvalidInput, match="or later") as backwards:
        supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], APR, JAN)
    with pytest.raises(InvalidInput, match="at most") as long:
        supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], dt.date(2020, 1, 1), APR)
    assert backwards.value.field == long.value.field == "to"


def test_a_read_of_a_log_is_audited_and_the_query_itself_writes_nothing(uow: Work, org: Any) -> None:
    before = uow.session.query(AuditEvent).count()
    log = _alex(uow, org)
    assert uow.session.query(AuditEvent).count() == before
    supervision_log.record_read(uow, _caller(uow, org, "manager"), log, "page")
    entry = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (entry.action, entry.object_type, entry.object_id) == ("supervision_log.read", "person",
                                                                   str(org.ids["worker"]))
    assert entry.detail == {"from": "2026-01", "to": "2026-04", "as": "page"}


def test_the_csv_has_a_row_a_month_in_the_published_columns(uow: Work, org: Any) -> None:
    rows = supervision_log.log_csv(_alex(uow, org)).splitlines()
    assert rows[0].split(",") == supervision_log.COLUMNS
    assert rows[1].split(",")[:6] == ["2026-01", str(org.ids["worker"]), "Alex Morgan", "Children in Need 1", "1",
                                      "1.5"]
    assert len(rows) == 5


def test_two_sessions_booked_on_one_day_count_once_with_the_longer_booking(uow: Work, org: Any) -> None:
    """A day is one session held, so it is timed by one booking: the longest, not the sum."""
    _planned(uow, org, dt.datetime(2026, 1, 12, 15), 30)  # a second booking on 12 January
    uow.commit()
    jan = _alex(uow, org).lines[0]
    assert (jan.one_to_one_held, jan.one_to_one_minutes) == (1, 90)


def test_a_session_dated_after_today_is_not_yet_held_and_changes_no_verdict(uow: Work, org: Any) -> None:
    """As at 5 March, Alex was last supervised on 11 February (monthly: overdue from 12 March). A
    draft dated 20 March and a planned session marked held on 25 March have not happened yet."""
    clock.set_clock(lambda: dt.datetime(2026, 3, 5, 12))
    before = supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], JAN, MAR).lines
    uow.session.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                           session_date=dt.date(2026, 3, 20), status="draft", sections={}))
    _planned(uow, org, dt.datetime(2026, 3, 25, 10), 60, "held")
    uow.commit()
    after = supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], JAN, MAR).lines
    assert after == before
    assert (after[2].one_to_one_held, after[2].frequency) == (0, "met")


def test_a_session_held_at_half_past_midnight_in_summer_is_in_the_same_month_as_in_compliance(
        uow: Work, org: Any) -> None:
    """00:30 BST on 1 May is 23:30 UTC on 30 April: the log and the compliance report both read it
    as held on 1 May, in UK time."""
    clock.set_clock(lambda: dt.datetime(2026, 5, 15, 12))
    _planned(uow, org, dt.datetime(2026, 4, 30, 23, 30), 60, "held")
    uow.commit()
    log = supervision_log.person_log(uow, _caller(uow, org, "manager"), org.ids["worker"], APR, dt.date(2026, 5, 1))
    alex = frozenset({org.ids["worker"]})
    held = [compliance.team_report(uow.session, uow.deployment.profile, start=start, end=end,
                                   supervisee_ids=alex).measures[0]
            for start, end in ((APR, dt.date(2026, 4, 30)), (dt.date(2026, 5, 1), dt.date(2026, 5, 31)))]
    assert [line.one_to_one_held for line in log.lines] == [1, 1]
    assert [measure.total for measure in held] == [1, 1]


@pytest.mark.parametrize(("start", "end", "expected"), [
    # Alex's one-to-ones (90 booked, 45 booked, 60 the policy's), two cancelled (one rebooked); the
    # group's March session attended by Alex, April's cancelled for Alex and Priya
    (JAN, dt.date(2026, 4, 30), {"one_to_one_held": 3, "one_to_one_minutes": 195, "one_to_one_policy_length": 1,
                                 "cancelled": 2, "rebooked": 1, "group_attended": 1, "group_minutes": 90,
                                 "group_cancelled": 2}),
    # days, not whole months: 11 February to 2 April leaves out the 9 February cancellation and April's group
    (dt.date(2026, 2, 10), dt.date(2026, 4, 2), {"one_to_one_held": 2, "one_to_one_minutes": 105,
                                                 "one_to_one_policy_length": 1, "cancelled": 1, "rebooked": 0,
                                                 "group_attended": 1, "group_minutes": 90, "group_cancelled": 0}),
])
def test_a_periods_figures_sum_everyones_days_in_it(uow: Work, org: Any, start: dt.date, end: dt.date,
                                                    expected: dict[str, int]) -> None:
    """The compliance report's log figures (`period_figures`) over a team: every person's days in the
    period added up, whoever they belong to (issue 26 counts them in one pass)."""
    figures = supervision_log.period_figures(uow, select(Person).where(Person.team_id == org.team.id), start, end)
    assert {key: getattr(figures, key) for key in expected} == expected
    assert figures.month == start and figures.frequency == figures.frequency_asked == ""


def test_a_periods_figures_over_whole_months_are_the_team_logs_months_added(uow: Work, org: Any) -> None:
    team = supervision_log.team_log(uow, _caller(uow, org, "head"), org.team.id, JAN, APR)
    people = select(Person).where(Person.id.in_([log.person_id for log in team.people]))
    figures = supervision_log.period_figures(uow, people, JAN, dt.date(2026, 4, 30))
    assert figures == replace(supervision_log.added(JAN, team.lines), met=0, missed=0, frequency_asked="")
