"""The README's example of a bad key in a council's profile is what `docgen init` prints for it, so
the example cannot go stale as the messages change."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from docgen.main import cli
from tests.unit.test_profiles import EXAMPLE_DIR
from tests.unit.test_readme_claims import readme_block

README_FOLDER = "/etc/docgen/profiles"  # where the README's example puts the council's profiles


def test_the_readmes_bad_key_example_is_what_docgen_prints(tmp_path: Path) -> None:
    example = readme_block("readme-profile-example")
    name = re.search(r"^name: (\S+)$", example, re.M)[1]  # type: ignore[index]
    folder = tmp_path / "profiles"
    folder.mkdir()
    shutil.copy(EXAMPLE_DIR / "northshire.yaml", folder)
    (folder / f"{name}.yaml").write_text(example.replace("link_expiry_days:", "link_expiry_dayz:"))

    result = CliRunner().invoke(cli, ["init"], env={
        "DOCGEN_PROFILE_DIR": str(folder), "DOCGEN_PROFILE": name,
        "DOCGEN_INSTANCE_PATH": str(tmp_path / "instance")})

    assert result.exit_code == 2, result.output
    assert result.stderr.replace(str(folder), README_FOLDER) == readme_block("readme-profile-error")
