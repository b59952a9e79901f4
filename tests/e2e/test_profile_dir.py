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


def test_cli_lists_a_bad_profiles_keys_in_readable_lines_without_a_traceback(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "northshire.yaml").write_text(
        NORTHSHIRE + "signoff: {link_expiry_dayz: 7}\nrecord_dayz: 4\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")},
           "DOCGEN_INSTANCE_PATH": str(tmp_path / "instance"), "DOCGEN_PROFILE": "northshire",
           "DOCGEN_PROFILE_DIR": str(tmp_path / "profiles")}

    run = subprocess.run([sys.executable, "-m", "docgen.main", "init"], env=env, capture_output=True, text=True,
                         timeout=120)

    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [
        f"docgen: {tmp_path / 'profiles' / 'northshire.yaml'}: 2 problems:",
        "  signoff.link_expiry_dayz: unknown key; did you mean 'link_expiry_days'?",
        "  record_dayz: unknown key; did you mean 'record_days'?",
    ]
