"""The e-mail that tells HR a leaver's records are theirs: a subscriber of `RecordsForwarded`
(issue 24), wired by the composition root (`tell_in`, from `docgen.bootstrap.subscribe`).

S 12.4 passes a leaver's records to HR; whoever holds the HR role is told, with the link to the
bundle, the leaving and destruction dates, and why the records go now: the rule's day, or the
name and reason of the HR member who forwarded them early (issue 27), read from the forwarding's
audit entry (an event carries ids, never what a person typed).

Heard just before the commit (`storage.uow`), the e-mail is written to the outbox in the
transaction that forwards the records, and delivered only once that commits: a forwarding that
rolls back tells nobody. Told once: a person's records are forwarded once (`retention._forward`
does nothing for records already forwarded, and records no event).
"""
from __future__ import annotations

from storage.models import AuditEvent, Person
from workflows import access, emails, events
from workflows.deployment import Deployment, Work
from workflows.retention import destruction_date, forward_date


def tell_in(deployment: Deployment) -> None:
    """Have `deployment`'s units of work write this notice. Wired once by the composition root."""
    deployment.subscribe(events.RecordsForwarded, tell_hr_of_forwarding)


def tell_hr_of_forwarding(uow: Work, event: events.RecordsForwarded) -> None:
    """Everyone holding the HR role hears that a leaver's records are theirs, with the link to the
    bundle."""
    db, profile = uow.session, uow.deployment.profile
    person = db.get_one(Person, event.person_id)
    if person.leave_date is None or person.forwarded_to_hr_on is None:
        return  # not a leaver's forwarded records: nothing to tell
    why = _why_now(uow, person, event.audit_id)
    for member in access.hr_staff(db):
        emails.queue(db, "records_forwarded", to=member.email,
                     subject=f"Supervision records of {person.name} forwarded to HR", member=member.name,
                     person=person.name, left_on=f"{person.leave_date:%-d %B %Y}",
                     destroy_on=f"{destruction_date(profile, person.leave_date):%-d %B %Y}",
                     url=emails.link(db, f"/hr/leavers/{person.id}/bundle"), **why)


def _why_now(uow: Work, person: Person, audit_id: int | None) -> dict[str, str]:
    """Why the records go now: the rule's day, or HR's name and reason when forwarded before it,
    as the forwarding's audit entry says (none: the nightly run, on the rule's day)."""
    profile = uow.deployment.profile
    assert person.leave_date is not None and person.forwarded_to_hr_on is not None
    forwarded_on, due_on = person.forwarded_to_hr_on, forward_date(profile, person.leave_date)
    entry = uow.session.get(AuditEvent, audit_id) if audit_id is not None else None
    early_by = ""
    if entry is not None and entry.actor_id is not None and entry.detail.get("early") and forwarded_on < due_on:
        early_by = uow.session.get_one(Person, entry.actor_id).name
    return {"early_by": early_by, "reason": entry.reason if entry is not None else "",
            "forwarded_on": f"{forwarded_on:%-d %B %Y}", "after": profile.retention.hr_forward_after.text,
            "due_on": f"{due_on:%-d %B %Y}"}
