"""Sending one outbox message over SMTP: the only module that talks to a mail server.

It builds the e-mail from the stored row and hands it to the configured relay; it never decides
whether a message should be sent (that is `workflows.notifications.deliver`). No Flask here.
"""
from __future__ import annotations

import base64
import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from urllib.parse import urlsplit

from docgen.config import Config
from storage.models import OutboxMessage

# Short, so a dead relay costs a worker thread (and on SQLite the database write lock, held while
# a delivery is in flight) seconds, not minutes; the sweep retries later anyway.
TIMEOUT_SECONDS = 10.0


class MailError(Exception):
    """The mail server could not be reached or did not accept the message; the row stays unsent."""


def deployment_host(config: Config) -> str:
    """The host name of this deployment (from DOCGEN_BASE_URL): names it in Message-IDs and EHLO.

    Used for EHLO too because smtplib's default, `socket.getfqdn()`, can stall on a DNS lookup.
    """
    return urlsplit(config.base_url).hostname or "docgen.invalid"


def message_id_for(message: OutboxMessage, config: Config) -> str:
    """The Message-ID of an outbox row: the same on every attempt, so a resend after a crash is
    recognisably the same message to relays, mail clients and anyone reading the logs.

    The row's creation time keeps it unique when ids start again (a new or restored database);
    the deployment's host keeps deployments apart. Nothing secret goes in.
    """
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f")
    return f"<outbox.{message.id}.{stamp}@{deployment_host(config)}>"


def build_email(message: OutboxMessage, config: Config) -> EmailMessage:
    """The e-mail for an outbox row: plain text, an HTML alternative if there is one, attachments."""
    email = EmailMessage(policy=SMTP_POLICY)
    email["From"] = config.mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=dt.timezone.utc))
    email["Message-ID"] = message_id_for(message, config)
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments:
        _attach(email, attachment)
    return email


def _attach(email: EmailMessage, attachment: dict[str, str]) -> None:
    """Attach one stored attachment, keeping Content-Type parameters such as `method=REQUEST`,
    which calendar clients need to offer an .ics as an invitation."""
    content_type = SMTP_POLICY.header_factory("Content-Type", attachment["content_type"])
    params = {k: v for k, v in content_type.params.items() if k != "charset"}
    data = base64.b64decode(attachment["data_b64"])
    if content_type.maintype == "text":
        text = data.decode(content_type.params.get("charset", "utf-8"))
        email.add_attachment(text, subtype=content_type.subtype, filename=attachment["filename"], params=params)
    else:
        email.add_attachment(data, maintype=content_type.maintype, subtype=content_type.subtype,
                             filename=attachment["filename"], params=params)


def send(message: OutboxMessage, config: Config) -> str:
    """Send an outbox row through the configured relay and return the Message-ID it went out with.

    STARTTLS (verified against the system's CAs) when DOCGEN_SMTP_STARTTLS is set, login when
    DOCGEN_SMTP_USER is set. Any network or SMTP failure becomes one `MailError`.
    """
    email = build_email(message, config)
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
                        f"{message.id}: {exc}") from exc
    return str(email["Message-ID"])
