"""E-mail as part of a change: written to the outbox in the caller's transaction, delivered after
it commits, retried on a schedule until sent.

Why an outbox: the e-mail that reports a change (a record sent for sign-off, a reminder) must agree
with the database. The row is written in the same transaction as the change, so a rolled-back
change never sends mail; delivery is enqueued only after the commit, so a worker never looks for a
row that is not there yet; and a row whose task was lost is found again by `due_for_delivery`.

Secrets stay out of the database: an e-mail carrying a sign-off link or a one-time code names
them (`redact`). Its row keeps the text with each of them replaced by `[redacted]`, the record an
administrator may read; the message itself is held sealed with the storage keyring
(`storage.sealing`), opened only to be sent, and dropped once the mail server has taken it. A
database file or backup therefore never holds a live link.

Guarantee: at-least-once. A delivery claims the row (a lease, in one short transaction), talks to
the mail server outside any transaction (so on SQLite the write lock is not held while a relay is
slow), then marks it sent in another. If the process dies between the server's "250 OK" and that
mark, the lease runs out and the message goes again, with the same Message-ID
(`documents.mailer.message_id_for`), so the duplicate is recognisable.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, Callable, Iterable, Literal

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from documents.mailer import Attachment, Letter, MailError
from kernel import clock
from storage import sealing
from storage.backends.base import StorageError
from storage.backends.local import Keyring
from storage.models import OutboxMessage
from storage.uow import UnitOfWork

# Attempt n+1 is due (2**n - 1) minutes after the message was written (at least one minute, so the
# sweep leaves the first, post-commit attempt alone): 1, 3, 7, ... 511 minutes. Ten attempts cover
# a relay outage of about eight and a half hours; after that the row keeps its last_error for an
# administrator to see.
MAX_ATTEMPTS = 10
FIRST_SWEEP_AFTER = dt.timedelta(minutes=1)
# How long a claimed message is left to the worker that claimed it. Far longer than a delivery
# takes (mailer.TIMEOUT_SECONDS per step); it only matters if that worker died mid-delivery.
CLAIM_LEASE = dt.timedelta(minutes=5)
REDACTED = "[redacted]"

Outcome = Literal["sent", "failed", "skipped"]
Send = Callable[[Letter], str]


def queue_email(db: Session, *, to: str, subject: str, text: str, html: str = "",
                attachments: Iterable[Attachment] = (), redact: Iterable[str] = ()) -> OutboxMessage:
    """Write an e-mail to the outbox in the caller's transaction and arrange its delivery after
    the caller commits (the caller commits it together with the change it reports).

    `redact` names what the recipient must get but the database must not keep (a link's token, a
    one-time code): the row keeps the text with each replaced by `[redacted]`, and the e-mail as
    written only sealed with the storage keyring until it is sent.
    """
    secrets = [secret for secret in redact if secret]
    message = OutboxMessage(
        to_address=to, subject=subject, text_body=_redacted(text, secrets), html_body=_redacted(html, secrets),
        attachments=[{"filename": a.filename, "content_type": a.content_type,
                      "data_b64": base64.b64encode(a.data).decode("ascii")} for a in attachments])
    db.add(message)
    db.flush()
    if secrets:
        body = json.dumps({"text": text, "html": html}).encode()
        message.sealed_body = sealing.seal(_keyring(db), body, _sealed_for(message))
    # Enqueued only once the change is committed, so a worker never looks for a row that is not
    # there yet; a failed enqueue is logged by the unit of work and the outbox sweep sends it.
    unit = _unit_of(db)
    unit.on_commit(unit.deployment.enqueue, "deliver_email", message.id)
    return message


def _redacted(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _sealed_for(message: OutboxMessage) -> str:
    """What a sealed body is bound to: its row and recipient, so one copied onto another row (to
    send someone's link to another address) does not open."""
    return f"outbox_message/{message.id}/{message.to_address}"


def _unit_of(db: Session) -> UnitOfWork[Any]:
    """The unit of work `db` belongs to: its deployment holds the keyring and the task queue."""
    unit = UnitOfWork.of(db)
    if unit is None:
        raise RuntimeError("the outbox needs a session of a unit of work (deployment.unit_of_work()), which "
                           "holds the keyring and the task queue")
    return unit


def base_url(db: Session) -> str:
    """Where the links in an e-mail written on `db` point: the deployment's own address."""
    return str(_unit_of(db).deployment.base_url)


def _keyring(db: Session) -> Keyring:
    """The deployment's storage keyring (from configuration or the instance's key file, never the
    database): it seals e-mails that carry secrets and opens them to deliver."""
    return _unit_of(db).deployment.keyring


def deliver(db: Session, message_id: int, send: Send) -> Outcome:
    """Send one outbox message unless it is already sent, being sent, or given up on; safe to run
    twice.

    Three short transactions on `db`: claim the row (count the attempt, take a lease) and read the
    letter out of it; then, with no transaction open, hand the letter to `send`; then record the
    outcome. Sent: the sealed body is dropped, leaving only the redacted record. Failed: the error
    is kept on the row and the lease released for the sweep's next attempt.
    """
    now = clock.now()
    claimed = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.attempts < MAX_ATTEMPTS, _unclaimed(now))
        .values(attempts=OutboxMessage.attempts + 1, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.rollback()
        return "skipped"
    try:
        letter = letter_for(db, db.get_one(OutboxMessage, message_id, populate_existing=True))
    except StorageError as exc:  # its key is not configured here, or the sealed body was altered
        _finish(db, message_id, last_error=f"cannot open the sealed message: {exc}")
        return "failed"
    db.commit()  # the claim stands; the relay is talked to outside any transaction
    try:
        sent_as = send(letter)
    except MailError as exc:
        _finish(db, message_id, last_error=str(exc))
        return "failed"
    _finish(db, message_id, sent_at=clock.now(), last_error="", message_id=sent_as, sealed_body=None)
    return "sent"


def letter_for(db: Session, message: OutboxMessage) -> Letter:
    """The e-mail an outbox row stands for, as its recipient gets it: the sealed body opened if it
    has one (raises `storage.backends.base.StorageError` if it cannot be), else the stored text."""
    text, html = message.text_body, message.html_body
    if message.sealed_body is not None:
        body = json.loads(sealing.unseal(_keyring(db), message.sealed_body, _sealed_for(message)))
        text, html = body["text"], body["html"]
    return Letter(outbox_id=message.id, created_at=message.created_at, to=message.to_address,
                  subject=message.subject, text=text, html=html,
                  attachments=tuple(Attachment(a["filename"], a["content_type"], base64.b64decode(a["data_b64"]))
                                    for a in message.attachments))


def _unclaimed(now: dt.datetime) -> ColumnElement[bool]:
    """No delivery holds the row: never claimed, released, or its worker's lease ran out."""
    return or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now)


def _finish(db: Session, outbox_id: int, **outcome: object) -> None:
    """Record a delivery's outcome and release its claim, in one short transaction."""
    db.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id)
               .values(claimed_until=None, **outcome).execution_options(synchronize_session=False))
    db.commit()


def retry_due_at(created_at: dt.datetime, attempts: int) -> dt.datetime:
    """When the next attempt of a message written at `created_at` with `attempts` so far is due."""
    return created_at + max(FIRST_SWEEP_AFTER, dt.timedelta(minutes=2 ** attempts - 1))


def due_for_delivery(db: Session, now: dt.datetime) -> list[int]:
    """Ids of unsent, unclaimed messages whose next attempt is due: lost tasks, failed attempts
    and deliveries whose worker died alike."""
    rows = db.execute(
        select(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.attempts)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS, _unclaimed(now),
               OutboxMessage.created_at <= now - FIRST_SWEEP_AFTER)
        .order_by(OutboxMessage.id)).all()
    return [row.id for row in rows if retry_due_at(row.created_at, row.attempts) <= now]
