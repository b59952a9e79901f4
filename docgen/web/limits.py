"""Rate limits on what can be guessed at: sign-in and the e-mailed sign-off links (their pages and,
through `limit_paths`, their JSON endpoints).

Views are marked with `@rate_limited(...)` where they are written; `init_limits` builds one
Flask-Limiter per app (storage from the config: memory for one process, Redis at scale) and wraps
the marked views. One limiter per app, not per import, so each test app counts on its own; the
key prefix comes from `config.extra["ratelimit_key_prefix"]` so tests sharing a Redis do not
see each other's counters.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

_MARK = "_docgen_rate_limit"
SIGN_IN = "10/minute"


def rate_limited(limit: str, methods: list[str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a page view for a limit per client address (`methods`: only these, e.g. ["POST"])."""
    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, _MARK, (limit, methods))
        return view
    return mark


def init_limits(app: Flask) -> Limiter:
    """Build the app's limiter and apply the marked limits; call after registering blueprints."""
    config = app.extensions["docgen"].config
    limiter = Limiter(get_remote_address, app=app, storage_uri=config.ratelimit_storage,
                      key_prefix=str(config.extra.get("ratelimit_key_prefix", "docgen")), headers_enabled=True)
    for endpoint, view in list(app.view_functions.items()):
        marked = getattr(view, _MARK, None)
        if marked is not None:
            limit, methods = marked
            app.view_functions[endpoint] = limiter.limit(limit, methods=methods)(view)
    app.extensions["docgen_limiter"] = limiter
    return limiter


def limit_paths(app: Flask, prefix: str, limit: str) -> None:
    """Apply a limit per client address to every view under a URL prefix, once `init_limits` has
    run: the composition root gives the API's link endpoints the link pages' limit this way."""
    limiter = app.extensions["docgen_limiter"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            app.view_functions[rule.endpoint] = limiter.limit(limit)(app.view_functions[rule.endpoint])
