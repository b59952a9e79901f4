"""What happened, as the use cases say it: domain events recorded on the unit of work.

A use case that changes something another system or person should hear of records an event here
(`record(db, DocumentSent(...))`) in the transaction of the change. Just before that transaction
commits the unit of work hands each event to the handlers the composition root subscribed to its
type (`docgen.bootstrap.subscribe`: the webhooks, `workflows.webhooks.announce_in`; the e-mails
that tell people what happened, `workflows.notices` for sign-off and a disagreement's outcome,
`workflows.notices_access` for consent and break-glass reads, `workflows.notices_retention` for
records forwarded to HR; and the worker, asked after the commit for the PDFs a send or a
signature needs), so a change that rolls back is heard of by nobody, and nobody has to guess what
happened from the rows it wrote.

Events carry ids, never what a record says and never a secret: whoever hears of one reads the
rest under the usual access rules (a notice reads a disagreement's comment from the sign-off trail).
An e-mail that carries a single-use link or a one-time code is therefore written by the command
that makes the secret, not by a subscriber; so is one told once because the command writes a row
saying so (an overdue record's escalation, a disagreement's escalation), and a calendar invitation,
whose SEQUENCE the command bumps with the change it carries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from storage.uow import UnitOfWork

Kind = Literal["record", "agreement"]


@dataclass(frozen=True)
class DocumentSent:
    """A version of a record or an agreement was filed and sent for sign-off."""

    kind: Kind
    document_id: int
    version: int


@dataclass(frozen=True)
class LinkResent:
    """Its supervisor sent whoever is waiting to sign a version a new link (a lost e-mail, an
    expired link); the old link died. The schedule's reminders are not this."""

    kind: Kind
    document_id: int
    version: int


@dataclass(frozen=True)
class DocumentDecided:
    """The supervisee agreed or disagreed with a version, through their link."""

    kind: Kind
    document_id: int
    version: int
    decision: Literal["agreed", "disagreed"]


@dataclass(frozen=True)
class DocumentSigned:
    """A version is signed by everyone who signs it (the supervisee alone, or countersigned)."""

    kind: Kind
    document_id: int
    version: int


@dataclass(frozen=True)
class DocumentSealed:
    """A signed version's sealed PDF is filed, under retention's protection."""

    kind: Kind
    document_id: int
    version: int


@dataclass(frozen=True)
class CaseNotesReady:
    """A sealed record names cases whose notes go on the child's social care record (the
    profile's `case_notes`: W §10, S §5), so the case management system may fetch them."""

    record_id: int
    version: int
    case_ids: tuple[str, ...]


@dataclass(frozen=True)
class PersonLeft:
    """A person is recorded as a leaver."""

    person_id: int


@dataclass(frozen=True)
class RecordsForwarded:
    """A leaver's records passed to HR. `audit_id` is the entry that says who forwarded them and
    why (HR's name and reason when forwarded early, the nightly run otherwise): HR's e-mail says
    so, and a reason typed by a person is read from there, not carried here."""

    person_id: int
    audit_id: int | None = None


@dataclass(frozen=True)
class RecordsDestroyed:
    """A person's records and agreements were destroyed at the end of retention."""

    person_id: int
    record_ids: tuple[int, ...]
    agreement_ids: tuple[int, ...]


@dataclass(frozen=True)
class ConsentAnswered:
    """The supervisee granted or refused a manager's request to read their records, through
    their link (W §10, H §11)."""

    request_id: int
    answer: Literal["granted", "refused"]


@dataclass(frozen=True)
class ConsentOverridden:
    """The supervisee's own manager (`manager_id`) overrode their refusal, with a written reason
    (H §11)."""

    request_id: int
    manager_id: int


@dataclass(frozen=True)
class ReadUnderBreakGlass:
    """A reader opened a person's document under break-glass access. `audit_id` is the read's
    audit entry, which holds the reason given; `supervisee_id` is whose records were read (a
    group record's facilitator, for a group record)."""

    supervisee_id: int
    reader_id: int
    audit_id: int


@dataclass(frozen=True)
class DisagreementOutcomeRecorded:
    """The supervisor's line manager recorded how a disagreement ended: a three-way meeting's
    outcome, or passed to HR (S App C, W §17, H §13)."""

    escalation_id: int
    outcome: Literal["three_way", "hr"]


def record(db: Session, event: object) -> None:
    """Record `event` on the unit of work `db` belongs to, for rules that are handed only the
    session. A session made outside any unit of work (a test's own engine) has nobody to hear it."""
    unit = UnitOfWork.of(db)
    if unit is not None:
        unit.record(event)
