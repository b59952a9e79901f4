"""Supervision hours and attendance through its edges (issue 25 item 3): the page a supervisor
reads, its CSV, the team's page, and `GET /api/v1/people/{id}/supervision-log`, each audited and
each only for those who may see the person's schedule."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import select

from storage.models import AuditEvent, Record
from tests.e2e.test_web_pages import HTML, sign_in, text, words
from workflows import supervision_log


def _two_records(db: Any, org: Any) -> tuple[dt.date, dt.date]:
    """Alex's one-to-ones last month and this month, written up."""
    this_month = dt.date.today().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for day in (last_month + dt.timedelta(days=3), this_month):
        db.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                      session_date=day, status="signed", sections={}))
    db.commit()
    return last_month, this_month


def test_a_supervisor_reads_their_supervisees_months_and_the_read_is_audited(client: Any, org: Any, db: Any) -> None:
    last_month, this_month = _two_records(db, org)
    sign_in(client, "manager")
    history = words(client.get(f"/supervision/{org.ids['worker']}", headers=HTML))
    assert "Supervision hours and attendance of Alex Morgan" in history
    page = client.get(f"/supervision/{org.ids['worker']}/log", headers=HTML)
    assert page.status_code == 200
    shown = words(page)
    assert "Supervision hours and attendance" in shown and "Alex Morgan" in shown
    assert f"{this_month:%B %Y} 1 1 0 0 0 0 every 1 month" in shown  # held, hours, group, group hours, cancelled, rebooked
    assert "In all: 2 one-to-one sessions held (2 hours)" in shown
    assert "60 minutes (K App A)" in shown
    audited = db.scalars(select(AuditEvent).where(AuditEvent.action == "supervision_log.read")).all()
    assert [(a.actor_id, a.object_id, a.detail["as"]) for a in audited] == [
        (org.ids["manager"], str(org.ids["worker"]), "page")]


def test_the_csv_has_the_published_header_and_a_row_a_month(client: Any, org: Any, db: Any) -> None:
    last_month, this_month = _two_records(db, org)
    sign_in(client, "manager")
    answer = client.get(f"/supervision/{org.ids['worker']}/log.csv?from={last_month:%Y-%m}&to={this_month:%Y-%m}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text(answer))))
    assert list(rows[0]) == supervision_log.COLUMNS
    assert [(r["month"], r["person"], r["one_to_one_held"], r["one_to_one_hours"]) for r in rows] == [
        (f"{last_month:%Y-%m}", "Alex Morgan", "1", "1.0"), (f"{this_month:%Y-%m}", "Alex Morgan", "1", "1.0")]


def test_a_month_typed_wrongly_is_shown_on_the_page_naming_the_box(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    page = client.get(f"/supervision/{org.ids['worker']}/log?from=April", headers=HTML)
    assert page.status_code == 400
    assert "From must be a month like 2026-04" in words(page)


def test_the_team_page_offers_the_teams_and_sums_the_team(client: Any, org: Any, db: Any) -> None:
    _two_records(db, org)
    sign_in(client, "head")
    choose = client.get("/reports/supervision-log", headers=HTML)
    assert choose.status_code == 200 and "Children in Need 1" in words(choose)
    page = words(client.get(f"/reports/supervision-log?team_id={org.team.id}", headers=HTML))
    assert "The team month by month" in page and "Alex Morgan" in page
    team_csv = list(csv.DictReader(io.StringIO(text(client.get(f"/reports/supervision-log.csv?team_id={org.team.id}")))))
    totals = [r for r in team_csv if r["person"] == "Team total"]
    assert len(totals) == 12 and sum(int(r["one_to_one_held"]) for r in totals) == 2
    compliance = words(client.get("/reports/compliance", headers=HTML))
    assert "supervision hours and attendance" in compliance


def test_someone_who_oversees_nobody_gets_no_team_page(client: Any, org: Any) -> None:
    sign_in(client, "worker")
    assert client.get("/reports/supervision-log", headers=HTML).status_code == 403


def test_the_api_answers_the_log_and_404_for_someone_the_caller_may_not_see(client: Any, org: Any, db: Any) -> None:
    last_month, this_month = _two_records(db, org)
    answer = client.get(f"/api/v1/people/{org.ids['worker']}/supervision-log?from={last_month:%Y-%m}"
                        f"&to={this_month:%Y-%m}", headers=org.auth("manager"))
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["name"], body["start"], body["end"]) == ("Alex Morgan", f"{last_month:%Y-%m}", f"{this_month:%Y-%m}")
    assert body["policy_session_length"] == {"minutes": 60, "source": "K App A"}
    assert [(m["one_to_one_held"], m["one_to_one_hours"], m["one_to_one_policy_length"]) for m in body["months"]] == [
        (1, 1.0, 1), (1, 1.0, 1)]
    assert client.get(f"/api/v1/people/{org.ids['asye']}/supervision-log",
                      headers=org.auth("worker")).status_code == 404
    assert client.get(f"/api/v1/people/{org.ids['worker']}/supervision-log?to=2026-13",
                      headers=org.auth("manager")).status_code == 422
    described = client.get("/api/v1/openapi.json").json["paths"]["/people/{person_id}/supervision-log"]
    assert {p["name"] for p in described["get"]["parameters"]} >= {"person_id", "from", "to"}


def test_a_month_near_the_calendars_ends_is_refused_naming_it_on_every_view(client: Any, org: Any) -> None:
    """The log reaches past the months asked (twelve by default, a day either side in UK time), so
    a year at the calendar's end once overflowed into a 500 on every view."""
    worker, team = org.ids["worker"], org.team.id
    for asked, field in (("from=9999-12", "from"), ("to=0001-01", "to"), ("from=0001-01&to=0001-01", "from")):
        answer = client.get(f"/api/v1/people/{worker}/supervision-log?{asked}", headers=org.auth("manager"))
        assert answer.status_code == 422 and answer.json["error"]["field"] == field, answer.json
        assert "between 1900-01 and 2100-12" in answer.json["error"]["message"]
    for asked in ("from=2100-12", "to=1900-01"):  # the ends of the range are logs like any other
        assert client.get(f"/api/v1/people/{worker}/supervision-log?{asked}",
                          headers=org.auth("manager")).status_code == 200
    sign_in(client, "manager")  # a page shows the form again with the problem; a CSV is refused
    for asked in ("from=9999-12", "to=0001-01", "from=0001-01&to=0001-01"):
        page = client.get(f"/supervision/{worker}/log?{asked}", headers=HTML)
        assert page.status_code == 400 and "must be a month between 1900-01 and 2100-12" in words(page), asked
        assert client.get(f"/supervision/{worker}/log.csv?{asked}").status_code == 422, asked
    sign_in(client, "head")
    page = client.get(f"/reports/supervision-log?team_id={team}&from=9999-12", headers=HTML)
    assert page.status_code == 400 and "From must be a month between 1900-01 and 2100-12" in words(page)
    assert client.get(f"/reports/supervision-log.csv?team_id={team}&from=9999-12").status_code == 422
