"""Query parameters are models too, published in /api/v1/openapi.json (so schemathesis fuzzes them),
and a resource's JSON answer comes out of the one output model its schema is made from."""
from __future__ import annotations

from typing import Any

from docgen.api import schemas
from workflows import agreements, records


def _query(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}


def test_query_parameters_are_published_with_their_types_and_whether_they_are_required(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json
    people = _query(document, "/people")
    assert set(people) == {"page", "per_page", "team_id", "role", "status", "q"}
    assert people["team_id"]["schema"]["type"] == "integer" and people["team_id"]["required"] is False
    compliance = _query(document, "/reports/compliance")
    assert compliance["from"]["required"] and compliance["to"]["schema"] == {"type": "string", "format": "date"}
    assert compliance["format"]["schema"]["enum"] == ["json", "csv"]
    assert _query(document, "/retention/plan")["today"]["schema"]["format"] == "date"
    assert set(_query(document, "/reports/group-attendance")) == {"from", "to"}
    assert set(_query(document, "/due")) == {"team_id", "supervisor_id", "state"}


def test_a_malformed_query_parameter_is_a_422_naming_it(client: Any, org: Any) -> None:
    answer = client.get("/api/v1/reports/compliance?from=2026-04-01&to=first+of+May", headers=org.auth("manager"))
    assert answer.status_code == 422 and answer.json["error"]["field"] == "to", answer.json
    assert answer.json["error"]["message"] == "to must be a date like 2026-04-01"


def test_a_record_and_an_agreement_are_answered_through_the_workflows_one_output_model(client: Any,
                                                                                        org: Any) -> None:
    assert schemas.RecordOut is records.RecordOut and schemas.AgreementOut is agreements.AgreementOut
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-03-02"},
                         headers=org.auth("manager"))
    assert record.status_code == 201 and set(record.json) == set(records.RecordOut.model_fields)
    document = client.get("/api/v1/openapi.json").json
    assert set(document["components"]["schemas"]["RecordOut"]["properties"]) == set(records.RecordOut.model_fields)
