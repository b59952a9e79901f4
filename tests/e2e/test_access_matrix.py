"""Who may do what with a supervisee's documents: every role against every document endpoint.

The supervisee (Alex) was supervised by Sam (also Alex's line manager), then by Fay, and now by
Cal. The matrix is asserted exactly, in three states of Alex's employment: active, left but not
yet forwarded to HR, and forwarded to HR (K; W §10; H §11; S 12.4). A refusal is 404 where the
caller has no basis at all (ids cannot be probed) and 403 where they have one but not for this;
a refused answer never carries content. Every granted read is audited; break-glass reading
e-mails the supervisee (once an hour for the same reader and reason, however many pages).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from docgen.api import hr as _hr_routes  # noqa: F401  (registers the HR routes before the app is built)
from storage.models import (INTEGER_MAX, Account, Agreement, AuditEvent, DisagreementEscalation, OutboxMessage,
                            Person, Record, SignoffEvent)
from kernel import clock
from workflows import accounts, movers, people, retention

MARKER = "WELFARE-MARKER-CARER-STRAIN-3J7W"
AUDIT_REASON = "Annual supervision file audit (S §8)"
BREAK_GLASS_REASON = "Safeguarding allegation about conduct; need-to-know for the LADO referral"

READS = ("GET record", "GET record docx", "GET agreement", "GET agreement docx", "GET action")
EXPORT = ("GET export",)
WRITES = ("PATCH record", "PATCH agreement", "PUT record docx", "PUT agreement docx")
ENDPOINTS = READS + EXPORT + WRITES

# role -> (account, reason sent)
ROLES = {
    "supervisee": ("worker", ""),
    "current supervisor": ("current", ""),
    "former supervisor": ("former", ""),
    "former supervisor who is line manager": ("manager", ""),
    "head of service up the chain": ("head", ""),
    "unrelated staff": ("asye", ""),
    "hr": ("hr", ""),
    "auditor without reason": ("auditor", ""),
    "auditor with reason": ("auditor", AUDIT_REASON),
    "senior manager without reason": ("director", ""),
    "senior manager break-glass": ("director", BREAK_GLASS_REASON),
    "administrator": ("admin", ""),
}
# Accounts holding a granted role that reads with a reason: without one they get 403, not 404
# (the head of service holds senior_manager, which matters once the line-manager basis is gone).
REASON_ROLE_ACCOUNTS = ("auditor", "director", "head")
WITH_REASON = ("auditor with reason", "senior manager break-glass")

ALLOWED = {
    "active": {
        "supervisee": READS,
        "current supervisor": READS + WRITES,
        "former supervisor who is line manager": READS,
        "head of service up the chain": READS,
        **{role: READS for role in WITH_REASON},
    },
    # A leaver's own sign-in and tokens close when they leave; HR's export serves their copy.
    "leaver": {  # left yesterday: frozen, not yet with HR; their last supervisor still reads (S 12.4)
        "current supervisor": READS,
        "former supervisor who is line manager": READS,
        "head of service up the chain": READS,
        "hr": EXPORT,
        **{role: READS for role in WITH_REASON},
    },
    "forwarded": {
        "hr": READS + EXPORT,
        **{role: READS for role in WITH_REASON},
    },
}


@dataclass
class World:
    tokens: dict[str, str]
    ids: dict[str, int]
    urls: dict[str, tuple[str, str]]
    uploads: dict[str, bytes]
    etag: Callable[[str], str]  # a write's If-Match: the ETag of its document as it stands


def at(day: dt.date) -> None:
    moment = dt.datetime.combine(day, dt.time(10))
    clock.set_clock(lambda: moment)


def add_staff(db: Any, org: Any, profile: Any, key: str, name: str, roles: list[str]) -> Person:
    person = people.create_person(db, db.get_one(type(org.org), org.org.id), profile, {
        "name": name, "email": f"{key}@knowsley.example.org", "role": "social_worker",
        "employment_start": dt.date(2024, 1, 8)})
    accounts.create_account(db, person, "correct-horse-battery", roles)
    return person


@pytest.fixture
def world(app: Any, client: Any, org: Any) -> World:
    """Alex's file: Sam supervised until May 2026, Fay until January 2027, Cal since February."""
    services = app.extensions["docgen"]
    at(dt.date(2027, 3, 1))
    with services.sessions.begin() as db:
        ids = dict(org.ids)
        for key, name, roles in (("former", "Fay Former", []), ("current", "Cal Current", []),
                                 ("director", "Dee Director", ["senior_manager"])):
            ids[key] = add_staff(db, org, services.profile, key, name, roles).id
        worker = db.get_one(Person, ids["worker"])
        movers.transfer(db, services.profile, worker, on=dt.date(2026, 6, 1), by=None, supervisor_id=ids["former"])
        moved = movers.transfer(db, services.profile, worker, on=dt.date(2027, 2, 1), by=None,
                                supervisor_id=ids["current"])
        agreement_id = moved.agreement.id
        tokens = {key: accounts.issue_api_token(db, db.scalar(select(Account).where(Account.person_id == pid)),
                                                "matrix", days=None) for key, pid in ids.items()}
    cal = {"Authorization": f"Bearer {tokens['current']}"}
    created = client.post("/api/v1/records", json={"supervisee_id": ids["worker"], "session_date": "2027-02-22"},
                          headers=cal)
    record = client.patch(f"/api/v1/records/{created.json['id']}", json={
        "welfare": {"discussion": f"Caring for a parent at home. {MARKER}"},
        "actions": [{"section": "welfare", "text": "Discuss flexible working with HR"}]},
        headers={**cal, "If-Match": created.headers["ETag"]}).json
    rec, ag, action = record["id"], agreement_id, record["actions"][0]["id"]
    urls = {
        "GET record": ("GET", f"/api/v1/records/{rec}"), "GET record docx": ("GET", f"/api/v1/records/{rec}/docx"),
        "GET agreement": ("GET", f"/api/v1/agreements/{ag}"),
        "GET agreement docx": ("GET", f"/api/v1/agreements/{ag}/docx"),
        "GET action": ("GET", f"/api/v1/actions/{action}"),
        "GET export": ("GET", f"/api/v1/people/{ids['worker']}/export"),
        "PATCH record": ("PATCH", f"/api/v1/records/{rec}"), "PATCH agreement": ("PATCH", f"/api/v1/agreements/{ag}"),
        "PUT record docx": ("PUT", f"/api/v1/records/{rec}/docx"),
        "PUT agreement docx": ("PUT", f"/api/v1/agreements/{ag}/docx"),
    }
    uploads = {"PUT record docx": client.get(urls["GET record docx"][1], headers=cal).data,
               "PUT agreement docx": client.get(urls["GET agreement docx"][1], headers=cal).data}

    def etag(endpoint: str) -> str:
        """Read from the database, as the writer's last read would give it: no audited read of its own."""
        with services.sessions() as db:
            document = db.get_one(Record, rec) if "record" in endpoint else db.get_one(Agreement, ag)
            return f'"{document.revision}"'

    return World(tokens, ids, urls, uploads, etag)


def into_state(state: str, app: Any, world: World) -> None:
    """Move Alex's employment into `state` the way it happens: a leaver, then the retention run."""
    if state == "active":
        return
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        movers.mark_leaver(db, db.get_one(Person, world.ids["worker"]), dt.date(2027, 3, 1), None)
    at(dt.date(2027, 3, 2) if state == "leaver" else dt.date(2027, 9, 1))
    with services.unit_of_work() as uow:
        retention.run(uow, clock.today())


def call(client: Any, world: World, role: str, endpoint: str) -> Any:
    account, reason = ROLES[role]
    headers = {"Authorization": f"Bearer {world.tokens[account]}"}
    if reason:
        headers["X-Docgen-Reason"] = reason
    method, url = world.urls[endpoint]
    if method in ("PATCH", "PUT"):
        headers["If-Match"] = world.etag(endpoint)
    if method == "PATCH":
        body = {"decisions": "Agreed plan"} if "record" in endpoint else {"frequency": "Every 4 weeks"}
        return client.patch(url, json=body, headers=headers)
    if method == "PUT":
        return client.put(url, data=world.uploads[endpoint], headers=headers, content_type="application/octet-stream")
    return client.get(url, headers=headers)


def refusal(state: str, role: str, endpoint: str) -> int:
    """404 without any basis to know the document exists (frozen or not); 403 with one; 401 for the
    leaver themself, whose sign-in and tokens closed when they left."""
    account, reason = ROLES[role]
    if role == "supervisee" and state != "active":
        return 401
    needs_reason = account in REASON_ROLE_ACCOUNTS and not reason
    if endpoint in READS:
        return 403 if needs_reason else 404
    if endpoint in WRITES:  # a writer is told "forbidden" only if they may read the document
        return 403 if set(READS) <= set(ALLOWED[state].get(role, ())) or needs_reason else 404
    return 403 if ALLOWED[state].get(role) or needs_reason else 404


def counts(app: Any, world: World) -> tuple[int, int]:
    with app.extensions["docgen"].sessions() as db:
        supervisee = db.get_one(Person, world.ids["worker"]).email
        return (db.scalar(select(func.count(AuditEvent.id))) or 0,
                db.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == supervisee,
                                                                      OutboxMessage.subject.contains("break-glass")))
                or 0)


@pytest.mark.parametrize("state", ["active", "leaver", "forwarded"])
def test_every_role_against_every_document_endpoint(app: Any, client: Any, world: World, state: str) -> None:
    into_state(state, app, world)
    granted: dict[str, set[str]] = {}
    told = 0
    for role in ROLES:
        for endpoint in ENDPOINTS:
            audit_before, mail_before = counts(app, world)
            answer = call(client, world, role, endpoint)
            audit_after, mail_after = counts(app, world)
            if 200 <= answer.status_code < 300:
                granted.setdefault(role, set()).add(endpoint)
                assert audit_after > audit_before, f"{role} {endpoint} was not audited"
                if endpoint in READS + EXPORT:
                    assert audit_after == audit_before + 1, f"{role} {endpoint}: one audit entry per read"
                first_break_glass = role == "senior manager break-glass" and not told
                assert mail_after == mail_before + first_break_glass, (role, endpoint)
                told += mail_after - mail_before
            else:
                assert answer.status_code == refusal(state, role, endpoint), (role, endpoint, answer.json)
                assert MARKER.encode() not in answer.data and answer.json["error"]["message"]
                assert mail_after == mail_before

    assert granted == {role: set(endpoints) for role, endpoints in ALLOWED[state].items()}
    assert told == 1


def test_guessing_ids_never_reveals_content(app: Any, client: Any, world: World, org: Any) -> None:
    asye_record = client.post("/api/v1/records", json={"supervisee_id": org.ids["asye"], "session_date": "2027-02-22"},
                              headers={"Authorization": f"Bearer {world.tokens['manager']}"}).json
    alex = {"Authorization": f"Bearer {world.tokens['worker']}"}
    for url in (f"/api/v1/records/{asye_record['id']}", f"/api/v1/records/{asye_record['id']}/docx",
                f"/api/v1/records/{asye_record['id'] + 1000}", "/api/v1/agreements/424242",
                "/api/v1/actions/ZZZZZZ", f"/api/v1/people/{org.ids['asye']}/export", "/api/v1/people/424242/export"):
        answer = client.get(url, headers=alex)
        assert answer.status_code in (403, 404), url
        assert "sections" not in answer.json and "PK" not in answer.get_data(as_text=True)[:2], url


# --- group supervision (issue 14) -----------------------------------------------------------------
# Sam facilitates a group (Knowsley: no recorder or signer role, so Sam records and signs off too).
# Alex came; Priya sent apologies; Fay was absent; Cal is in no group. A group record is read by
# those present and by the usual management and HR rules applied to the facilitator's records and
# to the file of each person it belongs to (issue 23: its recorder and those present).
GROUP_READS = ("GET group record", "GET group record sign-off")
GROUP_WRITES = ("PATCH group record",)
GROUP_ROLES = {
    "facilitator": ("manager", ""),
    "member present": ("worker", ""),
    "member who sent apologies": ("asye", ""),
    "member absent": ("former", ""),
    "staff outside the group": ("current", ""),
    "facilitator's line manager": ("head", ""),
    "hr": ("hr", ""),
    "auditor without reason": ("auditor", ""),
    "auditor with reason": ("auditor", AUDIT_REASON),
    "senior manager without reason": ("director", ""),
    "senior manager break-glass": ("director", BREAK_GLASS_REASON),
    "administrator": ("admin", ""),
}
GROUP_ALLOWED = {
    "facilitator": GROUP_READS + GROUP_WRITES,
    "member present": GROUP_READS,
    "facilitator's line manager": GROUP_READS,
    "auditor with reason": GROUP_READS,
    "senior manager break-glass": GROUP_READS,
}


def test_every_role_against_a_group_record(app: Any, client: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    at(dt.date(2027, 3, 1))
    with services.sessions.begin() as db:
        ids = dict(org.ids)
        for key, name, roles in (("former", "Fay Former", []), ("current", "Cal Current", []),
                                 ("director", "Dee Director", ["senior_manager"])):
            ids[key] = add_staff(db, org, services.profile, key, name, roles).id
        tokens = {key: accounts.issue_api_token(db, db.scalar(select(Account).where(Account.person_id == pid)),
                                                "matrix", days=None) for key, pid in ids.items()}
    sam = {"Authorization": f"Bearer {tokens['manager']}"}
    group = client.post("/api/v1/groups", json={"name": "CIN 1 action learning", "facilitator_id": ids["manager"],
                                                 "member_ids": [ids["worker"], ids["asye"], ids["former"]]},
                        headers=sam).json
    session = client.post(f"/api/v1/groups/{group['id']}/sessions", json={"starts_at": "2027-03-02T10:00:00Z"},
                          headers=sam).json
    at(dt.date(2027, 3, 3))
    client.put(f"/api/v1/group-sessions/{session['id']}/attendance", json={"attendance": [
        {"person_id": ids["worker"], "attendance": "present"}, {"person_id": ids["asye"], "attendance": "apologies"},
        {"person_id": ids["former"], "attendance": "absent"}]}, headers=sam)
    record = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=sam).json
    saved = client.patch(f"/api/v1/group-records/{record['id']}",
                         json={"fields": {"reflective_discussion": MARKER, "cases": "104233"}}, headers=sam)
    assert saved.status_code == 200, saved.json
    urls = {"GET group record": ("GET", f"/api/v1/group-records/{record['id']}"),
            "GET group record sign-off": ("GET", f"/api/v1/records/{record['id']}/signoff"),
            "PATCH group record": ("PATCH", f"/api/v1/group-records/{record['id']}")}

    granted: dict[str, set[str]] = {}
    for role, (account, reason) in GROUP_ROLES.items():
        headers = {"Authorization": f"Bearer {tokens[account]}", **({"X-Docgen-Reason": reason} if reason else {})}
        may_read = set(GROUP_READS) <= set(GROUP_ALLOWED.get(role, ()))
        for endpoint, (method, url) in urls.items():
            with services.sessions() as db:
                before = db.scalar(select(func.count(AuditEvent.id)))
            answer = (client.patch(url, json={"fields": {"timescales": "2 weeks"}}, headers=headers)
                      if method == "PATCH" else client.get(url, headers=headers))
            if 200 <= answer.status_code < 300:
                granted.setdefault(role, set()).add(endpoint)
                with services.sessions() as db:
                    assert db.scalar(select(func.count(AuditEvent.id))) > before, f"{role} {endpoint} not audited"
            else:
                needs_reason = account in REASON_ROLE_ACCOUNTS and not reason and account != "head"
                expected = 403 if needs_reason or (method == "PATCH" and may_read) else 404
                assert answer.status_code == expected, (role, endpoint, answer.json)
                assert MARKER.encode() not in answer.data and answer.json["error"]["message"]
    assert granted == {role: set(endpoints) for role, endpoints in GROUP_ALLOWED.items()}


# --- disagreement route, quality audits, consent (issue 14) ---------------------------------------
# Alex's record, written by Cal, is signed; Alex's disagreement with it went to Cal's line manager,
# set to Sam for this test. A quality audit of the team is drawn by the auditor. Knowsley's policy
# gives no reading by consent, so every request for consent is refused.
D_ACTIONS = ("POST quality audit", "GET quality audit", "GET sampled record", "GET disagreement",
             "POST disagreement outcome", "POST consent request")
D_ALLOWED = {
    "former supervisor who is line manager": ("POST quality audit", "GET disagreement", "POST disagreement outcome"),
    "head of service up the chain": ("POST quality audit",),
    "auditor without reason": ("POST quality audit", "GET quality audit", "GET sampled record"),
    "auditor with reason": ("POST quality audit", "GET quality audit", "GET sampled record"),
}
# Refusals: 404 where the thing is someone else's (ids cannot be probed), 403 for a role that has
# no part in it, 422 for a manager whose only records below are their own supervision.
D_REFUSED_AS = {
    ("current supervisor", "POST quality audit"): 422,
    **{(role, action): 404 for role in ROLES for action in ("GET disagreement", "POST disagreement outcome")},
    **{(role, action): 404 for role in ("current supervisor", "former supervisor who is line manager",
                                         "head of service up the chain")
       for action in ("GET quality audit", "GET sampled record")},
}


def test_every_role_against_disagreements_quality_audits_and_consent(app: Any, client: Any, world: World,
                                                                      org: Any) -> None:
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        cal = db.get_one(Person, world.ids["current"])
        people.update_person(db, cal, services.profile, {"line_manager_id": world.ids["manager"]})
        record = db.get_one(Record, int(world.urls["GET record"][1].rsplit("/", 1)[1]))
        db.add(SignoffEvent(record_id=record.id, version=record.version, event="disagreed",
                            person_id=world.ids["worker"], at=dt.datetime(2027, 2, 23, 10), comment="Not agreed"))
        record.status = "changes_requested"
    at(dt.date(2027, 4, 1))  # past Knowsley's month: the hourly task tells Sam
    services.enqueue("disagreement_route")
    with services.sessions.begin() as db:
        escalation_id = db.scalar(select(DisagreementEscalation.id))
        signed = db.get_one(Record, record.id)
        signed.status, signed.signed_at = "signed", dt.datetime(2027, 3, 1, 10)
    auditor = {"Authorization": f"Bearer {world.tokens['auditor']}"}
    drawn = client.post("/api/v1/quality-audits", json={"team_id": org.team.id, "period_start": "2027-01-01",
                                                        "period_end": "2027-03-31"}, headers=auditor).json
    audit_url, item_id = f"/api/v1/quality-audits/{drawn['id']}", drawn["items"][0]["id"]
    requests = {
        "POST quality audit": ("POST", "/api/v1/quality-audits",
                               {"team_id": org.team.id, "period_start": "2027-01-01", "period_end": "2027-03-31"}),
        "GET quality audit": ("GET", audit_url, None),
        "GET sampled record": ("GET", f"{audit_url}/items/{item_id}", None),
        "GET disagreement": ("GET", f"/api/v1/disagreements/{escalation_id}", None),
        "POST disagreement outcome": ("POST", f"/api/v1/disagreements/{escalation_id}/outcome",
                                      {"outcome": "three_way", "meeting_on": "2027-03-30", "outcome_text": "Agreed"}),
        "POST consent request": ("POST", "/api/v1/consent-requests",
                                 {"supervisee_id": world.ids["worker"], "reason": "Complaint"}),
    }
    granted: dict[str, set[str]] = {}
    for role, (account, reason) in ROLES.items():
        for action in D_ACTIONS:
            method, url, body = requests[action]
            headers = {"Authorization": f"Bearer {world.tokens[account]}", **({"X-Docgen-Reason": reason} if reason else {})}
            answer = client.open(url, method=method, json=body, headers=headers)
            if 200 <= answer.status_code < 300:
                granted.setdefault(role, set()).add(action)
            else:
                assert answer.status_code == D_REFUSED_AS.get((role, action), 403), (role, action, answer.json)
                assert MARKER.encode() not in answer.data and answer.json["error"]["message"]
    assert granted == {role: set(actions) for role, actions in D_ALLOWED.items()}
    with services.sessions() as db:
        reads = db.scalars(select(AuditEvent).where(AuditEvent.action == "quality_audit.read")).all()
        assert {r.detail["basis"] for r in reads} == {"auditor"} and all(r.reason.startswith("Quality audit") for r in reads)


# --- who is who: a person's directory entry and their supervision relationships --------------------
# Read by Alex, whoever supervises Alex now, those above Alex in the line (Sam, Dana) and the roles
# that see everyone's schedule (HR, administrators, auditors, senior managers: `access.visible`). A
# relationship is also read by its own supervisor, so Fay still reads the supervision she gave.
# Anyone else gets the 404 an id never issued gets; lists leave out what a caller may not read.
DIRECTORY = ("GET person", "GET relationship now", "GET relationship before")
EVERYONE_SEES = ("hr", "auditor without reason", "auditor with reason", "senior manager without reason",
                 "senior manager break-glass", "administrator")
DIRECTORY_ALLOWED = {
    "active": {
        **{role: DIRECTORY for role in ("supervisee", "current supervisor", "former supervisor who is line manager",
                                        "head of service up the chain", *EVERYONE_SEES)},
        "former supervisor": ("GET relationship before",),
    },
    # Every relationship of Alex ended on the leaving day (`movers.mark_leaver`): Cal supervises Alex
    # no more and reads only the supervision Cal gave; the line and everyone-seers still read Alex.
    "leaver": {
        **{role: DIRECTORY for role in ("former supervisor who is line manager", "head of service up the chain",
                                        *EVERYONE_SEES)},
        "current supervisor": ("GET relationship now",),
        "former supervisor": ("GET relationship before",),
    },
}


def _relationships_of(app: Any, person_id: int) -> dict[int, int]:
    """Supervisor id -> relationship id, for everyone who has supervised the person."""
    with app.extensions["docgen"].sessions() as db:
        found, _ = people.list_relationships(db, supervisee_id=person_id)
        return {rel.supervisor_id: rel.id for rel in found}


@pytest.mark.parametrize("state", ["active", "leaver"])
def test_every_role_against_a_persons_directory_entry_and_relationships(app: Any, client: Any, world: World,
                                                                        state: str) -> None:
    into_state(state, app, world)
    alex, by_supervisor = world.ids["worker"], _relationships_of(app, world.ids["worker"])
    urls = {"GET person": f"/api/v1/people/{alex}",
            "GET relationship now": f"/api/v1/relationships/{by_supervisor[world.ids['current']]}",
            "GET relationship before": f"/api/v1/relationships/{by_supervisor[world.ids['former']]}"}
    never = {"GET person": f"/api/v1/people/{INTEGER_MAX}",
             "GET relationship now": f"/api/v1/relationships/{INTEGER_MAX}"}
    never["GET relationship before"] = never["GET relationship now"]
    granted: dict[str, set[str]] = {}
    for role, (account, reason) in ROLES.items():
        headers = {"Authorization": f"Bearer {world.tokens[account]}", **({"X-Docgen-Reason": reason} if reason else {})}
        if role == "supervisee" and state != "active":
            assert client.get(urls["GET person"], headers=headers).status_code == 401  # their sign-in closed
            continue
        for endpoint, url in urls.items():
            answer = client.get(url, headers=headers)
            if answer.status_code == 200:
                granted.setdefault(role, set()).add(endpoint)
                continue
            unknown = client.get(never[endpoint], headers=headers).json["error"]
            assert answer.status_code == 404, (role, endpoint, answer.json)
            # Word for word what an id never issued gets: nothing tells the id exists.
            assert answer.json["error"] == {**unknown, "message": unknown["message"].replace(
                str(INTEGER_MAX), url.rsplit("/", 1)[1])}, (role, endpoint)
        # The lists hold exactly what the caller may read one by one.
        listed = client.get(f"/api/v1/relationships?supervisee_id={alex}&per_page=200", headers=headers).json
        readable = {rel_id for rel_id in by_supervisor.values()
                    if client.get(f"/api/v1/relationships/{rel_id}", headers=headers).status_code == 200}
        assert {rel["id"] for rel in listed["items"]} == readable and listed["total"] == len(readable), role
        everyone = client.get("/api/v1/people?per_page=200", headers=headers).json
        assert (alex in {p["id"] for p in everyone["items"]}) == ("GET person" in granted.get(role, set())), role
    assert granted == {role: set(endpoints) for role, endpoints in DIRECTORY_ALLOWED[state].items()}


# account -> whose entries it reads: Alex reads only Alex; Cal, Alex's supervisor now, Alex too; Sam
# Alex and Priya below him in the line (and Priya, whom he supervises); Dana everyone (senior manager)
DIRECTORY_OF = {"worker": ("worker",), "current": ("current", "worker"), "former": ("former",),
                "manager": ("manager", "worker", "asye"), "asye": ("asye",)}


def test_people_list_holds_exactly_the_people_each_caller_may_read(client: Any, world: World) -> None:
    """Nobody can page through the staff: the list is what the caller reads one by one."""
    for account in (*DIRECTORY_OF, "head", "hr", "auditor", "director", "admin"):
        headers = {"Authorization": f"Bearer {world.tokens[account]}"}
        listed = client.get("/api/v1/people?per_page=200", headers=headers).json
        readable = {pid for pid in world.ids.values()
                    if client.get(f"/api/v1/people/{pid}", headers=headers).status_code == 200}
        expected = {world.ids[key] for key in DIRECTORY_OF.get(account, world.ids)}
        assert readable == expected and {p["id"] for p in listed["items"]} == expected, account
        assert listed["total"] == len(expected), account
