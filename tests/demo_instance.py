"""One demo instance per test run (`docgen init --demo` replays a team's year: about 15 seconds),
copied into each test that starts docgen on it, so every test gets the demo fresh and pays for a
copy, not a replay."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DOCGEN = [sys.executable, "-m", "docgen.main"]


@dataclass(frozen=True)
class DemoInstance:
    """The instance folder `docgen init --demo` made, and what the command printed."""

    path: Path
    stdout: str

    def copy_to(self, tmp_path: Path) -> dict[str, str]:
        """A copy of the instance under `tmp_path`: the environment that runs docgen on it."""
        target = tmp_path / "instance"
        shutil.copytree(self.path, target)
        return environment(target)


def environment(instance: Path) -> dict[str, str]:
    """docgen's embedded default on `instance` (its SQLite queue in the folder), nothing else set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env["DOCGEN_INSTANCE_PATH"] = str(instance)
    return env


def make_demo_instance(where: Path) -> DemoInstance:
    made = subprocess.run(DOCGEN + ["init", "--demo"], env=environment(where), capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0, made.stderr
    return DemoInstance(where, made.stdout)
