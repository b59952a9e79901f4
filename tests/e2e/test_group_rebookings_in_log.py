"""Issue 25 item 3: a group session cancelled and then rebooked (`workflows.groups.rebook_session`,
which plans the same session again) still counts in the supervision log as cancelled and as
rebooked, on the day it was cancelled from, for each member of the group; moving a session that
was never cancelled is neither. Over the API, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import GroupSession, GroupSessionRebooking
from tests.e2e.test_group_session_api import _at
from tests.e2e.test_group_session_rebook import _group_with_a_session


def _group_months(client: Any, org: Any, who: str) -> dict[str, tuple[int, int]]:
    """`who`'s own log from this month to the month of the latest rebooking (nine days ahead): each
    month's (group sessions cancelled, group sessions rebooked)."""
    first, last = clock.today(), clock.today() + dt.timedelta(days=9)
    answer = client.get(f"/api/v1/people/{org.ids[who]}/supervision-log?from={first:%Y-%m}&to={last:%Y-%m}",
                        headers=org.auth(who))
    assert answer.status_code == 200, answer.json
    return {m["month"]: (m["group_cancelled"], m["group_rebooked"]) for m in answer.json["months"]}


def _rebookings(db: Any, session_id: int) -> list[GroupSessionRebooking]:
    db.expire_all()
    return list(db.scalars(select(GroupSessionRebooking).where(GroupSessionRebooking.session_id == session_id)
                           .order_by(GroupSessionRebooking.id)))


def test_a_group_session_cancelled_then_rebooked_counts_as_both_for_a_member_in_the_month_it_was_cancelled_from(
        client: Any, org: Any, db: Any) -> None:
    _, session_id = _group_with_a_session(client, org)  # next week, Alex and Priya members, Sam facilitating
    url = f"/api/v1/group-sessions/{session_id}"
    db.expire_all()
    was_on = clock.uk(db.get(GroupSession, session_id).starts_at).date()
    assert client.post(f"{url}/cancel", headers=org.auth("manager")).status_code == 200
    cancelled_only = _group_months(client, org, "worker")

    before = clock.now()
    rebooked = client.post(f"{url}/rebook", json={"starts_at": _at(9, 14, 30)}, headers=org.auth("manager"))

    assert rebooked.status_code == 200, rebooked.json
    [rebooking] = _rebookings(db, session_id)
    assert rebooking.cancelled_from == was_on and before <= rebooking.rebooked_at <= clock.now()
    for member in ("worker", "asye"):
        counted = _group_months(client, org, member)
        assert counted[f"{was_on:%Y-%m}"] == (1, 1)
        assert sum(c for c, _ in counted.values()) == 1 and sum(r for _, r in counted.values()) == 1
    assert cancelled_only[f"{was_on:%Y-%m}"] == (1, 0)  # the cancellation is not counted twice once rebooked
    assert set(_group_months(client, org, "manager").values()) == {(0, 0)}  # the facilitator is not a member


def test_moving_a_planned_group_session_is_neither_a_cancellation_nor_a_rebooking(
        client: Any, org: Any, db: Any) -> None:
    _, session_id = _group_with_a_session(client, org)

    moved = client.post(f"/api/v1/group-sessions/{session_id}/rebook", json={"starts_at": _at(9, 11)},
                        headers=org.auth("manager"))

    assert moved.status_code == 200, moved.json
    assert _rebookings(db, session_id) == []
    assert set(_group_months(client, org, "worker").values()) == {(0, 0)}


def test_a_rebooked_group_session_cancelled_again_counts_both_cancellations_and_one_rebooking(
        client: Any, org: Any, db: Any) -> None:
    _, session_id = _group_with_a_session(client, org)
    url = f"/api/v1/group-sessions/{session_id}"
    assert client.post(f"{url}/cancel", headers=org.auth("manager")).status_code == 200
    assert client.post(f"{url}/rebook", json={"starts_at": _at(9, 11)}, headers=org.auth("manager")).status_code == 200

    again = client.post(f"{url}/cancel", headers=org.auth("manager"))

    assert again.status_code == 200, again.json
    assert len(_rebookings(db, session_id)) == 1
    counted = _group_months(client, org, "worker")
    assert sum(c for c, _ in counted.values()) == 2 and sum(r for _, r in counted.values()) == 1
