"""HR moves a person to another team, supervisor or line manager from its own pages (H §10): found by
name on the leavers and transfers page, moved with the API's transfer (`movers.move`), the change
then in the recent changes and over the API. Two moves from one read cannot both land; a refused
move is the form again with a GOV.UK error summary, as chosen; anyone but HR and administrators is
told there is no such page. Both databases.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from docgen.web import hr as hr_pages
from kernel import clock
from storage.models import AuditEvent, Person, SupervisionRelationship
from tests.e2e.test_web_pages import HTML, config, csrf, opened, sign_in, text, words  # noqa: F401

MOVE_ON = dt.date(2027, 1, 4)


def at(day: dt.date) -> None:
    moment = dt.datetime.combine(day, dt.time(10))
    clock.set_clock(lambda: moment)


def second_team(client: Any, org: Any) -> int:
    made = client.post("/api/v1/teams", json={"name": "Children in Need 2", "service": "Children's Social Care"},
                       headers=org.auth("admin"))
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def url_of(org: Any, who: str = "worker") -> str:
    return f"/hr/people/{org.ids[who]}/move"


def day_boxes(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def moving(client: Any, url: str, hidden: dict[str, str], **chosen: Any) -> Any:
    """Submit the move form as a browser does, from the hidden fields of the page as it was opened."""
    return client.post(url, data={**hidden, "on": day_boxes(MOVE_ON), **chosen}, headers=HTML)


def supervisors_of(db: Any, person_id: int) -> list[tuple[int, dt.date, dt.date | None]]:
    db.expire_all()
    found = [(r.supervisor_id, r.starts_on, r.ends_on) for r in db.scalars(
        select(SupervisionRelationship).where(SupervisionRelationship.supervisee_id == person_id)
        .order_by(SupervisionRelationship.id))]
    db.commit()
    return found


def transfers(db: Any) -> list[int | None]:
    found = list(db.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "person.transfer")))
    db.commit()
    return found


def test_hr_finds_a_worker_by_name_and_moves_them_to_a_new_team_and_supervisor(client: Any, org: Any,
                                                                                db: Any) -> None:
    team = second_team(client, org)
    at(MOVE_ON)
    sign_in(client, "hr")

    found = client.get("/hr/leavers?q=alex", headers=HTML)
    assert found.status_code == 200
    assert f'href="{url_of(org)}"' in text(found) and f'href="{url_of(org, "asye")}"' not in text(found)
    assert "1 person still here matching “alex”" in words(found)
    assert f'href="{url_of(org)}"' in text(client.get("/hr/leavers?q=worker%40knowsley", headers=HTML))  # by e-mail
    form = client.get(url_of(org), headers=HTML)
    assert form.status_code == 200 and "Move Alex Morgan to another team or supervisor" in words(form)
    now = words(form)
    assert "Team Children in Need 1 Supervisor Sam Whitfield Line manager Sam Whitfield" in now
    assert "None" not in now  # an empty box or choice is empty, never Jinja's none
    nobody_over = words(client.get(url_of(org, "hr"), headers=HTML))  # Harriet: no supervisor, no line manager
    assert "Supervisor No supervisor Line manager No line manager" in nobody_over and "None" not in nobody_over
    assert 'href="/hr/leavers" class="govuk-back-link"' in text(form)
    assert 'href="/hr/leavers" aria-current="true"' in text(form)  # HR's navigation reaches it through leavers

    moved = moving(client, url_of(org), opened(client, url_of(org)), team_id=str(team),
                   supervisor_id=str(org.ids["head"]))

    assert moved.status_code == 303 and moved.headers["Location"] == "/hr/leavers", text(moved)
    leavers = words(client.get("/hr/leavers", headers=HTML))
    assert ("Alex Morgan moves to Children in Need 2 and to Dana Okafor’s supervision from 4 January 2027. "
            "Sam Whitfield’s supervision ends on 3 January 2027. "
            "A draft supervision agreement with Dana Okafor has been started.") in leavers
    assert "Alex Morgan Dana Okafor 4 January 2027 Current" in leavers  # in the recent changes
    assert supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), dt.date(2027, 1, 3)),
                                                     (org.ids["head"], MOVE_ON, None)]
    assert transfers(db) == [org.ids["hr"]]
    api = client.get(f"/api/v1/relationships?supervisee_id={org.ids['worker']}", headers=org.auth("hr"))
    assert [(r["supervisor_id"], r["starts_on"], r["ends_on"]) for r in api.json["items"]] == [
        (org.ids["manager"], "2024-01-08", "2027-01-03"), (org.ids["head"], "2027-01-04", None)]
    assert client.get(f"/api/v1/people/{org.ids['worker']}", headers=org.auth("hr")).json["team_id"] == team


def test_a_new_line_manager_alone_is_a_move_and_the_banner_names_it(client: Any, org: Any, db: Any) -> None:
    at(MOVE_ON)
    sign_in(client, "hr")

    moved = moving(client, url_of(org), opened(client, url_of(org)), line_manager_id=str(org.ids["head"]))

    assert moved.status_code == 303, text(moved)
    assert "Alex Morgan moves to Dana Okafor as line manager from 4 January 2027." in words(
        client.get("/hr/leavers", headers=HTML))
    assert db.get_one(Person, org.ids["worker"]).line_manager_id == org.ids["head"]
    assert supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), None)]


def test_someone_neither_hr_nor_an_administrator_is_told_there_is_no_such_page(client: Any, org: Any,
                                                                              db: Any) -> None:
    for who in ("manager", "worker", "auditor"):
        client.post("/sign-out", data={"csrf_token": csrf(client, "/sign-in")}, headers=HTML)
        sign_in(client, who)
        assert client.get(url_of(org), headers=HTML).status_code == 404, who
        refused = client.post(url_of(org), data={"csrf_token": csrf(client, "/tokens"), "revision": "1",
                                                 "on": day_boxes(clock.today()),
                                                 "supervisor_id": str(org.ids["head"])}, headers=HTML)
        assert refused.status_code == 404 and "Page not found" in text(refused), who
    assert supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), None)]
    assert transfers(db) == []
    sign_in(client, "hr")
    assert client.get("/hr/people/424242/move", headers=HTML).status_code == 404  # the same answer


def test_an_administrator_moves_people_too_and_goes_back_to_who_supervises_whom(client: Any, org: Any) -> None:
    team = second_team(client, org)
    at(MOVE_ON)
    sign_in(client, "admin")
    assert 'href="/admin/relationships"' in text(client.get(url_of(org), headers=HTML))

    moved = moving(client, url_of(org), opened(client, url_of(org)), team_id=str(team),
                   supervisor_id=str(org.ids["head"]), line_manager_id=str(org.ids["head"]))

    assert moved.status_code == 303 and moved.headers["Location"] == "/admin/relationships", text(moved)
    assert ("Alex Morgan moves to Children in Need 2, to Dana Okafor’s supervision and to Dana Okafor as line "
            "manager from 4 January 2027.") in words(client.get("/admin/relationships", headers=HTML))


def test_a_move_with_no_change_chosen_is_refused_naming_the_supervisor_box(client: Any, org: Any, db: Any) -> None:
    at(MOVE_ON)
    sign_in(client, "hr")

    refused = moving(client, url_of(org), opened(client, url_of(org)))

    assert refused.status_code == 400
    assert "There is a problem" in words(refused) and 'href="#supervisor_id"' in text(refused)
    assert "Choose a new supervisor, team or line manager" in words(refused)
    assert 'id="on-day" name="on" type="text" value="4"' in text(refused)  # the typed date is kept
    assert transfers(db) == []


def test_a_date_that_is_not_a_date_is_refused_with_the_choices_kept(client: Any, org: Any, db: Any) -> None:
    team = second_team(client, org)
    at(MOVE_ON)
    sign_in(client, "hr")

    refused = client.post(url_of(org), data={**opened(client, url_of(org)), "on": ["31", "2", "2027"],
                                             "team_id": str(team)}, headers=HTML)

    assert refused.status_code == 400 and 'href="#on-day"' in text(refused)
    assert "Date the move takes effect must be a real date" in words(refused)
    assert f'<option value="{team}" selected>' in text(refused)  # the typed choice is kept
    assert 'value="31"' in text(refused)
    assert transfers(db) == []


def test_an_unknown_team_is_refused_naming_the_team_box(client: Any, org: Any, db: Any) -> None:
    at(MOVE_ON)
    sign_in(client, "hr")

    refused = moving(client, url_of(org), opened(client, url_of(org)), team_id="424242")

    assert refused.status_code == 400 and 'href="#team_id"' in text(refused)
    assert "No team with id 424242" in words(refused)
    assert transfers(db) == []


def test_two_moves_from_one_read_cannot_both_land_the_second_sees_the_person_as_now(
        client: Any, org: Any, db: Any) -> None:
    at(MOVE_ON)
    sign_in(client, "hr")
    read = opened(client, url_of(org))  # two HR officers, one read of Alex

    first = moving(client, url_of(org), read, supervisor_id=str(org.ids["head"]))
    second = moving(client, url_of(org), read, supervisor_id=str(org.ids["asye"]))

    assert first.status_code == 303, text(first)
    assert second.status_code == 409
    assert "Someone else changed this person since you opened it" in words(second)
    assert "Someone else changed Alex Morgan since you opened this page, so nothing was moved" in words(second)
    assert "Supervisor Dana Okafor" in words(second)  # the person as they are now
    assert f'<option value="{org.ids["asye"]}" selected>' in text(second)  # the choice is kept
    assert supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), dt.date(2027, 1, 3)),
                                                     (org.ids["head"], MOVE_ON, None)]
    assert transfers(db) == [org.ids["hr"]]


def test_a_team_move_dated_ahead_is_refused_naming_the_date(client: Any, org: Any, db: Any) -> None:
    team = second_team(client, org)
    at(MOVE_ON - dt.timedelta(days=1))
    sign_in(client, "hr")

    refused = moving(client, url_of(org), opened(client, url_of(org)), team_id=str(team))

    assert refused.status_code == 400 and 'href="#on-day"' in text(refused)
    assert "A team or line-manager move cannot be dated ahead" in words(refused)
    assert transfers(db) == []


def test_moving_a_leaver_by_their_address_is_refused_on_the_date(client: Any, org: Any, db: Any) -> None:
    left = client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "2027-01-01"},
                       headers=org.auth("hr"))
    assert left.status_code == 200, left.json
    at(MOVE_ON)
    sign_in(client, "hr")

    refused = moving(client, url_of(org), opened(client, url_of(org)), supervisor_id=str(org.ids["head"]))

    assert refused.status_code == 400 and 'href="#on-day"' in text(refused)
    assert "Alex Morgan has left; a leaver cannot be transferred" in words(refused)
    assert transfers(db) == []


def test_a_search_finds_only_people_still_here_and_says_when_nobody_matches(client: Any, org: Any) -> None:
    left = client.post(f"/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": str(clock.today())},
                       headers=org.auth("hr"))
    assert left.status_code == 200, left.json
    sign_in(client, "hr")

    page = client.get("/hr/leavers?q=priya", headers=HTML)

    assert page.status_code == 200 and "Nobody still here matches “priya”" in words(page)
    assert url_of(org, "asye") not in text(page)
    assert "None" not in words(page)


def test_a_search_matching_many_lists_the_first_few_and_asks_for_more_of_the_name(client: Any, org: Any,
                                                                                  monkeypatch: Any) -> None:
    monkeypatch.setattr(hr_pages, "FOUND", 2)
    sign_in(client, "hr")

    page = client.get("/hr/leavers?q=a", headers=HTML)

    assert "7 people still here matching “a”: the first 2 are shown, type more of the name" in words(page)
    assert text(page).count('">Move<span class="govuk-visually-hidden">') == 2


def test_a_move_dated_in_the_year_9999_is_refused_naming_the_date_on_the_page_and_over_the_api(
        client: Any, org: Any, db: Any) -> None:
    """A year typed as 9999 is a slip: refused at the input, never a 500 when the new supervisor's
    draft agreement is given a review date a year on (past the calendar's end)."""
    at(MOVE_ON)
    sign_in(client, "hr")

    page = client.post(url_of(org), data={**opened(client, url_of(org)), "on": ["1", "6", "9999"],
                                          "supervisor_id": str(org.ids["head"])}, headers=HTML)
    person = f"/api/v1/people/{org.ids['worker']}"
    api = client.post(f"{person}/transfer", json={"on": "9999-06-01", "supervisor_id": org.ids["head"]},
                      headers={**org.auth("hr"), "If-Match": client.get(person, headers=org.auth("hr")).headers["ETag"]})
    started = client.post("/api/v1/relationships", json={"supervisee_id": org.ids["hr"], "supervisor_id": org.ids["head"],
                                                         "starts_on": "9999-06-01"}, headers=org.auth("admin"))

    assert page.status_code == 400 and 'href="#on-day"' in text(page)
    assert "Date the move takes effect must be within 5 years of today (a docgen default)" in words(page)
    assert api.status_code == 422 and api.json["error"]["field"] == "on", api.json
    assert "within 5 years of today" in api.json["error"]["message"]
    assert started.status_code == 422 and started.json["error"]["field"] == "starts_on", started.json
    assert supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), None)]
    assert transfers(db) == []


def test_someone_who_has_left_by_the_move_is_refused_as_supervisor_and_as_line_manager(client: Any, org: Any,
                                                                                      db: Any) -> None:
    left = client.post(f"/api/v1/people/{org.ids['head']}/leaver", json={"leave_date": str(MOVE_ON)},
                       headers=org.auth("hr"))
    assert left.status_code == 200, left.json
    at(MOVE_ON)
    sign_in(client, "hr")

    as_supervisor = moving(client, url_of(org), opened(client, url_of(org)), supervisor_id=str(org.ids["head"]))
    as_manager = moving(client, url_of(org), opened(client, url_of(org)), line_manager_id=str(org.ids["head"]))

    assert as_supervisor.status_code == 400 and 'href="#supervisor_id"' in text(as_supervisor)
    assert ("Dana Okafor’s leave date is 4 January 2027: choose someone who is still here on 4 January 2027"
            in words(as_supervisor))
    assert as_manager.status_code == 400 and 'href="#line_manager_id"' in text(as_manager)
    assert "Dana Okafor’s leave date is 4 January 2027" in words(as_manager)
    assert supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), None)]
    assert db.get_one(Person, org.ids["worker"]).line_manager_id == org.ids["manager"]
    assert transfers(db) == []


def test_a_form_without_the_revision_it_was_opened_at_says_the_page_was_out_of_date(client: Any, org: Any,
                                                                                    db: Any) -> None:
    """A missing or mangled hidden revision is no one else's change: the page says only to open it again."""
    at(MOVE_ON)
    sign_in(client, "hr")

    for revision in ("", "not-a-number"):
        refused = moving(client, url_of(org), {**opened(client, url_of(org)), "revision": revision},
                         supervisor_id=str(org.ids["head"]))

        assert refused.status_code == 428, revision
        assert "This page was out of date: open it again" in words(refused)
        assert f'href="{url_of(org)}"' in text(refused)
        assert "Someone else changed" not in words(refused)
    assert transfers(db) == []


def test_an_administrator_reaches_the_move_page_from_an_active_persons_page_only(client: Any, org: Any) -> None:
    sign_in(client, "admin")
    page = client.get(f"/admin/people/{org.ids['worker']}", headers=HTML)
    assert page.status_code == 200
    assert f'href="{url_of(org)}"' in text(page) and "Move to another team or supervisor" in words(page)
    assert client.get(url_of(org), headers=HTML).status_code == 200  # where the link leads
    assert "Move to another team or supervisor" not in words(client.get("/admin/people/new", headers=HTML))

    left = client.post(f"/api/v1/people/{org.ids['asye']}/leaver", json={"leave_date": str(clock.today())},
                       headers=org.auth("hr"))
    assert left.status_code == 200, left.json
    assert url_of(org, "asye") not in text(client.get(f"/admin/people/{org.ids['asye']}", headers=HTML))
