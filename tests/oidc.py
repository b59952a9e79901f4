"""A real OpenID provider on 127.0.0.1 for the sign-in tests: npm's `oidc-provider` (OpenID
certified), run by `tests/oidc_provider/provider.mjs` and installed by `scripts/setup.sh` (npm ci).

`OpenIdProvider.sign_in_as` stands in for the person at the provider's login page: it says whom
the provider signs in next (and, to test refusals, whether it should misbehave), then walks the
browser's redirects from docgen's "Sign in with your organisation's account" to the callback URL
the provider sends the browser back to.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID = "docgen-test"
SITE = "http://127.0.0.1:5000"  # the test config's base URL: the callback is never really fetched there
REDIRECT_URI = f"{SITE}/sign-in/oidc/callback"


@dataclass
class OpenIdProvider:
    issuer: str
    client_secret: str

    def next_sign_in(self, account: dict[str, Any], tamper: dict[str, Any] | None = None) -> None:
        requests.post(f"{self.issuer}/test/next-sign-in", json={"account": account, "tamper": tamper},
                      timeout=10).raise_for_status()

    def sign_in_as(self, client: Any, account: dict[str, Any], tamper: dict[str, Any] | None = None) -> str:
        """Start docgen's sign-in in `client`, sign in at the provider as `account`, and return the
        callback path (with its code and state) the browser is sent back to."""
        self.next_sign_in(account, tamper)
        start = client.get("/sign-in/oidc")
        assert start.status_code == 302, start.get_data(as_text=True)
        url = start.headers["Location"]
        assert url.startswith(self.issuer)
        browser = requests.Session()
        for _hop in range(10):
            if url.startswith(REDIRECT_URI):
                return url[len(SITE):]
            answer = browser.get(url, allow_redirects=False, timeout=10)
            assert answer.status_code in (302, 303), f"{url}: {answer.status_code} {answer.text[:300]}"
            url = urljoin(url, answer.headers["Location"])
        raise AssertionError("the provider never sent the browser back to docgen")


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIdProvider]:
    """The provider, started once for the session and stopped at its end."""
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test OpenID provider is not installed: run scripts/setup.sh (node and npm ci)")
    secret = secrets.token_urlsafe(24)
    process = subprocess.Popen([node, "provider.mjs", CLIENT_ID, secret, REDIRECT_URI], cwd=PROVIDER_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        issuer = process.stdout.readline().strip()
        if not issuer.startswith("http://127.0.0.1:"):
            pytest.fail(f"the test OpenID provider did not start (said {issuer!r})")
        yield OpenIdProvider(issuer, secret)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
