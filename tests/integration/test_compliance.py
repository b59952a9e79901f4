"""The compliance report, the due list, planned sessions and their API, on SQLite and PostgreSQL.

The `history` fixture gives the org fixture's team a known first quarter of 2026 (Knowsley:
everyone monthly); every figure below is worked out by hand from it.
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

import docgen.api.schedule  # noqa: F401  (registers the routes before the app is built)
from storage.models import Agreement, OutboxMessage, PlannedSession, Record
from docgen.cli.report import report_command
from kernel import clock
from workflows import planning
from workflows.compliance import team_report
from workflows.compliance_report import report_csv, report_svg, report_table
from kernel.errors import InvalidInput
from workflows.profiles import load_profile
from workflows.due_list import due_list

D = dt.date
TODAY = D(2026, 4, 15)  # a Wednesday, after the quarter
Q1 = {"start": D(2026, 1, 1), "end": D(2026, 3, 31)}


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def today() -> None:
    clock.set_clock(lambda: at(TODAY))


@pytest.fixture
def history(app: Any, org: Any, today: None) -> Any:
    """Alex (worker), Priya (asye) and Sam (manager); Sam supervises the first two, Dana supervises Sam."""
    w, a, m, h = (org.ids[k] for k in ("worker", "asye", "manager", "head"))

    def record(who: int, by: int, session: dt.date, due: dt.date, signed: dt.datetime | None,
               status: str = "signed") -> Record:
        return Record(kind="practitioner", supervisee_id=who, supervisor_id=by, session_date=session, due_date=due,
                      status=status if signed is None else "signed", signed_at=signed)

    with app.extensions["docgen"].sessions.begin() as db:
        db.add_all([
            # Alex: due 15 Jan (on time), then due 14 Feb (held 20 Feb: late), then due 20 Mar (held 19 Mar).
            record(w, m, D(2025, 12, 15), D(2025, 12, 22), at(D(2025, 12, 18))),
            record(w, m, D(2026, 1, 14), D(2026, 1, 21), at(D(2026, 1, 20))),        # signed in time
            record(w, m, D(2026, 2, 20), D(2026, 2, 27), at(D(2026, 3, 2))),         # signed late
            record(w, m, D(2026, 3, 19), D(2026, 3, 26), None, status="draft"),      # never signed
            PlannedSession(supervisee_id=w, supervisor_id=m, starts_at=at(D(2026, 3, 19), 10), status="held",
                           uid="held-19-march@docgen"),                              # same session: counts once
            PlannedSession(supervisee_id=w, supervisor_id=m, starts_at=at(D(2026, 4, 16), 10), status="cancelled",
                           cancelled_on=D(2026, 4, 7), cancelled_by_id=m, uid="cancelled@docgen"),
            Agreement(supervisee_id=w, supervisor_id=m, status="signed", started_on=D(2025, 4, 1),
                      review_date=D(2026, 4, 1), fields={"frequency": "fortnightly"}),
            # Priya: due 20 Jan (held that day: on time), due 20 Feb (held 19 Feb); both signed on the due day.
            record(a, m, D(2025, 12, 20), D(2025, 12, 29), at(D(2025, 12, 22))),
            record(a, m, D(2026, 1, 20), D(2026, 1, 27), at(D(2026, 1, 27), 17)),
            record(a, m, D(2026, 2, 19), D(2026, 2, 26), at(D(2026, 2, 26))),
            record(a, m, D(2026, 4, 10), D(2026, 4, 17), None, status="sent"),       # after the quarter
            Agreement(supervisee_id=a, supervisor_id=m, status="signed", started_on=D(2025, 1, 10),
                      review_date=D(2026, 1, 10), fields={"frequency": "monthly"}),   # review overdue
            # Sam: due 10 Dec 2025, held 12 Jan (late) and signed late; nothing since; no agreement.
            record(m, h, D(2025, 11, 10), D(2025, 11, 17), at(D(2025, 11, 14))),
            record(m, h, D(2026, 1, 12), D(2026, 1, 19), at(D(2026, 1, 21))),
        ])
    return org


def _q1_report(app: Any, **scope: Any) -> Any:
    with app.extensions["docgen"].sessions() as db:
        return team_report(db, load_profile("knowsley"), **Q1, **scope)


def test_report_figures_match_the_hand_count(app: Any, history: Any) -> None:
    report = _q1_report(app, team_id=history.team.id)
    figures = {m.key: (m.count, m.total, m.percent) for m in report.measures}
    assert figures == {
        "held_on_time": (4, 6, 66.7),       # Alex 2 of 3, Priya 2 of 2, Sam 0 of 1
        "records_signed": (3, 6, 50.0),     # Alex 14 Jan; Priya both; not Alex 20 Feb/19 Mar nor Sam
        "agreements_current": (1, 3, 33.3),  # only Alex: Priya's review passed, Sam has none
    }
    assert report.scope == "Team: Children in Need 1" and report.as_at == D(2026, 3, 31)


def test_overdue_list_is_as_at_the_end_of_the_period(app: Any, history: Any) -> None:
    report = _q1_report(app, team_id=history.team.id)
    overdue = {(i.supervisee_name, i.kind, i.due_on) for i in report.overdue}
    assert overdue == {
        ("Sam Whitfield", "agreement_missing", D(2024, 2, 8)),   # due at the first supervision with Dana
        ("Priya Patel", "agreement_review", D(2026, 1, 10)),
        ("Sam Whitfield", "supervision", D(2026, 2, 12)),
        ("Priya Patel", "supervision", D(2026, 3, 19)),
        ("Alex Morgan", "record", D(2026, 3, 26)),
    }
    assert {(i.supervisee_name, i.kind) for i in report.agreements_out_of_date} == {
        ("Sam Whitfield", "agreement_missing"), ("Priya Patel", "agreement_review")}


def test_the_agreed_fortnightly_frequency_counts_in_the_due_list_not_in_the_report(app: Any, history: Any) -> None:
    with app.extensions["docgen"].sessions() as db:
        items = due_list(db, load_profile("knowsley"), TODAY, supervisee_ids=frozenset({history.ids["worker"]}))
    [supervision] = [i for i in items if i.kind == "supervision"]
    assert (supervision.due_on, supervision.state) == (D(2026, 4, 2), "overdue")
    assert supervision.label.endswith("as agreed")


def test_a_service_and_the_whole_organisation_give_the_same_figures_for_a_one_team_council(app: Any,
                                                                                          history: Any) -> None:
    team = _q1_report(app, team_id=history.team.id)
    assert _q1_report(app, service="Children's Social Care").measures == team.measures
    assert _q1_report(app).measures == team.measures
    assert _q1_report(app, service="Adult Social Care").measures[0].total == 0


def test_report_refuses_a_period_that_ends_before_it_starts(app: Any, history: Any) -> None:
    with app.extensions["docgen"].sessions() as db, pytest.raises(InvalidInput) as err:
        team_report(db, load_profile("knowsley"), start=D(2026, 3, 31), end=D(2026, 1, 1))
    assert err.value.field == "to"


def test_csv_has_the_measures_and_every_overdue_item(app: Any, history: Any) -> None:
    report = _q1_report(app, team_id=history.team.id)
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == ["section", "item", "supervisee", "supervisor", "due_on", "count", "total", "percent"]
    assert ["measure", "Supervisions held on time", "", "", "", "4", "6", "66.7"] in rows
    assert ["measure", "Records signed within 5 working days", "", "", "", "3", "6", "50.0"] in rows
    assert sum(1 for r in rows if r[0] == "overdue") == 5
    assert ["overdue", "record of 19 March 2026 to complete by 26 March 2026", "Alex Morgan", "Sam Whitfield",
            "2026-03-26", "", "", ""] in rows


def test_svg_chart_is_accessible_and_says_its_figures_in_text(app: Any, history: Any) -> None:
    report = _q1_report(app, team_id=history.team.id)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.fromstring(report_svg(report))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "compliance-title compliance-desc"
    assert "Children in Need 1" in root.find("svg:title", ns).text
    assert "Supervisions held on time: 4 of 6 (66.7%)" in root.find("svg:desc", ns).text
    texts = [t.text for t in root.findall("svg:text", ns)]
    assert "4 of 6, 66.7%" in texts and "Agreements up to date" in texts
    assert report_table(report)[1] == {"measure": "Records signed within 5 working days", "count": "3",
                                       "total": "6", "percent": "50%"}


@pytest.mark.parametrize("today_,state,label", [
    (D(2026, 4, 14), "due", "rebook due by 14 April 2026"),  # five working days after Tuesday 7 April
    (D(2026, 4, 15), "overdue", "rebook overdue (was due by 14 April 2026)"),
])
def test_a_cancelled_session_not_rebooked_within_five_working_days_is_flagged(app: Any, history: Any,
                                                                             today_: dt.date, state: str,
                                                                             label: str) -> None:
    with app.extensions["docgen"].sessions() as db:
        items = due_list(db, load_profile("knowsley"), today_)
    assert [(i.state, i.label, i.supervisee_name) for i in items if i.kind == "rebook"] == [
        (state, label, "Alex Morgan")]


def test_rebooking_clears_the_flag_and_links_the_sessions(app: Any, history: Any) -> None:
    profile = load_profile("knowsley")
    with app.extensions["docgen"].sessions() as db:
        cancelled = db.scalar(select(PlannedSession).where(PlannedSession.uid == "cancelled@docgen"))
        new = planning.rebook(db, profile, cancelled, at(D(2026, 4, 20), 14), TODAY)
        assert cancelled.rebooked_as_id == new.id and new.uid != cancelled.uid and new.status == "planned"
        assert not [i for i in due_list(db, profile, TODAY) if i.kind == "rebook"]


def test_planning_sends_invitations_through_the_outbox_that_parse_back(app: Any, history: Any) -> None:
    profile = load_profile("knowsley")
    with app.extensions["docgen"].sessions() as db:
        from workflows.people import get_person
        worker, manager = get_person(db, history.ids["worker"]), get_person(db, history.ids["manager"])
        session = planning.plan_session(db, profile, worker, manager, at(D(2026, 4, 22), 10), TODAY,
                                        location="Huyton office, room 2")
        messages = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.to_address for m in messages] == [worker.email, manager.email]
        [attachment] = messages[0].attachments
        assert attachment["filename"] == "supervision.ics"
        assert attachment["content_type"] == "text/calendar; method=REQUEST"
        cal = Calendar.from_ical(base64.b64decode(attachment["data_b64"]))
        [event] = cal.walk("VEVENT")
        assert str(cal["METHOD"]) == "REQUEST" and str(event["UID"]) == session.uid
        assert event.decoded("DTSTART") == dt.datetime(2026, 4, 22, 10, tzinfo=dt.timezone.utc)
        assert "Wednesday 22 April 2026 at 11:00 (UK time)" in messages[0].text_body  # BST
        assert str(event["ATTENDEE"]) == f"mailto:{worker.email}" and int(event["SEQUENCE"]) == 0

        planning.rebook(db, profile, session, at(D(2026, 4, 23), 10), TODAY)  # moved: same UID, next SEQUENCE
        moved = Calendar.from_ical(planning.ics_for(session, manager, worker)).walk("VEVENT")[0]
        assert str(moved["UID"]) == session.uid and int(moved["SEQUENCE"]) == 1

        planning.cancel(db, session, worker, TODAY)
        cancel = Calendar.from_ical(planning.ics_for(session, manager, worker))
        assert str(cancel["METHOD"]) == "CANCEL" and int(cancel.walk("VEVENT")[0]["SEQUENCE"]) == 2
        last = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert last.subject.startswith("Cancelled") and "method=CANCEL" in last.attachments[0]["content_type"]


def test_a_planned_session_lasts_as_long_as_the_profile_says_unless_given(app: Any, history: Any) -> None:
    """K App A: "Length of Sessions (e.g., 1 hour)"; S §7: "Sessions of one and a half hours are
    likely to offer adequate time". The length is the profile's, not docgen's."""
    knowsley = load_profile("knowsley")
    longer = knowsley.model_copy(update={"session_minutes": 75})
    with app.extensions["docgen"].sessions() as db:
        from workflows.people import get_person
        worker, manager = get_person(db, history.ids["worker"]), get_person(db, history.ids["manager"])
        assert planning.plan_session(db, knowsley, worker, manager, at(D(2026, 4, 22)), TODAY).minutes == 60
        assert planning.plan_session(db, longer, worker, manager, at(D(2026, 4, 23)), TODAY).minutes == 75
        assert planning.plan_session(db, longer, worker, manager, at(D(2026, 4, 24)), TODAY, minutes=30).minutes == 30
    assert load_profile("stockport").session_minutes == 90


def test_planning_beyond_six_months_or_in_the_past_is_refused(app: Any, history: Any) -> None:
    profile = load_profile("knowsley")
    with app.extensions["docgen"].sessions() as db:
        from workflows.people import get_person
        worker, manager = get_person(db, history.ids["worker"]), get_person(db, history.ids["manager"])
        assert planning.plan_session(db, profile, worker, manager, at(D(2026, 10, 15)), TODAY)  # the last day
        for when in (at(D(2026, 10, 16)), at(D(2026, 4, 14))):
            with pytest.raises(InvalidInput) as err:
                planning.plan_session(db, profile, worker, manager, when, TODAY)
            assert err.value.field == "starts_at"


# --- the API -----------------------------------------------------------------------------------

def _names(response: Any) -> set[str]:
    assert response.status_code == 200, response.json
    return {i["supervisee_name"] for i in response.json["items"]}


def test_due_list_shows_each_caller_their_part(client: Any, history: Any) -> None:
    assert _names(client.get("/api/v1/due", headers=history.auth("worker"))) == {"Alex Morgan"}
    assert _names(client.get("/api/v1/due", headers=history.auth("manager"))) == {
        "Alex Morgan", "Priya Patel", "Sam Whitfield"}
    assert _names(client.get("/api/v1/due", headers=history.auth("head"))) == {
        "Alex Morgan", "Priya Patel", "Sam Whitfield"}
    assert _names(client.get("/api/v1/due", headers=history.auth("auditor"))) == {
        "Alex Morgan", "Priya Patel", "Sam Whitfield"}
    by_sam = client.get(f"/api/v1/due?supervisor_id={history.ids['manager']}", headers=history.auth("head"))
    assert _names(by_sam) == {"Alex Morgan", "Priya Patel"}
    overdue = client.get("/api/v1/due?state=overdue", headers=history.auth("hr")).json["items"]
    assert {i["state"] for i in overdue} == {"overdue"} and overdue[0]["due_on"] == "2024-02-08"
    assert client.get("/api/v1/due?team_id=x", headers=history.auth("hr")).json["error"]["field"] == "team_id"


def test_compliance_report_api_as_json_and_csv(client: Any, history: Any) -> None:
    url = f"/api/v1/reports/compliance?team_id={history.team.id}&from=2026-01-01&to=2026-03-31"
    report = client.get(url, headers=history.auth("hr")).json
    assert [(m["key"], m["percent"]) for m in report["measures"]] == [
        ("held_on_time", 66.7), ("records_signed", 50.0), ("agreements_current", 33.3)]
    assert len(report["overdue"]) == 5 and report["as_at"] == "2026-03-31"
    as_csv = client.get(url + "&format=csv", headers=history.auth("hr"))
    assert as_csv.mimetype == "text/csv" and "measure,Supervisions held on time,,,,4,6,66.7" in as_csv.text
    # Sam's own report covers the two people he supervises, not himself.
    mine = client.get(url, headers=history.auth("manager")).json
    assert mine["measures"][0] == {"key": "held_on_time", "label": "Supervisions held on time",
                                   "count": 4, "total": 5, "percent": 80.0}
    assert client.get(url, headers=history.auth("worker")).status_code == 403
    whole = "/api/v1/reports/compliance?from=2026-01-01&to=2026-03-31"
    assert client.get(whole, headers=history.auth("manager")).json["scope"] == "Everyone you oversee"
    assert client.get(whole, headers=history.auth("hr")).json["scope"] == "Whole organisation"


@pytest.mark.parametrize("query,field", [
    ("from=2026-13-01&to=2026-03-31", "from"),
    ("from=2026-01-01", "to"),
    ("from=2026-01-01&to=31/03/2026", "to"),
    ("from=2026-03-31&to=2026-01-01", "to"),
    ("from=2026-01-01&to=2026-03-31&team_id=1&service=x", "service"),
])
def test_compliance_report_names_the_bad_field(client: Any, history: Any, query: str, field: str) -> None:
    response = client.get(f"/api/v1/reports/compliance?{query}", headers=history.auth("hr"))
    assert response.status_code == 422 and response.json["error"]["field"] == field


def test_sessions_api_plans_serves_ics_cancels_and_rebooks(client: Any, history: Any) -> None:
    body = {"supervisee_id": history.ids["worker"], "starts_at": "2026-04-22T10:00:00+01:00", "location": "Teams"}
    made = client.post("/api/v1/sessions", json=body, headers=history.auth("manager"))
    assert made.status_code == 201, made.json
    session = made.json
    assert session["supervisor_id"] == history.ids["manager"] and session["starts_at"] == "2026-04-22T09:00:00Z"
    ics = client.get(f"/api/v1/sessions/{session['id']}/ics", headers=history.auth("worker"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert str(event["UID"]) == session["uid"]
    assert event.decoded("DTSTART") == dt.datetime(2026, 4, 22, 9, tzinfo=dt.timezone.utc)
    assert client.get(f"/api/v1/sessions/{session['id']}/ics", headers=history.auth("asye")).status_code == 404
    assert client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=history.auth("asye")).status_code == 404
    cancelled = client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=history.auth("worker")).json
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by_id"] == history.ids["worker"]
    again = client.post(f"/api/v1/sessions/{session['id']}/cancel", headers=history.auth("worker"))
    assert again.status_code == 409
    rebooked = client.post(f"/api/v1/sessions/{session['id']}/rebook", json={"starts_at": "2026-04-24T13:00:00"},
                           headers=history.auth("manager"))
    assert rebooked.status_code == 200 and rebooked.json["id"] != session["id"]


@pytest.mark.parametrize("body,status,field", [
    ({"starts_at": "2026-11-02T10:00:00"}, 422, "starts_at"),   # beyond the six-month horizon
    ({"starts_at": "next Tuesday"}, 422, "starts_at"),
    ({"starts_at": "2026-04-22T10:00:00", "minutes": 0}, 422, "minutes"),
])
def test_planning_refuses_bad_times_naming_the_field(client: Any, history: Any, body: dict[str, Any], status: int,
                                                     field: str) -> None:
    response = client.post("/api/v1/sessions", json={"supervisee_id": history.ids["worker"], **body},
                           headers=history.auth("manager"))
    assert response.status_code == status and response.json["error"]["field"] == field


def test_only_people_involved_may_plan_a_session(client: Any, history: Any) -> None:
    body = {"supervisee_id": history.ids["worker"], "starts_at": "2026-04-22T10:00:00"}
    assert client.post("/api/v1/sessions", json=body, headers=history.auth("asye")).status_code == 403
    assert client.post("/api/v1/sessions", json=body, headers=history.auth("admin")).status_code == 201


# --- the command ---------------------------------------------------------------------------------

def test_report_command_prints_a_table_and_csv(app: Any, history: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(report_command, ["--team", "Children in Need 1", "--from", "2026-01-01",
                                            "--to", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert "Supervisions held on time" in result.output and "66.7%" in result.output
    assert "Overdue: 5" in result.output
    overdue = result.output.split("Overdue: 5\n")[1].splitlines()[:5]
    assert all(re.match(r"  [1-9]\d? [A-Z][a-z]+ \d{4} +\S", line) for line in overdue), overdue  # "8 April 2024", as the pages write it
    as_csv = runner.invoke(report_command, ["--from", "2026-01-01", "--to", "2026-03-31", "--csv"])
    assert as_csv.output.startswith("section,item,")


def test_report_command_errors_are_domain_errors_naming_the_option(app: Any, history: Any) -> None:
    result = app.test_cli_runner().invoke(report_command, ["--from", "1 Jan", "--to", "2026-03-31"])
    assert isinstance(result.exception, InvalidInput) and result.exception.field == "--from"


def test_overdue_list_is_the_due_list_as_at_the_end_of_the_period(app: Any, history: Any) -> None:
    """The report reads each supervisee's last session from the period's sessions rather than asking
    again; the items must be exactly those the due list gives on that day (planned sessions included)."""
    for scope in ({"team_id": history.team.id}, {}):
        report = _q1_report(app, **scope)
        with app.extensions["docgen"].sessions() as db:
            items = due_list(db, load_profile("knowsley"), report.as_at, **scope)
        assert report.overdue == [i for i in items if i.state == "overdue"]


def test_a_record_dated_after_today_is_not_yet_a_session_held(app: Any, history: Any) -> None:
    """A record can be started before its session (up to a year ahead): until that day comes, it is
    no supervision held, in the compliance report as in the supervision log."""
    april = {"start": D(2026, 4, 1), "end": D(2026, 4, 30)}
    with app.extensions["docgen"].sessions() as db:
        before = team_report(db, load_profile("knowsley"), **april)
    with app.extensions["docgen"].sessions.begin() as db:
        db.add(Record(kind="practitioner", supervisee_id=history.ids["worker"], supervisor_id=history.ids["manager"],
                      session_date=D(2026, 4, 25), due_date=D(2026, 5, 4), status="draft"))
    with app.extensions["docgen"].sessions() as db:
        after = team_report(db, load_profile("knowsley"), **april)
    held = {m.key: (m.count, m.total) for m in before.measures}["held_on_time"]
    assert held[1] >= 1  # Priya's session of 10 April, before today, is counted
    assert {m.key: (m.count, m.total) for m in after.measures}["held_on_time"] == held
