"""The server the browser journeys run against (tests/site_server.py): on the port bound before the
app, and closing every response, even one whose client reset the connection at its end."""
from __future__ import annotations

import socket
import struct
import threading
import urllib.request
from typing import Iterator

from flask import Flask, Response

from tests.site_server import listening_socket, serving

BODY = b"%PDF-1.7 " + b"x" * 4000


class DroppedDownload:
    """A download that is sent in full and then, before the server has finished with the request,
    finds its client gone: as when Chromium resets the connection of a download it drops.
    Knows whether the server closed it."""

    def __init__(self) -> None:
        self.client_gone = threading.Event()
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield BODY
        self.client_gone.wait(timeout=30)

    def close(self) -> None:
        self.closed.set()


def _site(download: DroppedDownload) -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/record.pdf", "record", lambda: Response(
        download, headers={"Content-Length": str(len(BODY))}, mimetype="application/pdf"))
    return app


def _download_then_reset(address: tuple[str, int]) -> None:
    """Read the whole response, then reset the connection (SO_LINGER 0) instead of closing it."""
    with socket.create_connection(address, timeout=30) as client:
        client.sendall(b"GET /record.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while not received.endswith(BODY):
            chunk = client.recv(65536)
            assert chunk, f"the server closed after {len(received)} bytes"
            received += chunk
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_download_whose_client_resets_the_connection_is_closed_by_the_server() -> None:
    download = DroppedDownload()
    with listening_socket() as sock, serving(_site(download), sock):
        _download_then_reset(sock.getsockname())
        download.client_gone.set()
        # Werkzeug alone never closes it (it reads the reset socket first, which raises): the file
        # behind a static download then waits for the garbage collector and its ResourceWarning.
        assert download.closed.wait(timeout=30)


def test_the_site_serves_on_the_socket_bound_before_the_app_was_built() -> None:
    with listening_socket() as sock:
        port = sock.getsockname()[1]  # what a test puts in config.base_url before building the app
        app = Flask(__name__)
        app.add_url_rule("/health", "health", lambda: "ok")
        with serving(app, sock) as url:
            with urllib.request.urlopen(f"{url}/health", timeout=30) as response:
                assert url == f"http://127.0.0.1:{port}" and response.read() == b"ok"
