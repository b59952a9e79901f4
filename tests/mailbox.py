"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts, for tests."""
from __future__ import annotations

import email
import email.policy
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


@dataclass
class Mailbox:
    """What the SMTP server on `port` has accepted."""

    port: int
    envelopes: list[Envelope] = field(default_factory=list)

    def emails(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default)  # type: ignore[misc]
                for e in self.envelopes]


class _Capture:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.mailbox.envelopes.append(envelope)
        return "250 OK"


class _LoopbackController(Controller):
    """aiosmtpd's Controller listening on the port the OS gives it: it binds port 0 and reads the
    port back before it connects to itself to start the SMTP session (the plain Controller would
    connect to port 0). With `reuse_port` it may share a port a `ReservedPort` holds."""

    def __init__(self, handler: Any, port: int, reuse_port: bool) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port)
        self.reuse_port = reuse_port

    def _create_server(self) -> Any:
        return self._listen()

    async def _listen(self) -> Any:
        server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=self.port,
                                               reuse_port=self.reuse_port)
        self.port = server.sockets[0].getsockname()[1]
        return server


class ReservedPort:
    """A port on 127.0.0.1 held for one test, so that its mail server can be down (connections
    refused) and up again on the same port, and no other process takes the port meanwhile.

    The port is held by a bound socket that never listens; `smtp_server_on(reserved)` listens on
    the same port beside it (SO_REUSEPORT, which only this user's sockets that ask for it can share:
    an outgoing connection never picks a bound port as its own)."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> ReservedPort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def smtp_server_on(port: ReservedPort | None = None) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 for the `with` block: on a port of the OS's choosing (read
    back as `Mailbox.port`), or on a port the test holds."""
    mailbox = Mailbox(0)
    controller = _LoopbackController(_Capture(mailbox), port.port if port else 0, reuse_port=port is not None)
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


SIGN_LINK = re.compile(r"https://[^/\s]+/sign/([A-Za-z0-9_-]{43})")


def sign_links_for(mailbox: Mailbox, address: str) -> list[str]:
    """The tokens of every sign-off link e-mailed to this address, in the order the mails arrived."""
    return [match.group(1) for message in mailbox.emails()
            if message["To"] == address and (match := SIGN_LINK.search(text_of(message)))]


def sign_link_for(mailbox: Mailbox, address: str) -> str:
    """The token of the newest sign-off link e-mailed to this address, as the recipient would click it."""
    tokens = sign_links_for(mailbox, address)
    if not tokens:
        raise AssertionError(f"no sign-off link e-mailed to {address}: {[m['To'] for m in mailbox.emails()]}")
    return tokens[-1]
