"""Each change a page and the JSON API both offer is read through one input model of
`workflows.inputs`: the API validates its JSON with it, the page its form (`docgen.web.inputs.form_to`),
so both take the same values and refuse a bad one with the same message naming the same field."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import docgen.api  # noqa: F401  (registers every route, and with it OPERATIONS)
from docgen.api.routing import OPERATIONS
from kernel.errors import InvalidInput
from workflows.inputs import Input
from workflows.inputs.consent import AskConsent
from workflows.inputs.quality_audits import DrawSample

ROOT = Path(__file__).resolve().parents[2]

# (what, the API's operation, the page's view as "module.function" in docgen/web)
TWINS = [
    ("consent: ask", "POST /consent-requests", "consent.ask"),
    ("consent: override", "POST /consent-requests/<int:request_id>/override", "consent.override"),
    ("consent: answer", "POST /consent/<token>", "consent.answer"),
    ("disagreements: outcome", "POST /disagreements/<int:escalation_id>/outcome", "disagreements.record_outcome"),
    ("webhooks: subscribe", "POST /webhooks", "webhooks.subscribe"),
    ("quality audits: draw", "POST /quality-audits", "quality_audits.draw"),
    ("quality audits: score", "POST /quality-audits/<int:audit_id>/items/<int:item_id>", "quality_audits.score"),
    ("bulk start", "POST /bulk-starts", "bulk_start.begin"),
    ("groups: set up", "POST /groups", "groups.create_group"),
    ("groups: plan a session", "POST /groups/<int:group_id>/sessions", "groups.plan_session"),
    ("groups: attendance", "PUT /group-sessions/<int:session_id>/attendance", "groups.mark_attendance"),
    ("groups: record", "PATCH /group-records/<int:record_id>", "groups.save_record"),
    ("HR: forward early", "POST /people/<int:person_id>/forward-to-hr", "hr.forward"),
    ("sign-off: countersign", "POST /<any(records, agreements):kind>/<int:document_id>/countersign",
     "signoff.countersign"),
    ("sign-off: decide through a link", "POST /sign/<token>", "links.decide"),
    ("records: start", "POST /records", "supervisor.start"),
    ("records: edit", "PATCH /records/<int:record_id>", "records.save"),
    ("agreements: edit", "PATCH /agreements/<int:agreement_id>", "agreements.save"),
    ("people: add", "POST /people", "admin.people_add"),
    ("people: change", "PATCH /people/<int:person_id>", "admin.people_change"),
    ("teams: add", "POST /teams", "admin.teams_add"),
    ("supervision: start", "POST /relationships", "admin.relationships_add"),
    ("supervision: change supervisor", "POST /relationships/<int:rel_id>/change-supervisor",
     "admin.relationship_change"),
    ("sessions: plan", "POST /sessions", "planning.plan"),
    ("sessions: rebook", "POST /sessions/<int:session_id>/rebook", "planning.rebook_session"),
]


def _api_model(operation: str) -> type | None:
    method, path = operation.split(" ", 1)
    found = [op for op in OPERATIONS if op.method == method and op.path == path]
    assert len(found) == 1, operation
    return found[0].request


def _page_models(view: str) -> set[type]:
    """The models a page's view reads its form into (`form_to(Model, ...)` or `Model.validated(...)`),
    in its own body or in the module's helpers it calls or hands on."""
    module_name, function = view.split(".")
    module = importlib.import_module(f"docgen.web.{module_name}")
    tree = ast.parse((ROOT / "docgen" / "web" / f"{module_name}.py").read_text())
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    models: set[type] = set()
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen or name not in functions:
            return
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Name):
                visit(node.id)  # a helper called, or handed to the use case to read the form with
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id == "form_to" and isinstance(node.args[0], ast.Name):
                models.add(getattr(module, node.args[0].id))
            elif isinstance(func, ast.Attribute) and func.attr == "validated" and isinstance(func.value, ast.Name):
                models.add(getattr(module, func.value.id))

    visit(function)
    return models


@pytest.mark.parametrize("what,operation,view", TWINS, ids=[t[0] for t in TWINS])
def test_the_page_and_the_api_read_a_change_through_the_same_input_model(what: str, operation: str,
                                                                           view: str) -> None:
    model = _api_model(operation)
    assert model is not None and issubclass(model, Input), f"{operation} takes no workflows input model"
    assert model.__module__.startswith("workflows.inputs."), model.__module__
    assert _page_models(view) == {model}, f"{view} does not read its form through {model.__name__}"


def test_a_refusal_names_the_field_first_so_a_page_can_put_its_label_there() -> None:
    with pytest.raises(InvalidInput) as too_long:
        AskConsent.validated({"supervisee_id": 3, "reason": "x" * 2001})
    assert (too_long.value.field, too_long.value.message) == ("reason", "reason must be 2000 characters or fewer")
    with pytest.raises(InvalidInput) as not_a_number:
        AskConsent.validated({"supervisee_id": "abc", "reason": "A complaint"})
    assert (not_a_number.value.field, not_a_number.value.message) == (
        "supervisee_id", "supervisee_id must be a whole number")
    with pytest.raises(InvalidInput) as out_of_range:
        DrawSample.validated({"team_id": 1, "per_supervisor": "51"})
    assert out_of_range.value.message == "per_supervisor must be between 1 and 50"
