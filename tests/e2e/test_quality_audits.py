"""Quality audits of records (K §11, S §8, H §12/§15), through the API, the pages and `docgen
audit-sample`: a reproducible sample per supervisor, the audit form pre-filled where docgen can
compute it, reading a sampled record audited with the audit as its reason, and the report as a
page and CSV.

The team: Sam supervises Alex and Priya; Dana (head of service, Sam's line manager) supervises
Sam. Their signed records from the first quarter of 2026 are in place before each test.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import select

from docgen.cli.quality_audits import audit_sample_command
from storage.models import Action, AuditEvent, Person
from tests.e2e.test_web_pages import HTML, post, sign_in, text
from workflows import agreements, records

Q1 = {"period_start": "2026-01-01", "period_end": "2026-03-31"}
LATE = dt.date(2026, 2, 12)  # Alex's session whose record was signed a month late


@pytest.fixture
def signed(app: Any, org: Any) -> dict[str, list[int]]:
    """Signed records per supervisee: Alex 4, Priya 3 (Sam's), Sam 2 (Dana's); Alex and Sam have a
    signed agreement; one of Alex's records names an owner and a due date for its action."""
    services = app.extensions["docgen"]
    made: dict[str, list[int]] = {}
    with services.sessions.begin() as db:
        for who, days in (("worker", (5, 12, 19, 26)), ("asye", (6, 13, 20)), ("manager", (7, 14))):
            person = db.get_one(Person, org.ids[who])
            for n, day in enumerate(days):
                session = dt.date(2026, 1 + n % 3, day)
                record = records.create_record(db, services.profile, person, session)
                late = session == LATE
                record.status, record.signed_at = "signed", dt.datetime.combine(
                    session + dt.timedelta(days=30 if late else 2), dt.time(11))
                made.setdefault(who, []).append(record.id)
        for who, boss in (("worker", "manager"), ("manager", "head")):
            agreement = agreements.create_agreement(db, services.profile, db.get_one(Person, org.ids[who]),
                                                    db.get_one(Person, org.ids[boss]), dt.date(2025, 12, 1))
            agreement.status = "signed"
        db.add(Action(id="QA0001", supervisee_id=org.ids["worker"], raised_in_record_id=made["worker"][0],
                      section="welfare", date_added=dt.date(2026, 1, 5), text="Book the court skills course",
                      owner="Alex Morgan", due="28 February 2026"))
    return made


def _draw(client: Any, org: Any, who: str = "auditor", **extra: Any) -> Any:
    return client.post("/api/v1/quality-audits", json={"team_id": org.team.id, **Q1, **extra}, headers=org.auth(who))


def test_a_sample_is_drawn_per_supervisor_and_drawn_again_from_its_seed(client: Any, org: Any,
                                                                         signed: dict[str, list[int]]) -> None:
    first = _draw(client, org, per_supervisor=2)
    assert first.status_code == 201, first.json
    audit = first.json
    by_supervisor: dict[str, list[int]] = {}
    for item in audit["items"]:
        by_supervisor.setdefault(item["supervisor"], []).append(item["record_id"])
    assert {k: len(v) for k, v in by_supervisor.items()} == {"Sam Whitfield": 2, "Dana Okafor": 2}
    assert set(by_supervisor["Sam Whitfield"]) <= set(signed["worker"] + signed["asye"])

    again = _draw(client, org, per_supervisor=2, seed=audit["seed"]).json
    assert [i["record_id"] for i in again["items"]] == [i["record_id"] for i in audit["items"]]
    assert again["id"] != audit["id"]

    everything = _draw(client, org, per_supervisor=10).json  # fewer records than asked: all of them
    assert sorted(i["record_id"] for i in everything["items"]) == sorted(sum(signed.values(), []))
    by_record = {i["record_id"]: i["criteria"] for i in everything["items"]}
    late, first_alex = signed["worker"][1], signed["worker"][0]
    assert by_record[late]["signed_in_time"] == "no" and by_record[first_alex]["signed_in_time"] == "yes"
    assert by_record[first_alex]["actions_specific"] == "yes" and by_record[late]["actions_specific"] == ""
    assert by_record[first_alex]["agreement_current"] == "yes"
    assert by_record[signed["asye"][0]]["agreement_current"] == "no"  # Priya has no signed agreement


def test_who_may_draw_and_what_a_manager_samples(client: Any, org: Any, signed: dict[str, list[int]]) -> None:
    dana = _draw(client, org, "head", per_supervisor=10)  # a manager: the line below her, not her own supervision
    assert dana.status_code == 201
    assert {i["supervisor"] for i in dana.json["items"]} == {"Sam Whitfield"}
    sam = _draw(client, org, "manager")  # everything below Sam is his own supervision
    assert sam.status_code == 422 and sam.json["error"]["field"] == "period_start"
    for who in ("worker", "hr", "admin"):
        assert _draw(client, org, who).status_code == 403, who
    assert client.get(f"/api/v1/quality-audits/{dana.json['id']}", headers=org.auth("worker")).status_code == 403
    assert client.get(f"/api/v1/quality-audits/{dana.json['id']}", headers=org.auth("auditor")).status_code == 200
    recent = client.post("/api/v1/quality-audits", json={"team_id": org.team.id}, headers=org.auth("auditor"))
    assert recent.status_code == 422 and "no signed records" in recent.json["error"]["message"]  # Knowsley: 3 months to today
    bad = _draw(client, org, period_start="2026-04-01", period_end="2026-03-01")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "period_start"


def test_a_sampled_record_is_read_for_the_audit_scored_and_reported(app: Any, client: Any, org: Any,
                                                                    signed: dict[str, list[int]]) -> None:
    audit = _draw(client, org, per_supervisor=1).json
    item = audit["items"][0]
    url = f"/api/v1/quality-audits/{audit['id']}/items/{item['id']}"
    read = client.get(url, headers=org.auth("auditor"))
    assert read.status_code == 200 and read.json["record"]["id"] == item["record_id"]
    with app.extensions["docgen"].sessions() as db:
        entry = db.scalars(select(AuditEvent).where(AuditEvent.action == "quality_audit.read")).one()
        assert entry.reason == f"Quality audit {audit['number']} (sampled record)"
        assert entry.detail == {"basis": "auditor"} and entry.object_id == str(item["record_id"])

    wrong = client.post(url, json={"reflection": "maybe"}, headers=org.auth("auditor"))
    assert wrong.status_code == 422 and wrong.json["error"]["field"] == "reflection"
    scored = client.post(url, json={"actions_specific": "no", "reflection": "yes", "decisions": "no",
                                    "findings": "No rationale for the step-down decision",
                                    "supervisor_actions": "Record the rationale for case decisions",
                                    "revision": read.json["revision"]}, headers=org.auth("auditor"))
    assert scored.status_code == 200, scored.json
    stale = client.post(url, json={"reflection": "no", "revision": read.json["revision"]}, headers=org.auth("auditor"))
    assert stale.status_code == 409

    report = client.get(f"/api/v1/quality-audits/{audit['id']}", headers=org.auth("auditor")).json
    assert report["met"]["reflection"] == 1 and report["met"]["decisions"] == 0
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/quality-audits/{audit['id']}/report.csv",
                                                      headers=org.auth("auditor")).get_data(as_text=True))))
    assert len(rows) == len(audit["items"])
    [done] = [r for r in rows if r["scored"] == "yes"]
    assert done["findings"] == "No rationale for the step-down decision" and done["Reflection is present"] == "yes"
    assert done["seed"] == str(audit["seed"]) and done["record"] == item["record"]


def test_the_audit_pages_draw_score_and_report(client: Any, org: Any, signed: dict[str, list[int]]) -> None:
    sign_in(client, "auditor")
    listed = client.get("/quality-audits", headers=HTML)
    assert listed.status_code == 200 and "Children in Need 1" in text(listed)
    drawn = post(client, "/quality-audits", {"team_id": str(org.team.id), "period_start": ["1", "1", "2026"],
                                             "period_end": ["31", "3", "2026"], "per_supervisor": "1", "seed": "42"})
    assert drawn.status_code == 303, text(drawn)
    report_url = drawn.headers["Location"]
    report = client.get(report_url, headers=HTML)
    assert "Seed" in text(report) and "42" in text(report) and "Scored" in text(report)
    item_url = report_url + "/items/" + text(report).split("/items/")[1].split('"')[0]
    shown = client.get(item_url, headers=HTML)
    assert shown.status_code == 200 and "Signed within the deadline" in text(shown)
    missing = post(client, item_url, {"reflection": "yes"})
    assert missing.status_code == 400 and "Decisions and their rationale are recorded" in text(missing)
    saved = post(client, item_url, {"actions_specific": "yes", "reflection": "yes", "decisions": "yes",
                                    "findings": "A clear, reflective record"})
    assert saved.status_code == 303
    assert "A clear, reflective record" in text(client.get(report_url, headers=HTML))
    as_csv = client.get(report_url + "/report.csv", headers=HTML)
    assert as_csv.mimetype == "text/csv" and "A clear, reflective record" in as_csv.get_data(as_text=True)
    sign_in(client, "worker")
    assert client.get("/quality-audits", headers=HTML).status_code == 403


def test_docgen_audit_sample_draws_the_same_sample_from_the_same_seed(app: Any, client: Any, org: Any,
                                                                        signed: dict[str, list[int]]) -> None:
    api = _draw(client, org, per_supervisor=2, seed=20260401).json
    runner = app.test_cli_runner()
    result = runner.invoke(audit_sample_command, ["--team", "Children in Need 1", "--by", "auditor@knowsley.example.org",
                                                  "--from", "2026-01-01", "--to", "2026-03-31", "--seed", "20260401",
                                                  "--per-supervisor", "2", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["record"] for r in rows] == [i["record"] for i in api["items"]]
    assert {r["seed"] for r in rows} == {"20260401"}
    table = runner.invoke(audit_sample_command, ["--team", "Children in Need 1", "--by", "auditor@knowsley.example.org",
                                                 "--from", "2026-01-01", "--to", "2026-03-31", "--seed", "20260401",
                                                 "--per-supervisor", "2"])
    assert "seed 20260401" in table.output and all(i["record"] in table.output for i in api["items"])
