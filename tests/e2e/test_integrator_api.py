"""The API an integrator starts with: who a token signs in, a person's records and agreements under
the usual access rules (audited, an auditor's reason in `X-Docgen-Reason`), what `PATCH` does to a
record's areas, and the OpenAPI document that says so."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import AuditEvent
from tests.etags import read_then_change


def _record(client: Any, org: Any, day: str) -> dict[str, Any]:
    made = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": day},
                       headers=org.auth("manager"))
    assert made.status_code == 201, made.json
    return made.json


def _patch(client: Any, org: Any, record_id: int, body: dict[str, Any]) -> Any:
    url = f"/api/v1/records/{record_id}"
    return client.patch(url, json=body, headers=read_then_change(client, url, org.auth("manager")))


def test_me_names_the_person_and_the_roles_granted_to_them(client: Any, org: Any) -> None:
    me = client.get("/api/v1/me", headers=org.auth("auditor"))
    assert me.status_code == 200
    assert me.json["person"]["id"] == org.ids["auditor"] and me.json["roles"] == ["auditor"]
    assert client.get("/api/v1/me").status_code == 401


def test_a_persons_records_are_listed_to_those_who_may_read_them_newest_first(client: Any, org: Any) -> None:
    older, newer = _record(client, org, "2026-09-07"), _record(client, org, "2026-10-05")
    url = f"/api/v1/people/{org.ids['worker']}/records"
    for reader in ("manager", "worker", "head"):  # supervisor, supervisee, line manager up the chain
        listed = client.get(url, headers=org.auth(reader))
        assert listed.status_code == 200, (reader, listed.json)
        assert [r["id"] for r in listed.json["items"]] == [newer["id"], older["id"]] and listed.json["total"] == 2
    paged = client.get(f"{url}?per_page=1&page=2", headers=org.auth("manager")).json
    assert [r["id"] for r in paged["items"]] == [older["id"]]


def test_someone_with_no_basis_is_told_there_is_nothing_and_an_auditor_must_give_a_reason(
        client: Any, org: Any, db: Any) -> None:
    _record(client, org, "2026-10-05")
    url = f"/api/v1/people/{org.ids['worker']}/records"
    stranger = client.get(url, headers=org.auth("asye"))
    assert stranger.status_code == 404 and stranger.json["error"]["field"] == "id"
    unexplained = client.get(url, headers=org.auth("auditor"))
    assert unexplained.status_code == 403 and unexplained.json["error"]["field"] == "reason"
    reason = "Quality audit QA-2026-14"
    explained = client.get(url, headers={**org.auth("auditor"), "X-Docgen-Reason": reason})
    assert explained.status_code == 200 and explained.json["total"] == 1
    read = db.scalar(select(AuditEvent).where(AuditEvent.action == "records.list"))
    assert (read.actor_id, read.reason, read.detail) == (org.ids["auditor"], reason, {"basis": "auditor"})


def test_a_persons_agreements_are_listed_under_the_same_rules(client: Any, org: Any, db: Any) -> None:
    made = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-09-01"},
                       headers=org.auth("manager"))
    assert made.status_code == 201, made.json
    url = f"/api/v1/people/{org.ids['worker']}/agreements"
    listed = client.get(url, headers=org.auth("worker"))
    assert [a["id"] for a in listed.json["items"]] == [made.json["id"]]
    assert listed.json["items"][0]["review_date"]
    assert client.get(url, headers=org.auth("asye")).status_code == 404
    assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "agreements.list")) == {"basis": "supervisee"}


def test_patch_replaces_the_areas_and_refuses_to_drop_one_holding_an_open_action(client: Any, org: Any) -> None:
    record = _record(client, org, "2026-10-05")
    areas = record["sections"]["areas"]
    first, rest = areas[0], areas[1:]
    raised = _patch(client, org, record["id"], {"actions": [{"section": first["key"], "text": "Book the CPD course"}]})
    action_id = raised.json["actions"][0]["id"]
    refused = _patch(client, org, record["id"], {"areas": [{"key": a["key"]} for a in rest]})
    assert refused.status_code == 422
    assert refused.json["error"]["field"] == "areas"
    assert first["title"] in refused.json["error"]["message"] and action_id in refused.json["error"]["message"]
    kept = client.get(f"/api/v1/records/{record['id']}", headers=org.auth("manager")).json
    assert [a["key"] for a in kept["sections"]["areas"]] == [a["key"] for a in areas]
    done = _patch(client, org, record["id"], {"areas": [{"key": a["key"]} for a in rest],
                                             "actions": [{"id": action_id, "completed": True}]})
    assert done.status_code == 200, done.json
    assert [a["key"] for a in done.json["sections"]["areas"]] == [a["key"] for a in rest]


def test_patch_without_areas_leaves_them_as_they_are(client: Any, org: Any) -> None:
    record = _record(client, org, "2026-10-05")
    changed = _patch(client, org, record["id"], {"next_supervision": "2026-11-02"})
    assert changed.status_code == 200
    assert changed.json["sections"]["areas"] == record["sections"]["areas"]


def test_the_openapi_document_declares_the_reason_and_what_patch_does_to_areas(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json

    def reason(operation: dict[str, Any]) -> dict[str, Any] | None:
        return next((p for p in operation["parameters"] if p["name"] == "X-Docgen-Reason"), None)

    listing = reason(document["paths"]["/people/{person_id}/records"]["get"])
    assert listing is not None and (listing["in"], listing["required"]) == ("header", False)
    assert "auditor" in listing["description"] and "break-glass" in listing["description"]
    assert reason(document["paths"]["/sign/{token}"]["get"]) is None
    patch = document["paths"]["/records/{record_id}"]["patch"]
    assert "replaces it" in patch["description"] and "field `areas`" in patch["description"]
    assert "/me" in document["paths"] and "/people/{person_id}/agreements" in document["paths"]
