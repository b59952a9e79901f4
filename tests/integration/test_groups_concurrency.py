"""Ten recorders' clicks at once on SQLite and PostgreSQL (issue 14): a group session gets one
record, and attendance marked ten times at once is saved, never doubled."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from kernel import clock
from storage.models import GroupAttendance, Record
from tests.integration.test_concurrency import THREADS, _at_once


def _held_session(client: Any, org: Any, *, marked: bool = True) -> int:
    sam = org.auth("manager")
    group = client.post("/api/v1/groups", json={"name": "CIN 1 action learning", "facilitator_id": org.ids["manager"],
                                                 "member_ids": [org.ids["worker"], org.ids["asye"]]}, headers=sam).json
    starts = (clock.now() + dt.timedelta(days=1)).replace(microsecond=0)
    session = client.post(f"/api/v1/groups/{group['id']}/sessions", json={"starts_at": starts.isoformat() + "Z"},
                          headers=sam).json
    later = starts + dt.timedelta(hours=3)
    clock.set_clock(lambda: later)
    if marked:
        answer = client.put(f"/api/v1/group-sessions/{session['id']}/attendance", json={"attendance": [
            {"person_id": org.ids["worker"], "attendance": "present"}]}, headers=sam)
        assert answer.status_code == 200, answer.json
    return session["id"]


def test_a_session_gets_one_record_however_many_start_it_at_once(app: Any, client: Any, org: Any) -> None:
    session_id = _held_session(client, org)
    answers = _at_once(app, THREADS, lambda c, n: c.post(f"/api/v1/group-sessions/{session_id}/record",
                                                         headers=org.auth("manager")).status_code)
    assert Counter(answers) == {201: 1, 409: THREADS - 1}
    with app.extensions["docgen"].sessions() as db:
        assert db.scalar(select(func.count(Record.id)).where(Record.group_session_id == session_id)) == 1


def test_attendance_marked_at_once_is_kept_once_per_member(app: Any, client: Any, org: Any) -> None:
    session_id = _held_session(client, org, marked=False)
    marks = {"attendance": [{"person_id": org.ids["worker"], "attendance": "present"},
                            {"person_id": org.ids["asye"], "attendance": "apologies"}]}
    answers = _at_once(app, THREADS, lambda c, n: c.put(f"/api/v1/group-sessions/{session_id}/attendance",
                                                        json=marks, headers=org.auth("manager")).status_code)
    assert set(answers) <= {200, 409} and 200 in answers
    with app.extensions["docgen"].sessions() as db:
        rows = db.execute(select(GroupAttendance.person_id, GroupAttendance.attendance)
                          .where(GroupAttendance.session_id == session_id)).all()
    assert sorted(rows) == sorted([(org.ids["worker"], "present"), (org.ids["asye"], "apologies")])
