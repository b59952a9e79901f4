"""Pages whose SQL does not grow with what they show (issue 26): the supervisor dashboard, the record
page, My records, the due list and the compliance report each run the same number of statements for a team of 3 as for a
team of 30. A statement per supervisee, record or action (a lazy load in a loop, an N+1) makes the
counts differ; nothing here is timed.

One organisation holds both teams, built through the API as people build them: drafts with actions,
records sent for sign-off, signed by the supervisee, countersigned and sealed. The PDF converter is
a canned one (one real LibreOffice conversion for the module): conversion runs no SQL, and 40 of
them would only make the test slow.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from docx import Document
from sqlalchemy import event

from kernel.config import Config
from storage.models import Organisation
from tests.mailbox import Mailbox, sign_link_for
from tests.sealing import mailing_and_sealing
from workflows import accounts, people
from workflows.profiles import load_profile

pytestmark = pytest.mark.libreoffice

HTML = {"Accept": "text/html"}
SMALL, LARGE = 3, 30
# The states a supervisee's latest record is left in, taken in turn across a team.
STATES = ("draft", "awaiting_supervisee", "awaiting_supervisor", "signed")


@pytest.fixture(scope="module")
def canned_pdf(warm_converter: Any) -> bytes:
    """A real PDF from LibreOffice, made once, that the canned converter hands back for any record."""
    document = Document()
    document.add_heading("Supervision record", level=1)
    document.add_paragraph("Welfare: settled after the team move.")
    docx = io.BytesIO()
    document.save(docx)
    return bytes(warm_converter().convert(docx.getvalue()))


class CannedConverter:
    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf

    def convert(self, docx: bytes) -> bytes:
        return self.pdf


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


@dataclass
class Team:
    """A team as the pages see it: the API tokens of its manager and of the member with a sign-in,
    and the member's signed record with as many actions as the team has people."""

    team_id: int
    manager: str
    member: str
    member_email: str
    record: int


def _add_team(app: Any, org: Any, name: str, size: int) -> dict[str, Any]:
    """A team of `size` supervisees under a new team manager, the first of them with a sign-in."""
    services = app.extensions["docgen"]
    profile = load_profile("knowsley")
    start = dt.date(2024, 1, 8)
    slug = name.lower().replace(" ", "-")
    with services.sessions.begin() as db:
        organisation = db.get(Organisation, org.org.id)
        team = people.create_team(db, organisation, name, "Children's Social Care")
        manager = people.create_person(db, organisation, profile, {
            "name": f"Manager of {name}", "email": f"manager-{slug}@knowsley.example.org", "role": "team_manager",
            "team_id": team.id, "line_manager_id": org.ids["head"], "employment_start": start})
        token = accounts.issue_api_token(db, accounts.create_account(db, manager, "correct-horse-battery", []), "test")
        people.create_relationship(db, manager.id, org.ids["head"], start)
        members = []
        for n in range(size):
            member = people.create_person(db, organisation, profile, {
                "name": f"Worker {n + 1} of {name}", "email": f"worker{n + 1}-{slug}@knowsley.example.org",
                "role": "social_worker" if n % 3 else "asye", "team_id": team.id,
                "line_manager_id": manager.id, "employment_start": start})
            people.create_relationship(db, member.id, manager.id, start)
            members.append((member.id, member.email))
        member_token = accounts.issue_api_token(
            db, accounts.create_account(db, db.get(type(manager), members[0][0]), "correct-horse-battery", []), "test")
        return {"team_id": team.id, "manager": token, "manager_email": manager.email, "members": members,
                "member_token": member_token}


def _record(client: Any, mailbox: Mailbox, built: dict[str, Any], supervisee: tuple[int, str], day: dt.date,
            actions: int, state: str) -> int:
    """A record of `supervisee` with `actions` actions, taken through sign-off as far as `state`."""
    manager = {"Authorization": f"Bearer {built['manager']}"}
    created = client.post("/api/v1/records", json={"supervisee_id": supervisee[0], "session_date": day.isoformat()},
                          headers=manager)
    assert created.status_code == 201, created.json
    record_id = created.json["id"]
    edited = client.patch(f"/api/v1/records/{record_id}", json={
        "welfare": {"discussion": "Settled after the team move."},
        "actions": [{"section": "welfare", "text": f"Follow up case {n + 1}", "due": "end of month"}
                    for n in range(actions)]},
        headers={**manager, "If-Match": created.headers["ETag"]})
    assert edited.status_code == 200, edited.json
    if state == "draft":
        return record_id
    mailbox.envelopes.clear()  # each link is then found among a few e-mails, not all the team's
    assert client.post(f"/api/v1/records/{record_id}/send", headers=manager).status_code == 200
    if state == "awaiting_supervisee":
        return record_id
    token = sign_link_for(mailbox, supervisee[1])
    mailbox.envelopes.clear()
    _decide(client, token)
    if state == "awaiting_supervisor":
        return record_id
    _decide(client, sign_link_for(mailbox, built["manager_email"]))
    status = client.get(f"/api/v1/records/{record_id}/signoff", headers=manager).json
    assert status["status"] == "signed" and status["final_pdf_sha256"], status
    return record_id


def _decide(client: Any, token: str) -> None:
    shown = client.get(f"/api/v1/sign/{token}")
    assert shown.status_code == 200, shown.json
    agreed = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": shown.json["signer_name"]},
                         headers={"User-Agent": "Mozilla/5.0 (test)"})
    assert agreed.status_code == 200, agreed.json


def _build(app: Any, client: Any, org: Any, mailbox: Mailbox, name: str, size: int) -> Team:
    """A team of `size`, each supervisee's record in one of STATES in turn. The member with a sign-in
    has records of their own in every state, once per ten people in the team (at least once: 4 records
    in the team of 3, 12 in the team of 30, for My records); the first is signed with `size` actions
    (the record page)."""
    built = _add_team(app, org, name, size)
    today = dt.date.today()
    members = built["members"]
    own = len(STATES) * max(1, size // 10)
    record = _record(client, mailbox, built, members[0], today - dt.timedelta(days=7 * (own + 2)), size, "signed")
    for n in range(1, own):
        _record(client, mailbox, built, members[0], today - dt.timedelta(days=7 * (own + 1 - n)), 1,
                STATES[n % len(STATES)])
    for n, supervisee in enumerate(members[1:], start=1):
        _record(client, mailbox, built, supervisee, today - dt.timedelta(days=14), 1, STATES[n % len(STATES)])
    return Team(built["team_id"], built["manager"], built["member_token"], members[0][1], record)


@contextmanager
def _counted(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(app: Any, client: Any, url: str, token: str) -> list[str]:
    """The SQL statements of one request for `url`, after a first request has warmed every cache."""
    headers = {**HTML, "Authorization": f"Bearer {token}"}
    assert client.get(url, headers=headers).status_code == 200, url
    with _counted(app.extensions["docgen"].engine) as statements:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return statements


@pytest.fixture
def teams(app: Any, client: Any, org: Any, mailbox: Mailbox, canned_pdf: bytes) -> dict[int, Team]:
    app.extensions["docgen"].converter = lambda: CannedConverter(canned_pdf)
    return {size: _build(app, client, org, mailbox, f"Team of {size}", size) for size in (SMALL, LARGE)}


PAGES = {
    "the supervisor dashboard": lambda team: ("/supervision", team.manager),
    "the record page": lambda team: (f"/records/{team.record}", team.manager),
    "My records": lambda team: ("/my-records", team.member),
    "the due list": lambda team: (f"/api/v1/due?team_id={team.team_id}", team.manager),
    # issue 25: the compliance report page, with the supervision log's figures for its period
    "the compliance report": lambda team: ("/reports/compliance", team.manager),
}


def test_each_page_runs_as_many_statements_for_a_team_of_30_as_for_a_team_of_3(app: Any, client: Any,
                                                                                teams: dict[int, Team]) -> None:
    counts = {page: {size: _statements(app, client, *where(team)) for size, team in teams.items()}
              for page, where in PAGES.items()}
    assert all(len(by_size[SMALL]) > 0 for by_size in counts.values())
    grown = {page: (len(by_size[SMALL]), len(by_size[LARGE]), _repeated(by_size[LARGE], by_size[SMALL]))
             for page, by_size in counts.items() if len(by_size[SMALL]) != len(by_size[LARGE])}
    said = "\n".join(f"{page}: {small} statements for a team of {SMALL}, {large} for {LARGE}; more often: {more}"
                     for page, (small, large, more) in grown.items())
    assert not grown, said


def _repeated(large: list[str], small: list[str]) -> dict[str, tuple[int, int]]:
    """The statements the larger team ran more often than the smaller one (where the N+1 is), each
    shortened to its table and condition, with how often each team ran it."""
    large, small = [_short(s) for s in large], [_short(s) for s in small]
    return {s: (small.count(s), large.count(s)) for s in dict.fromkeys(large) if large.count(s) > small.count(s)}


# A list of bound values, "IN (?, ?, ?)" or PostgreSQL's "IN (%(id_1_1)s::INTEGER, ...)": as long as
# the list, so one statement however many values it carries.
BOUND_LIST = re.compile(r"\((?:\?|%\(\w+\)s(?:::\w+)?)(?:, (?:\?|%\(\w+\)s(?:::\w+)?))*\)")


def _short(statement: str) -> str:
    """"FROM table WHERE ..." of a statement, without the column list, a list of values as "(…)"."""
    words = BOUND_LIST.sub("(…)", " ".join(statement.split()))
    return words[words.find(" FROM ") + 1:][:160] if " FROM " in words else words[:160]
