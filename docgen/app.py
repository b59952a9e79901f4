"""The Flask application factory: wiring only (services, per-request session, errors, headers,
proxy hops, logs, metrics, health).

`docgen.app:create_app()` is also what gunicorn serves in the stack (`Procfile`)."""
from __future__ import annotations

import logging
import re
from typing import Any, Iterator

from flask import Flask, g, jsonify, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from docgen import collector
from docgen.auth import PageSessions
from docgen.bootstrap import build, connect_queue
from workflows.deployment import Deployment
from kernel.config import Config, from_env
from docgen.observability import logs, metrics
from docgen.observability.health import readiness
from docgen.tasks import TaskQueue
from kernel.errors import DomainError, InvalidInput
from storage.models import INTEGER_MAX

log = logging.getLogger("docgen")
_LINK_TOKEN = re.compile(r"(/sign/)[A-Za-z0-9_-]+")


class RedactLinkTokens(logging.Filter):
    """Sign-off tokens appear in request paths; only their recipient may ever see them, so the
    request log gets `/sign/[redacted]` instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_LINK_TOKEN.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        record.msg = _LINK_TOKEN.sub(r"\1[redacted]", str(record.msg))
        return True

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class DatabaseInt(IntegerConverter):
    """Flask's `<int:...>` in every URL of the API and the pages, bounded to what an id column
    holds: a larger number matches no route (404) instead of overflowing the database (500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INTEGER_MAX)
        super().__init__(map, *args, **kwargs)


def _error_body(code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def create_app(config: Config | None = None) -> Flask:
    """Build the app for a configuration (tests pass their own; otherwise from DOCGEN_* variables)."""
    config = config or from_env()
    logs.configure_logging(config)
    collector.tune()
    services = build(config)
    queue = connect_queue(services)
    app = _flask_app(config)
    app.extensions["docgen"] = services
    app.extensions["docgen.tasks"] = queue  # for the consumer of `docgen run` and `docgen worker`
    for name in ("werkzeug", "docgen", "docgen.web"):  # request log and the 500 handlers' logs
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinkTokens) for f in logger.filters):
            logger.addFilter(RedactLinkTokens())
    logs.track_requests(app)
    metrics.time_requests(app)
    logs.carry_into_tasks(queue.huey)
    metrics.count_tasks(queue.huey)
    metrics.time_conversions(services)
    _register_request_session(app, services)
    app.before_request(refuse_unstorable_text)
    _register_errors(app)
    _register_headers(app)

    from docgen.api import bp as api_bp

    app.register_blueprint(api_bp)
    from docgen.api.routing import LINKS
    from docgen.web import init_web, limits, links

    init_web(app)
    # a link guessed through the API is throttled as on its page
    limits.limit_paths(app, LINKS, links.LINK_LIMIT, key=limits.address_and_link)
    metrics.serve_metrics(app, queue.huey)
    _register_health(app, services, queue)
    return app


def _flask_app(config: Config) -> Flask:
    """The Flask object with its settings, proxy hops and bounded `<int:...>`, before any route."""
    app = Flask(__name__, instance_path=str(config.instance_path), static_url_path="/assets")
    if config.trusted_proxies:
        # Only the last N hops of X-Forwarded-For/-Proto are believed, the ones our own proxies
        # added; without hops configured, forwarded headers are ignored altogether.
        hops = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.url_map.converters["int"] = DatabaseInt  # before any route is added
    app.session_interface = PageSessions()
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # In production always, even with DOCGEN_ALLOW_HTTP: a session cookie never travels in clear.
        SESSION_COOKIE_SECURE=config.production or config.base_url.startswith("https://"),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        TESTING=config.env == "test",
    )
    return app


def _register_health(app: Flask, services: Deployment, queue: TaskQueue) -> None:
    @app.get("/health")
    def health() -> Any:
        """Liveness: the process answers and reaches its database."""
        g.uow.session.execute(text("SELECT 1"))
        return {"status": "ok", "profile": services.profile.name}

    @app.get("/health/ready")
    def ready() -> Any:
        """Readiness: 200 when database, queue, document store and converter all answer; else 503
        naming the parts that are down."""
        checks = readiness(services, queue.huey)
        down = [part for part, state in checks.items() if state != "ok"]
        body = {"status": "unavailable" if down else "ready", "down": down, "checks": checks}
        return body, 503 if down else 200


def _register_request_session(app: Flask, services: Deployment) -> None:
    @app.before_request
    def open_unit_of_work() -> None:
        g.uow = services.unit_of_work()

    @app.teardown_request
    def close_unit_of_work(_exc: BaseException | None) -> None:
        uow = g.pop("uow", None)
        if uow is not None:
            uow.close()  # anything not committed by the use case is discarded: no partial writes


def _texts(value: Any, field: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys too), with the dotted field it came from."""
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key, field)
            yield from _texts(item, f"{field}.{key}" if field != "body" else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{field}.{index}")


def refuse_unstorable_text() -> None:
    """Refuse, naming the field, text that neither database can hold: PostgreSQL rejects a NUL
    character and no UTF-8 column takes half a surrogate pair (both only reach us from a JSON
    escape or a percent-encoded URL or form). Checked once for every request, API and pages:
    path, query, form and JSON body."""
    fields = [*((name, v) for name, v in (request.view_args or {}).items() if isinstance(v, str)),
              *((name, name) for name in request.args), *request.args.items(multi=True),
              *((name, name) for name in request.form), *request.form.items(multi=True),
              *_texts(request.get_json(silent=True), "body")]
    for field, value in fields:
        if "\x00" in value or _half_surrogate(value):
            raise InvalidInput(f"{field} contains a character that cannot be stored (NUL or half a surrogate pair)",
                               field)


def _half_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        return jsonify(_error_body(exc.code, exc.message, exc.field)), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(_error_body(code, exc.description or exc.name, None)), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(_error_body("internal", "something went wrong on our side; it has been logged", None)), 500


def _register_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Any) -> Any:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
