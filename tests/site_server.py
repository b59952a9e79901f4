"""The site under test, served on 127.0.0.1 by Werkzeug's threaded server in a thread of the test.

Two things a test server needs that `werkzeug.serving.make_server` alone does not give:

- **A port without a race.** The socket is bound to port 0 and listening before the app is built,
  so a test can put the port in `config.base_url`; the server then serves that very socket (`fd`).
  Picking a free number, closing it and binding it again later lets another process (or an outgoing
  connection's ephemeral port) take it in between.
- **Every response closed.** Werkzeug closes a response's iterable at the end of the request, but
  only after it has drained the client's unread input: when the client has reset the connection
  (Chromium dropping a download), that read raises and the close is skipped, so a static file's
  handle waits for the garbage collector and its ResourceWarning fails whichever test is running
  then. `_ClosingHandler` closes the response once the request is over, however it ended.
"""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from werkzeug.serving import WSGIRequestHandler, make_server

_RESPONSE = "tests.site_server.response"


def listening_socket() -> socket.socket:
    """A TCP socket on 127.0.0.1 at a port the OS chose, already listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class _ClosedOnce:
    """A response's iterable whose close() runs once, whoever calls it first: Werkzeug at the end of
    a request that went well, `_ClosingHandler` after one that did not."""

    def __init__(self, response: Iterable[bytes]) -> None:
        self._response = response
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._response)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            close = getattr(self._response, "close", None)
            if close is not None:
                close()


class _KeepsResponse:
    """WSGI middleware: hands the app's response back wrapped in `_ClosedOnce`, and keeps it in the
    environ, where the handler finds it after the request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> _ClosedOnce:
        response = _ClosedOnce(self.app(environ, start_response))
        environ[_RESPONSE] = response
        return response


class _ClosingHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing each response when its request is over, even when the client
    dropped the connection before the end."""

    def run_wsgi(self) -> None:
        self.environ = None  # type: ignore[assignment]  # run_wsgi sets the request's own
        try:
            super().run_wsgi()
        finally:
            response = (self.environ or {}).get(_RESPONSE)
            if response is not None:
                response.close()


@contextmanager
def serving(app: Any, sock: socket.socket) -> Iterator[str]:
    """Serve `app` on the listening socket `sock` for the `with` block; gives the site's base URL.

    On leaving, the server stops accepting, closes its socket and has closed every response it
    finished. A request still in flight (a keep-alive connection Chromium has not closed yet) ends
    in its own daemon thread and closes its response there."""
    server = make_server("127.0.0.1", 0, _KeepsResponse(app), threaded=True, request_handler=_ClosingHandler,
                         fd=sock.fileno())
    thread = threading.Thread(target=server.serve_forever, name="site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()  # returns once serve_forever has returned
        thread.join()
        server.server_close()
