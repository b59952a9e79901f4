"""Sending one outbox message over SMTP: the only module that talks to a mail server.

It builds the e-mail from a `Letter` (an outbox message as it goes out: opened if it was sealed,
read out of its row so no transaction is held while the relay talks) and hands it to the
configured relay; it never decides whether a message should be sent (that is
`workflows.notifications.deliver`). No Flask here.
"""
from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import urlsplit

from kernel.config import Config

# Short, so a dead relay costs a worker thread seconds, not minutes; the sweep retries later anyway.
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Attachment:
    """A file to send with an e-mail; `content_type` may carry parameters, e.g.
    "text/calendar; method=REQUEST" for a session invitation."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Letter:
    """One outbox message as it goes out, detached from the database: `outbox_id` and
    `created_at` name it (its Message-ID), the rest is what the recipient gets."""

    outbox_id: int
    created_at: dt.datetime
    to: str
    subject: str
    text: str
    html: str = ""
    attachments: tuple[Attachment, ...] = ()


class MailError(Exception):
    """The mail server could not be reached or did not accept the message; the row stays unsent."""


def deployment_host(config: Config) -> str:
    """The host name of this deployment (from DOCGEN_BASE_URL): names it in Message-IDs and EHLO.

    Used for EHLO too because smtplib's default, `socket.getfqdn()`, can stall on a DNS lookup.
    """
    return urlsplit(config.base_url).hostname or "docgen.invalid"


def message_id_for(letter: Letter, config: Config) -> str:
    """The Message-ID of an outbox row: the same on every attempt, so a resend after a crash is
    recognisably the same message to relays, mail clients and anyone reading the logs.

    The row's creation time keeps it unique when ids start again (a new or restored database);
    the deployment's host keeps deployments apart. Nothing secret goes in.
    """
    stamp = letter.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<outbox.{letter.outbox_id}.{stamp}@{deployment_host(config)}>"


def build_email(letter: Letter, config: Config) -> EmailMessage:
    """The e-mail for a letter: plain text, an HTML alternative if there is one, attachments."""
    email = EmailMessage(policy=SMTP_POLICY)
    email["From"] = config.mail_from
    email["To"] = letter.to
    email["Subject"] = letter.subject
    email["Date"] = format_datetime(letter.created_at.replace(tzinfo=dt.timezone.utc))
    email["Message-ID"] = message_id_for(letter, config)
    email.set_content(letter.text)
    if letter.html:
        email.add_alternative(letter.html, subtype="html")
    for attachment in letter.attachments:
        _attach(email, attachment)
    return email


def _attach(email: EmailMessage, attachment: Attachment) -> None:
    """Attach one file, keeping Content-Type parameters such as `method=REQUEST`, which calendar
    clients need to offer an .ics as an invitation."""
    content_type = SMTP_POLICY.header_factory("Content-Type", attachment.content_type)
    params = {k: v for k, v in content_type.params.items() if k != "charset"}
    if content_type.maintype == "text":
        text = attachment.data.decode(content_type.params.get("charset", "utf-8"))
        email.add_attachment(text, subtype=content_type.subtype, filename=attachment.filename, params=params)
    else:
        email.add_attachment(attachment.data, maintype=content_type.maintype, subtype=content_type.subtype,
                             filename=attachment.filename, params=params)


def send(letter: Letter, config: Config) -> str:
    """Send a letter through the configured relay and return the Message-ID it went out with.

    STARTTLS (verified against the system's CAs) when DOCGEN_SMTP_STARTTLS is set, login when
    DOCGEN_SMTP_USER is set. Any network or SMTP failure becomes one `MailError`.
    """
    email = build_email(letter, config)
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, local_hostname=deployment_host(config),
                          timeout=TIMEOUT_SECONDS) as smtp:
            if config.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            smtp.send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"mail server {config.smtp_host}:{config.smtp_port} did not take outbox message "
                        f"{letter.outbox_id}: {exc}") from exc
    return str(email["Message-ID"])
