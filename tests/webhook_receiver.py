"""A real HTTP receiver of docgen's webhooks on 127.0.0.1, checking each delivery with the README's
own verification snippet (so the snippet a council copies is the one the tests prove).

It answers 400 to a delivery that fails the check, 200 to a good one (acting on it once, however
often it comes), and 500 while it is told to fail.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import requests

README = Path(__file__).resolve().parents[1] / "README.md"
_SNIPPET = re.compile(r"<!-- webhook-verification -->\s*```python\n(.*?)```", re.S)


def readme_verification() -> SimpleNamespace:
    """The README's verification snippet, run: its `verify` and `Rejected`."""
    match = _SNIPPET.search(README.read_text())
    assert match, "README.md lost its webhook verification snippet"
    namespace: dict[str, Any] = {"__name__": "readme_snippet"}
    exec(compile(match.group(1), "README.md (webhook verification)", "exec"), namespace)
    return SimpleNamespace(**namespace)


@dataclass
class Delivery:
    """A request as it arrived, to be replayed byte for byte."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    secret: str = ""
    failures_to_give: int = 0
    arrived: list[Delivery] = field(default_factory=list)
    acted_on: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    url: str = ""
    now: float | None = None  # the receiver's clock (None: the real one)

    def __post_init__(self) -> None:
        self._check = readme_verification()
        self._lock = threading.Lock()

    def answer(self, delivery: Delivery) -> int:
        with self._lock:
            self.arrived.append(delivery)
            if self.failures_to_give:
                self.failures_to_give -= 1
                status = 500
            else:
                try:
                    event = self._check.verify(self.secret, delivery.headers, delivery.body, self.seen, now=self.now)
                except self._check.Rejected:
                    status = 400
                else:
                    if event is not None:
                        self.acted_on.append(event)
                    status = 200
            self.answers.append(status)
            return status

    def replay(self, delivery: Delivery, **changed_headers: str) -> int:
        """Send a captured delivery again, as someone who copied it off the wire would."""
        headers = {**delivery.headers, **changed_headers}
        return requests.post(self.url + delivery.path, data=delivery.body, headers=headers, timeout=5).status_code


def start(receiver: Receiver) -> ThreadingHTTPServer:
    """Serve `receiver` on a free port of 127.0.0.1 (sets receiver.url); shut it down after."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(Delivery(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
