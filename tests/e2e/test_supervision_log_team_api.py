"""A team's supervision log over the API, `GET /api/v1/teams/{id}/supervision-log` (issue 25 item 3),
with the scope of the team's page; and the log's figures for a period in the compliance report, its
page and its CSV, counted by the log itself. As at 15 October 2026, the team's August and September."""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from docgen.cli.report import report_command
from kernel import clock
from storage.models import AuditEvent, PlannedSession, Record
from tests.e2e.test_web_pages import HTML, sign_in, text, words
from workflows import compliance_report, supervision_log


@pytest.fixture
def sessions(org: Any, db: Any) -> None:
    """Alex Morgan: one-to-ones written up on 5 August (no booking: the policy's hour) and 3 September
    (booked for 90 minutes, marked held), and one on 20 September cancelled and rebooked for the 25th.
    Priya Patel: a one-to-one written up on 10 September."""
    clock.set_clock(lambda: dt.datetime(2026, 10, 15, 12, 0))
    worker, asye, manager = org.ids["worker"], org.ids["asye"], org.ids["manager"]
    for who, day in ((worker, dt.date(2026, 8, 5)), (worker, dt.date(2026, 9, 3)), (asye, dt.date(2026, 9, 10))):
        db.add(Record(kind="practitioner", supervisee_id=who, supervisor_id=manager, session_date=day,
                      status="signed", sections={}))
    db.add(PlannedSession(supervisee_id=worker, supervisor_id=manager, starts_at=dt.datetime(2026, 9, 3, 9),
                          minutes=90, status="held", uid="held@test"))
    rebooked = PlannedSession(supervisee_id=worker, supervisor_id=manager, starts_at=dt.datetime(2026, 10, 25, 9),
                              uid="rebooked@test")
    db.add(rebooked)
    db.flush()
    db.add(PlannedSession(supervisee_id=worker, supervisor_id=manager, starts_at=dt.datetime(2026, 9, 20, 9),
                          status="cancelled", rebooked_as_id=rebooked.id, uid="cancelled@test"))
    db.commit()


def _team_log(client: Any, org: Any, who: str, query: str = "from=2026-08&to=2026-09") -> Any:
    return client.get(f"/api/v1/teams/{org.team.id}/supervision-log?{query}", headers=org.auth(who))


def test_the_team_log_sums_its_people_month_by_month_and_is_audited(client: Any, org: Any, db: Any,
                                                                    sessions: None) -> None:
    answer = _team_log(client, org, "head")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["team"], body["start"], body["end"]) == ("Children in Need 1", "2026-08", "2026-09")
    assert [(m["month"], m["one_to_one_held"], m["one_to_one_hours"], m["one_to_one_cancelled"],
             m["one_to_one_rebooked"]) for m in body["months"]] == [("2026-08", 1, 1.0, 0, 0), ("2026-09", 2, 2.5, 1, 1)]
    # a senior manager sees everyone in the team (access.SEE_ALL), in a supervised role all
    assert [p["name"] for p in body["people"]] == ["Ada Admin", "Alex Morgan", "Dana Okafor", "Harriet Reid",
                                                  "Omar Aziz", "Priya Patel", "Sam Whitfield"]
    alex = body["people"][1]
    assert [m["one_to_one_hours"] for m in alex["months"]] == [1.0, 1.5]
    # Alex (on time from 5 August), Priya (nothing from her start until 10 September) and Sam (none
    # with Dana) are supervised; no one else has a supervisor, so no verdict
    assert [(m["month"], m["people_met"], m["people_missed"]) for m in body["months"]] == [
        ("2026-08", 0, 3), ("2026-09", 1, 2)]
    assert {p["name"]: [m["frequency"] for m in p["months"]] for p in body["people"]
            if any(m["frequency"] in ("met", "missed") for m in p["months"])} == {
        "Alex Morgan": ["missed", "met"], "Priya Patel": ["missed", "missed"], "Sam Whitfield": ["missed", "missed"]}
    audited = db.scalars(select(AuditEvent).where(AuditEvent.action == "supervision_log.read")).all()
    assert [(a.actor_id, a.object_type, a.object_id, a.detail["as"]) for a in audited] == [
        (org.ids["head"], "team", str(org.team.id), "json")]


def test_the_team_log_has_the_scope_of_the_team_page(client: Any, org: Any, sessions: None) -> None:
    """A supervisor reads the people they oversee, on the page and over the API alike."""
    names = [p["name"] for p in _team_log(client, org, "manager").json["people"]]
    sign_in(client, "manager")
    page_csv = client.get(f"/reports/supervision-log.csv?team_id={org.team.id}&from=2026-08&to=2026-09")
    on_page = list(dict.fromkeys(r["person"] for r in csv.DictReader(io.StringIO(text(page_csv)))
                                 if r["person"] != "Team total"))
    assert names == on_page == ["Alex Morgan", "Priya Patel"]


def test_the_team_log_is_refused_as_the_page_refuses_it(client: Any, org: Any) -> None:
    assert _team_log(client, org, "worker").status_code == 403  # oversees nobody
    assert client.get("/api/v1/teams/999999/supervision-log", headers=org.auth("head")).status_code == 404
    bad = _team_log(client, org, "head", "from=2026-13")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "from"
    described = client.get("/api/v1/openapi.json").json["paths"]["/teams/{team_id}/supervision-log"]
    assert {p["name"] for p in described["get"]["parameters"]} >= {"team_id", "from", "to"}
    assert "TeamSupervisionLogOut" in str(described["get"]["responses"]["200"])


def test_the_compliance_report_shows_the_logs_figures_for_its_period(client: Any, org: Any, sessions: None) -> None:
    sign_in(client, "manager")
    period = "start=1&start=8&start=2026&end=30&end=9&end=2026"
    page = words(client.get(f"/reports/compliance?scope=team-{org.team.id}&{period}", headers=HTML))
    assert "Supervision hours and attendance in the period" in page
    for figure in ("One-to-one sessions held 3", "One-to-one hours 3.5", "Group sessions attended 0",
                   "One-to-one sessions cancelled 1", "Cancelled one-to-ones rebooked 1"):
        assert figure in page, figure
    log = csv.DictReader(io.StringIO(text(client.get(
        f"/reports/supervision-log.csv?team_id={org.team.id}&from=2026-08&to=2026-09"))))
    totals = [r for r in log if r["person"] == "Team total"]
    assert sum(int(r["one_to_one_held"]) for r in totals) == 3  # the log's own months agree
    report_csv = client.get(f"/api/v1/reports/compliance?from=2026-08-01&to=2026-09-30&team_id={org.team.id}"
                            "&format=csv", headers=org.auth("manager"))
    rows = {r["item"]: r["count"] for r in csv.DictReader(io.StringIO(text(report_csv)))
            if r["section"] == "supervision_log"}
    assert rows["One-to-one sessions held"] == "3" and rows["One-to-one hours"] == "3.5"
    assert (rows["One-to-one sessions cancelled"], rows["Cancelled one-to-ones rebooked"]) == ("1", "1")


def test_the_reports_log_figures_count_only_what_happened_in_its_period(client: Any, org: Any, sessions: None) -> None:
    """September alone: the August record is the one before, which the log's frequency reads and the
    report's counts (which judge no frequency, and so read the period's rows only) leave out."""
    report_csv = client.get(f"/api/v1/reports/compliance?from=2026-09-01&to=2026-09-30&team_id={org.team.id}"
                            "&format=csv", headers=org.auth("manager"))
    rows = {r["item"]: r["count"] for r in csv.DictReader(io.StringIO(text(report_csv)))
            if r["section"] == "supervision_log"}
    assert (rows["One-to-one sessions held"], rows["One-to-one hours"]) == ("2", "2.5")  # 90 min booked, Knowsley's hour


def test_the_json_report_and_docgen_report_carry_the_same_log_figures(app: Any, client: Any, org: Any,
                                                                     sessions: None) -> None:
    query = f"from=2026-08-01&to=2026-09-30&team_id={org.team.id}"
    as_json = client.get(f"/api/v1/reports/compliance?{query}", headers=org.auth("manager"))
    assert as_json.status_code == 200, as_json.json
    figures = {f["figure"]: f["count"] for f in as_json.json["supervision_log"]}
    report_csv = client.get(f"/api/v1/reports/compliance?{query}&format=csv", headers=org.auth("manager"))
    in_csv = {r["item"]: r["count"] for r in csv.DictReader(io.StringIO(text(report_csv)))
              if r["section"] == "supervision_log"}
    assert {k: str(v) for k, v in figures.items()} == in_csv  # one set of figures
    assert (figures["One-to-one sessions held"], figures["One-to-one hours"]) == (3, 3.5)
    printed = app.test_cli_runner().invoke(report_command, ["--team", "Children in Need 1", "--from", "2026-08-01",
                                                            "--to", "2026-09-30"])
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert "Supervision hours and attendance in the period" in lines
    for figure, count in in_csv.items():
        assert any(line.split() == [*figure.split(), count] for line in lines), figure


def test_the_reports_log_figures_are_written_exactly_as_the_logs_csv() -> None:
    """A big organisation's year: 1,250,000 minutes is 20833.33 hours, never '20833.3' or '1e+06'."""
    line = supervision_log.MonthLine(dt.date(2026, 1, 1), one_to_one_held=1_000_000, one_to_one_minutes=1_250_000)
    rows = {r["key"]: r["count"] for r in compliance_report.log_rows(line)}
    in_log = dict(zip(supervision_log.COLUMNS, next(csv.reader(io.StringIO(supervision_log.log_csv(
        supervision_log.PersonLog(1, "A", "T", supervision_log.Months(line.month, line.month), line.month, [line],
                                  None)
    ).splitlines()[1])))))
    assert rows["one_to_one_held"] == in_log["one_to_one_held"] == "1000000"
    assert rows["one_to_one_hours"] == in_log["one_to_one_hours"] == "20833.33"
