"""Closing the warm converter as docgen shuts down (`docgen.worker.stop_converter`): nothing waits for
LibreOffice to start or finish, nothing starts it again, and its processes are gone.

A stand-in unoserver that never answers plays a LibreOffice still starting on a busy machine: only
`close()` can end a start waiting for it (the converters here would otherwise wait ten minutes).
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from documents.pdf import ConversionError, Converter, WarmConverter

NEVER_READY = 600.0  # seconds a start would wait for the stand-in if nothing closed it
# A bound for a loaded machine on what close() ends at once, and below the warm converter's own 60 s
# wait for a first start, which would otherwise end the wait too; no speed claim.
ENDS_WITHIN = 30.0


@pytest.fixture
def silent_unoserver(tmp_path: Path) -> Path:
    """A unoserver that starts and never answers (it writes its pid, then sleeps)."""
    script = tmp_path / "unoserver"
    script.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'pid'}\nexec sleep 3600\n")
    script.chmod(0o755)
    return script


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001  (handed to the test to look at)
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, raised


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _started(tmp_path: Path) -> int:
    """The stand-in's pid, once it has started (it writes it as its first act)."""
    pid_file = tmp_path / "pid"
    deadline = time.monotonic() + ENDS_WITHIN
    while not pid_file.exists() or not pid_file.read_text().strip():
        if time.monotonic() > deadline:
            pytest.fail("the stand-in unoserver never started")
        time.sleep(0.05)
    return int(pid_file.read_text())


def test_closing_a_converter_ends_a_start_still_waiting_for_libreoffice(tmp_path: Path,
                                                                        silent_unoserver: Path) -> None:
    converter = Converter(silent_unoserver, ready_timeout=NEVER_READY)
    thread, raised = _in_thread(converter.start)
    pid = _started(tmp_path)

    converter.close()
    thread.join(ENDS_WITHIN)

    assert not thread.is_alive(), "start() still waiting for a LibreOffice that was closed"
    assert len(raised) == 1 and isinstance(raised[0], ConversionError) and "shutting down" in str(raised[0])
    assert not _alive(pid)


def test_a_closed_converter_converts_nothing_warm_or_cold(tmp_path: Path, silent_unoserver: Path) -> None:
    converter = Converter(silent_unoserver, ready_timeout=NEVER_READY)
    converter.close()
    with pytest.raises(ConversionError, match="shutting down"):
        converter.convert(b"PK\x03\x04 a Word file")  # a cold soffice is not started either
    with pytest.raises(ConversionError, match="shutting down"):
        converter.start()
    assert not (tmp_path / "pid").exists()


def test_closing_the_warm_converter_during_its_first_start_ends_the_task_waiting_for_it(
        tmp_path: Path, silent_unoserver: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCGEN_UNOSERVER", str(silent_unoserver))
    warm = WarmConverter()
    waiting_task, raised = _in_thread(lambda: warm().convert(b"PK\x03\x04 a Word file"))
    pid = _started(tmp_path)

    closing = threading.Thread(target=warm.close, daemon=True)
    closing.start()
    closing.join(ENDS_WITHIN)
    waiting_task.join(ENDS_WITHIN)

    assert not closing.is_alive() and not waiting_task.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], ConversionError) and "shutting down" in str(raised[0])
    assert not _alive(pid) and warm.running is None
    with pytest.raises(ConversionError, match="shutting down"):
        warm()  # and nothing starts LibreOffice again in this process
