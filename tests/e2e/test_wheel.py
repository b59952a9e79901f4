"""The wheel is the product: built from this checkout (sdist, then the wheel from the sdist, as `python -m
build` does) and installed into a fresh virtual environment outside it, docgen initialises a demo,
serves its pages, renders Word records and seals a PDF that verifies, with nothing of the repository
on its path: every Word template, migration, profile, page template and GOV.UK asset comes from the wheel.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docgen_run import DocgenRun

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"
# The warm converter's script, under Debian's Python (scripts/setup.sh): outside the checkout an operator
# names theirs with DOCGEN_UNOSERVER, as this does. It runs in its own process, not on docgen's path.
UNOSERVER = ROOT / ".uvenv" / "bin" / "unoserver"
# Where each folder of the checkout lies in the wheel (pyproject.toml's package-dir).
INSTALLED_AS = {"docgen": "docgen", "workflows": "workflows", "documents": "documents", "storage": "storage",
                "kernel": "kernel", "templates_docx": "documents/templates_docx", "migrations": "storage/migrations"}

# One wheel, one environment and one demo for the module: keep its tests on one xdist worker.
pytestmark = [pytest.mark.libreoffice, pytest.mark.xdist_group("wheel")]


@dataclass(frozen=True)
class Installed:
    """docgen installed from the wheel into `venv`, run from `home` (outside the checkout) on `env`."""

    venv: Path
    home: Path
    env: dict[str, str]

    def command(self, *args: str) -> list[str]:
        """A command of the environment (`docgen`, `python`) with its arguments."""
        return [str(self.venv / "bin" / args[0]), *args[1:]]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a command of the environment from `home` with only `env`."""
        return subprocess.run(self.command(*args), cwd=self.home, env=self.env, capture_output=True, text=True,
                              timeout=timeout)


@dataclass(frozen=True)
class Demo:
    """The installed docgen after `docgen init --demo`, already sealing one record into `sealed_pdf`."""

    docgen: Installed
    sealing: subprocess.Popen[str]
    sealed_pdf: Path


def _uv(*args: str, cwd: Path) -> str:
    done = subprocess.run([str(UV), "--quiet", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `uv build` makes from this checkout: an sdist first, then the wheel from the sdist."""
    dist = tmp_path_factory.mktemp("dist")
    _uv("build", "--python", sys.executable, "--out-dir", str(dist), cwd=ROOT)
    (built,) = dist.glob("docgen-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel in a fresh virtual environment, with the lock's versions as constraints (so uv takes them
    from its cache), and an environment that names nothing of the checkout but the unoserver to run."""
    tmp = tmp_path_factory.mktemp("installed")
    venv, home, constraints = tmp / "venv", tmp / "home", tmp / "constraints.txt"
    home.mkdir()
    constraints.write_text(_uv("export", "--frozen", "--no-hashes", "--no-emit-project", cwd=ROOT))
    _uv("venv", "--python", sys.executable, str(venv), cwd=tmp)
    _uv("pip", "install", "--python", str(venv / "bin" / "python"), "--constraints", str(constraints), str(wheel),
        cwd=tmp)
    # No DOCGEN_INSTANCE_PATH: the default is ./instance of the folder docgen starts in (home), never
    # beside the installed package in site-packages.
    env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "DOCGEN_UNOSERVER": str(UNOSERVER)}
    return Installed(venv, home, env)


# The worker's own use case on the first signed record the demo left for it: the installed templates give
# the certificate page, the warm LibreOffice at DOCGEN_UNOSERVER converts, the instance's certificate seals.
SEAL_ONE = """
import sys
from pathlib import Path
from docgen.bootstrap import build
from kernel.config import from_env
from workflows import pipeline

deployment = build(from_env())
with deployment.unit_of_work() as uow:
    kind, document_id, version = pipeline.unfinalised(uow)[0]
    final = pipeline.finalise(uow, kind, document_id, version)
    Path(sys.argv[1]).write_bytes(uow.store.get(final.storage_key))
deployment.converter.stop()
"""


@pytest.fixture(scope="module")
def demo(installed: Installed) -> Iterator[Demo]:
    """`docgen init --demo` from the wheel, then one record sealed in the background: LibreOffice takes
    seconds to start, which the page and Word tests use instead of waiting for it one after the other."""
    made = installed.run("docgen", "init", "--demo", timeout=300)
    assert made.returncode == 0, made.stderr
    sealed_pdf = installed.home / "sealed.pdf"
    sealing = subprocess.Popen(installed.command("python", "-c", SEAL_ONE, str(sealed_pdf)), cwd=installed.home,
                               env=installed.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    yield Demo(installed, sealing, sealed_pdf)
    try:
        sealing.communicate(timeout=180)  # it stops its LibreOffice itself; a kill would leave it running
    except subprocess.TimeoutExpired:
        sealing.kill()
        raise


def _wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_every_module_word_template_migration_profile_page_and_asset(wheel: Path) -> None:
    # the GOV.UK Frontend files scripts/assets.sh fetched are outside git, but in the tree, so in the wheel
    tree = {f"{INSTALLED_AS[folder]}/{path.relative_to(ROOT / folder)}"
            for folder in INSTALLED_AS for path in (ROOT / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}
    files = _wheel_files(wheel)
    assert tree - files == set()
    assert {name.split("/")[0] for name in files} == {"docgen", "workflows", "documents", "storage", "kernel",
                                                      "docgen-0.1.0.dist-info"}
    assert {"documents/templates_docx/practitioner.docx", "documents/templates_docx/certificate.docx",
            "storage/migrations/env.py", "storage/migrations/script.py.mako", "docgen/profiles/knowsley.yaml",
            "docgen/static/govuk-frontend.min.css", "docgen/templates/base.html"} <= files


def test_installed_docgen_imports_nothing_from_the_checkout(installed: Installed) -> None:
    shown = installed.run("python", "-c", "import sys, docgen, storage, workflows, documents, kernel, "
                          "documents.templates_docx, storage.migrations; print(*sys.path, *(m.__file__ for m in "
                          "(docgen, storage, workflows, documents, kernel, documents.templates_docx, "
                          "storage.migrations)), sep='\\n')")
    assert shown.returncode == 0, shown.stderr
    paths = shown.stdout.split()
    assert not [path for path in paths if path.startswith(str(ROOT))]
    assert all(path.startswith(str(installed.venv)) for path in paths[-7:])


@pytest.fixture
def served(demo: Demo) -> Iterator[str]:
    """`docgen run` from the wheel on the port the system gives it (tasks inline: its worker does not
    seal the demo's year)."""
    server = DocgenRun(demo.docgen.command("docgen", "run", "--port", "0"), cwd=demo.docgen.home,
                       env={**demo.docgen.env, "DOCGEN_TASKS_URL": "memory"})
    try:
        yield f"http://127.0.0.1:{server.listening_port(timeout=120)}"
    finally:
        server.stop()


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_installed_docgen_serves_health_the_sign_in_page_and_govuk_frontend(served: str) -> None:
    status, health = _get(f"{served}/health")
    assert status == 200 and b'"ok"' in health
    status, page = _get(f"{served}/sign-in")
    assert status == 200 and b"Sign in" in page
    stylesheet = re.search(rb'href="([^"]*/govuk-frontend\.min\.css)"', page)
    assert stylesheet, "the sign-in page links no GOV.UK Frontend stylesheet"
    status, css = _get(served + stylesheet[1].decode())
    assert status == 200 and b".govuk-" in css


def test_installed_docgen_renders_a_teams_word_records(demo: Demo) -> None:
    out = demo.docgen.home / "drafts"
    made = demo.docgen.run("docgen", "generate", "--team", "Children in Need 1", "--date",
                           dt.date.today().isoformat(), "--out", str(out))
    assert made.returncode == 0, made.stderr
    drafts = sorted(out.glob("*.docx"))
    assert len(drafts) == 6
    with zipfile.ZipFile(drafts[0]) as word:
        properties = word.read("docProps/custom.xml")
    assert b"docgen.record_id" in properties and b"docgen.kind" in properties


def test_installed_docgen_seals_a_pdf_that_verifies(demo: Demo) -> None:
    _, errors = demo.sealing.communicate(timeout=180)
    assert demo.sealing.returncode == 0, errors
    assert demo.sealed_pdf.read_bytes().startswith(b"%PDF")
    verified = demo.docgen.run("docgen", "verify", str(demo.sealed_pdf))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("genuine and unaltered")
    with closing(sqlite3.connect(demo.docgen.home / "instance" / "storage.db")) as db:
        assert db.execute("select count(*) from document_version where kind = 'final_pdf'").fetchone() == (1,)
