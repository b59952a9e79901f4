"""The API's blueprint and route table (which also feeds OpenAPI), and the parsing every route shares."""
from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, request
from pydantic import BaseModel

from docgen.auth import cookie_changes_carry_csrf
from kernel.errors import InvalidInput
from storage.models import INTEGER_MAX

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


OPERATIONS: list[Operation] = []


def route(method: str, path: str, summary: str, *, request_model: type[BaseModel] | None = None,
          response: type[BaseModel] | None = None, paged: bool = False, status: int = 200,
          content_type: str = "application/json",
          revisioned: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view on the blueprint and describe it for /api/v1/openapi.json."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(path, view_func=view, methods=[method], endpoint=f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}")
        OPERATIONS.append(Operation(method, path, summary, request_model, response, paged, status, content_type,
                                    revisioned, inspect.getdoc(view) or ""))
        return view
    return decorate


def json_body() -> Any:
    """The parsed JSON body; malformed JSON is a 400 naming the body, never a 500."""
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput("the request body is not valid JSON", "body")
    return data


def int_arg(name: str) -> int | None:
    """An optional query argument (an id, a page) as a whole number from 1 to the database's
    largest integer (beyond it no id or page exists, and the database would overflow), or None
    when absent; anything else is a 422 naming it."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        number = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number", name) from None
    if not 1 <= number <= INTEGER_MAX:
        raise InvalidInput(f"{name} must be between 1 and {INTEGER_MAX}", name)
    return number


def date_arg(name: str) -> dt.date:
    """A required query argument as a date (2026-04-01); absent or malformed is a 422 naming it."""
    raw = request.args.get(name)
    if not raw:
        raise InvalidInput(f"{name} is required, as a date like 2026-04-01", name)
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-04-01, not '{raw}'", name) from None


def paging() -> tuple[int, int]:
    """`page` and `per_page` (defaults 1 and 50); the use case applies its own page-size limit."""
    return int_arg("page") or 1, int_arg("per_page") or 50


def page_of(items: list[Any], total: int, out: type[BaseModel], page: int, per_page: int) -> dict[str, Any]:
    return {"items": [out.model_validate(i).model_dump(mode="json") for i in items],
            "page": page, "per_page": per_page, "total": total}
