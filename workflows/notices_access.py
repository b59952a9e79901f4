"""The e-mails that tell people who reads a person's records, or asked to: subscribers of the
consent and break-glass events (issue 24).

The use cases record what happened (`workflows.events`); the composition root has these notices
hear of it (`tell_in`, from `docgen.bootstrap.subscribe`):
- an answer to a consent request (`ConsentAnswered`): the reader who asked hears it, with the date
  their reading ends when it was granted; a refusal goes to the supervisee's own manager too, who
  decides whether to override it, where the profile allows an override (H §11);
- a refusal overridden (`ConsentOverridden`): the supervisee, under the break-glass subject, and
  the reader;
- a read under break-glass (`ReadUnderBreakGlass`): the supervisee, once per reader and reason an
  hour, however many pages of the file the reader opens.

Heard just before the commit (`storage.uow`), a notice is written to the outbox in the transaction
of the change it reports and delivered only once that commits: an answer or an override that rolls
back tells nobody. An event carries ids, so a notice reads what it says (a comment, a reason, a
name) from the rows the change wrote: the request, or the read's audit entry.

Not here: the supervisee's e-mail asking for consent carries the single-use link, so the command
that makes the token (`consent.ask`) writes it, the only holder of the secret before its hash is
stored.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import clock
from storage.models import AuditEvent, ConsentRequest, OutboxMessage, Person
from workflows import emails, events, people
from workflows.access import BREAK_GLASS_SUBJECT
from workflows.deployment import Deployment, Work

BREAK_GLASS_NOTICE_EVERY = dt.timedelta(hours=1)


def tell_in(deployment: Deployment) -> None:
    """Have `deployment`'s units of work write these notices. Wired once by the composition root."""
    deployment.subscribe(events.ConsentAnswered, tell_reader_of_answer)
    deployment.subscribe(events.ConsentAnswered, tell_manager_of_refusal)
    deployment.subscribe(events.ConsentOverridden, tell_of_override)
    deployment.subscribe(events.ReadUnderBreakGlass, tell_supervisee_of_break_glass)


def tell_reader_of_answer(uow: Work, event: events.ConsentAnswered) -> None:
    """The reader who asked hears the supervisee's answer and comment; granted, until when they may
    read and the link to the supervisee's records, refused, the link to their requests."""
    db = uow.session
    row = db.get_one(ConsentRequest, event.request_id)
    reader, supervisee = row.reader, row.supervisee
    until = row.access_until if event.answer == "granted" else None
    emails.queue(db, "consent_answered", to=reader.email, subject=f"{supervisee.name} answered your request",
                 reader=reader.name, supervisee=supervisee.name, comment=row.answer_comment,
                 until=f"{clock.uk(until):%-d %B %Y}" if until else "",
                 url=emails.link(db, f"/supervision/{supervisee.id}" if until else "/consent-requests"))


def tell_manager_of_refusal(uow: Work, event: events.ConsentAnswered) -> None:
    """A refusal goes to the supervisee's own manager, who decides whether to override it
    (`access.decides_override`), where the profile allows an override; a supervisee with no
    supervisor today has nobody to tell."""
    if event.answer != "refused" or not uow.deployment.profile.consent.manager_override:
        return
    db = uow.session
    row = db.get_one(ConsentRequest, event.request_id)
    reader, supervisee = row.reader, row.supervisee
    manager = people.current_supervisor(db, supervisee.id, clock.today())
    if manager is None:
        return
    emails.queue(db, "consent_refused", to=manager.email,
                 subject=f"{supervisee.name} refused {reader.name} access to their records", manager=manager.name,
                 reader=reader.name, reader_job=reader.job_title, supervisee=supervisee.name, reason=row.reason,
                 url=f"{uow.deployment.config.base_url.rstrip('/')}/consent-requests")


def tell_of_override(uow: Work, event: events.ConsentOverridden) -> None:
    """The supervisee hears that their refusal was overridden, by whom and why, under the subject of
    a break-glass read (their records are now read that way); the reader hears they may read."""
    db = uow.session
    row = db.get_one(ConsentRequest, event.request_id)
    manager, reader, supervisee = db.get_one(Person, event.manager_id), row.reader, row.supervisee
    until = f"{clock.uk(row.access_until):%-d %B %Y}"
    people_named = {"supervisee": supervisee.name, "manager": manager.name, "reader": reader.name, "until": until}
    emails.queue(db, "consent_overridden", to=supervisee.email, subject=BREAK_GLASS_SUBJECT,
                 manager_job=manager.job_title, reader_job=reader.job_title, reason=row.override_reason,
                 **people_named)
    emails.queue(db, "consent_overridden_reader", to=reader.email,
                 subject=f"{supervisee.name}'s refusal was overridden",
                 url=emails.link(db, f"/supervision/{supervisee.id}"), **people_named)


def tell_supervisee_of_break_glass(uow: Work, event: events.ReadUnderBreakGlass) -> None:
    """The supervisee hears who read what of theirs under break-glass, and why, as the read's audit
    entry says: once per reader and reason an hour (`_told_recently`)."""
    db = uow.session
    entry = db.get_one(AuditEvent, event.audit_id)
    supervisee, reader = db.get_one(Person, event.supervisee_id), db.get_one(Person, event.reader_id)
    if _told_recently(db, supervisee, reader, entry.reason):
        return
    emails.queue(db, "break_glass_read", to=supervisee.email, subject=BREAK_GLASS_SUBJECT, reader=reader.name,
                 reader_job=reader.job_title, what=f"{entry.object_type.replace('_', ' ')} {entry.object_id}",
                 reason=entry.reason)


def _told_recently(db: Session, supervisee: Person, reader: Person, reason: str) -> bool:
    """One notice per reader and reason an hour: a break-glass reader opening several pages of the
    same file should not flood the supervisee, but a new reason or a later visit is told again."""
    since = clock.now() - BREAK_GLASS_NOTICE_EVERY
    return db.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to_address == supervisee.email, OutboxMessage.subject == BREAK_GLASS_SUBJECT,
        OutboxMessage.created_at >= since, OutboxMessage.text_body.contains(reader.name),
        OutboxMessage.text_body.contains(reason)).limit(1)) is not None
