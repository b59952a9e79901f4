"""Reminders to the signer who is waiting, and escalation when a record is overdue.

A record is due the profile's `record_days` after its session (K: 5 working days), kept on
`Record.due_date`; a policy that sets no deadline (W, H, L) leaves it empty. Reminders go on the
profile's schedule (days after the link was sent); since only a link's hash is kept, a reminder
carries a fresh link and the old one dies. Escalation of an overdue record is docgen's default,
labelled as such in each profile (no policy routes it: S §9 and H §13 are complaint and dispute
routes): once per version to the supervisor's line manager, or to nobody where the profile's
`escalate_after_days` is empty. The e-mail links to that supervisor's overdue list, which the line
manager can open whoever the supervisee is (`access.supervised_by_someone_managed`), not to the
record, whose content they may not read: a supervisor may supervise someone from another team
(issue 27). A record that list does not show (a group record, a record whose supervisee has a new
supervisor since, a leaver's: `due_list.lists_overdue`) is told without a link, as what it is, for
the line manager to follow up with the supervisor: a link to a list saying "Nothing is overdue"
would be false.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Agreement, Record, SignoffEvent, SignoffLink
from kernel import clock
from workflows import due_list, emails, people, signoff
from workflows.access import Caller, group_record_group
from workflows.deployment import Work
from workflows.due_dates import escalation_cutoff, signing_deadline
from workflows.profiles import Profile


def chase(uow: Work) -> None:
    """The hourly sweep: remind the signers who are waiting, then escalate overdue records, in one
    transaction (a reminder's fresh link and its outbox e-mail stand or fall together)."""
    deployment = uow.deployment
    remind(uow.session, deployment.profile, deployment.config.base_url)
    escalate(uow.session, deployment.profile)
    uow.commit()


def remind(db: Session, profile: Profile, base_url: str, now: dt.datetime | None = None) -> int:
    """Re-send links whose next reminder is due; returns how many were sent."""
    now = now or clock.now()
    schedule = profile.signoff.reminder_days
    sent = 0
    open_links = db.scalars(select(SignoffLink).where(SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None),
                                                      SignoffLink.expires_at > now))
    for link in list(open_links):
        first_sent = _first_sent(db, link)
        if link.reminders_sent >= len(schedule) or now < first_sent + dt.timedelta(days=schedule[link.reminders_sent]):
            continue
        document = db.get(Record, link.record_id) if link.record_id else db.get(Agreement, link.agreement_id)
        count = link.reminders_sent + 1
        signoff.resend(db, profile, document, document.supervisor, base_url=base_url, caller=Caller())
        newest = db.scalar(select(SignoffLink).where(SignoffLink.signer_id == link.signer_id,
                                                     SignoffLink.used_at.is_(None), SignoffLink.invalidated_at.is_(None))
                           .order_by(SignoffLink.id.desc()))
        newest.reminders_sent = count
        newest.created_at = first_sent  # the schedule counts from the first sending
        sent += 1
    db.flush()
    return sent


def _first_sent(db: Session, link: SignoffLink) -> dt.datetime:
    owner = SignoffEvent.record_id == link.record_id if link.record_id else SignoffEvent.agreement_id == link.agreement_id
    first = db.scalar(select(SignoffEvent.at).where(owner, SignoffEvent.version == link.version,
                                                    SignoffEvent.event == "sent", SignoffEvent.person_id == link.signer_id)
                      .order_by(SignoffEvent.at))
    return first or link.created_at


def _late(profile: Profile, record: Record, cutoff: dt.date) -> bool:
    """Past its deadline on `cutoff`: a sent record under S 13.1 only once the next supervision,
    where it is formally agreed, has passed (`due_dates.signing_deadline`)."""
    if record.status in signoff.SENDABLE:
        return True  # the query already found it past its deadline
    due = signing_deadline(profile, record.due_date, record.next_supervision)
    return due is not None and due < cutoff


def escalate(db: Session, profile: Profile, today: dt.date | None = None) -> int:
    """E-mail the supervisor's line manager about records overdue for sign-off (once per version)."""
    today = today or clock.today()
    cutoff = escalation_cutoff(profile, today)
    if cutoff is None:
        return 0
    escalated = 0
    for record in db.scalars(select(Record).where(Record.status != signoff.SIGNED, Record.due_date < cutoff)):
        done = db.scalar(select(SignoffEvent.id).where(SignoffEvent.record_id == record.id,
                                                       SignoffEvent.version == record.version,
                                                       SignoffEvent.event == "escalated"))
        manager = record.supervisor.line_manager
        if done is not None or manager is None or not _late(profile, record, cutoff):
            continue
        emails.queue(db, "record_overdue", to=manager.email, **_overdue(db, profile, record, today))
        db.add(SignoffEvent(record_id=record.id, version=record.version, event="escalated", person_id=manager.id,
                            at=clock.now()))
        escalated += 1
    db.flush()
    return escalated


def _overdue(db: Session, profile: Profile, record: Record, today: dt.date) -> dict[str, str]:
    """The overdue e-mail's subject and words: a group record as its group's, with its facilitator
    and recorder (its `supervisee` is the recorder, who is not supervised by its signer); and the
    supervisor's overdue list only where that list shows the record, else why it does not."""
    told = {"what": signoff.title(record), "supervisee": record.supervisee.name, "supervisor": record.supervisor.name,
            "due": f"{record.due_date:%-d %B %Y}", "status": str(record.status), "group": "", "facilitator": "",
            "unlisted": "", "url": ""}
    if record.group_session_id is not None:
        group = group_record_group(db, record)
        return {**told, "subject": f"Overdue group supervision record: {group.name}", "group": group.name,
                "facilitator": group.facilitator.name, "what": f"The record of {group.name}'s group supervision on "
                f"{record.session_date:%-d %B %Y}", "unlisted": "group"}
    told["subject"] = f"Overdue supervision record: {record.supervisee.name}"
    if due_list.lists_overdue(db, profile, record, today):
        return {**told, "url": emails.link(db, f"/due?supervisor_id={record.supervisor_id}&state=overdue")}
    supervisee = record.supervisee
    if supervisee.status != "active" or (supervisee.leave_date is not None and supervisee.leave_date < today):
        return {**told, "unlisted": "leaver"}
    now = people.current_supervisor(db, supervisee.id, today)
    if now is None or now.id != record.supervisor_id:
        return {**told, "unlisted": "moved"}
    return told
