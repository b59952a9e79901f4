"""Two HR officers moving one person at once (issue 27): a move is made from the person's revision
the mover read (If-Match), and the person's row is its compare-and-set, inside one unit of work with
the relationship it ends, the one it starts, its draft agreement and the audit entry. Of two moves
made from one read exactly one lands and the other is refused (412) with nothing written, on SQLite
and PostgreSQL, even when the person has no supervision to end and only their supervisor changes.

Each thread has its own test client; a barrier releases them together.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from kernel import clock
from storage.models import Agreement, AuditEvent, Person, SupervisionRelationship
from tests.integration.test_concurrency import _at_once


def _person_url(org: Any, who: str) -> str:
    return f"/api/v1/people/{org.ids[who]}"


def _transfers(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "person.transfer"))


def test_two_moves_to_new_supervisors_from_one_read_land_exactly_once(app: Any, client: Any, org: Any) -> None:
    """Harriet has no supervisor yet: neither move ends a relationship, so only the claim on her own
    row keeps the second from starting a second supervision."""
    url = _person_url(org, "hr")
    read = client.get(url, headers=org.auth("admin"))
    on = (clock.today() + dt.timedelta(days=7)).isoformat()
    supervisors = [org.ids["head"], org.ids["manager"]]

    answers = _at_once(app, 2, lambda c, n: c.post(f"{url}/transfer", json={"on": on, "supervisor_id": supervisors[n]},
                                                   headers={**org.auth("hr"), "If-Match": read.headers["ETag"]}))

    codes = Counter(a.status_code for a in answers)
    assert codes == {200: 1, 412: 1}, (codes, [a.json for a in answers])
    winner = next(n for n, a in enumerate(answers) if a.status_code == 200)
    loser = answers[1 - winner]
    assert loser.json["error"]["field"] == "revision" and "someone else changed" in loser.json["error"]["message"]
    now = client.get(url, headers=org.auth("admin"))
    assert now.json["revision"] == read.json["revision"] + 1 and now.headers["ETag"] == answers[winner].headers["ETag"]
    with app.extensions["docgen"].sessions() as db:
        rels = list(db.scalars(select(SupervisionRelationship).where(
            SupervisionRelationship.supervisee_id == org.ids["hr"])))
        assert [(r.supervisor_id, r.starts_on.isoformat(), r.ends_on) for r in rels] == [(supervisors[winner], on, None)]
        assert db.scalar(select(func.count()).select_from(Agreement).where(
            Agreement.supervisee_id == org.ids["hr"])) == 1
        assert _transfers(db) == 1
    print(f"\n{app.extensions['docgen'].engine.dialect.name}: 2 parallel moves from one read, {dict(codes)}")


def test_two_moves_to_new_line_managers_from_one_read_land_exactly_once(app: Any, client: Any, org: Any) -> None:
    url = _person_url(org, "worker")
    read = client.get(url, headers=org.auth("hr"))
    managers = [org.ids["head"], org.ids["admin"]]

    answers = _at_once(app, 2, lambda c, n: c.post(
        f"{url}/transfer", json={"on": clock.today().isoformat(), "line_manager_id": managers[n]},
        headers={**org.auth("hr"), "If-Match": read.headers["ETag"]}))

    codes = Counter(a.status_code for a in answers)
    assert codes == {200: 1, 412: 1}, (codes, [a.json for a in answers])
    winner = next(n for n, a in enumerate(answers) if a.status_code == 200)
    assert answers[winner].json["person"]["line_manager_id"] == managers[winner]
    with app.extensions["docgen"].sessions() as db:
        person = db.get_one(Person, org.ids["worker"])
        assert (person.line_manager_id, person.revision) == (managers[winner], read.json["revision"] + 1)
        assert _transfers(db) == 1


@pytest.mark.parametrize("if_match", [None, "*"])
def test_a_move_that_does_not_say_which_revision_it_was_made_from_is_refused(client: Any, org: Any,
                                                                            if_match: str | None) -> None:
    url = _person_url(org, "hr")
    headers = org.auth("hr") | ({"If-Match": if_match} if if_match else {})

    refused = client.post(f"{url}/transfer", json={"on": clock.today().isoformat(), "supervisor_id": org.ids["head"]},
                          headers=headers)

    assert refused.status_code == 428, refused.json
    assert refused.json["error"]["code"] == "precondition_required" and "If-Match" in refused.json["error"]["message"]
    assert client.get(url, headers=org.auth("hr")).json["revision"] == 1


def test_a_move_from_a_stale_read_changes_nothing_and_the_answer_tags_the_new_revision(client: Any, org: Any,
                                                                                         db: Any) -> None:
    url = _person_url(org, "worker")
    first = client.get(url, headers=org.auth("hr"))
    changed = client.patch(url, json={"job_title": "Senior social worker"},
                           headers={**org.auth("hr"), "If-Match": first.headers["ETag"]})
    assert changed.status_code == 200, changed.json

    stale = client.post(f"{url}/transfer", json={"on": clock.today().isoformat(), "line_manager_id": org.ids["head"]},
                        headers={**org.auth("hr"), "If-Match": first.headers["ETag"]})
    assert stale.status_code == 412 and stale.json["error"]["field"] == "revision", stale.json
    assert client.get(url, headers=org.auth("hr")).json["line_manager_id"] == org.ids["manager"]

    moved = client.post(f"{url}/transfer", json={"on": clock.today().isoformat(), "line_manager_id": org.ids["head"]},
                        headers={**org.auth("hr"), "If-Match": changed.headers["ETag"]})
    assert moved.status_code == 200, moved.json
    now = client.get(url, headers=org.auth("hr"))
    assert now.headers["ETag"] == moved.headers["ETag"] == f'"{changed.json["revision"] + 1}"'
    assert _transfers(db) == 1


def test_two_supervisions_started_at_once_for_someone_unsupervised_land_exactly_once(
        app: Any, client: Any, org: Any) -> None:
    """Starting a supervision has no revision to send (it creates one), so its claim is the
    supervisee's row, as a move's is: of two started at once for Harriet, who has none, one lands
    and the other is refused, never two supervisors at once."""
    on = (clock.today() + dt.timedelta(days=7)).isoformat()
    supervisors = [org.ids["head"], org.ids["manager"]]

    answers = _at_once(app, 2, lambda c, n: c.post("/api/v1/relationships", json={
        "supervisee_id": org.ids["hr"], "supervisor_id": supervisors[n], "starts_on": on}, headers=org.auth("hr")))

    codes = Counter(a.status_code for a in answers)
    assert codes[201] == 1 and sum(codes.values()) == 2 and all(400 <= c < 500 for c in codes if c != 201), (
        codes, [a.json for a in answers])
    with app.extensions["docgen"].sessions() as db:
        rels = list(db.scalars(select(SupervisionRelationship).where(
            SupervisionRelationship.supervisee_id == org.ids["hr"])))
        assert len(rels) == 1
        assert db.scalar(select(func.count()).select_from(Agreement).where(
            Agreement.supervisee_id == org.ids["hr"])) == 1
