"""/api/v1/openapi.json, built from the route table and the pydantic schemas (never hand-kept).

Flask's path syntax becomes OpenAPI's: `<int:record_id>` is `{record_id}`, an integer within the
database's range; `<any(records, agreements):kind>` is `{kind}` with those values as its enum;
`<token>` is a string.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from docgen.api.routing import LINKS, OPERATIONS, Operation, bp
from docgen.api.schemas import Error
from storage.models import INTEGER_MAX
from workflows.inputs import Query

# <name>, <converter:name> or <converter(arguments):name>
_PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<arguments>[^)]*)\))?:)?(?P<name>\w+)>")
_WHOLE_NUMBER = {"type": "integer", "minimum": 1, "maximum": INTEGER_MAX}
# A revisioned resource (docgen.api.revisions): its ETag out, If-Match in for a change.
_ETAG = {"ETag": {"description": "the edit revision; send it back in If-Match to change this",
                  "schema": {"type": "string"}}}
# Who reads on a stated basis (workflows.access): an auditor, or a senior manager breaking glass,
# says why on every request; the reason is kept in the audit log and, for break-glass, e-mailed to
# the supervisee. Everyone else may leave it out. A sign-off link's own endpoints take none.
_REASON = {"name": "X-Docgen-Reason", "in": "header", "required": False, "schema": {"type": "string"},
           "description": "Why you are reading: required of an auditor (reading any record) and of a senior "
                          "manager (break-glass, the supervisee is told); kept in the audit log with the read. "
                          "Without it they get 403 naming the field `reason`. `?reason=` in the query does the "
                          "same for a browser link.",
           "example": "Quality audit QA-2026-14 of Children in Need 1"}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "the ETag of your last read: a change made meanwhile answers 412, none given 428"}


def _path_parameter(match: re.Match[str]) -> dict[str, Any]:
    converter, arguments = match["converter"], match["arguments"]
    if converter == "int":
        schema: dict[str, Any] = dict(_WHOLE_NUMBER)
    elif converter == "any":
        schema = {"type": "string", "enum": [a.strip() for a in arguments.split(",")]}
    else:
        schema = {"type": "string"}
    return {"name": match["name"], "in": "path", "required": True, "schema": schema}


def _query_parameters(model: type[Query]) -> list[dict[str, Any]]:
    """A query model's fields as OpenAPI query parameters, under the names a URL uses (`from`). A
    parameter left out is absent, never null, so an optional one is published as its own type."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    params = []
    for name, field in schema["properties"].items():
        field = dict(field)
        choices = [c for c in field.pop("anyOf", []) if c.get("type") != "null"]
        if len(choices) == 1:
            field |= choices[0]
        if field.get("default") is None:
            field.pop("default", None)
        description = field.pop("description", None)
        field.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": field}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    """The path and query parameters, If-Match where the view reads it, and the reason header."""
    params = [_path_parameter(m) for m in _PARAM.finditer(op.path)]
    if op.query is not None:
        params += _query_parameters(op.query)
    if op.conditional:
        params.append(dict(_IF_MATCH))
    if not op.path.startswith(LINKS.removeprefix(bp.url_prefix or "")):
        params.append(dict(_REASON))
    return params


def _success(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    """The answer on success: a file, a resource, or a page of them; with its ETag if revisioned."""
    if op.response is None:
        body: dict[str, Any] = {"description": "ok"}
        if op.content_type != "application/json":
            body["content"] = {op.content_type: {"schema": {"type": "string", "format": "binary"}}}
    else:
        item = _ref(op.response, schemas)
        schema = ({"type": "object", "properties": {"items": {"type": "array", "items": item},
                   "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}}
                  if op.paged else item)
        body = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    if op.revisioned:
        body["headers"] = dict(_ETAG)
    return body


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    error = {"description": "error", "content": {"application/json": {"schema": _ref(Error, schemas)}}}
    for op in OPERATIONS:
        path = _PARAM.sub(lambda m: "{" + m["name"] + "}", op.path)
        entry: dict[str, Any] = {"summary": op.summary, "parameters": _parameters(op),
                                 "responses": {"4XX": error, "5XX": error}}  # 503: try again; 500: ours
        for status, model in op.errors.items():  # the fuller body, or `Error`'s for another failure of that status
            either = {"anyOf": [_ref(model, schemas), _ref(Error, schemas)]}
            entry["responses"][str(status)] = {"description": " ".join((model.__doc__ or "error").split()),
                                               "content": {"application/json": {"schema": either}}}
        if op.description:
            entry["description"] = op.description
        if op.request is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.request, schemas)}}}
        entry["responses"][str(op.status)] = _success(op, schemas)
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {"openapi": "3.1.0", "info": {"title": "docgen API", "version": "1"},
            "servers": [{"url": "/api/v1"}], "paths": {p: paths[p] for p in sorted(paths)},
            "components": {"schemas": schemas,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}]}


@bp.get("/openapi.json")
def openapi_json() -> Any:
    return document()
