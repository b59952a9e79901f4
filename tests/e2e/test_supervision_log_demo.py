"""The supervision log of the demo team (issue 25, "Done when": the supervision log for the demo team
matches the records and sessions the demo replayed: a test counts both). The log is read as the
head of service reads it, as CSV; the test counts the same months straight from the tables."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from kernel import clock
from storage.models import Person, PlannedSession, Record, Team
from tests.e2e.test_demo import HTML, _signed_in, app  # noqa: F401  (the app on a copy of the demo instance)
from workflows import demo

# One worker replays the shared demo instance (tests/demo_instance.py) for all its users.
pytestmark = pytest.mark.xdist_group("demo")


def _month(day: dt.date) -> str:
    return f"{day:%Y-%m}"


POLICY_MINUTES = 60  # Knowsley's session length (K App A "Length of Sessions (e.g., 1 hour)")


def _replayed(app: Any, first: dt.date, end: dt.date) -> tuple[int, dict[int, str], Counter, Counter, Counter, Counter]:
    """Counted from the tables: the team's people, and by person and month the one-to-one days
    written up up to today (a day once), their minutes (the longest booking that day, as the day is
    one session; else the policy's), and the planned sessions cancelled and rebooked."""
    with app.extensions["docgen"].sessions() as db:
        team = db.scalar(select(Team).where(Team.name == demo.TEAM))
        members = dict(db.execute(select(Person.id, Person.name).where(Person.team_id == team.id)).all())
        days = set(db.execute(select(Record.supervisee_id, Record.session_date).where(
            Record.supervisee_id.in_(members), Record.group_session_id.is_(None),
            Record.session_date.between(first, min(end, clock.today())))).all())
        planned = db.execute(select(PlannedSession).where(PlannedSession.supervisee_id.in_(members))).scalars().all()
    held, minutes, cancelled, rebooked = Counter(), Counter(), Counter(), Counter()
    booked: Counter = Counter()
    for s in planned:
        day = clock.uk(s.starts_at).date()
        if s.status == "cancelled" and first <= day <= end:
            cancelled[s.supervisee_id, _month(day)] += 1
            rebooked[s.supervisee_id, _month(day)] += s.rebooked_as_id is not None
        elif s.status != "cancelled":
            booked[s.supervisee_id, day] = max(booked[s.supervisee_id, day], s.minutes)
    for sid, day in days:
        held[sid, _month(day)] += 1
        minutes[sid, _month(day)] += booked[sid, day] or POLICY_MINUTES
    return team.id, members, held, minutes, cancelled, rebooked


def test_the_demo_teams_log_matches_the_records_and_sessions_the_demo_replayed(app: Any) -> None:
    this_month = clock.today().replace(day=1)
    first, last = this_month - relativedelta(months=11), this_month + relativedelta(months=1)
    end = last + relativedelta(months=1, days=-1)  # next month too: Taylor's cancelled session may fall in it
    team_id, members, held, minutes, cancelled, rebooked = _replayed(app, first, end)
    client = _signed_in(app, "head")
    answer = client.get(f"/reports/supervision-log.csv?team_id={team_id}&from={_month(first)}&to={_month(last)}")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    people = [r for r in rows if r["person"] != "Team total"]
    assert {r["person"] for r in people} == set(members.values())
    for r in people:
        key = (int(r["person_id"]), r["month"])
        assert int(r["one_to_one_held"]) == held[key], r
        assert float(r["one_to_one_hours"]) == pytest.approx(minutes[key] / 60), r
        assert (int(r["one_to_one_cancelled"]), int(r["one_to_one_rebooked"])) == (cancelled[key], rebooked[key]), r
        assert int(r["group_attended"]) == 0  # the demo replays no group supervision
    totals = {r["month"]: r for r in rows if r["person"] == "Team total"}
    for month in {r["month"] for r in people}:
        assert int(totals[month]["one_to_one_held"]) == sum(n for (_, m), n in held.items() if m == month)
    assert sum(held.values()) >= 30 and sum(cancelled.values()) == 1
    taylor = [r for r in people if r["person"] == "Taylor Green" and r["month"] == _month(this_month)]
    assert taylor[0]["frequency"] == "missed"  # last supervised seven weeks ago, monthly


def test_the_supervisor_reads_a_supervisees_log_from_their_history(app: Any) -> None:
    client = _signed_in(app, "manager")
    with app.extensions["docgen"].sessions() as db:
        alex = db.scalar(select(Person.id).where(Person.email == "worker@demo.example.org"))
    page = client.get(f"/supervision/{alex}/log", headers=HTML)
    assert page.status_code == 200
    shown = " ".join(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)).split())
    assert "Alex Morgan" in shown and "every 1 month" in shown and "Met" in shown
