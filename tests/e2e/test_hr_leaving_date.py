"""HR records a person's leaving date from its own pages (S 12.4), found by name on the leavers and
transfers page or from the move page, and corrects it until it comes. The page is the API's leaver
(`retention.record_leaver`, the same `RecordLeaver` input): the same limits and the same field
named on both edges, audited as `person.leaver`. Someone serving notice is not made anyone's new
supervisor from their leaving date. Both databases.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from storage.models import INTEGER_MAX, AuditEvent, Person, SupervisionRelationship
from tests.e2e.test_hr_move import at, day_boxes, moving, opened, url_of
from tests.e2e.test_web_pages import HTML, config, csrf, post, sign_in, text, words  # noqa: F401

TODAY = dt.date(2027, 1, 4)
LEAVES = dt.date(2027, 1, 29)


def leaving_url(org: Any, who: str = "worker") -> str:
    return f"/hr/people/{org.ids[who]}/leaving"


def record(client: Any, org: Any, day: list[str], who: str = "worker") -> Any:
    """Submit the leaving-date form as a browser does, with the CSRF token of the page as opened."""
    return client.post(leaving_url(org, who), data={**opened(client, leaving_url(org, who)), "leave_date": day},
                       headers=HTML)


def leavers_recorded(db: Any) -> list[tuple[int | None, str | None, dict[str, Any]]]:
    found = [(e.actor_id, e.object_id, e.detail) for e in db.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.leaver").order_by(AuditEvent.id))]
    db.commit()
    return found


def leave_date_of(db: Any, person_id: int) -> dt.date | None:
    db.expire_all()
    day = db.get_one(Person, person_id).leave_date
    db.commit()
    return day


def test_hr_finds_a_worker_by_name_records_their_leaving_date_and_sees_it_on_the_leavers_page(
        client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "hr")
    assert f'href="{leaving_url(org)}"' in text(client.get("/hr/leavers?q=alex", headers=HTML))

    form = client.get(leaving_url(org), headers=HTML)

    assert form.status_code == 200 and "Record Alex Morgan’s leaving date" in words(form)
    said = words(form)
    assert "6 months after the leaving date their records are forwarded to HR for the employee’s file" in said
    assert "7 years after that, the records are destroyed, unless a legal hold stops it" in said
    assert ("These periods come from Knowsley Council’s policy profile: default: docgen, for the council to confirm — "
            "S 12.4’s periods") in said.replace("'", "’")
    assert 'href="/hr/leavers" class="govuk-back-link"' in text(form)

    recorded = record(client, org, day_boxes(LEAVES))

    assert recorded.status_code == 303 and recorded.headers["Location"] == "/hr/leavers", text(recorded)
    page = client.get("/hr/leavers", headers=HTML)
    assert ("Alex Morgan leaves on 29 January 2027. Their records are frozen on 29 January 2027, go to HR on "
            "29 July 2027 and are due to be destroyed on 29 July 2034 unless a legal hold stops it.") in words(page)
    card = text(page)[text(page).index(f'id="leaver-{org.ids["worker"]}"'):]
    assert "29 January 2027 (coming)" in card and f'href="{leaving_url(org)}"' in card
    assert leavers_recorded(db) == [(org.ids["hr"], str(org.ids["worker"]),
                                     {"leave_date": "2027-01-29", "ended_relationships": [
                                         db.scalar(select(SupervisionRelationship.id).where(
                                             SupervisionRelationship.supervisee_id == org.ids["worker"]))],
                                     "previous_leave_date": None})]
    api = client.get(f"/api/v1/people/{org.ids['worker']}", headers=org.auth("hr"))
    assert api.json["leave_date"] == "2027-01-29"


def test_the_move_page_leads_to_the_leaving_date_and_a_supervisor_leaving_is_told_whom_they_leave(
        client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "hr")
    assert f'href="{leaving_url(org, "manager")}"' in text(client.get(url_of(org, "manager"), headers=HTML))

    recorded = record(client, org, day_boxes(LEAVES), who="manager")

    assert recorded.status_code == 303, text(recorded)
    assert ("Their supervision of Alex Morgan and Priya Patel ends that day: give them a new supervisor."
            in words(client.get("/hr/leavers", headers=HTML)))


def test_hr_corrects_a_coming_leaving_date_from_the_leavers_page(client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    assert client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "2027-01-29"},
                       headers=org.auth("hr")).status_code == 200
    sign_in(client, "hr")

    form = client.get(leaving_url(org), headers=HTML)
    assert "Change Alex Morgan’s leaving date" in words(form)
    assert 'id="leave_date-day" name="leave_date" type="text" value="29"' in text(form)  # the date as recorded

    corrected = record(client, org, ["26", "2", "2027"])

    assert corrected.status_code == 303, text(corrected)
    assert leave_date_of(db, org.ids["worker"]) == dt.date(2027, 2, 26)
    assert "26 February 2027 (coming)" in words(client.get("/hr/leavers", headers=HTML))
    assert [detail["leave_date"] for _, _, detail in leavers_recorded(db)] == ["2027-01-29", "2027-02-26"]


def test_once_the_records_are_frozen_the_leaving_date_no_longer_changes(client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "hr")
    assert record(client, org, day_boxes(TODAY)).status_code == 303  # today: frozen at once

    shown = client.get(leaving_url(org), headers=HTML)
    refused = record(client, org, day_boxes(LEAVES))

    assert "records were frozen on 4 January 2027, so the leaving date can no longer change" in words(shown)
    assert 'name="leave_date"' not in text(shown)
    assert "Change the leaving date" not in words(client.get("/hr/leavers", headers=HTML))
    assert refused.status_code == 409 and 'href="#leave_date-day"' in text(refused)
    assert "Alex Morgan’s records were frozen on 4 January 2027: the leave date can no longer change" in words(refused)
    assert leave_date_of(db, org.ids["worker"]) == TODAY


def test_a_leaving_date_years_ahead_is_refused_naming_the_field_on_the_page_and_over_the_api(
        client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "hr")

    page = record(client, org, ["1", "6", "9999"])
    api = client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "9999-06-01"},
                      headers=org.auth("hr"))

    assert page.status_code == api.status_code == 422, api.json
    assert 'href="#leave_date-day"' in text(page)
    assert "Leaving date must be within 5 years of today (a docgen default): check the year" in words(page)
    assert api.json["error"]["field"] == "leave_date"
    assert api.json["error"]["message"] == ("leave_date must be within 5 years of today (a docgen default): "
                                            "check the year")
    assert leave_date_of(db, org.ids["worker"]) is None and leavers_recorded(db) == []


def test_a_leaving_date_before_the_employment_start_is_refused_naming_the_field_on_both_edges(
        client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "hr")

    page = record(client, org, ["7", "1", "2024"])
    api = client.post(f"/api/v1/people/{org.ids['worker']}/leaver", json={"leave_date": "2024-01-07"},
                      headers=org.auth("hr"))

    assert page.status_code == api.status_code == 422, api.json
    assert "Leaving date must be on or after Alex Morgan’s employment start, 8 January 2024" in words(page)
    assert 'href="#leave_date-day"' in text(page) and 'value="2024"' in text(page)  # what was typed is kept
    assert api.json["error"]["field"] == "leave_date"
    assert "on or after Alex Morgan’s employment start, 8 January 2024" in api.json["error"]["message"]
    assert leave_date_of(db, org.ids["worker"]) is None and leavers_recorded(db) == []


def test_garbage_in_the_date_boxes_the_url_or_without_the_token_is_a_4xx_not_a_500(
        client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "hr")

    not_a_date = record(client, org, ["abc", "1", "2027"])
    half = record(client, org, ["", "1", "2027"])
    empty = record(client, org, ["", "", ""])
    no_token = client.post(leaving_url(org), data={"leave_date": day_boxes(LEAVES)}, headers=HTML)

    assert not_a_date.status_code == 400 and "Leaving date must be a real date" in words(not_a_date)
    assert half.status_code == 400 and "Leaving date must include a day" in words(half)
    assert empty.status_code == 400 and "Enter leaving date" in words(empty)
    assert 'href="#leave_date-day"' in text(empty)
    assert no_token.status_code == 400
    for person in ("abc", str(INTEGER_MAX + 1), "99999999999999999999", "424242"):
        assert client.get(f"/hr/people/{person}/leaving", headers=HTML).status_code == 404, person
        answer = client.post(f"/hr/people/{person}/leaving", headers=HTML,
                             data={"csrf_token": csrf(client, "/hr/leavers"), "leave_date": day_boxes(LEAVES)})
        assert 400 <= answer.status_code < 500, person  # 404, or 405 where no id converter takes it
    assert leave_date_of(db, org.ids["worker"]) is None and leavers_recorded(db) == []


def test_someone_neither_hr_nor_an_administrator_is_told_there_is_no_such_page(client: Any, org: Any,
                                                                              db: Any) -> None:
    at(TODAY)
    sign_in(client, "manager")

    assert client.get(leaving_url(org), headers=HTML).status_code == 404
    refused = client.post(leaving_url(org), headers=HTML,
                          data={"csrf_token": csrf(client, "/tokens"), "leave_date": day_boxes(LEAVES)})

    assert refused.status_code == 404
    assert leave_date_of(db, org.ids["worker"]) is None and leavers_recorded(db) == []


def test_someone_serving_notice_is_not_made_a_new_supervisor_from_their_leaving_date_on_page_or_api(
        client: Any, org: Any, db: Any) -> None:
    """Dana hands in her notice today, leaving on 29 January: Alex cannot move to her supervision
    from that day, on HR's move page or over the API, though she is still at work."""
    at(TODAY)
    sign_in(client, "hr")
    assert record(client, org, day_boxes(LEAVES), who="head").status_code == 303
    person = f"/api/v1/people/{org.ids['worker']}"

    page = moving(client, url_of(org), opened(client, url_of(org)), supervisor_id=str(org.ids["head"]),
                  on=day_boxes(LEAVES))
    read = client.get(person, headers=org.auth("hr")).headers["ETag"]
    api = client.post(f"{person}/transfer", json={"on": str(LEAVES), "supervisor_id": org.ids["head"]},
                      headers={**org.auth("hr"), "If-Match": read})

    refusal = "Dana Okafor’s leave date is 29 January 2027: choose someone who is still here on 29 January 2027"
    assert page.status_code == 400 and 'href="#supervisor_id"' in text(page)
    assert refusal in words(page)
    assert api.status_code == 422 and api.json["error"]["field"] == "supervisor_id", api.json
    assert api.json["error"]["message"] == refusal


def test_an_administrator_setting_a_leaving_date_on_the_person_form_records_a_leaving(
        client: Any, org: Any, db: Any) -> None:
    at(TODAY)
    sign_in(client, "admin")
    url = f"/admin/people/{org.ids['manager']}"
    details = {"name": "Sam Whitfield", "email": "manager@knowsley.example.org", "role": "team_manager",
               "team_id": str(org.team.id), "line_manager_id": str(org.ids["head"]), "employment_type": "employee",
               "employment_start": ["8", "1", "2024"]}

    saved = post(client, url, {**details, "leave_date": ["29", "1", "2027"]})

    assert saved.status_code == 302, text(saved)
    assert leave_date_of(db, org.ids["manager"]) == LEAVES
    ends = set(db.scalars(select(SupervisionRelationship.ends_on).where(
        (SupervisionRelationship.supervisor_id == org.ids["manager"])
        | (SupervisionRelationship.supervisee_id == org.ids["manager"]))))
    assert ends == {LEAVES}  # as supervisor of Alex and Priya, and as Dana's supervisee
    assert [(actor, detail["leave_date"]) for actor, _, detail in leavers_recorded(db)] == [
        (org.ids["admin"], "2027-01-29")]
    emptied = post(client, url, {**details, "leave_date": ["", "", ""]})
    assert emptied.status_code == 400 and 'href="#leave_date-day"' in text(emptied)
    assert "cannot be removed once recorded" in words(emptied)
    assert leave_date_of(db, org.ids["manager"]) == LEAVES
