"""The docgen command as an administrator uses it: init twice, add users, run the service."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from docgen.main import COMMANDS, cli
from tests.demo_instance import DemoInstance
from tests.docgen_run import DocgenRun

# One worker replays the shared demo instance (tests/demo_instance.py) for all its users: the tests
# that use it are in its group; the others run on any worker.
ON_THE_DEMO_WORKER = pytest.mark.xdist_group("demo")

DOCGEN = [sys.executable, "-m", "docgen.main"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DOCGEN_INSTANCE_PATH": str(tmp_path / "instance"), "DOCGEN_TASKS_URL": "memory"}


def _docgen(tmp_path: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(DOCGEN + list(args), env=_env(tmp_path), capture_output=True, text=True, input=input,
                          timeout=120)


def _in_process(tmp_path: Path, *args: str) -> Result:
    """The same command run by click in this process: what it prints and its exit code, without a new
    Python importing docgen for each run (2-3 s of CPU). Each claim about a real process's exit code
    and terminal lines is still checked with `_docgen` at least once."""
    env = {k: v for k, v in _env(tmp_path).items() if k.startswith("DOCGEN_")}
    return CliRunner().invoke(cli, list(args), env=env)


@ON_THE_DEMO_WORKER
def test_init_demo_is_safe_to_run_twice(tmp_path: Path, demo_instance: DemoInstance) -> None:
    assert "admin@demo.example.org" in demo_instance.stdout
    env = demo_instance.copy_to(tmp_path)  # the first run was a real process (tests/demo_instance.py)
    second = CliRunner().invoke(cli, ["init", "--demo"], env={k: v for k, v in env.items() if k.startswith("DOCGEN_")})
    assert second.exit_code == 0, second.output
    assert second.stdout.count("@demo.example.org") == demo_instance.stdout.count("@demo.example.org")


def test_user_add_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    assert _in_process(tmp_path, "init").exit_code == 0
    unknown = _docgen(tmp_path, "user", "add", "--email", "ghost@knowsley.example.org", "--password", "long-enough-pw")
    assert unknown.returncode == 2 and unknown.stderr.strip().count("\n") == 0
    assert "ghost@knowsley.example.org" in unknown.stderr and "Traceback" not in unknown.stderr
    made = _in_process(tmp_path, "user", "add", "--email", "new@knowsley.example.org", "--name", "New Starter",
                       "--grant", "hr", "--password", "long-enough-pw", "--token")
    assert made.exit_code == 0 and "API token:" in made.stdout
    again = _in_process(tmp_path, "user", "add", "--email", "new@knowsley.example.org", "--password", "long-enough-pw")
    assert again.exit_code == 2 and "already has an account" in again.stderr



def test_verify_without_the_organisation_certificate_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    assert _in_process(tmp_path, "init").exit_code == 0
    (tmp_path / "instance" / "organisation.p12").unlink()
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(b"%PDF-1.7 not a record")
    verdict = _docgen(tmp_path, "verify", str(pdf))
    assert verdict.returncode == 2 and "Traceback" not in verdict.stderr
    assert verdict.stderr.strip().count("\n") == 0 and "organisation certificate" in verdict.stderr

@ON_THE_DEMO_WORKER
def test_run_on_port_0_says_the_port_it_bound_and_serves_health_there(tmp_path: Path,
                                                                       demo_instance: DemoInstance) -> None:
    demo_instance.copy_to(tmp_path)
    server = DocgenRun(DOCGEN + ["run", "--port", "0"], env=_env(tmp_path))
    try:
        port = server.listening_port(timeout=120)
        # It listens from the line on (waitress binds before docgen prints it), so no retrying.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=60) as response:
            assert response.status == 200 and b'"ok"' in response.read()
    finally:
        out = server.stop()
    assert port != 0 and f"http://127.0.0.1:{port}/health" in out


@ON_THE_DEMO_WORKER
def test_generate_drafts_a_record_per_supervisee_in_the_team(tmp_path: Path, demo_instance: DemoInstance) -> None:
    demo_instance.copy_to(tmp_path)
    out, today = tmp_path / "drafts", dt.date.today().isoformat()  # the demo's sessions are all a week old or more
    made = _in_process(tmp_path, "generate", "--team", "Children in Need 1", "--date", today, "--out", str(out))
    assert made.exit_code == 0, made.output
    names = sorted(p.name for p in out.iterdir())
    # the team manager and five supervisees; the leaver (Morgan Blake) gets none
    assert len(names) == 6 and all(n.endswith(".docx") for n in names) and not any("Blake" in n for n in names)
    again = _docgen(tmp_path, "generate", "--team", "Children in Need 1", "--date", today, "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert sorted(p.name for p in out.iterdir()) == names
    missing = _in_process(tmp_path, "generate", "--team", "Nowhere", "--date", today, "--out", str(out))
    assert missing.exit_code == 2 and "Nowhere" in missing.stderr


def test_request_log_never_shows_a_sign_off_token() -> None:
    import logging

    from docgen.app import RedactLinkTokens

    token = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg"
    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '%s - - "%s" %s', ("127.0.0.1", f"GET /sign/{token} HTTP/1.1", "200"), None)
    RedactLinkTokens().filter(record)
    assert token not in record.getMessage() and "/sign/[redacted]" in record.getMessage()


# Runs docgen as its console script does, then names every module the process imported (on stderr).
IMPORTS_OF = """
import sys
from docgen.main import main
try:
    main()
finally:
    print(*sorted(sys.modules), file=sys.stderr)
"""

# Runs docgen with click, a library, warning each time a command prints its answer: as a library
# deprecating what a command calls would.
LIBRARY_WARNS = """
import warnings
import click
from docgen.main import main
echo = click.echo
def warning_echo(*args, **kwargs):
    warnings.warn("click.echo will change in click 9", FutureWarning)
    echo(*args, **kwargs)
click.echo = warning_echo
main()
"""


def test_help_lists_every_command_with_its_short_help(tmp_path: Path) -> None:
    shown = _docgen(tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.split("Commands:\n", 1)[1].splitlines()
    listed = dict(row.split(None, 1) for row in rows if row.strip())
    assert set(listed) == set(cli.commands) | set(COMMANDS)
    for name, short in listed.items():
        full = COMMANDS[name].short_help if name in COMMANDS else cli.commands[name].get_short_help_str(10_000)
        assert full.startswith(short.removesuffix("...")), name


def test_each_named_command_s_help_is_the_one_help_lists() -> None:
    assert {name: lazy.load().get_short_help_str(10_000) for name, lazy in COMMANDS.items()} == \
        {name: lazy.short_help for name, lazy in COMMANDS.items()}


@pytest.mark.parametrize("args", [["--help"], ["verify", "--help"]])
def test_help_imports_no_library_a_command_runs_with(tmp_path: Path, args: list[str]) -> None:
    shown = subprocess.run([sys.executable, "-c", IMPORTS_OF, *args], env=_env(tmp_path), capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0 and "Usage: " in shown.stdout
    imported = {module.split(".")[0] for module in shown.stderr.split()}
    assert not imported & {"pyhanko", "boto3", "alembic", "huey", "sqlalchemy", "workflows", "flask_limiter"}
    assert not (tmp_path / "instance").exists()  # no app was built


@ON_THE_DEMO_WORKER
def test_verifying_a_file_builds_the_deployment_alone(tmp_path: Path, demo_instance: DemoInstance) -> None:
    """`docgen verify FILE` reads the database and the certificate, and nothing else: not the web
    app, the task queue, S3 or the migrations (issue 26: a check should start fast)."""
    env = demo_instance.copy_to(tmp_path)
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.7\nDear Sam, this is not a sealed record.\n%%EOF\n")
    verified = subprocess.run([sys.executable, "-c", IMPORTS_OF, "verify", str(letter)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 1 and verified.stdout.startswith("not ours: "), verified.stdout
    imported = set(verified.stderr.split())
    assert {"pyhanko", "sqlalchemy"} <= {module.split(".")[0] for module in imported}  # what it does need
    assert not {module.split(".")[0] for module in imported} & {"boto3", "alembic", "huey", "flask_limiter"}
    assert not {"docgen.app", "docgen.web", "docgen.api"} & imported


@ON_THE_DEMO_WORKER
def test_a_library_warning_reaches_a_service_s_log_but_never_a_command_s_terminal(
        tmp_path: Path, demo_instance: DemoInstance) -> None:
    env = demo_instance.copy_to(tmp_path)
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear Sam, this is not a sealed record.\n")
    verified = subprocess.run([sys.executable, "-c", LIBRARY_WARNS, "verify", str(letter)], env=env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 1 and verified.stdout.startswith("not ours: ")
    assert "click 9" not in verified.stdout + verified.stderr
    # `docgen worker` says its first line, then refuses the in-process queue (exit 2): its stderr is its log
    worker = subprocess.run([sys.executable, "-c", LIBRARY_WARNS, "worker"], env={**env, "DOCGEN_TASKS_URL": "memory"},
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 2 and worker.stdout.startswith("docgen worker: ")
    logged = [line for line in worker.stderr.splitlines() if "click 9" in line]
    assert len(logged) == 1 and " WARNING py.warnings " in logged[0]
