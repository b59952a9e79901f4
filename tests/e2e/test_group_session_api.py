"""Issue 27: a group session is cancelled, moved and rebooked over the API as on the group's page
(tests/e2e/test_group_session_rebook.py), by the same use cases (`workflows.groups`) reading the
same input model, on SQLite and PostgreSQL: everyone invited is sent the calendar's CANCEL or the
new REQUEST, each change is audited, and only those who run the group may make it."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, GroupSession
from tests.e2e.test_group_session_rebook import _calendar_of, _group_with_a_session
from tests.e2e.test_web_pages import HTML, config, post, sign_in  # noqa: F401
from tests.unit.test_twin_inputs import _api_model, _page_models

INVITED = {"manager@knowsley.example.org", "worker@knowsley.example.org", "asye@knowsley.example.org"}


def _at(days: int, hour: int, minute: int = 0) -> str:
    """A time `days` from today, UTC, as the API takes it."""
    return f"{dt.datetime.combine(clock.today() + dt.timedelta(days=days), dt.time(hour, minute)).isoformat()}Z"


def test_a_planned_group_session_is_cancelled_then_rebooked_over_the_api_and_everyone_is_told(
        client: Any, org: Any, db: Any) -> None:
    _, session_id = _group_with_a_session(client, org)
    url = f"/api/v1/group-sessions/{session_id}"
    db.expire_all()
    first_uid = db.get(GroupSession, session_id).uid

    cancelled = client.post(f"{url}/cancel", headers=org.auth("manager"))

    assert cancelled.status_code == 200, cancelled.json
    assert (cancelled.json["status"], cancelled.json["uid"]) == ("cancelled", first_uid)
    assert _calendar_of(db, "Cancelled: Group supervision: CIN 1 action learning") == dict.fromkeys(INVITED, "CANCEL")
    again = client.post(f"{url}/cancel", headers=org.auth("manager"))
    assert again.status_code == 409 and again.json["error"]["field"] == "status", again.json

    rebooked = client.post(f"{url}/rebook", json={"starts_at": _at(9, 14, 30), "minutes": 60,
                                                  "location": "Huyton, Room 2"}, headers=org.auth("manager"))

    assert rebooked.status_code == 200, rebooked.json
    shown = rebooked.json
    assert (shown["status"], shown["minutes"], shown["location"]) == ("planned", 60, "Huyton, Room 2")
    assert shown["starts_at"] == _at(9, 14, 30) and shown["uid"] != first_uid  # calendars deleted the old one
    requests = _calendar_of(db, "Group supervision: CIN 1 action learning")
    assert set(requests) == INVITED and set(requests.values()) == {"REQUEST"}
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "group_session",
                                                         AuditEvent.object_id == str(session_id))).all()
    assert {"group.session.cancel", "group.session.rebook"} <= set(audited)


def test_moving_a_planned_group_session_over_the_api_keeps_its_calendar_entry_length_and_place(
        client: Any, org: Any, db: Any) -> None:
    _, session_id = _group_with_a_session(client, org)
    url = f"/api/v1/group-sessions/{session_id}"
    placed = client.post(f"{url}/rebook", json={"starts_at": _at(8, 9), "location": "Huyton, Room 2"},
                         headers=org.auth("manager"))
    assert placed.status_code == 200, placed.json
    db.expire_all()
    uid = db.get(GroupSession, session_id).uid

    moved = client.post(f"{url}/rebook", json={"starts_at": _at(10, 11)}, headers=org.auth("manager"))

    assert moved.status_code == 200, moved.json
    assert (moved.json["minutes"], moved.json["location"]) == (90, "Huyton, Room 2")  # kept unless given
    db.expire_all()
    session = db.get(GroupSession, session_id)
    assert (session.uid, session.ics_sequence) == (uid, 2)  # the same meeting, moved twice in everyone's calendar


def test_a_rebooking_in_the_past_is_refused_naming_starts_at_and_a_member_is_refused_as_on_the_page(
        client: Any, org: Any, db: Any) -> None:
    _, session_id = _group_with_a_session(client, org)
    url = f"/api/v1/group-sessions/{session_id}"

    past = client.post(f"{url}/rebook", json={"starts_at": _at(-1, 10)}, headers=org.auth("manager"))
    assert past.status_code == 422 and past.json["error"]["field"] == "starts_at", past.json
    far = client.post(f"{url}/rebook", json={"starts_at": _at(9, 10), "location": "R" * 201},
                      headers=org.auth("manager"))  # its column holds 200: PostgreSQL refused it with a 500
    assert far.status_code == 422 and far.json["error"]["field"] == "location", far.json

    by_api = [client.post(f"{url}/cancel", headers=org.auth("worker")),
              client.post(f"{url}/rebook", json={"starts_at": _at(9, 10)}, headers=org.auth("worker"))]
    sign_in(client, "worker")
    on_page = client.get(f"/group-sessions/{session_id}/rebook", headers=HTML)
    assert {a.status_code for a in by_api} == {on_page.status_code} and on_page.status_code in (403, 404)
    db.expire_all()
    session = db.get(GroupSession, session_id)
    assert (session.status, session.ics_sequence) == ("planned", 0)


def test_the_api_and_the_page_rebook_a_group_session_through_one_input_model(client: Any) -> None:
    assert _api_model("POST /group-sessions/<int:session_id>/rebook") in _page_models("groups.rebook_session")
    assert _api_model("POST /group-sessions/<int:session_id>/cancel") is None  # nothing to give but the session
    paths = client.get("/api/v1/openapi.json").json["paths"]
    rebook = paths["/group-sessions/{session_id}/rebook"]["post"]
    assert rebook["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RebookSession"}
    assert rebook["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/GroupSessionOut"}
    assert "/group-sessions/{session_id}/cancel" in paths


def test_a_group_session_planned_without_a_length_lasts_the_profiles_group_session_minutes(
        app: Any, client: Any, org: Any, db: Any) -> None:
    """Issue 23, "no rule in code": no policy sets a group session's length, so docgen's labelled default
    `groups.session_minutes` decides it, not a number in the input model (the model once said 90)."""
    deployment = app.extensions["docgen"]
    profile = deployment.profile
    deployment.profile = profile.model_copy(update={"groups": profile.groups.model_copy(update={"session_minutes": 75})})
    try:
        _, session_id = _group_with_a_session(client, org)  # its POST gives no minutes
    finally:
        deployment.profile = profile
    db.expire_all()
    assert db.get(GroupSession, session_id).minutes == 75
