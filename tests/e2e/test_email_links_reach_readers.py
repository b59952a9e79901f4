"""Every e-mail links to a page its reader can open (issue 27's leftovers).

Two e-mails sent their reader to a document they may not read, so the link was a 404:

- a disagreement the line manager passes to HR (W §17) told HR of the record; HR reads only a
  forwarded leaver's records. HR's e-mail now links to the disagreement's own page, which HR opens
  read-only once it is passed to them, and the record stays closed to HR;
- an overdue record told the supervisor's line manager of the record; when the supervisor
  supervises someone from another team, the line manager may not read it. The e-mail now links to
  that supervisor's overdue list, which shows the record's row (its dates and where sign-off
  stands), and the record stays closed to them; nothing else of that supervisee opens for them
  (their supervision log, the compliance report). A record the list would not show (a group
  record, a supervisee who has moved to another supervisor or left) is told without a link.

Each test makes the e-mail happen as the service would, follows its link signed in as its reader,
and checks what the page shows and what stays refused.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.config import Config
from storage.models import AuditEvent, GroupSession, Organisation, Person, Record, SupervisionGroup
from tests.e2e.test_disagreement_to_hr import _left_unsettled
from tests.e2e.test_web_pages import HTML, sign_in, words
from tests.etags import read_then_change
from tests.mailbox import Mailbox, text_of
from tests.sealing import mailing_and_sealing
from workflows import accounts, movers, people, records
from workflows.status import DRAFT

REASON = "The three-way meeting did not settle it"
LINK = re.compile(r"https?://[^/\s]+(/\S*)")


@pytest.fixture
def profile_name() -> str:
    return "knowsley"


@pytest.fixture
def config(config: Config, smtp_server: Mailbox, profile_name: str) -> Config:
    return dataclasses.replace(mailing_and_sealing(config, smtp_server.port), profile=profile_name)


def _mail_to(mailbox: Mailbox, address: str, subject: str) -> str:
    [mail] = [m for m in mailbox.emails() if m["To"] == address and subject in m["Subject"]]
    return text_of(mail)


def _path(mail: str) -> str:
    """The one page the e-mail sends its reader to, as a path on the service."""
    [path] = LINK.findall(mail)
    return path


def _signed_in(app: Any, who: str, n: int) -> Any:
    """A browser of the reader's own, signed in (each from its own address: the sign-in limit)."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = f"10.0.1.{n}"
    assert sign_in(browser, who).status_code == 302, who
    return browser


def _link_followed(app: Any, mailbox: Mailbox, who: str, n: int, subject: str, link: str, says: str) -> tuple[Any, Any]:
    """The e-mail to `who` whose subject has `subject` links to `link` alone and says `says`; `who`
    follows the link in a browser of their own (`n`, as `_signed_in`): that browser, and the page, which opens."""
    mail = _mail_to(mailbox, f"{who}@knowsley.example.org", subject)
    assert _path(mail) == link
    assert says in " ".join(mail.split())
    browser = _signed_in(app, who, n)
    page = browser.get(link, headers=HTML)
    assert page.status_code == 200
    return browser, page


# --- a disagreement passed to HR (W §17) -------------------------------------------------------


def _passed_to_hr(app: Any, client: Any, org: Any) -> tuple[int, int]:
    """Alex disagreed with Sam's record; Dana, Sam's line manager, is told and passes it to HR."""
    record_id = _left_unsettled(app, org)
    app.extensions["docgen"].enqueue("disagreement_route")
    [shown] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    assert client.get(f"/api/v1/disagreements/{shown['id']}", headers=org.auth("hr")).status_code == 404
    passed = client.post(f"/api/v1/disagreements/{shown['id']}/outcome", headers=org.auth("head"),
                         json={"outcome": "hr", "outcome_text": REASON})
    assert passed.status_code == 200, passed.json
    return record_id, shown["id"]


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_hrs_e_mail_of_a_disagreement_passed_to_them_opens_the_disagreement_read_only(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    """W §17: "Should this not resolve the issue then HR would need to be consulted"."""
    record_id, escalation_id = _passed_to_hr(app, client, org)

    hr, page = _link_followed(app, mailbox, "hr", 1, "Outcome of a supervision disagreement",
                              f"/disagreements/{escalation_id}", says="passed to you as HR")
    shown = words(page)
    for seen in ("Alex Morgan", "Sam Whitfield", "The supervision date is wrong", "Dana Okafor",
                 f"Passed to HR: {REASON}", "line manager told"):
        assert seen in shown, seen
    assert "Record the outcome" not in shown and 'name="outcome"' not in page.get_data(as_text=True)

    # The record itself stays closed to HR, on the page and in the API.
    assert hr.get(f"/records/{record_id}", headers=HTML).status_code == 404
    assert client.get(f"/api/v1/records/{record_id}", headers=org.auth("hr")).status_code == 404
    # HR reads; only the line manager records an outcome.
    refused = client.post(f"/api/v1/disagreements/{escalation_id}/outcome", headers=org.auth("hr"),
                          json={"outcome": "three_way", "outcome_text": "x", "meeting_on": clock.today().isoformat()})
    assert refused.status_code == 403
    # HR's reading is audited as a reading of the route, not of the document.
    with app.extensions["docgen"].sessions() as db:
        [entry] = db.scalars(select(AuditEvent).where(AuditEvent.action == "disagreement.read",
                                                      AuditEvent.actor_id == org.ids["hr"])).all()
        assert entry.object_type == "disagreement" and entry.object_id == str(escalation_id)
        assert entry.detail["basis"] == "hr_referral"
        assert not db.scalars(select(AuditEvent).where(AuditEvent.actor_id == org.ids["hr"],
                                                       AuditEvent.object_type == "record")).all()


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_hr_finds_disagreements_passed_to_them_from_the_navigation(app: Any, client: Any, org: Any) -> None:
    hr = _signed_in(app, "hr", 2)
    assert 'href="/disagreements"' not in hr.get("/hr/leavers", headers=HTML).get_data(as_text=True)
    _, escalation_id = _passed_to_hr(app, client, org)

    assert 'href="/disagreements"' in hr.get("/hr/leavers", headers=HTML).get_data(as_text=True)
    listed = hr.get("/disagreements", headers=HTML)
    assert listed.status_code == 200
    assert "Disagreements passed to HR" in words(listed) and "Alex Morgan" in words(listed)
    assert f'href="/disagreements/{escalation_id}"' in listed.get_data(as_text=True)
    [item] = client.get("/api/v1/disagreements", headers=org.auth("hr")).json["items"]
    assert item["id"] == escalation_id and item["outcomes"] == []
    # The line manager's own list is as it was.
    assert [d["id"] for d in client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]] == [
        escalation_id]


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_the_supervisee_and_supervisor_keep_their_link_to_the_document(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    record_id, escalation_id = _passed_to_hr(app, client, org)
    for n, who in enumerate(("worker", "manager"), start=3):
        mail = _mail_to(mailbox, f"{who}@knowsley.example.org", "Outcome of a supervision disagreement")
        assert _path(mail) == f"/records/{record_id}"
        browser = _signed_in(app, who, n)
        assert browser.get(_path(mail), headers=HTML, follow_redirects=True).status_code == 200
        assert browser.get(f"/disagreements/{escalation_id}", headers=HTML).status_code == 404


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_hr_is_not_shown_a_disagreement_settled_by_the_line_manager(app: Any, client: Any, org: Any) -> None:
    _left_unsettled(app, org)
    app.extensions["docgen"].enqueue("disagreement_route")
    [shown] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    settled = client.post(f"/api/v1/disagreements/{shown['id']}/outcome", headers=org.auth("head"), json={
        "outcome": "three_way", "outcome_text": "Date corrected", "meeting_on": clock.today().isoformat()})
    assert settled.status_code == 200, settled.json
    assert client.get(f"/api/v1/disagreements/{shown['id']}", headers=org.auth("hr")).status_code == 404
    assert client.get("/api/v1/disagreements", headers=org.auth("hr")).json["items"] == []


# --- an overdue record, to the supervisor's line manager -----------------------------------------


def _supervising_across_teams(app: Any, org: Any) -> dict[str, Any]:
    """Lou manages Pat, a practice lead, who supervises Kim from another team (Kim's line manager is
    Dana): Lou has no right to Kim's records. Pat's record of Kim's session six weeks ago is still
    a draft, long past Knowsley's 5 working days."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        org_row = db.get_one(Organisation, org.org.id)
        start = dt.date(2024, 1, 8)
        other = people.create_team(db, org_row, "Fostering", "Children's Social Care")

        def person(key: str, name: str, role: str, team_id: int, manager: int | None) -> Person:
            made = people.create_person(db, org_row, services.profile, {
                "name": name, "email": f"{key}@knowsley.example.org", "role": role, "team_id": team_id,
                "line_manager_id": manager, "employment_start": start})
            tokens[key] = accounts.issue_api_token(db, accounts.create_account(db, made, "correct-horse-battery", []),
                                                   "test")
            return made

        tokens: dict[str, str] = {}

        lou = person("lou", "Lou Grant", "team_manager", org.team.id, None)
        pat = person("pat", "Pat Quinn", "team_manager", org.team.id, lou.id)
        kim = person("kim", "Kim Lee", "social_worker", other.id, org.ids["head"])
        people.create_relationship(db, kim.id, pat.id, start)
        record = records.create_record(db, services.profile, kim, clock.today() - dt.timedelta(days=42))
        db.flush()
        return {"lou": lou.id, "pat": pat.id, "kim": kim.id, "record": record.id,
                "lou_api": {"Authorization": f"Bearer {tokens['lou']}"},
                "pat_api": {"Authorization": f"Bearer {tokens['pat']}"}}


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_overdue_record_e_mail_opens_the_supervisors_overdue_list_for_their_line_manager(
        app: Any, client: Any, org: Any, mailbox: Mailbox) -> None:
    ids = _supervising_across_teams(app, org)
    app.extensions["docgen"].enqueue("sign_off_deadlines")

    lou, page = _link_followed(app, mailbox, "lou", 5, "Overdue supervision record: Kim Lee",
                               f"/due?supervisor_id={ids['pat']}&state=overdue", says="not what it says")
    shown = words(page)
    assert "Overdue for the people Pat Quinn supervises" in shown
    assert "Kim Lee" in shown and "Record of" in shown

    # The record itself stays closed to Lou, on the page and in the API.
    assert lou.get(f"/records/{ids['record']}", headers=HTML).status_code == 404
    assert lou.get(f"/records/{ids['record']}/edit", headers=HTML).status_code == 404
    assert client.get(f"/api/v1/records/{ids['record']}", headers=ids["lou_api"]).status_code == 404
    # The API's due list, narrowed the same way, has the same row.
    due = client.get(f"/api/v1/due?supervisor_id={ids['pat']}&state=overdue", headers=ids["lou_api"]).json
    assert [(i["supervisee_id"], i["ref_id"]) for i in due["items"] if i["kind"] == "record"] == [
        (ids["kim"], ids["record"])]


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_line_managers_schedule_view_is_no_wider_than_the_supervisors_below_them(
        app: Any, client: Any, org: Any) -> None:
    """Schedules, not content, and only below the reader in the line: Pat's supervisee is on Lou's
    due list, but not on that of Sam, who manages neither Pat nor Kim; nor may Sam open Kim's
    record."""
    ids = _supervising_across_teams(app, org)
    lou = _signed_in(app, "lou", 6)
    assert "Kim Lee" in words(lou.get(f"/due?supervisor_id={ids['pat']}", headers=HTML))
    # Only on the list narrowed to the supervisor Lou follows up: Kim is not in Lou's line.
    everything = lou.get("/due", headers=HTML)
    assert everything.status_code == 200
    assert "Kim Lee" not in words(everything)
    sam = _signed_in(app, "manager", 7)
    for path in (f"/due?supervisor_id={ids['pat']}", "/due"):
        shown = sam.get(path, headers=HTML)
        assert shown.status_code == 200, path
        assert "Kim Lee" not in words(shown), path
    assert "Nothing is due for the people you oversee" in words(sam.get(f"/due?supervisor_id={ids['pat']}",
                                                                        headers=HTML))
    assert "Alex Morgan" in words(sam.get("/due", headers=HTML))  # Sam's own supervisee
    assert sam.get(f"/records/{ids['record']}", headers=HTML).status_code == 404
    with app.extensions["docgen"].sessions() as db:
        assert db.get_one(Record, ids["record"]).supervisor_id == ids["pat"]


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_the_overdue_list_opens_nothing_else_of_a_supervisee_from_another_team(
        app: Any, client: Any, org: Any) -> None:
    """Lou sees Kim's overdue row only on Pat's list: Kim's supervision log is not Lou's to open and
    Kim is not in Lou's compliance report, while Pat, Kim's supervisor, opens the log."""
    ids = _supervising_across_teams(app, org)
    due = client.get(f"/api/v1/due?supervisor_id={ids['pat']}&state=overdue", headers=ids["lou_api"]).json
    assert ids["record"] in [i["ref_id"] for i in due["items"] if i["kind"] == "record"]

    log = f"/api/v1/people/{ids['kim']}/supervision-log"
    assert client.get(log, headers=ids["lou_api"]).status_code == 404
    assert client.get(log, headers=ids["pat_api"]).status_code == 200
    with app.extensions["docgen"].sessions() as db:
        kims_team = db.get_one(Person, ids["kim"]).team_id
    for narrowed in ("", f"&team_id={kims_team}"):
        report = client.get(f"/api/v1/reports/compliance?from=2026-01-01&to={clock.today().isoformat()}{narrowed}",
                            headers=ids["lou_api"])
        assert report.status_code == 200, report.json
        assert "Kim Lee" not in str(report.json)
    lou = _signed_in(app, "lou", 9)
    page = lou.get("/reports/compliance", headers=HTML)
    assert page.status_code == 200 and "Kim Lee" not in words(page)


def _escalated_without_a_link(app: Any, mailbox: Mailbox, to: str, subject: str) -> str:
    app.extensions["docgen"].enqueue("sign_off_deadlines")
    mail = " ".join(_mail_to(mailbox, to, subject).split())
    assert not LINK.findall(mail), mail
    assert "this e-mail has no link" in mail and "Nothing is overdue" not in mail
    return mail


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_an_overdue_record_of_a_supervisee_who_has_moved_to_another_supervisor_is_told_without_a_link(
        app: Any, org: Any, mailbox: Mailbox) -> None:
    """Kim has moved to Sam since: Pat's overdue list no longer shows Pat's record of Kim, so Lou is
    told what is overdue and to follow it up with Pat, with no link to a list saying nothing is."""
    ids = _supervising_across_teams(app, org)
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        movers.transfer(db, services.profile, db.get_one(Person, ids["kim"]), on=clock.today() - dt.timedelta(days=3),
                        by=None, supervisor_id=org.ids["manager"])

    mail = _escalated_without_a_link(app, mailbox, "lou@knowsley.example.org", "Overdue supervision record: Kim Lee")
    assert "for Kim Lee, written by Pat Quinn" in mail and "Pat Quinn has not sent it for sign-off" in mail
    assert "please follow it up with Pat Quinn" in mail
    assert "Kim Lee is no longer supervised by Pat Quinn" in mail


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_an_overdue_record_of_a_leaver_is_told_without_a_link(app: Any, client: Any, org: Any,
                                                               mailbox: Mailbox) -> None:
    ids = _supervising_across_teams(app, org)
    url = f"/api/v1/people/{ids['kim']}"
    left = client.patch(url, json={"leave_date": (clock.today() - dt.timedelta(days=2)).isoformat()},
                        headers=read_then_change(client, url, org.auth("hr")))
    assert left.status_code == 200, left.json

    mail = _escalated_without_a_link(app, mailbox, "lou@knowsley.example.org", "Overdue supervision record: Kim Lee")
    assert "please follow it up with Pat Quinn" in mail and "Kim Lee is recorded as a leaver" in mail


@pytest.mark.parametrize("profile_name", ["knowsley"])
def test_an_overdue_group_record_is_told_as_the_groups_without_a_link(app: Any, org: Any, mailbox: Mailbox) -> None:
    """A group record is filed as its recorder's (Alex) and signed off by Sam: it is no one's
    supervision, so the e-mail to Sam's line manager names the group, its facilitator and recorder."""
    services = app.extensions["docgen"]
    day = clock.today() - dt.timedelta(days=42)
    with services.sessions.begin() as db:
        group = SupervisionGroup(name="CIN action learning", facilitator_id=org.ids["manager"],
                                 recorder_id=org.ids["worker"], signer_id=org.ids["manager"])
        db.add(group)
        db.flush()
        session = GroupSession(group_id=group.id, starts_at=dt.datetime.combine(day, dt.time(10)), status="held",
                               uid="cin-action-learning@knowsley.example.org")
        db.add(session)
        db.flush()
        db.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                      session_date=day, due_date=day + dt.timedelta(days=7), status=DRAFT, sections={}, version=1,
                      group_session_id=session.id))

    mail = _escalated_without_a_link(app, mailbox, "head@knowsley.example.org",
                                     "Overdue group supervision record: CIN action learning")
    assert f"The record of CIN action learning's group supervision on {day:%-d %B %Y}" in mail
    assert "facilitated by Sam Whitfield and recorded by Alex Morgan" in mail
    assert "Alex Morgan has not sent it for sign-off" in mail and "please follow it up with Sam Whitfield" in mail
    assert "supervised by" not in mail
