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


def _free_port() -> int:
    # aiosmtpd cannot start on port 0 (TOOLING.md section 5), so ask the OS for one first.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server_on(port: int) -> Iterator[Mailbox]:
    mailbox = Mailbox(port)
    controller = Controller(_Capture(mailbox), hostname="127.0.0.1", port=port)
    controller.start()
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
