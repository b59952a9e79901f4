"""Starting a team's records from the page and the API (issue 16): progress as done of total,
failures named, refusals naming the field. The test queue runs each task as soon as it is
enqueued (after the commit), so a start has finished by the time its progress is asked for; the
answer to the start itself is read inside its transaction, before the work is handed over."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import Record
from tests.e2e.test_web_pages import HTML, config, post, sign_in, text  # noqa: F401
from workflows import people
from workflows.profiles import load_profile


def _today() -> str:
    return clock.today().isoformat()


def _boxes(day: dt.date) -> list[str]:
    """The date as typed in the day, month and year boxes."""
    return [str(day.day), str(day.month), str(day.year)]


def _supervisees_with_records(db: Any) -> list[int]:
    db.expire_all()
    return sorted(db.scalars(select(Record.supervisee_id)))


def test_a_team_manager_starts_the_team_records_through_the_api(client: Any, org: Any, db: Any) -> None:
    started = client.post("/api/v1/bulk-starts", json={"team_id": org.team.id, "session_date": _today()},
                          headers=org.auth("manager"))

    assert started.status_code == 202, started.json
    assert started.json["scope"] == "Children in Need 1"
    counts = ("total", "done", "failed", "pending", "finished")
    assert {k: started.json[k] for k in counts} == {"total": 2, "done": 0, "failed": 0, "pending": 2, "finished": False}
    assert _supervisees_with_records(db) == sorted([org.ids["worker"], org.ids["asye"]])
    again = client.get(started.headers["Location"], headers=org.auth("manager"))
    assert {k: again.json[k] for k in counts} == {"total": 2, "done": 2, "failed": 0, "pending": 0, "finished": True}
    assert again.json["scope"] == started.json["scope"]


def test_the_api_refuses_someone_who_arranges_nobody_and_a_request_naming_no_scope(client: Any, org: Any) -> None:
    refused = client.post("/api/v1/bulk-starts", json={"team_id": org.team.id, "session_date": _today()},
                          headers=org.auth("worker"))
    assert refused.status_code == 403
    assert refused.json["error"]["field"] == "team_id"

    both = client.post("/api/v1/bulk-starts", headers=org.auth("manager"),
                       json={"team_id": org.team.id, "service": "Children's Social Care", "session_date": _today()})
    assert both.status_code == 422
    assert "team_id or service" in both.json["error"]["message"]


def test_someone_else_cannot_see_or_resume_a_bulk_start(client: Any, org: Any) -> None:
    started = client.post("/api/v1/bulk-starts", json={"team_id": org.team.id, "session_date": _today()},
                          headers=org.auth("manager"))
    assert client.get(started.headers["Location"], headers=org.auth("worker")).status_code == 404
    assert client.post(started.headers["Location"] + "/resume", headers=org.auth("worker")).status_code == 404
    assert client.post(started.headers["Location"] + "/resume", headers=org.auth("manager")).status_code == 202


def test_the_page_starts_a_service_and_names_who_had_no_supervisor(app: Any, client: Any, org: Any, db: Any) -> None:
    with app.extensions["docgen"].sessions.begin() as setup:
        people.create_person(setup, org.org, load_profile("knowsley"), {
            "name": "Nia Newstart", "email": "nia@knowsley.example.org", "role": "social_worker",
            "team_id": org.team.id, "line_manager_id": org.ids["manager"], "employment_start": dt.date(2024, 1, 8)})
    sign_in(client, "head")
    form = client.get("/supervision/bulk-starts", headers=HTML)
    assert "Service: Children&#39;s Social Care" in text(form)

    today = clock.today()
    answer = post(client, "/supervision/bulk-starts", {
        "scope": "service-Children's Social Care", "session_date": _boxes(today)})

    assert answer.status_code == 302
    shown = text(client.get(answer.headers["Location"], headers=HTML))
    assert "3 of 4 started, 1 not started" in shown
    assert f"Nia Newstart has no supervisor on {today.day} {today:%B %Y}" in shown
    assert "Continue starting the records" not in shown  # nothing left to do
    assert len(_supervisees_with_records(db)) == 3
    listed = text(client.get("/supervision/bulk-starts", headers=HTML))
    assert "3 of 4 started, 1 not started" in listed


def test_the_page_shows_the_form_again_naming_a_missing_date_and_a_team_nobody_arranges(
        client: Any, org: Any, db: Any) -> None:
    sign_in(client, "worker")
    missing = post(client, "/supervision/bulk-starts", {"scope": f"team-{org.team.id}"})
    assert missing.status_code == 400
    assert "There is a problem" in text(missing)

    today = clock.today()
    refused = post(client, "/supervision/bulk-starts", {
        "scope": f"team-{org.team.id}", "session_date": _boxes(today)})
    assert refused.status_code == 400
    assert "You do not arrange supervision for anyone in Children in Need 1" in text(refused)
    assert _supervisees_with_records(db) == []
