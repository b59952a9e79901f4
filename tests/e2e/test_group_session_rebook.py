"""Issue 27 (19f): a group session is cancelled, moved and rebooked from the group's page, as a
one-to-one session is (`workflows.planning`), on SQLite and PostgreSQL: everyone invited is sent
the calendar's CANCEL or the new REQUEST, each change is audited, and only those who run the group
may make it."""
from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, GroupSession, OutboxMessage
from tests.e2e.test_web_pages import HTML, post, sign_in, text


def _group_with_a_session(client: Any, org: Any) -> tuple[int, int]:
    """Sam's action learning group (Alex and Priya), with one session planned next week."""
    group = client.post("/api/v1/groups", json={"name": "CIN 1 action learning", "facilitator_id": org.ids["manager"],
                                                "member_ids": [org.ids["worker"], org.ids["asye"]]},
                        headers=org.auth("manager"))
    assert group.status_code == 201, group.json
    starts = dt.datetime.combine(clock.today() + dt.timedelta(days=7), dt.time(10))
    session = client.post(f"/api/v1/groups/{group.json['id']}/sessions", json={"starts_at": f"{starts.isoformat()}Z"},
                          headers=org.auth("manager"))
    assert session.status_code == 201, session.json
    return group.json["id"], session.json["id"]


def _calendar_of(db: Any, subject: str) -> dict[str, str]:
    """What each person was sent under `subject`: the .ics's METHOD, by address."""
    db.expire_all()
    sent = db.scalars(select(OutboxMessage).where(OutboxMessage.subject == subject)).all()
    return {m.to_address: re.search(r"METHOD:(\w+)", base64.b64decode(m.attachments[0]["data_b64"]).decode()).group(1)
            for m in sent}


def test_a_planned_group_session_is_cancelled_then_rebooked_and_everyone_is_told(client: Any, org: Any,
                                                                                   db: Any) -> None:
    group_id, session_id = _group_with_a_session(client, org)
    sign_in(client, "manager")
    page = text(client.get(f"/groups/{group_id}", headers=HTML))
    assert f'action="/group-sessions/{session_id}/cancel"' in page and f"/group-sessions/{session_id}/rebook" in page

    cancelled = post(client, f"/group-sessions/{session_id}/cancel", {}, page=f"/groups/{group_id}")
    assert cancelled.status_code == 302
    shown = text(client.get(f"/groups/{group_id}", headers=HTML))
    assert "is cancelled; everyone in the group has been sent the cancellation" in shown
    assert f'action="/group-sessions/{session_id}/cancel"' not in shown and ">Rebook<" in shown
    invited = {"manager@knowsley.example.org", "worker@knowsley.example.org", "asye@knowsley.example.org"}
    assert _calendar_of(db, "Cancelled: Group supervision: CIN 1 action learning") == dict.fromkeys(invited, "CANCEL")

    day = clock.today() + dt.timedelta(days=9)
    form = post(client, f"/group-sessions/{session_id}/rebook",
                {"day": day.isoformat(), "time": "14:30", "minutes": "60", "location": "Huyton, Room 2"})
    assert form.status_code == 302
    assert "The session is rebooked for" in text(client.get(f"/groups/{group_id}", headers=HTML))
    db.expire_all()
    session = db.get(GroupSession, session_id)
    assert session.status == "planned" and session.minutes == 60 and session.location == "Huyton, Room 2"
    assert clock.uk(session.starts_at).replace(tzinfo=None) == dt.datetime.combine(day, dt.time(14, 30))
    requests = _calendar_of(db, "Group supervision: CIN 1 action learning")
    assert set(requests) == invited and set(requests.values()) == {"REQUEST"}
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "group_session")).all()
    assert {"group.session.cancel", "group.session.rebook"} <= set(audited)


def test_moving_a_planned_group_session_keeps_its_calendar_entry(client: Any, org: Any, db: Any) -> None:
    group_id, session_id = _group_with_a_session(client, org)
    db.expire_all()
    uid = db.get(GroupSession, session_id).uid
    sign_in(client, "manager")
    rebook = text(client.get(f"/group-sessions/{session_id}/rebook", headers=HTML))
    assert "Move the session" in rebook and 'value="90"' in rebook  # its length kept unless changed
    day = clock.today() + dt.timedelta(days=8)
    assert post(client, f"/group-sessions/{session_id}/rebook", {"day": day.isoformat(), "time": "09:00",
                                                                 "minutes": "90"}).status_code == 302
    db.expire_all()
    moved = db.get(GroupSession, session_id)
    assert moved.uid == uid and moved.ics_sequence == 1  # the same meeting, moved in everyone's calendar


def test_a_rebooking_in_the_past_is_refused_on_the_date_box_and_a_member_cannot_cancel(client: Any,
                                                                                           org: Any) -> None:
    group_id, session_id = _group_with_a_session(client, org)
    sign_in(client, "manager")
    refused = post(client, f"/group-sessions/{session_id}/rebook",
                   {"day": (clock.today() - dt.timedelta(days=1)).isoformat(), "time": "10:00", "minutes": "90"})
    assert refused.status_code == 400 and 'href="#day"' in text(refused)
    assert 'value="10:00"' in text(refused)  # typing kept
    sign_in(client, "worker")
    assert ">Rebook<" not in text(client.get(f"/groups/{group_id}", headers=HTML))
    assert client.get(f"/group-sessions/{session_id}/rebook", headers=HTML).status_code in (403, 404)
