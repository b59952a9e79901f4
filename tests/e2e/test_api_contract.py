"""The API keeps its published contract: /api/v1/openapi.json is a valid OpenAPI document with
`{param}` templates, and a bounded schemathesis run over every operation, with a bearer token,
finds no 5xx and no answer outside the documented schemas."""
from __future__ import annotations

import inspect
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)
from schemathesis.core.failures import FailureGroup

from kernel.config import Config
from storage.models import INTEGER_MAX

# Per operation and generation mode: about 55 operations x 2 modes x 5 = about 550 requests a database.
EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CALLERS = ("manager", "manager", "worker", "admin", "hr", "auditor")  # the documents' supervisor twice as often
SEEDED = 8  # ids the fuzzer draws from: the org's 7 people, its team and relationships, the seeded documents


def test_openapi_document_is_valid_with_param_templates(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json
    validate(document)  # raises on an invalid document, e.g. an undeclared {param}
    for path, operations in document["paths"].items():
        assert "<" not in path and ">" not in path, path
        templated = set(re.findall(r"{(\w+)}", path))
        for operation in operations.values():
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert declared == templated, (path, declared, templated)
    kinds = document["paths"]["/{kind}/{document_id}/send"]["post"]["parameters"][0]
    assert kinds["schema"]["enum"] == ["records", "agreements"]


def test_if_match_is_published_for_exactly_the_operations_that_read_it(app: Any, client: Any) -> None:
    """A client learns from the document which changes need the ETag of its last read (428 without
    it): every view that reads If-Match publishes it, POSTs such as a transfer included, and no other."""
    document = client.get("/api/v1/openapi.json").json
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi_json":  # the document itself
            continue
        reads = "if_match()" in inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            published = any(p["name"] == "If-Match" for p in operation["parameters"])
            assert published == reads, (method, path)


@pytest.fixture
def app(config: Config, tmp_path: Path, warm_converter: Any) -> Iterator[Any]:
    """The app with a task queue nobody consumes: fuzzing tests the requests, not LibreOffice."""
    from docgen.app import create_app

    app = create_app(replace(config, tasks_url=f"sqlite:///{tmp_path / 'tasks.db'}"))
    app.extensions["docgen"].converter = warm_converter
    yield app
    app.extensions["docgen"].engine.dispose()


def _near_the_rows(node: Any) -> Any:
    """The document with every id (path, query and body) at most SEEDED, so generated requests
    land on the people, records and agreements that exist rather than on 404s."""
    if isinstance(node, dict):
        return {k: SEEDED if k == "maximum" and v == INTEGER_MAX else _near_the_rows(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_near_the_rows(v) for v in node]
    return node


def _seed_documents(client: Any, org: Any) -> None:
    """Two draft records and an agreement for each of the manager's supervisees, for the fuzzer to hit."""
    for who in ("worker", "asye"):
        for session in ("2026-03-02", "2026-04-06"):
            record = client.post("/api/v1/records", json={"supervisee_id": org.ids[who], "session_date": session},
                                 headers=org.auth("manager"))
            assert record.status_code == 201, record.json
        agreement = client.post("/api/v1/agreements", json={"supervisee_id": org.ids[who], "started_on": "2026-03-02"},
                                headers=org.auth("manager"))
        assert agreement.status_code == 201, agreement.json


def test_schemathesis_finds_no_server_error(app: Any, client: Any, org: Any) -> None:
    _seed_documents(client, org)
    schema = schemathesis.openapi.from_dict(_near_the_rows(client.get("/api/v1/openapi.json").json))
    schema.app = app
    seen: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            @given(case=operation.as_strategy(generation_mode=mode), who=st.sampled_from(CALLERS),
                   fresh=st.booleans())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def run(case: Any, who: str, fresh: bool) -> None:
                headers = org.auth(who)
                if fresh and case.method in ("PATCH", "PUT"):  # a change from the current revision gets past 412
                    read = client.get(f"/api/v1{case.formatted_path}", headers=headers)
                    headers["If-Match"] = read.headers.get("ETag", "")
                response = case.call(headers=headers)
                seen["cases"] += 1
                seen["5xx"] += response.status_code >= 500
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as failure:
                    failures.append(f"{operation.label} ({mode.value}, {who}): {failure}")

            run()
    print(f"schemathesis: {seen['cases']} cases, {seen['5xx']} answered 5xx, {len(failures)} failures")
    assert seen["cases"] >= 2 * EXAMPLES and not failures, "\n".join(failures[:10])
