"""`docgen run --port 0` in a child process: the system picks the port, docgen prints the one it bound,
and the test reads it back (no free port chosen, let go and bound again, which races)."""
from __future__ import annotations

import re
import signal
import subprocess
import threading
from pathlib import Path
from typing import Sequence

import pytest

RUNNING = re.compile(r"docgen is running at http://127\.0\.0\.1:(\d+)/")


class DocgenRun:
    """A `docgen run` process whose output (stdout and stderr together) is read as it comes."""

    def __init__(self, command: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.port: int | None = None
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read, name="docgen-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if self.port is None and (found := RUNNING.search(line)):
                self.port = int(found[1])
                self._listening.set()
        self._listening.set()  # the end of its output: it will never say it listens now

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def listening_port(self, timeout: float) -> int:
        """The port docgen says it listens on, once it says so. `timeout` bounds a start on a loaded
        machine; it is no speed claim."""
        self._listening.wait(timeout)
        if self.port is None:
            self.process.kill()
            self.stop()
            pytest.fail(f"docgen run never said where it listens (exit code {self.process.returncode}):\n{self.output}")
        return self.port

    def stop(self, stop: signal.Signals = signal.SIGTERM, timeout: float = 120) -> str:
        """Signal docgen, wait until it has ended (`timeout` bounds a hang, no speed claim), and give
        everything it wrote."""
        if self.process.poll() is None:
            self.process.send_signal(stop)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self._reader.join()
            pytest.fail(f"docgen run still running {timeout:.0f} s after {stop.name}:\n{self.output}")
        self._reader.join()
        assert self.process.stdout is not None
        self.process.stdout.close()
        return self.output
