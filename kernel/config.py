"""Configuration from environment variables, with safe defaults for the embedded mode.

Embedded default: everything under one instance folder (SQLite file, encrypted document store,
task queue file, organisation certificate). Production mode refuses to start with a default secret,
and over a plain `http://` base URL unless DOCGEN_ALLOW_HTTP says so (a TLS-terminating proxy
that forwards plain HTTP still serves the users over https, so its base URL is https).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_SECRET = "docgen-embedded-default-secret-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable."""


@dataclass(frozen=True)
class Config:
    """The settings, each read from DOCGEN_<FIELD> by `from_env`; `extra` is not read from the
    environment (tests pass their own rate-limit key prefix in it). Every setting is in the README's
    configuration table with its default and meaning, and tests/unit/test_readme_claims.py keeps it
    so: a new field fails the suite until it is documented."""

    env: str = "development"  # development | production | test
    # ./instance of the folder docgen starts in (scripts/run.sh starts in the checkout): never beside
    # docgen's own files, which an installed docgen keeps in site-packages.
    instance_path: Path = field(default_factory=lambda: Path("instance").resolve())
    database_url: str = ""  # default: sqlite file in the instance folder
    secret_key: str = DEFAULT_SECRET
    profile: str = "knowsley"
    profile_dir: str = ""  # a council's own policy profiles (YAML), searched before ours
    organisation: str = ""  # default: the profile's council
    base_url: str = "http://127.0.0.1:5000"
    allow_http: bool = False  # production over a plain http:// base URL, knowingly (e.g. a closed test network)
    storage_url: str = "local"
    storage_key: str | None = None
    tasks_url: str = ""  # default: sqlite file in the instance folder; or redis://...
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "docgen@localhost"
    org_p12: str = ""  # default: instance/organisation.p12 made by `docgen init`
    org_p12_passphrase: str = ""
    timestamp_url: str = ""  # an RFC 3161 time-stamping authority: B-LTA seals, and the audit head dated daily
    timestamp_ca: str = ""  # PEM/DER certificate(s) of that authority, trusted when verifying
    ratelimit_storage: str = "memory://"
    template_dir: str = ""  # a council's own Word templates, searched before ours
    # Sign-in with the council's OpenID provider (issue 15), beside local passwords; off while no issuer.
    oidc_issuer: str = ""  # e.g. https://login.microsoftonline.com/<tenant>/v2.0
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scope: str = "openid email profile"
    oidc_email_verified_claim: str = "email_verified"  # Entra ID: xms_edov
    oidc_roles_claim: str = ""  # e.g. groups: when set, it decides the granted roles at every sign-in
    oidc_role_map: str = ""  # claim value=docgen role, comma-separated: "HR Staff=hr,Auditors=auditor"
    trusted_proxies: int = 0  # reverse proxy hops in front of docgen whose X-Forwarded-* are believed (ProxyFix)
    log_format: str = "text"  # text | json (one JSON object a line, with the request id)
    metrics_token: str = ""  # bearer token for /metrics from a non-local address (none: local only)
    extra: dict = field(default_factory=dict)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'storage.db'}"

    @property
    def resolved_tasks_url(self) -> str:
        return self.tasks_url or f"sqlite:///{self.instance_path / 'tasks.db'}"

    @property
    def production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse a production start with the embedded defaults for secrets, over plain HTTP (links,
        passwords and the session cookie, Secure in production, need TLS), or with a shared store
        but each machine's own key file (a worker could not open what the web server sealed)."""
        if self.oidc_issuer and not (self.oidc_client_id and self.oidc_client_secret):
            missing = "DOCGEN_OIDC_CLIENT_ID" if not self.oidc_client_id else "DOCGEN_OIDC_CLIENT_SECRET"
            raise ConfigError(f"{missing} must be set with DOCGEN_OIDC_ISSUER")
        if self.timestamp_url and not self.timestamp_ca:  # its tokens could be neither kept nor checked
            raise ConfigError("DOCGEN_TIMESTAMP_CA must be set with DOCGEN_TIMESTAMP_URL: the authority's "
                              "certificate is what verify and docgen audit verify check its timestamps against")
        if self.production:
            if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
                raise ConfigError("DOCGEN_SECRET_KEY must be set to a random value of 32+ characters in production")
            if not self.org_p12_passphrase:
                raise ConfigError("DOCGEN_ORG_P12_PASSPHRASE must be set in production")
            if not self.base_url.startswith("https://") and not self.allow_http:
                raise ConfigError(f"DOCGEN_BASE_URL must start with https:// in production, not '{self.base_url}' "
                                  "(set DOCGEN_ALLOW_HTTP=1 to serve plain HTTP knowingly)")
            if self.storage_url != "local" and not self.storage_key:
                raise ConfigError("DOCGEN_STORAGE_KEY must be set in production with a shared document store: every "
                                  "web and worker machine seals and opens sign-off e-mails with the same key")


_BOOL = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}


def from_env(environ: dict[str, str] | None = None, **overrides: object) -> Config:
    """Config from DOCGEN_* variables (DOCGEN_DATABASE_URL, DOCGEN_SECRET_KEY, ...)."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    for f in fields(Config):
        raw = environ.get(f"DOCGEN_{f.name.upper()}")
        if raw is None or f.name == "extra":
            continue
        if f.type == "int":
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise ConfigError(f"DOCGEN_{f.name.upper()} must be a whole number, not '{raw}'") from None
        elif f.type == "bool":
            if raw.lower() not in _BOOL:
                raise ConfigError(f"DOCGEN_{f.name.upper()} must be true or false, not '{raw}'")
            values[f.name] = _BOOL[raw.lower()]
        elif f.name == "instance_path":
            values[f.name] = Path(raw).resolve()
        else:
            values[f.name] = raw
    return replace(Config(**values), **overrides)  # type: ignore[arg-type]
