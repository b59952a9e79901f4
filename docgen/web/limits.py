"""Rate limits on what can be guessed at: sign-in and the e-mailed sign-off links (their pages and,
through `limit_paths`, their JSON endpoints).

Views are marked with `@rate_limited(...)` where they are written; `init_limits` builds one
Flask-Limiter per app (storage from the config: memory for one process, Redis at scale) and wraps
the marked views. One limiter per app, not per import, so each test app counts on its own; the
key prefix comes from `config.extra["ratelimit_key_prefix"]` so tests sharing a Redis do not
see each other's counters.

The client address is `request.remote_addr`: behind DOCGEN_TRUSTED_PROXIES hops it is the address
the nearest trusted proxy reports (`docgen.app` applies Werkzeug's ProxyFix), otherwise the peer's
own, so a forwarded header sent by anyone else counts for nothing. A sign-off link's limit is kept
per address *and* link (the SHA-256 of its token, as stored): fifty supervisees behind one office
address each have their own allowance, and someone hammering one link, or guessing, uses up only
their own. Guessing needs no address-wide limit: a token is 256 random bits.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from workflows.links import token_hash

_MARK = "_docgen_rate_limit"
SIGN_IN = "10/minute"


def address_and_link() -> str:
    """The key of a sign-off link's limit: client address and the link's stored hash."""
    token = (request.view_args or {}).get("token", "")
    return f"{get_remote_address()}|link:{token_hash(str(token))}"


def rate_limited(limit: str, methods: list[str] | None = None,
                 key: Callable[[], str] = get_remote_address) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a page view for a limit per client address, or per `key` (`methods`: only these, e.g. ["POST"])."""
    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, _MARK, (limit, methods, key))
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
            limit, methods, key = marked
            app.view_functions[endpoint] = limiter.limit(limit, methods=methods, key_func=key)(view)
    app.extensions["docgen_limiter"] = limiter
    return limiter


def limit_paths(app: Flask, prefix: str, limit: str, key: Callable[[], str] = get_remote_address) -> None:
    """Apply a limit per `key` to every view under a URL prefix, once `init_limits` has run: the
    composition root gives the API's link endpoints the link pages' limit this way."""
    limiter = app.extensions["docgen_limiter"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix):
            app.view_functions[rule.endpoint] = limiter.limit(limit, key_func=key)(app.view_functions[rule.endpoint])
