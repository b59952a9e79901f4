"""What is installed is what was tested: uv.lock matches pyproject.toml, the environment running the
suite holds exactly the lock's versions, and every warning the suite ignores still has its cause.

A `.venv` made before a new release keeps passing while a fresh one fails (7 December 2026:
cryptography 51 made 519 tests error on a fresh clone only), so these tests compare the environment
with the lock rather than trust whoever made it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"  # installed by scripts/setup.sh, pinned in scripts/uv-requirements.txt


def _uv(*args: str) -> subprocess.CompletedProcess[str]:
    assert UV.exists(), "uv is missing: run `bash scripts/setup.sh --test`"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"}
    return subprocess.run([str(UV), *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked_for_tests() -> dict[str, str]:
    """The lock's pins for the main dependencies and the test extra that apply to this interpreter, as
    `uv sync --extra test` installs them (async-timeout, say, only below Python 3.11.3)."""
    result = _uv("export", "--frozen", "--extra", "test", "--no-hashes", "--no-emit-project", "--no-header",
                 "--no-annotate")
    assert result.returncode == 0, result.stderr
    pins = {}
    for line in result.stdout.splitlines():
        requirement, _, marker = line.partition(";")
        if "==" in requirement and (not marker.strip() or Marker(marker).evaluate()):
            name, version = requirement.split("==")
            pins[_normalised(name.split("[")[0])] = version.strip()
    return pins


def test_the_lock_matches_pyproject() -> None:
    result = _uv("lock", "--check", "--python", sys.executable)
    assert result.returncode == 0, (
        "uv.lock is stale against pyproject.toml: run `bash scripts/upgrade.sh` (or `.tools/bin/uv lock` "
        f"for a new dependency alone)\n{result.stderr}")


def test_the_environment_holds_exactly_the_locked_versions() -> None:
    locked = _locked_for_tests()
    installed = {_normalised(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop("docgen", None)
    differing = {name: (installed.get(name), version) for name, version in locked.items()
                 if installed.get(name) != version}
    unlocked = sorted(set(installed) - set(locked))
    assert not differing, f"installed (left) against locked (right): {differing}"
    assert not unlocked, f"installed but not in the lock: {unlocked}"


def test_pyhanko_still_warns_about_dsa_so_its_filters_are_still_needed() -> None:
    """documents/seal.py and pyproject's filterwarnings ignore one warning: pyHanko importing
    cryptography's deprecated DSA key class. Once a release stops raising it, this fails: remove both."""
    probe = subprocess.run([sys.executable, "-W", "error", "-c", "import pyhanko.sign"],
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode != 0 and "DSA is deprecated" in probe.stderr, (
        "pyHanko no longer warns about DSA: remove the filter in documents/seal.py and pyproject.toml")
