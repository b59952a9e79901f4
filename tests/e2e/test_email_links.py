"""Every e-mail has its link and its reason (issue 27): each kind of e-mail, written by the use case
that sends it in a real journey, carries a link to the page where its reader acts, and that page
opens for them.

The journeys run through the API as the people would; every e-mail the use cases write is caught
as `workflows.emails.render` writes it (before the outbox redacts a link's token), with its
template's name and the context its use case gave it. Knowsley's journey: a disagreement that
reaches the line manager and is settled, an overdue record escalated, a break-glass read, a
session and a group session planned, a leaver's records forwarded early. Haringey's: reading by
consent (asked, answered, refused, overridden) and a sealed record's copy to the supervisee.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from kernel import clock
from storage.models import Person
from tests.e2e.test_consent import REASON as CONSENT_REASON, _ask, config, olu  # noqa: F401
from tests.e2e.test_disagreement_route import _disagreed, _later
from tests.e2e.test_hr_leavers import leaving
from tests.e2e.test_signoff import _draft, _sign
from tests.e2e.test_web_pages import HTML, sign_in
from tests.mailbox import Mailbox, sign_link_for
from workflows import accounts, emails, people

pytestmark = pytest.mark.libreoffice
TEMPLATES = Path(emails.__file__).parent / "email_templates"
BASE = "https://docgen.example.org"

# The page each kind of e-mail sends its reader to (a path on the deployment's own address).
LINKS = {
    "break_glass_read": r"/my-records",
    "consent_answered": r"/supervision/\d+|/consent-requests",
    "consent_asked": r"/consent/[A-Za-z0-9_-]{43}",
    "consent_overridden": r"/my-records",
    "consent_overridden_reader": r"/supervision/\d+",
    "consent_refused": r"/consent-requests",
    "cpd_renewal": r"/my-records/cpd",  # issue 25: SWE's renewal window opens
    "disagreement_escalated": r"/disagreements/\d+",
    "disagreement_outcome": r"/(records|agreements|disagreements)/\d+",  # HR: the disagreement's own page
    "group_session_planned": r"/groups",
    "record_copy": r"/my-records",
    # The supervisor's overdue list; no link where that list would not show the record (a group
    # record, a supervisee moved to another supervisor or left): test_email_links_reach_readers.py
    "record_overdue": r"/due\?supervisor_id=\d+&state=overdue",
    "record_to_line_manager": r"/(group-)?records/\d+",
    "records_forwarded": r"/hr/leavers/\d+/bundle",
    "session_planned": r"/",
    "signoff_countersigned_over": r"/my-records",
    "signoff_disagreed": r"/records/\d+(/edit)?",
    "signoff_link": r"/sign/[A-Za-z0-9_-]{20,}",
}
# Not a kind of e-mail of its own: the words both sign-off e-mails share.
PARTS = {"signoff_ask"}
# The one-time code is typed into the link page its reader has open already; the link itself is
# spent and kept only as a hash, so the code's e-mail cannot carry it again.
NO_LINK = {"signoff_code"}


class Written(NamedTuple):
    name: str
    to: str
    text: str
    html: str


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[Written]:
    """Every e-mail the use cases write in the test, as its reader gets it."""
    caught: list[Written] = []
    render = emails.render

    def catching(name: str, **context: Any) -> emails.Body:
        body = render(name, **context)
        caught.append(Written(name, "", body.text, body.html))
        return body

    def queue(db: Any, name: str, *, to: str, **rest: Any) -> None:
        original_queue(db, name, to=to, **rest)
        caught[-1] = caught[-1]._replace(to=to)

    original_queue = emails.queue
    monkeypatch.setattr(emails, "render", catching)
    monkeypatch.setattr(emails, "queue", queue)
    return caught


@pytest.fixture(params=["knowsley"])
def profile_name(request: pytest.FixtureRequest) -> str:
    return request.param




def _link(mail: Written) -> str:
    """The path of the page the e-mail sends its reader to, checked against its kind's page."""
    found = re.findall(rf"{re.escape(BASE)}(/\S*)", mail.text)
    assert found, f"{mail.name} to {mail.to} has no link:\n{mail.text}"
    assert any(re.fullmatch(LINKS[mail.name], path) for path in found), (mail.name, found)
    return next(path for path in found if re.fullmatch(LINKS[mail.name], path))


def _open_for_their_readers(app: Any, mails: list[Written]) -> None:
    """Each reader, signed in on a browser of their own, opens the page of every e-mail they got
    (a link page is its own credential and is spent in the journey: its own tests open it). A
    reader who has left since cannot sign in, and is not asked to."""
    readers: dict[str, list[str]] = {}
    for mail in mails:
        path = _link(mail)
        if mail.name not in ("signoff_link", "consent_asked"):
            readers.setdefault(mail.to, []).append(path)
    with app.extensions["docgen"].sessions() as db:
        left = {p.email for p in db.query(Person).filter(Person.leave_date.is_not(None))}
    for n, (address, paths) in enumerate(readers.items()):
        if address in left:
            continue
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"  # the sign-in limit counts per address
        assert sign_in(browser, address.split("@")[0]).status_code == 302, address
        for path in paths:
            shown = browser.get(path, headers=HTML, follow_redirects=True)
            assert shown.status_code == 200, (address, path, shown.status_code)


def _director(app: Any, org: Any) -> dict[str, str]:
    """Dee, a senior manager outside Alex's line, who reads by break-glass with a reason."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        dee = people.create_person(db, db.merge(org.org), services.profile, {
            "name": "Dee Director", "email": "director@knowsley.example.org", "role": "head_of_service",
            "team_id": org.team.id, "employment_start": dt.date(2024, 1, 8)})
        account = accounts.create_account(db, dee, "correct-horse-battery", ["senior_manager"])
        return {"Authorization": f"Bearer {accounts.issue_api_token(db, account, 'test')}"}


def _knowsley_journey(client: Any, app: Any, org: Any, mailbox: Mailbox) -> None:
    record_id = _disagreed(client, org, mailbox, "The leave dates are wrong")
    _later(32)
    app.extensions["docgen"].enqueue("disagreement_route")
    [escalation] = client.get("/api/v1/disagreements", headers=org.auth("head")).json["items"]
    settled = client.post(f"/api/v1/disagreements/{escalation['id']}/outcome", headers=org.auth("head"), json={
        "outcome": "three_way", "outcome_text": "Leave dates corrected", "meeting_on": clock.today().isoformat()})
    assert settled.status_code == 200, settled.json
    app.extensions["docgen"].enqueue("sign_off_deadlines")
    read = client.get(f"/api/v1/records/{record_id}", headers={**_director(app, org), "X-Docgen-Reason": "A complaint"})
    assert read.status_code == 200, read.json
    starts = (clock.now() + dt.timedelta(days=3)).replace(microsecond=0).isoformat() + "Z"
    planned = client.post("/api/v1/sessions", json={"supervisee_id": org.ids["asye"], "starts_at": starts},
                          headers=org.auth("manager"))
    assert planned.status_code == 201, planned.json
    group = client.post("/api/v1/groups", json={"name": "CIN 1 action learning", "facilitator_id": org.ids["manager"],
                                                 "member_ids": [org.ids["worker"], org.ids["asye"]]},
                        headers=org.auth("manager")).json
    grouped = client.post(f"/api/v1/groups/{group['id']}/sessions", json={"starts_at": starts},
                          headers=org.auth("manager"))
    assert grouped.status_code == 201, grouped.json
    kept = client.post("/api/v1/records", headers=org.auth("manager"), json={
        "supervisee_id": org.ids["asye"], "session_date": (clock.today() - dt.timedelta(days=9)).isoformat()})
    assert kept.status_code == 201, kept.json  # a record for HR's bundle
    leaving(client, org, "asye", (clock.today() - dt.timedelta(days=2)).isoformat())
    forwarded = client.post(f"/api/v1/people/{org.ids['asye']}/forward-to-hr", headers=org.auth("hr"),
                            json={"reason": "A tribunal has asked for the employee's file"})
    assert forwarded.status_code == 200, forwarded.json


def test_every_e_mail_of_knowsleys_journeys_links_to_the_page_where_its_reader_acts(
        client: Any, app: Any, org: Any, mailbox: Mailbox, written: list[Written]) -> None:
    _knowsley_journey(client, app, org, mailbox)

    kinds = {mail.name for mail in written}
    assert kinds >= {"signoff_link", "signoff_disagreed", "disagreement_escalated", "disagreement_outcome",
                     "record_overdue", "break_glass_read", "session_planned", "group_session_planned",
                     "records_forwarded"}, kinds
    # sign-off's own e-mails: test_signoff_e_mails_link_to_the_page_where_their_reader_acts
    _open_for_their_readers(app, [mail for mail in written if not mail.name.startswith("signoff_")])


def test_the_e_mails_say_why_they_were_sent_in_words_a_reader_follows(
        client: Any, app: Any, org: Any, mailbox: Mailbox, written: list[Written]) -> None:
    """Issue 27: the overdue e-mail read "… and is still changes requested"; the line manager's
    disagreement e-mail said "Open docgen's Disagreements page" with no link; HR's e-mail gave the
    6-month rule as the reason for a forward made early, with a reason of HR's own."""
    _knowsley_journey(client, app, org, mailbox)
    by_kind = {mail.name: mail.text for mail in written}

    overdue = " ".join(by_kind["record_overdue"].split())
    assert "is still" not in overdue
    assert "Alex Morgan disagreed with it, and Sam Whitfield has neither revised nor countersigned it" in overdue
    escalated = by_kind["disagreement_escalated"]
    assert "Open docgen" not in escalated and re.search(rf"{BASE}/disagreements/\d+", escalated)
    forwarded = " ".join(by_kind["records_forwarded"].split())
    assert "Harriet Reid forwarded their supervision records to HR early" in forwarded
    assert "A tribunal has asked for the employee's file" in forwarded
    assert "6 months" not in forwarded and "forwarding early does not change that date" in forwarded


@pytest.mark.parametrize("profile_name", ["haringey"])
def test_every_e_mail_of_reading_by_consent_and_a_sealed_copy_links_to_its_readers_page(
        client: Any, app: Any, org: Any, mailbox: Mailbox, written: list[Written], olu: dict[str, str]) -> None:
    token = _ask(client, org, olu, mailbox)
    refused = client.post(f"/api/v1/consent/{token}", json={"answer": "refused"})
    assert refused.status_code == 200, refused.json
    [request] = client.get("/api/v1/consent-requests", headers=org.auth("manager")).json["refusals"]
    overridden = client.post(f"/api/v1/consent-requests/{request['id']}/override", headers=org.auth("manager"),
                             json={"reason": CONSENT_REASON})
    assert overridden.status_code == 200, overridden.json
    record_id = _draft(client, org)
    assert client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("manager")).status_code == 200
    signed = _sign(client, sign_link_for(mailbox, "manager@knowsley.example.org"), "agree", "Sam Whitfield")
    assert signed.json["status"] == "signed", signed.json  # H: the supervisor alone signs a record

    kinds = {mail.name for mail in written}
    assert kinds >= {"consent_asked", "consent_answered", "consent_refused", "consent_overridden",
                     "consent_overridden_reader", "record_copy"}, kinds
    _open_for_their_readers(app, [mail for mail in written if not mail.name.startswith("signoff_")])


@pytest.mark.parametrize("profile_name", ["southwark"])
def test_the_line_managers_e_mail_of_a_sealed_casework_record_links_to_it(
        client: Any, app: Any, org: Any, mailbox: Mailbox, written: list[Written]) -> None:
    """Southwark tells the supervisee's line manager of a sealed casework record written by another
    supervisor: Kim is line managed by Dana and supervised by Sam."""
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        kim = people.create_person(db, db.merge(org.org), services.profile, {
            "name": "Kim Lee", "email": "kim@knowsley.example.org", "role": "social_worker", "team_id": org.team.id,
            "line_manager_id": org.ids["head"], "employment_start": dt.date(2024, 1, 8)})
        people.create_relationship(db, kim.id, org.ids["manager"], dt.date(2024, 1, 8))
        kim_id = kim.id
    made = client.post("/api/v1/records", headers=org.auth("manager"), json={
        "supervisee_id": kim_id, "session_date": (clock.today() - dt.timedelta(days=2)).isoformat(), "kind": "casework"})
    assert made.status_code == 201, made.json
    assert client.post(f"/api/v1/records/{made.json['id']}/send", headers=org.auth("manager")).status_code == 200
    assert _sign(client, sign_link_for(mailbox, "kim@knowsley.example.org"), "agree", "Kim Lee").status_code == 200
    signed = _sign(client, sign_link_for(mailbox, "manager@knowsley.example.org"), "agree", "Sam Whitfield")
    assert signed.json["status"] == "signed", signed.json

    told = [mail for mail in written if mail.name == "record_to_line_manager"]
    assert [mail.to for mail in told] == ["head@knowsley.example.org"]
    _open_for_their_readers(app, told)


def test_signoff_e_mails_link_to_the_page_where_their_reader_acts(
        client: Any, app: Any, org: Any, mailbox: Mailbox, written: list[Written]) -> None:
    _disagreed(client, org, mailbox, "The leave dates are wrong")
    for mail in written:
        _link(mail)


def test_every_kind_of_e_mail_has_the_page_its_reader_acts_on() -> None:
    """A new template names its page here, or this fails: no e-mail leads nowhere."""
    kinds = {path.stem for path in TEMPLATES.iterdir() if path.suffix in (".txt", ".html")}
    assert kinds - PARTS - NO_LINK == set(LINKS)
