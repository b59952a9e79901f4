"""Reading a person's supervision records outside the line, with their consent.

W §10: outside line management, records are seen only "where the supervisee agrees". H §11:
records are "shared to address an identified risk or by mutual agreement", and where consent is
refused "the manager must make a professional judgement about the need to override consent".
Where the profile calls for it (`consent.outside_line`), a manager with no standing right asks the
supervisee, who answers once through an e-mailed single-use link (`workflows.links`, as sign-off's:
32 random bytes, only the SHA-256 kept, expiring). A consent given lets the reader read for the
profile's `consent.lasts`; `workflows.access` finds it and audits every read on the basis
"consent". Where the profile allows (`consent.manager_override`, H §11), a refusal may be overridden
with a written reason by "the manager" H §11 names: the supervisee's own manager, who keeps their
file (H §7, §10; `workflows.access.decides_override`), never the manager who asked and was refused.
That manager is e-mailed when a refusal is given; on an override the supervisee and the reader are
told, and the reads go through the break-glass path (audited with the reason, the supervisee
e-mailed). An answer and an override are recorded as events (`ConsentAnswered`,
`ConsentOverridden`), whose e-mails `workflows.notices_access` writes; the request's e-mail carries
the single-use link, so `ask` writes it, the only holder of the token.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update

from kernel import clock
from storage import audit
from kernel.errors import Conflict, Gone, InvalidInput
from storage.models import ConsentRequest, Person
from workflows import access, emails, events, links, people
from storage.uow import transaction
from workflows.access import Caller
from workflows.deployment import Work

Answer = Literal["granted", "refused"]
ANSWERS = ("granted", "refused")


@dataclass(frozen=True)
class ReaderPage:
    """What a manager's consent page shows: the requests they made, whom they may ask, and the
    refusals of their own supervisees that are theirs to override or let stand (H §11)."""

    requests: list[ConsentRequest]
    people: list[Person]
    outside_line: bool
    manager_override: bool
    refusals: list[ConsentRequest]


def _open_refusals(uow: Work) -> list[ConsentRequest]:
    """Refusals not overridden, newest first: where the profile allows no override, none."""
    if not uow.deployment.profile.consent.manager_override:
        return []
    return list(uow.session.scalars(select(ConsentRequest).where(
        ConsentRequest.answer == "refused", ConsentRequest.overridden_at.is_(None))
        .order_by(ConsentRequest.answered_at.desc(), ConsentRequest.id.desc())))


def readers_page(uow: Work, caller: Caller) -> ReaderPage:
    """The caller's consent requests, newest first, the staff they could ask, and the refusals
    their supervisees gave that they decide on."""
    me = caller.person
    db, rule = uow.session, uow.deployment.profile.consent
    mine = list(db.scalars(select(ConsentRequest).where(ConsentRequest.reader_id == me.id)
                           .order_by(ConsentRequest.created_at.desc(), ConsentRequest.id.desc())))
    staff = list(db.scalars(select(Person).where(Person.id != me.id, Person.status == "active").order_by(Person.name)))
    refusals = [row for row in _open_refusals(uow) if access.decides_override(db, me.id, row.supervisee)]
    return ReaderPage(mine, staff, rule.outside_line, rule.manager_override, refusals)


@transaction
def ask(uow: Work, caller: Caller, supervisee_id: int, reason: str) -> ConsentRequest:
    """A manager without a standing right asks the supervisee to let them read; the supervisee is
    e-mailed a single-use link. One open request per reader and supervisee at a time."""
    db, deployment = uow.session, uow.deployment
    rule = deployment.profile.consent
    supervisee = people.get_person_field(db, supervisee_id, "supervisee_id")
    access.may_ask_consent(db, caller, supervisee, rule.outside_line, break_glass=deployment.profile.break_glass)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why you need to read these records", "reason")
    now = clock.now()
    waiting = db.scalar(select(ConsentRequest.id).where(
        ConsentRequest.reader_id == caller.person_id, ConsentRequest.supervisee_id == supervisee.id,
        ConsentRequest.answered_at.is_(None), ConsentRequest.expires_at > now).limit(1))
    if waiting is not None:
        raise Conflict(f"you already asked {supervisee.name}; wait for their answer", "supervisee_id")
    link = links.issue(rule.link_expiry_days)
    row = ConsentRequest(supervisee_id=supervisee.id, reader_id=caller.person_id, reason=reason,
                         token_hash=link.token_hash, created_at=now, expires_at=link.expires_at)
    db.add(row)
    db.flush()
    reader = caller.person
    url = links.url(deployment.config.base_url, "consent", link.token)
    emails.queue(db, "consent_asked", to=supervisee.email,
                 subject=f"{reader.name} asks to read your supervision records",
                 redact=(link.token,), supervisee=supervisee.name, reader=reader.name, reader_job=reader.job_title,
                 reason=reason, url=url, expiry_days=rule.link_expiry_days, lasts=rule.lasts.text)
    audit.record(db, "consent.asked", actor_id=caller.person_id, object_type="person", object_id=supervisee.id,
                 reason=reason, ip=caller.ip, detail={"consent_request_id": row.id})
    return row


def _by_token(uow: Work, token: str) -> ConsentRequest:
    """A live consent link; an answered or expired one is Gone (410)."""
    row = links.find(uow.session, ConsentRequest, token, "consent")
    if row.answered_at is not None:
        raise Gone("this consent link has already been answered", "token")
    if links.expired(row.expires_at):
        raise Gone("this consent link has expired; the manager may ask again", "token")
    return row


def link_view(uow: Work, token: str) -> ConsentRequest:
    """What the supervisee sees at their link: who asks and why (the link is the credential)."""
    return _by_token(uow, token)


@transaction
def answer(uow: Work, caller: Caller, token: str, given: str, comment: str = "") -> ConsentRequest:
    """The supervisee's answer, once: a compare-and-set on the unanswered request, so of two
    answers sent at once (two tabs, a double click) one is recorded and the other is Gone."""
    db = uow.session
    if given not in ANSWERS:
        raise InvalidInput(f"answer must be one of {', '.join(ANSWERS)}", "answer")
    row = _by_token(uow, token)
    access.require_link_holder(caller, row.supervisee_id)
    now = clock.now()
    until = now + uow.deployment.profile.consent.lasts.step if given == "granted" else None
    if not links.spend(db, ConsentRequest, row.id, [ConsentRequest.answered_at.is_(None)], answer=given,
                       answered_at=now, answer_comment=(comment or "").strip(), access_until=until):
        raise Gone("this consent link has already been answered", "token")
    db.refresh(row)
    audit.record(db, f"consent.{given}", actor_id=row.supervisee_id, object_type="consent_request",
                 object_id=row.id, ip=caller.ip, detail={"reader_id": row.reader_id})
    uow.record(events.ConsentAnswered(row.id, "granted" if given == "granted" else "refused"))
    return row


@transaction
def override(uow: Work, caller: Caller, request_id: int, reason: str) -> ConsentRequest:
    """H §11: the supervisee's own manager overrides a refused consent with a written reason, where
    the profile allows it, once; the manager who asked may not (`access.consent_override_for`).
    The supervisee and the reader are told now; every read then goes through break-glass
    (`workflows.access`: audited with the reason, the supervisee e-mailed)."""
    db, rule = uow.session, uow.deployment.profile.consent
    row = access.consent_override_for(db, caller, request_id, rule.manager_override)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("give the reason for overriding the refusal", "reason")
    now = clock.now()
    result = db.execute(update(ConsentRequest)
                        .where(ConsentRequest.id == row.id, ConsentRequest.answer == "refused",
                               ConsentRequest.overridden_at.is_(None))
                        .values(override_reason=reason, overridden_at=now, access_until=now + rule.lasts.step)
                        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("only a refused request, not yet overridden, can be overridden", "id")
    db.refresh(row)
    audit.record(db, "consent.overridden", actor_id=caller.person_id, object_type="consent_request",
                 object_id=row.id, reason=reason, ip=caller.ip, detail={"supervisee_id": row.supervisee_id})
    uow.record(events.ConsentOverridden(row.id, caller.person.id))
    return row
