"""The API's blueprint and route table (which also feeds OpenAPI), and the parsing every route shares."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import Blueprint, request
from pydantic import BaseModel

from docgen.auth import cookie_changes_carry_csrf
from kernel.errors import InvalidInput
from workflows.inputs import Paging, Query

Q = TypeVar("Q", bound=Query)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
LINKS = "/api/v1/sign/"  # an e-mailed sign-off link's endpoints: the token in the URL is the credential


@bp.before_request
def _cookie_changes_carry_csrf() -> None:
    """Changes made with the session cookie carry a CSRF token (`docgen.auth`). A link's decision
    is exempt: it is authenticated by the link itself, which another site cannot know."""
    if not request.path.startswith(LINKS):
        cookie_changes_carry_csrf()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    request: type[BaseModel] | None
    response: type[BaseModel] | None
    paged: bool = False
    status: int = 200
    content_type: str = "application/json"
    revisioned: bool = False  # answers with an ETag; a change also needs If-Match (docgen.api.revisions)
    description: str = ""  # the view's docstring: what an integrator needs beyond the summary
    query: type[Query] | None = None  # the query string's parameters, read with `query_args`
    # An error answer with more than `Error`'s body, by status (others of that status keep `Error`'s)
    errors: dict[int, type[BaseModel]] = field(default_factory=dict)
    conditional: bool = False  # a change made from a read: If-Match is required (428 without, 412 if stale)


OPERATIONS: list[Operation] = []


def route(method: str, path: str, summary: str, *, request_model: type[BaseModel] | None = None,
          response: type[BaseModel] | None = None, paged: bool = False, status: int = 200,
          content_type: str = "application/json", revisioned: bool = False,
          query: type[Query] | None = None, errors: dict[int, type[BaseModel]] | None = None,
          conditional: bool | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the blueprint and describe it for /api/v1/openapi.json. The view gets its
    query string as the `query` model (its keyword argument `query`), and its JSON answer goes out
    through `response`: both are the models the document publishes, so neither can drift from it.
    `errors` names the body of an error answer that says more than `Error` (a 409 listing clashes).
    `conditional`: the view reads If-Match; by default a PATCH or PUT of a revisioned resource, and
    a POST that changes one from a read (a transfer, a change of supervisor) says so."""
    if conditional is None:
        conditional = revisioned and method in ("PATCH", "PUT")
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        shaped = _answering(_asking(view, query), response, paged)
        bp.add_url_rule(path, view_func=shaped, methods=[method],
                        endpoint=f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}")
        OPERATIONS.append(Operation(method, path, summary, request_model, response, paged, status, content_type,
                                    revisioned, inspect.getdoc(view) or "", query, errors or {}, conditional))
        return shaped
    return decorate


def _asking(view: Callable[..., Any], query: type[Query] | None) -> Callable[..., Any]:
    """The view, given its query string read into `query` (a malformed parameter is a 422 naming it)."""
    if query is None:
        return view

    @wraps(view)
    def asked(*args: Any, **kwargs: Any) -> Any:
        return view(*args, query=query_args(query), **kwargs)
    return asked


def _answering(view: Callable[..., Any], response: type[BaseModel] | None, paged: bool) -> Callable[..., Any]:
    """The view, its JSON answer validated through `response` (each item of a page) and dumped from
    it: an answer outside the published schema is our 500, never an integrator's surprise."""
    if response is None:
        return view

    def shape(body: Any) -> Any:
        if not isinstance(body, dict):
            return body  # a file, or a Response the view built itself
        if paged:
            return {**body, "items": [response.model_validate(item).model_dump(mode="json") for item in body["items"]]}
        return response.model_validate(body).model_dump(mode="json")

    @wraps(view)
    def answer(*args: Any, **kwargs: Any) -> Any:
        result = view(*args, **kwargs)
        if isinstance(result, tuple):
            return (shape(result[0]), *result[1:])
        return shape(result)
    return answer


def json_body() -> Any:
    """The parsed JSON body; malformed JSON is a 400 naming the body, never a 500."""
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput("the request body is not valid JSON", "body")
    return data


def query_args(model: type[Q]) -> Q:
    """The query string as the route's query model (`route(query=...)`); an empty parameter counts
    as absent, and a malformed one is a 422 naming it."""
    return model.from_args(request.args)


def page_of(items: list[Any], total: int, paging: Paging) -> dict[str, Any]:
    """One page of a list; its items go out through the route's `response` model."""
    return {"items": items, "page": paging.page, "per_page": paging.per_page, "total": total}
