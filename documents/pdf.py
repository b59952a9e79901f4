"""DOCX to PDF with LibreOffice kept warm behind unoserver, and a cold fallback.

A cold `soffice --convert-to pdf` costs over a second per document; a warm LibreOffice behind
unoserver converts the same in a fraction of that. Each task consumer owns one Converter: it
starts unoserver as a child process with its own ports and profile, and when that server dies
it converts the document in hand cold (so the caller never waits for a relaunch) while a fresh
server starts in the background.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path

from unoserver.client import UnoClient

log = logging.getLogger(__name__)

_PING_TIMEOUT = 1.0  # seconds; a warm server answers info() in milliseconds
_POLL_INTERVAL = 0.1
_COLD_TIMEOUT = 120.0


# PDF export settings (LibreOffice's writer_pdf_Export filter data), the same warm and cold: a tagged
# PDF (headings, lists, tables with their header cells, in reading order) that a screen reader can
# follow, in the language the Word file declares, its title shown instead of the file name, as
# PDF/UA-1 asks (issue 15); and PDF/A-3b (SelectPdfVersion 3: fonts embedded, colours with an output
# intent, XMP identification, nothing encrypted or scripted), so a record kept seven years after
# its supervisee leaves still opens as it was sealed (issue 25). PDF/A-3, not PDF/A-2: the seal
# carries the signed Word file inside the PDF, and only PDF/A-3 allows a non-PDF attachment.
EXPORT_OPTIONS: dict[str, bool | int] = {"UseTaggedPDF": True, "PDFUACompliance": True,
                                         "DisplayPDFDocumentTitle": True, "ExportBookmarks": True,
                                         "SelectPdfVersion": 3}


def _warm_options() -> list[str]:
    """EXPORT_OPTIONS as unoserver's filter options ("Name=value")."""
    return [f"{name}={str(value).lower()}" for name, value in EXPORT_OPTIONS.items()]


def _cold_filter() -> str:
    """EXPORT_OPTIONS as soffice's --convert-to argument (the JSON form of filter data)."""
    data = {name: {"type": "boolean" if isinstance(value, bool) else "long", "value": str(value).lower()}
            for name, value in EXPORT_OPTIONS.items()}
    return "pdf:writer_pdf_Export:" + json.dumps(data, separators=(",", ":"))


class ConversionError(Exception):
    """LibreOffice could not turn the document into a PDF, warm or cold."""


def default_unoserver() -> Path:
    """Where the unoserver script lives: DOCGEN_UNOSERVER, else a `.uvenv` beside the virtual
    environment docgen runs in, which is where scripts/setup.sh puts it (a checkout's .venv and
    .uvenv). Never beside docgen's own files: an installed docgen lives in site-packages.

    It must run under Debian's /usr/bin/python3, the only Python that can import uno, so it
    is a separate venv rather than the project's own (whose unoserver script cannot start).
    """
    return Path(os.environ.get("DOCGEN_UNOSERVER", Path(sys.prefix).parent / ".uvenv" / "bin" / "unoserver"))


class _FailFastClient(UnoClient):
    """UnoClient whose connection check gives up at once instead of 5 tries 10 s apart.

    The Converter knows whether its server is alive and relaunches it itself; waiting 40 s on a
    dead port would only delay the cold fallback.
    """

    def _connect(self, proxy, retries=1, sleep=0):  # type: ignore[override]
        return super()._connect(proxy, retries=1, sleep=0)


class _TimeoutTransport(xmlrpc.client.Transport):
    """XML-RPC transport with a socket timeout, so a readiness ping cannot hang."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):  # type: ignore[no-untyped-def]
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class Converter:
    """A warm LibreOffice for one process; call start() once, convert() many times, stop()."""

    def __init__(
        self,
        unoserver: Path | None = None,
        *,
        ready_timeout: float = 60.0,
        conversion_timeout: int = 120,
    ) -> None:
        self._unoserver = unoserver or default_unoserver()
        self._ready_timeout = ready_timeout
        self._conversion_timeout = conversion_timeout
        self._lock = threading.Lock()  # guards launching and killing the server
        self._busy = threading.Lock()  # one warm conversion at a time
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self._ready = threading.Event()
        self._workdir: Path | None = None
        # One relaunch per warm success: a LibreOffice that keeps dying leaves us cold, not looping.
        self._restarted = False
        self._closed = False  # close(): the process is shutting down, no LibreOffice starts again

    @property
    def pid(self) -> int | None:
        """Process id of the running unoserver (also its process group id)."""
        return self._process.pid if self._process else None

    @property
    def workdir(self) -> Path | None:
        """The private (0700) directory holding LibreOffice's profile and temporary files."""
        return self._workdir

    def start(self) -> None:
        """Launch unoserver and wait until it converts, or raise ConversionError."""
        try:
            with self._lock:
                self._refuse_if_closed()
                self._launch()
            if not self.wait_ready(self._ready_timeout):
                raise ConversionError(
                    f"unoserver did not become ready in {self._ready_timeout:.0f} s"
                )
            self._refuse_if_closed()  # close() wakes a start still waiting
        except ConversionError:
            self.stop()
            raise

    def wait_ready(self, timeout: float) -> bool:
        """Block until the warm server answers, for at most timeout seconds."""
        return self._ready.wait(timeout)

    def responsive(self) -> bool:
        """False when the warm server is up but does not answer a round trip through LibreOffice
        within the ping timeout: a hung soffice, which would hold every warm conversion until the
        conversion timeout. unoserver's info() asks LibreOffice for its filters, so it proves more
        than that the server's port is open. A server still starting, or gone, is no hang (the
        document in hand converts cold meanwhile), and a conversion in progress is not interrupted:
        unoserver answers one request at a time, so a ping queued behind it would look like a hang."""
        if not self._warm() or not self._busy.acquire(blocking=False):
            return True
        try:
            return _ping(self._port)
        finally:
            self._busy.release()

    def convert(self, docx: bytes) -> bytes:
        """Convert DOCX bytes to PDF bytes: warm if the server is up, else cold right away.

        Warm conversions are serialised: unoserver answers one request at a time anyway, and
        a liveness ping queued behind another thread's conversion would look like a dead server.
        """
        with self._busy:
            self._refuse_if_closed()
            if self._warm():
                try:
                    pdf = _FailFastClient(server="127.0.0.1", port=str(self._port)).convert(
                        indata=docx, convert_to="pdf", filter_options=_warm_options()
                    )
                except (OSError, xmlrpc.client.Error) as exc:
                    self._refuse_if_closed()  # close() killed it mid-conversion
                    log.warning("warm conversion failed (%s); converting cold", exc)
                    if not self._answers():  # e.g. soffice died under a still-running unoserver
                        self._relaunch()
                else:
                    self._restarted = False
                    return pdf
            elif self._dead():
                self._relaunch()
        self._refuse_if_closed()
        return cold_convert(docx)

    def close(self) -> None:
        """Stop for good, as the process shuts down: kill LibreOffice (cutting short a conversion
        under way), wake a start still waiting for it, and refuse every later conversion, cold ones
        too, with ConversionError. The task that asked fails and is retried after the restart; the
        shutdown waits for no LibreOffice to start or finish."""
        with self._lock:
            self._closed = True
            self._terminate()
            self._ready.set()
        self.stop()

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise ConversionError("LibreOffice has stopped: docgen is shutting down")

    def stop(self) -> None:
        """Kill unoserver and its LibreOffice (the whole process group) and remove the profile."""
        with self._lock:
            self._terminate()
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
                self._workdir = None

    def __enter__(self) -> Converter:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _warm(self) -> bool:
        return self._ready.is_set() and not self._dead()

    def _dead(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def _relaunch(self) -> None:
        """Start a fresh server in the background, once until a warm conversion succeeds."""
        with self._lock:
            if self._restarted or self._closed:
                return
            self._restarted = True
            log.warning("unoserver is down; relaunching it")
            try:
                self._launch()
            except ConversionError as exc:
                log.error("%s; converting cold from now on", exc)

    def _launch(self) -> None:
        """Spawn unoserver in its own process group; a thread flags readiness. Hold _lock."""
        self._terminate()
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="docgen-uno-"))  # mkdtemp: mode 0700
        profile = self._workdir / "profile"
        shutil.rmtree(profile, ignore_errors=True)  # a crashed LibreOffice may leave a lock
        self._port, uno_port = _free_ports(2)
        # start_new_session: one killpg then reaches oosplash and soffice.bin as well.
        try:
            self._process = subprocess.Popen(
                [
                    str(self._unoserver),
                    "--interface", "127.0.0.1",
                    "--port", str(self._port),
                    "--uno-interface", "127.0.0.1",
                    "--uno-port", str(uno_port),
                    "--user-installation", str(profile),
                    "--temp-dir", str(self._workdir),
                    "--conversion-timeout", str(self._conversion_timeout),
                    "--quiet",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=_private_tmp_env(self._workdir),
                start_new_session=True,
            )
        except OSError as exc:
            raise ConversionError(f"cannot start {self._unoserver}: {exc}") from exc
        self._ready = threading.Event()
        threading.Thread(
            target=self._await_ready,
            args=(self._process, self._port, self._ready),
            daemon=True,
            name="unoserver-ready",
        ).start()

    def _await_ready(
        self, process: subprocess.Popen[bytes], port: int, ready: threading.Event
    ) -> None:
        """Poll the server's info() until it answers; unoserver itself sleeps ~5 s first."""
        deadline = time.monotonic() + self._ready_timeout
        while time.monotonic() < deadline and process.poll() is None:
            if _ping(port):
                ready.set()
                return
            time.sleep(_POLL_INTERVAL)

    def _answers(self) -> bool:
        return not self._dead() and _ping(self._port)

    def _terminate(self) -> None:
        """SIGKILL the group: nothing in it holds state worth a graceful exit, and a polite
        SIGTERM costs seconds. (LibreOffice's empty IPC socket stays in /tmp; it holds no data.)"""
        if self._process is None:
            return
        _kill_group(self._process.pid)
        self._process.wait()
        self._process = None
        self._ready.clear()


class WarmConverter:
    """This process's warm LibreOffice, started on first use (never at import) and stopped at exit.

    Calling it gives the running Converter; threads of one consumer share it (a Converter does one
    warm conversion at a time and converts cold meanwhile if its server dies).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._converter: Converter | None = None
        self._closed = False

    def __call__(self) -> Converter:
        with self._lock:
            if self._closed:
                raise ConversionError("LibreOffice has stopped: docgen is shutting down")
            if self._converter is None:
                self._converter = Converter()
                self._converter.start()
                atexit.register(self.stop)
            return self._converter

    @property
    def running(self) -> Converter | None:
        """The Converter if this process has started one; looking never starts one."""
        return self._converter

    def stop(self) -> None:
        """Stop the LibreOffice if it was started; the next call starts a fresh one."""
        with self._lock:
            if self._converter is not None:
                self._converter.stop()
                atexit.unregister(self.stop)
                self._converter = None

    def close(self) -> None:
        """Stop for good, as the process shuts down (`Converter.close`): a start or a conversion
        under way ends at once with ConversionError, and so does every later call."""
        self._closed = True
        # A start under way holds the lock until LibreOffice answers: closing its Converter (which
        # may appear a moment after this looks) is what ends the start and frees the lock.
        while not self._lock.acquire(timeout=0.05):
            if self._converter is not None:
                self._converter.close()
        try:
            if self._converter is not None:
                self._converter.close()
                atexit.unregister(self.stop)
                self._converter = None
        finally:
            self._lock.release()


def cold_convert(docx: bytes) -> bytes:
    """Convert with a one-off `soffice --headless --convert-to pdf`.

    A private profile keeps it from handing the job to another running LibreOffice (or
    clashing with a concurrent cold conversion); the record is written only inside a 0700
    directory that is removed afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="docgen-cold-") as tmp:
        workdir = Path(tmp)
        source = workdir / "record.docx"
        source.write_bytes(docx)
        try:
            result = subprocess.run(
                [
                    shutil.which("soffice") or "soffice",
                    f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to", _cold_filter(),
                    "--outdir", str(workdir),
                    str(source),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=_private_tmp_env(workdir),
                timeout=_COLD_TIMEOUT,
                start_new_session=True,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConversionError(f"soffice failed to run: {exc}") from exc
        target = workdir / "record.pdf"
        if not target.exists():
            raise ConversionError(
                f"soffice produced no PDF (exit {result.returncode}): "
                f"{result.stderr.decode(errors='replace')[-500:]}"
            )
        return target.read_bytes()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole group has already exited


def _private_tmp_env(directory: Path) -> dict[str, str]:
    """Environment that points LibreOffice's own temporary files (document copies, its IPC
    pipe) into our private directory, so a killed soffice leaves nothing behind in /tmp."""
    return {**os.environ, "TMPDIR": str(directory)}


def _free_ports(count: int) -> list[int]:
    """Ports nothing listens on now, all different: each is held until the last is chosen (a port
    let go at once can be the next one given). unoserver and LibreOffice bind them themselves, so
    this can only pick numbers and let them go."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def _ping(port: int) -> bool:
    """True when unoserver answers info(), i.e. its LibreOffice connection is up."""
    try:
        with xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{port}", transport=_TimeoutTransport(_PING_TIMEOUT)
        ) as proxy:
            proxy.info()
        return True
    except (OSError, xmlrpc.client.Error):
        return False
