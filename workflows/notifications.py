"""E-mail as part of a change: written to the outbox in the caller's transaction, delivered after
it commits, retried on a schedule until sent.

Why an outbox: the e-mail that reports a change (a record sent for sign-off, a reminder) must agree
with the database. The row is written in the same transaction as the change, so a rolled-back
change never sends mail; delivery is enqueued only after the commit, so a worker never looks for a
row that is not there yet; and a row whose task was lost is found again by `due_for_delivery`.

Guarantee: at-least-once. Sending and marking sent share one transaction; if the process dies
between the SMTP server's "250 OK" and the commit, the row is still unsent and goes out again, with
the same Message-ID (`docgen.documents.mailer.message_id_for`), so the duplicate is recognisable.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Iterable, Literal

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from docgen.documents.mailer import MailError
from storage.models import OutboxMessage
from storage import clock

log = logging.getLogger(__name__)

# Attempt n+1 is due (2**n - 1) minutes after the message was written (at least one minute, so the
# sweep leaves the first, post-commit attempt alone): 1, 3, 7, ... 511 minutes. Ten attempts cover
# a relay outage of about eight and a half hours; after that the row keeps its last_error for an
# administrator to see.
MAX_ATTEMPTS = 10
FIRST_SWEEP_AFTER = dt.timedelta(minutes=1)

_PENDING = "docgen.outbox.pending"
_ENQUEUE = "docgen.outbox.enqueue"

Outcome = Literal["sent", "failed", "skipped"]
Send = Callable[[OutboxMessage], str]


@dataclass(frozen=True)
class Attachment:
    """A file to send with an e-mail; `content_type` may carry parameters, e.g.
    "text/calendar; method=REQUEST" for a session invitation."""

    filename: str
    content_type: str
    data: bytes


def queue_email(db: Session, *, to: str, subject: str, text: str, html: str = "",
                attachments: Iterable[Attachment] = ()) -> OutboxMessage:
    """Write an e-mail to the outbox in the caller's transaction and arrange its delivery after
    the caller commits (the caller commits it together with the change it reports)."""
    message = OutboxMessage(
        to_address=to, subject=subject, text_body=text, html_body=html,
        attachments=[{"filename": a.filename, "content_type": a.content_type,
                      "data_b64": base64.b64encode(a.data).decode("ascii")} for a in attachments])
    db.add(message)
    db.flush()
    after_commit_enqueue(db, message)
    return message


def after_commit_enqueue(db: Session, message: OutboxMessage) -> None:
    """Enqueue delivery of `message` once `db` commits; forget it if `db` rolls back.

    The listeners are added once per session and the ids collected in `db.info`, so many messages in
    one transaction cost one hook.
    """
    if message.id is None:
        db.flush()
    if not event.contains(db, "after_commit", _enqueue_pending):
        event.listen(db, "after_commit", _enqueue_pending)
        event.listen(db, "after_rollback", _forget_pending)
    db.info.setdefault(_PENDING, []).append(message.id)


def deliver_through(sessions: sessionmaker[Session], enqueue: Callable[..., None]) -> None:
    """Sessions made by `sessions` from now on hand each committed message to `enqueue`
    ("deliver_email", message id): the deployment's task queue, wired by the composition root.

    Held in the sessions' `info` rather than imported, because e-mail is queued from plain
    sessions too (rules called by the CLI, the worker's sweeps and tests), not only from a unit
    of work, and workflows never import the task queue.
    """
    sessions.configure(info={**sessions.kw.get("info", {}), _ENQUEUE: enqueue})


def _enqueue_pending(db: Session) -> None:
    pending = db.info.pop(_PENDING, [])
    enqueue = db.info.get(_ENQUEUE)
    if enqueue is None:
        log.warning("no task queue is wired for outbox messages %s; the outbox sweep will send them", pending)
        return
    for message_id in pending:
        try:
            enqueue("deliver_email", message_id)
        except Exception:
            # The change is committed; failing the caller now would report an error for work that
            # was done. The row is safe in the outbox and the sweep enqueues it again.
            log.exception("could not enqueue outbox message %s; the outbox sweep will retry it", message_id)


def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def deliver(db: Session, message_id: int, send: Send) -> Outcome:
    """Send one outbox message unless it is already sent or given up on; safe to run twice.

    `db` must be a fresh session: the first statement is an UPDATE that counts the attempt and so
    takes the row's write lock (PostgreSQL: the row; SQLite: the database) until commit. A second
    delivery of the same message waits for it, then finds `sent_at` set and does nothing. A
    failure is recorded on the row (attempts, last_error) and left for the sweep.
    """
    claimed = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.attempts < MAX_ATTEMPTS)
        .values(attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        db.rollback()
        return "skipped"
    message = db.get_one(OutboxMessage, message_id, populate_existing=True)
    try:
        message.message_id = send(message)
    except MailError as exc:
        message.last_error = str(exc)
        db.commit()
        return "failed"
    message.sent_at = clock.now()
    message.last_error = ""
    db.commit()
    return "sent"


def retry_due_at(created_at: dt.datetime, attempts: int) -> dt.datetime:
    """When the next attempt of a message written at `created_at` with `attempts` so far is due."""
    return created_at + max(FIRST_SWEEP_AFTER, dt.timedelta(minutes=2 ** attempts - 1))


def due_for_delivery(db: Session, now: dt.datetime) -> list[int]:
    """Ids of unsent messages whose next attempt is due: lost tasks and failed attempts alike."""
    rows = db.execute(
        select(OutboxMessage.id, OutboxMessage.created_at, OutboxMessage.attempts)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
               OutboxMessage.created_at <= now - FIRST_SWEEP_AFTER)
        .order_by(OutboxMessage.id)).all()
    return [row.id for row in rows if retry_due_at(row.created_at, row.attempts) <= now]
