"""Issue 25 item 3: a session cancelled, rebooked, cancelled again and rebooked again (a chain of two
rebookings) counts in the supervision log as two cancelled and two rebooked, each in the month it
was cancelled from, and the session finally held counts once as held; a group session (rebooked in
its own row, `workflows.groups.rebook_session`) and a one-to-one (a new session each time, linked by
`rebooked_as_id`) count alike. The same figures over the API, in the log's CSV and in the compliance
report's period figures, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import GroupSession, GroupSessionRebooking, Person, PlannedSession, Record
from tests.e2e.test_group_session_api import _at
from tests.e2e.test_group_session_rebook import _group_with_a_session
from tests.e2e.test_web_pages import sign_in, text
from workflows import supervision_log


def _day(db: Any, model: Any, session_id: int) -> dt.date:
    db.expire_all()
    return clock.uk(db.get(model, session_id).starts_at).date()


def _chain(client: Any, org: Any, db: Any, kind: Any, url: str, first_id: int, hour: int) -> tuple[int, list[dt.date]]:
    """Cancel the session and rebook it, twice (nine, then twelve days ahead, at `hour` UTC): the id
    of the last booking (a group session keeps its one id) and the days the two cancelled were to be held."""
    booking, days = first_id, []
    for days_ahead in (9, 12):
        days.append(_day(db, kind, booking))
        assert client.post(f"{url}/{booking}/cancel", headers=org.auth("manager")).status_code == 200
        rebooked = client.post(f"{url}/{booking}/rebook", json={"starts_at": _at(days_ahead, hour)},
                               headers=org.auth("manager"))
        assert rebooked.status_code == 200, rebooked.json
        booking = rebooked.json["id"]
    return booking, days


def _group_chain(client: Any, org: Any, db: Any) -> tuple[int, list[dt.date]]:
    """Alex and Priya's group session next week, cancelled and rebooked twice."""
    _, session_id = _group_with_a_session(client, org)
    return _chain(client, org, db, GroupSession, "/api/v1/group-sessions", session_id, 10)


def _one_to_one_chain(client: Any, org: Any, db: Any) -> tuple[int, list[dt.date]]:
    """Alex's one-to-one next week, cancelled and rebooked twice: a new session each time."""
    planned = client.post("/api/v1/sessions", json={"supervisee_id": org.ids["worker"], "starts_at": _at(7, 15)},
                          headers=org.auth("manager"))
    assert planned.status_code == 201, planned.json
    return _chain(client, org, db, PlannedSession, "/api/v1/sessions", planned.json["id"], 15)


def _hold_both(client: Any, org: Any, db: Any, group_id: int, one_to_one_id: int) -> None:
    """Two weeks on: Alex at the group session, Priya sending apologies; Alex's one-to-one written up."""
    later = clock.now() + dt.timedelta(days=14)
    clock.set_clock(lambda: later)
    marked = client.put(f"/api/v1/group-sessions/{group_id}/attendance", json={"attendance": [
        {"person_id": org.ids["worker"], "attendance": "present"},
        {"person_id": org.ids["asye"], "attendance": "apologies"}]}, headers=org.auth("manager"))
    assert marked.status_code == 200, marked.json
    db.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                  session_date=_day(db, PlannedSession, one_to_one_id), status="signed", sections={}))
    db.commit()


FIGURES = ("group_attended", "group_cancelled", "group_rebooked", "one_to_one_held", "one_to_one_cancelled",
           "one_to_one_rebooked")


def _expected(group_cancelled: list[dt.date], group_held: dt.date, cancelled: list[dt.date],
              held: dt.date) -> dict[str, Counter[str]]:
    """Each figure by month (2026-04) as a manager counts it: every cancellation, every rebooking, one held."""
    months = lambda days: Counter(f"{day:%Y-%m}" for day in days)  # noqa: E731
    return {"group_attended": months([group_held]), "group_cancelled": months(group_cancelled),
            "group_rebooked": months(group_cancelled), "one_to_one_held": months([held]),
            "one_to_one_cancelled": months(cancelled), "one_to_one_rebooked": months(cancelled)}


def _by_month(rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    return {name: Counter({row["month"]: int(row[name]) for row in rows if int(row[name])}) for name in FIGURES}


def test_a_chain_of_two_rebookings_counts_two_cancelled_two_rebooked_and_one_held_in_api_csv_and_report(
        client: Any, org: Any, db: Any, app: Any) -> None:
    group_id, group_days = _group_chain(client, org, db)
    one_to_one_id, one_to_one_days = _one_to_one_chain(client, org, db)
    group_held, held = _day(db, GroupSession, group_id), _day(db, PlannedSession, one_to_one_id)
    _hold_both(client, org, db, group_id, one_to_one_id)
    expected = _expected(group_days, group_held, one_to_one_days, held)
    span = f"from={min(group_days + one_to_one_days):%Y-%m}&to={max(group_held, held):%Y-%m}"

    answer = client.get(f"/api/v1/people/{org.ids['worker']}/supervision-log?{span}", headers=org.auth("manager"))
    sign_in(client, "manager")
    rows = list(csv.DictReader(io.StringIO(text(client.get(f"/supervision/{org.ids['worker']}/log.csv?{span}")))))
    with app.extensions["docgen"].unit_of_work() as unit:
        report = supervision_log.period_figures(unit, select(Person).where(Person.id == org.ids["worker"]),
                                                min(group_days + one_to_one_days), max(group_held, held))

    assert answer.status_code == 200, answer.json
    assert list(db.scalars(select(GroupSessionRebooking.cancelled_from).where(
        GroupSessionRebooking.session_id == group_id).order_by(GroupSessionRebooking.id))) == group_days
    assert _by_month(answer.json["months"]) == expected
    assert _by_month(rows) == expected
    assert (report.group_attended, report.group_cancelled, report.group_rebooked) == (1, 2, 2)
    assert (report.one_to_one_held, report.cancelled, report.rebooked) == (1, 2, 2)


def test_a_member_who_sent_apologies_counts_the_groups_chain_but_no_session_attended(
        client: Any, org: Any, db: Any) -> None:
    group_id, group_days = _group_chain(client, org, db)
    one_to_one_id, _ = _one_to_one_chain(client, org, db)
    _hold_both(client, org, db, group_id, one_to_one_id)
    span = f"from={min(group_days):%Y-%m}&to={_day(db, GroupSession, group_id):%Y-%m}"

    answer = client.get(f"/api/v1/people/{org.ids['asye']}/supervision-log?{span}", headers=org.auth("manager"))

    assert answer.status_code == 200, answer.json
    counted = _by_month(answer.json["months"])
    assert counted["group_cancelled"] == counted["group_rebooked"] == Counter(f"{d:%Y-%m}" for d in group_days)
    assert not counted["group_attended"] and not counted["one_to_one_cancelled"]
