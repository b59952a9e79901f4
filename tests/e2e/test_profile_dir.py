"""A council's own profile folder (DOCGEN_PROFILE_DIR) reaches the running app."""
from __future__ import annotations

from pathlib import Path

from docgen.config import Config, from_env
from tests.unit.test_profiles import NORTHSHIRE


def test_app_starts_with_the_councils_profile_from_docgen_profile_dir(tmp_path: Path, sqlite_url: str) -> None:
    from docgen.app import create_app

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "northshire.yaml").write_text(NORTHSHIRE)
    environment = {"DOCGEN_PROFILE": "northshire", "DOCGEN_PROFILE_DIR": str(tmp_path / "profiles")}
    config: Config = from_env(environment, env="test", instance_path=tmp_path / "instance", database_url=sqlite_url,
                              secret_key="test-secret-" + "x" * 32, tasks_url="memory")

    app = create_app(config)
    try:
        assert app.extensions["docgen"].profile.council == "Northshire Council"
        assert app.test_client().get("/health").json == {"status": "ok", "profile": "northshire"}
    finally:
        app.extensions["docgen"].engine.dispose()
