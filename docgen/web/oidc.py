"""Sign in with the council's OpenID provider (Authlib's Flask client), beside local passwords.

Authorisation code flow with PKCE (S256); Authlib keeps state, nonce and the code verifier in the
signed session cookie for the one round trip and checks them on the way back (a replayed or forged
state is refused), then validates the ID token: signature against the provider's published keys,
issuer, audience (our client id), expiry and nonce. `workflows.single_sign_on` decides whom the
claims sign in. Every refusal is one page saying why, with the way back to the sign-in page.
The API keeps bearer tokens: this is for people in browsers.
"""
from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from joserfc.errors import JoseError

from docgen.auth import start_session, uow
from kernel.config import Config, ConfigError
from docgen.web import limits
from docgen.web.navigation import home_page
from kernel.errors import InvalidInput
from workflows import single_sign_on

bp = Blueprint("oidc", __name__, url_prefix="/sign-in/oidc")
PROVIDER = "council"
# What went wrong on the way back from the provider, in words for the person (the detail is logged).
NOT_COMPLETED = ("The sign-in with your organisation's account could not be completed. This can happen if you "
                 "used the browser's back button, opened an old sign-in link or took a long time. Start again.")


def init_oidc(app: Flask, config: Config) -> None:
    """Register the provider from DOCGEN_OIDC_* when an issuer is configured (its metadata is read on
    first use, so a provider that is down does not stop docgen starting)."""
    app.config["OIDC_ENABLED"] = bool(config.oidc_issuer)
    if not config.oidc_issuer:
        return
    try:
        single_sign_on.role_map(config.oidc_role_map)
    except InvalidInput as exc:
        raise ConfigError(f"{exc.field}: {exc.message}") from None
    oauth = OAuth(app)
    oauth.register(PROVIDER, client_id=config.oidc_client_id, client_secret=config.oidc_client_secret,
                   server_metadata_url=config.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                   client_kwargs={"scope": config.oidc_scope, "code_challenge_method": "S256"})
    app.extensions["docgen.oidc"] = oauth


def _client() -> Any:
    oauth = current_app.extensions.get("docgen.oidc")
    if oauth is None:
        raise InvalidInput("sign-in with an organisation account is not set up here", "provider")
    return oauth.create_client(PROVIDER)


def _refused(message: str, status: int) -> Any:
    return render_template("auth/refused.html", message=message), status


@bp.get("")
@limits.rate_limited(limits.SIGN_IN)
def start() -> Any:
    """Off to the provider, with a fresh state, nonce and PKCE challenge kept for the way back."""
    config: Config = current_app.extensions["docgen"].config
    return _client().authorize_redirect(config.base_url.rstrip("/") + url_for("oidc.callback"))


@bp.get("/callback")
@limits.rate_limited(limits.SIGN_IN)
def callback() -> Any:
    """Back from the provider: check state and the ID token, then sign in whom it names, or refuse."""
    client = _client()
    try:
        token = client.authorize_access_token()
    except (AuthlibBaseError, JoseError, requests.RequestException) as exc:
        current_app.logger.warning("OpenID sign-in not completed: %s", exc)
        return _refused(NOT_COMPLETED, 400)
    claims = token.get("userinfo")
    if not claims:
        current_app.logger.warning("OpenID sign-in without an ID token")
        return _refused(NOT_COMPLETED, 400)
    try:
        signed = single_sign_on.sign_in(uow(), claims, request.remote_addr or "")
    except single_sign_on.SignInRefused as exc:
        return _refused(exc.message, 403)
    start_session(signed.account)
    return redirect(url_for(home_page(signed.home)))
