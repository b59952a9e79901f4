"""Stopping docgen as a service manager does: SIGTERM (or Ctrl-C) leaves no LibreOffice behind.

`docgen run` and `docgen worker` start unoserver and soffice on their first conversion, in a process
group of their own. The test makes a real conversion happen (a record sent for sign-off: the worker
makes its review PDF), notes every process descending from docgen, sends the signal, and then looks
for each of those processes again. Only this test's own processes are looked at, never another
LibreOffice on the machine.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import select

from kernel.config import from_env
from storage.models import Account, Person
from docgen.worker import SHUTDOWN_TIMEOUT_SECONDS
from tests.demo_instance import DemoInstance
from workflows import accounts

# One worker replays the shared demo instance (tests/demo_instance.py) for all its users.
pytestmark = [pytest.mark.libreoffice, pytest.mark.xdist_group("demo")]
DOCGEN = [sys.executable, "-m", "docgen.main"]
CONVERTER_UP_SECONDS = 120  # a cold LibreOffice start on a loaded machine, not a speed claim
# How long the test waits for docgen to have ended: a bound that only a hang exceeds, not a speed claim.
# docgen stops LibreOffice first (a conversion under way is cut short, its task retried later) and
# then waits up to SHUTDOWN_TIMEOUT_SECONDS for its other running tasks.
ENDED_WITHIN_SECONDS = SHUTDOWN_TIMEOUT_SECONDS + 90


class Proc(NamedTuple):
    pid: int
    name: str
    parent: int
    group: int
    started: int  # clock ticks after boot: tells a process from a later one given the same pid


def processes() -> dict[int, Proc]:
    """Every process now running, from /proc (zombies left out: they have ended, only unreaped)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" (", 1)
        except OSError:
            continue  # it ended while we looked
        name, fields = rest.rsplit(") ", 1)
        state, parent, group, *others = fields.split()
        if state != "Z":
            found[int(pid)] = Proc(int(pid), name, int(parent), int(group), int(others[16]))
    return found


def descendants(root: int) -> list[Proc]:
    everyone = processes()
    found: dict[int, Proc] = {}
    frontier = {root}
    while frontier:
        children = {p.pid for p in everyone.values() if p.parent in frontier and p.pid not in found}
        found.update({pid: everyone[pid] for pid in children})
        frontier = children
    return list(found.values())


def still_running(seen: list[Proc]) -> list[Proc]:
    """Those of `seen` still alive, and anything else still in their process groups."""
    seen_ids = {(p.pid, p.started) for p in seen}
    groups = {p.group for p in seen} - {os.getpgrp()}  # LibreOffice's own groups, not this test's
    return [p for p in processes().values() if (p.pid, p.started) in seen_ids or p.group in groups]


@pytest.fixture
def instance(tmp_path: Path, demo_instance: DemoInstance) -> dict[str, str]:
    """A fresh copy of the demo instance, its queue in the instance folder (the default)."""
    return demo_instance.copy_to(tmp_path)


def send_a_record(env: dict[str, str]) -> None:
    """The demo manager sends a record over the API; its review PDF is queued for the worker."""
    from docgen.app import create_app

    app = create_app(from_env({k: v for k, v in env.items() if k.startswith("DOCGEN_")}))
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:
        manager = db.scalar(select(Person).where(Person.email == "manager@demo.example.org"))
        worker = db.scalar(select(Person).where(Person.email == "worker@demo.example.org"))
        token = accounts.issue_api_token(db, db.scalar(select(Account).where(Account.person_id == manager.id)))
        worker_id = worker.id
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    record = client.post("/api/v1/records", json={"supervisee_id": worker_id,
                                                      "session_date": dt.date.today().isoformat()},
                         headers=auth)
    assert record.status_code == 201, record.json
    sent = client.post(f"/api/v1/records/{record.json['id']}/send", headers=auth)
    assert sent.status_code == 200, sent.json
    services.engine.dispose()


def converter_processes(docgen: subprocess.Popen[str]) -> list[Proc]:
    deadline = time.monotonic() + CONVERTER_UP_SECONDS
    while time.monotonic() < deadline and docgen.poll() is None:
        family = descendants(docgen.pid)
        if any(p.name == "soffice.bin" for p in family):
            return family
        time.sleep(0.2)
    pytest.fail(f"docgen started no LibreOffice (exit code {docgen.poll()})")


def started_as_from_a_terminal(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start docgen as a terminal does, with Ctrl-C's SIGINT at its default. A suite started in the
    background by a shell without job control (`cmd &` in a script) runs with SIGINT ignored; every
    process it starts inherits that, and Python then leaves SIGINT ignored, as a background job
    should. A handler set here is reset to the default in the child by exec."""
    ours = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    finally:
        signal.signal(signal.SIGINT, ours)


@pytest.mark.parametrize("command,stop", [
    (["run", "--port", "0"], signal.SIGTERM),
    (["run", "--port", "0"], signal.SIGINT),
    (["worker"], signal.SIGTERM),
], ids=["run-SIGTERM", "run-SIGINT", "worker-SIGTERM"])
def test_a_stopped_docgen_leaves_no_libreoffice_running(instance: dict[str, str], command: list[str],
                                                        stop: signal.Signals) -> None:
    docgen = started_as_from_a_terminal(DOCGEN + command, instance)
    try:
        send_a_record(instance)
        family = converter_processes(docgen)
        assert {"unoserver", "soffice.bin"} <= {p.name for p in family}

        docgen.send_signal(stop)
        try:
            output, _ = docgen.communicate(timeout=ENDED_WITHIN_SECONDS)  # returns once docgen has ended
        except subprocess.TimeoutExpired:
            docgen.send_signal(signal.SIGUSR1)  # every thread's stack (docgen.main), to say where it waits
            time.sleep(2)
            docgen.kill()
            pytest.fail(f"docgen still ran {ENDED_WITHIN_SECONDS:.0f} s after {stop.name}:\n{docgen.communicate()[0][-20000:]}")
    finally:
        if docgen.poll() is None:
            docgen.kill()
            docgen.communicate()

    assert still_running(family) == []
    assert docgen.returncode == 0, output
    # The demo's PDFs were being made when the signal came: the stop cut them short rather than
    # waiting for LibreOffice, so the consumer's workers all ended within the graceful wait.
    assert "Shutdown timeout" not in output and "All workers have stopped" in output, output
