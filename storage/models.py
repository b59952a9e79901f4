"""The data model (SQLAlchemy 2.0): people, relationships, agreements, records, actions, sign-off,
documents, audit, scheduling and retention.

Documents never live here: a `DocumentVersion` row holds the storage key and SHA-256 of an object
in the `DocumentStore`. Times are naive UTC (`kernel.clock`). The same schema runs on SQLite and
PostgreSQL through the Alembic migrations in `migrations/`.
"""
from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, ColumnElement, Date, DateTime, ForeignKey, Index, Integer,
                        MetaData, String, Text, UniqueConstraint, and_, or_, text)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kernel import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Every id is an Integer column: 32-bit on PostgreSQL (64-bit on SQLite). The edges refuse larger
# ids and page numbers before they reach the database (OverflowError on SQLite, an error on PostgreSQL).
INTEGER_MAX = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> dt.datetime:
    return clock.now()


def _revision() -> Mapped[int]:
    """The edit revision of a row that people change by hand (a record, an agreement, a person, a
    supervision relationship): SQLAlchemy's version counter, checked in the WHERE clause of every
    UPDATE, so two changes made from the same read cannot both land (the loser's flush finds no
    row: StaleDataError, a 412). It is raised once per transaction, whatever the number of flushes
    (`storage.db.RevisionCheckedSession`), so it counts edits, not UPDATEs; a new row starts at 1. The API shows it as the ETag; pages send it back hidden.
    Not a record's or agreement's `version`, which counts the versions sent for sign-off."""
    return mapped_column(Integer, nullable=False, default=1, server_default="1")


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    profile: Mapped[str] = mapped_column(String(50), default="knowsley")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(200), default="")


class Person(Base):
    """A member of staff: supervisee, supervisor, or both."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(50))  # a role key of the policy profile
    job_title: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    employment_type: Mapped[str] = mapped_column(String(20), default="employee")  # employee|agency|contract
    employment_start: Mapped[dt.date] = mapped_column(Date)
    leave_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active|leaver
    records_frozen_on: Mapped[dt.date | None] = mapped_column(Date)
    forwarded_to_hr_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    revision: Mapped[int] = _revision()
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}

    team: Mapped[Team | None] = relationship()
    line_manager: Mapped["Person | None"] = relationship(remote_side=[id])


class Account(Base):
    """Sign-in for a person; `roles` holds the granted ones (hr, auditor, admin, senior_manager).

    Supervisee, supervisor and line manager are not granted: they follow from relationships and
    the management chain.
    """

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    person: Mapped[Person] = relationship()


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is kept."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # issue 15: owner or an administrator
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # issue 15: kept to the minute
    account: Mapped[Account] = relationship()


class SupervisionRelationship(Base):
    """Who supervises whom, from when to when (open-ended while current)."""

    __tablename__ = "supervision_relationship"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_in_order"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    revision: Mapped[int] = _revision()
    supervisee: Mapped[Person] = relationship(foreign_keys=[supervisee_id])
    supervisor: Mapped[Person] = relationship(foreign_keys=[supervisor_id])
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}

    @hybrid_method
    def covering(self, day: dt.date) -> bool:
        """The relationship covers `day`: started by then and not ended before it. In a query (on the
        class or an alias of it, with a date or a date expression) it is the SQL condition: the one
        wording of "current on a day"."""
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)

    @covering.inplace.expression
    @classmethod
    def _covering_expression(cls, day: Any) -> ColumnElement[bool]:
        return and_(cls.starts_on <= day, or_(cls.ends_on.is_(None), cls.ends_on >= day))


class Status(StrEnum):
    """Where a record, an agreement or a group record stands: the one list of the words stored in
    their `status` columns (a StrEnum, so the stored strings are these words and compare equal to
    them). Which move is allowed from which word is `workflows.status.TRANSITIONS`."""

    DRAFT = "draft"
    AWAITING_SUPERVISEE = "awaiting_supervisee"
    AWAITING_SUPERVISOR = "awaiting_supervisor"
    CHANGES_REQUESTED = "changes_requested"
    SIGNED = "signed"
    SUPERSEDED = "superseded"  # an agreement left unsigned when a newer one was started for its supervisee


class Agreement(Base):
    """K App A: the 11 fields, one agreement per supervisory relationship (and annual review)."""

    __tablename__ = "agreement"
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relationship_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_relationship.id"))
    status: Mapped[str] = mapped_column(String(30), default=Status.DRAFT.value)
    started_on: Mapped[dt.date] = mapped_column(Date)
    review_date: Mapped[dt.date] = mapped_column(Date)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # frequency, length, location...
    version: Mapped[int] = mapped_column(Integer, default=1)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    revision: Mapped[int] = _revision()
    supervisee: Mapped[Person] = relationship(foreign_keys=[supervisee_id])
    supervisor: Mapped[Person] = relationship(foreign_keys=[supervisor_id])
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


UNSIGNED_RECORD = f"status <> '{Status.SIGNED}'"
ARCHIVE_UNREAD = "kind = 'final_pdf' AND destroyed_at IS NULL AND archive_timestamped IS NULL"


class Record(Base):
    """One supervision session's record; `sections` holds previous/welfare/areas/decisions."""

    __tablename__ = "record"
    __table_args__ = (
        Index("ix_record_supervisee_date", "supervisee_id", "session_date"),
        Index("ix_record_session_date", "session_date"),  # a period's records, for compliance reports
        # Records not yet signed, a few per cent of them, listed in the due list. The condition must
        # match workflows.due_list's query word for word for PostgreSQL to use the index.
        Index("ix_record_unsigned", "session_date", postgresql_where=text(UNSIGNED_RECORD),
              sqlite_where=text(UNSIGNED_RECORD)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    session_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # complete and signed by; None: no deadline (W, H, L)
    next_supervision: Mapped[dt.date | None] = mapped_column(Date)
    review_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(30), default=Status.DRAFT.value)
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    revision: Mapped[int] = _revision()
    # issue 14: a group session's record; then `supervisee` is its recorder, `supervisor` its signer
    group_session_id: Mapped[int | None] = mapped_column(ForeignKey("group_session.id"), index=True, unique=True)
    supervisee: Mapped[Person] = relationship(foreign_keys=[supervisee_id])
    supervisor: Mapped[Person] = relationship(foreign_keys=[supervisor_id])
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


class Action(Base):
    """An action keeps its identity across records until completed (K App B §4)."""

    __tablename__ = "action"
    id: Mapped[str] = mapped_column(String(12), primary_key=True)  # stable short id, e.g. A7K2Q9
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    raised_in_record_id: Mapped[int] = mapped_column(ForeignKey("record.id"))
    section: Mapped[str] = mapped_column(String(60))  # welfare, an area key, or summary
    date_added: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due: Mapped[str] = mapped_column(String(100), default="")  # timescale as the supervisor wrote it
    completed_in_record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)


class ActionEntry(Base):
    """An action as it stands in one record: the progress recorded that session."""

    __tablename__ = "action_entry"
    __table_args__ = (UniqueConstraint("record_id", "action_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("action.id"), index=True)
    progress: Mapped[str] = mapped_column(Text, default="")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[Action] = relationship()


class DocumentVersion(Base):
    """A stored object (draft DOCX, signed DOCX, final PDF) of a record or an agreement."""

    __tablename__ = "document_version"
    __table_args__ = (
        CheckConstraint("(record_id IS NULL) != (agreement_id IS NULL)", name="one_owner"),
        UniqueConstraint("storage_key"),
        # Final PDFs the monthly renewal has not read yet: every one filed before revision 0019 until
        # the first run after it reads them, then only those it could not read or stamp (damaged,
        # missing), read again by each run. The condition must match workflows.timestamp_renewal's
        # query word for word (see ix_record_unsigned).
        Index("ix_document_version_archive_unread", "id", postgresql_where=text(ARCHIVE_UNREAD),
              sqlite_where=text(ARCHIVE_UNREAD)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # docx (as sent for signing) | review_pdf | final_pdf
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A final PDF's last document timestamp, as read from its bytes when sealed or renewed, so the
    # monthly renewal (`workflows.timestamp_renewal`) reads only the PDFs falling due: whether it has
    # one (None: not read yet, filed before revision 0019; False: sealed B-B, nothing to renew) and
    # when its authority's certificate ends (naive UTC, `seal.archive_expires`).
    archive_timestamped: Mapped[bool | None] = mapped_column(Boolean)
    archive_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)

    @property
    def owner(self) -> tuple[str, int]:
        """The record or agreement it is a version of, as the audit log names objects: ('record', id)
        or ('agreement', id); the check constraint makes it exactly one."""
        return ("record", self.record_id) if self.record_id else ("agreement", self.agreement_id or 0)


class SignoffLink(Base):
    """A single-use e-mailed link for one signer of one version; only the token's hash is kept."""

    __tablename__ = "signoff_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    signer_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    signer_role: Mapped[str] = mapped_column(String(20))  # supervisee | supervisor
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))  # optional one-time code
    code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    invalidated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)


class SignoffEvent(Base):
    """Evidence for the certificate page: who did what, when, from where, on which bytes."""

    __tablename__ = "signoff_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(30))  # filed|sent|opened|agreed|disagreed|countersigned (workflows.signoff)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    docx_sha256: Mapped[str] = mapped_column(String(64), default="")


class OutboxMessage(Base):
    """An e-mail written in the same transaction as the change it reports; a task delivers it."""

    __tablename__ = "outbox_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    # The e-mail as written, sealed with the storage keyring, when text_body/html_body have a secret
    # redacted (a sign-off link); dropped once sent (workflows.notifications).
    sealed_body: Mapped[str | None] = mapped_column(Text)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # a delivery's lease


class AuditEvent(Base):
    """Append-only audit log; each entry carries the hash of the previous one."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(30), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class PlannedSession(Base):
    """A supervision session planned ahead (H: up to 6 months); cancelled ones must be rebooked."""

    __tablename__ = "planned_session"
    # A supervisee's last held session, read without visiting the table (the due list, per person).
    __table_args__ = (Index("ix_planned_session_supervisee_status_start", "supervisee_id", "status", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned|held|cancelled
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    rebooked_as_id: Mapped[int | None] = mapped_column(ForeignKey("planned_session.id"))
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    uid: Mapped[str] = mapped_column(String(100), unique=True)


class LegalHold(Base):
    """Stops destruction of a person's records, or of one record, until lifted."""

    __tablename__ = "legal_hold"
    __table_args__ = (CheckConstraint("person_id IS NOT NULL OR record_id IS NOT NULL", name="has_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class DestructionLog(Base):
    """What was destroyed, when, under which rule: the accountability left after destruction."""

    __tablename__ = "destruction_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    document_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    description: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    rule: Mapped[str] = mapped_column(String(200))
    destroyed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


# --- webhooks (issue 15) ---


class WebhookSubscription(Base):
    """Another system's address that hears about events (workflows.webhooks); the shared secret
    that signs each delivery is held sealed with the storage keyring, never in clear."""

    __tablename__ = "webhook_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    sealed_secret: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebhookDelivery(Base):
    """One event for one subscription, written in the transaction of the change it reports; its
    `key` is the idempotency key the receiver sees on every attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_pending", "delivered_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    subscription: Mapped[WebhookSubscription] = relationship()


# --- bulk start (issue 16) ---
class BulkStart(Base):
    """Records started in the background for a whole team or service on one session date. Its
    progress is counted from its items, so two consumers finishing items at once never race on a
    counter."""

    __tablename__ = "bulk_start"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    service: Mapped[str] = mapped_column(String(200), default="")  # a service's teams, when no team_id
    session_date: Mapped[dt.date] = mapped_column(Date)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    total: Mapped[int] = mapped_column(Integer)


class BulkStartItem(Base):
    """One supervisee's record in a bulk start: `pending` until a task creates the record (`done`,
    with `record_id`) or names why it could not (`failed`, with `reason`). The step from pending is
    a compare-and-set committed with the record, so a task run twice creates it once."""

    __tablename__ = "bulk_start_item"
    __table_args__ = (UniqueConstraint("bulk_start_id", "supervisee_id"),
                      Index("ix_bulk_start_item_bulk_start_id_state", "bulk_start_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    bulk_start_id: Mapped[int] = mapped_column(ForeignKey("bulk_start.id"))
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending|done|failed
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    supervisee: Mapped[Person] = relationship()


# --- group supervision (issue 14) ---
class SupervisionGroup(Base):
    """A standing supervision group (K, S §5, W §5/§8, H §1/§8), always in addition to 1:1: led by
    a facilitator; where the profile says so, its records are made by a recorder and signed off by
    a signer of another role (W §8: Practice Co-ordinators record, Advanced Practitioners sign)."""

    __tablename__ = "supervision_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    recorder_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    # The group's own frequency ("4 weeks"), where the policy sets none (K, S, L); "" for the profile's
    frequency: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    facilitator: Mapped[Person] = relationship(foreign_keys=[facilitator_id])
    recorder: Mapped[Person | None] = relationship(foreign_keys=[recorder_id])
    signer: Mapped[Person | None] = relationship(foreign_keys=[signer_id])


class GroupMember(Base):
    """A person's membership of a group, from when to when (open-ended while a member)."""

    __tablename__ = "group_member"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("supervision_group.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
    person: Mapped[Person] = relationship()


class GroupSession(Base):
    """One meeting of a group, planned with a calendar invitation to every member (the UID and
    SEQUENCE rules of `workflows.planning`)."""

    __tablename__ = "group_session"
    __table_args__ = (Index("ix_group_session_group_id_starts_at", "group_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("supervision_group.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=90)
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")  # planned|held|cancelled
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    group: Mapped[SupervisionGroup] = relationship()


class GroupSessionRebooking(Base):
    """One rebooking of a cancelled group session, which `workflows.groups.rebook_session` plans
    again in the same row: what keeps each cancellation and rebooking countable in the supervision
    log, however often one session is rebooked."""

    __tablename__ = "group_session_rebooking"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_session.id"), index=True)
    # The UK day the session was to be held when it was cancelled
    cancelled_from: Mapped[dt.date] = mapped_column(Date)
    # When it was rebooked; None for rebookings made before migration 0022
    rebooked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class GroupAttendance(Base):
    """Whether a member came to a session: present, apologies or absent. Only those present read
    the session's record (`workflows.access`)."""

    __tablename__ = "group_attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),
                      CheckConstraint("attendance IN ('present', 'apologies', 'absent')", name="known"))
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_session.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    attendance: Mapped[str] = mapped_column(String(10))
    person: Mapped[Person] = relationship()


# --- profile defaults confirmed (issue 17) ---
class ProfileConfirmation(Base):
    """An administrator's confirmation of a default the council's policy leaves open (retention
    where it sets no period): which profile, which key, and the value and citation confirmed, so
    a changed profile file asks again. The audit log holds the same event."""

    __tablename__ = "profile_confirmation"
    __table_args__ = (UniqueConstraint("profile", "key", "fingerprint"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    profile: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the value and its citation
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


# --- disagreement route, quality audits, consent (issue 14) ---
class DisagreementEscalation(Base):
    """A supervisee's disagreement taken to the supervisor's line manager (S §9, W §17, H §13):
    once per disagreement (the unique `disagreed_event_id` makes telling idempotent), because the
    period passed unresolved (`overdue`) or the supervisor countersigned over it (`countersigned`).
    The line manager records the three-way meeting's outcome or passes it to HR, once
    (`outcome_at` is the compare-and-set)."""

    __tablename__ = "disagreement_escalation"
    id: Mapped[int] = mapped_column(primary_key=True)
    disagreed_event_id: Mapped[int] = mapped_column(ForeignKey("signoff_event.id"), unique=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"), index=True)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    cause: Mapped[str] = mapped_column(String(20))  # overdue | countersigned | requested (either party asked)
    told_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # "" | three_way | hr
    outcome_text: Mapped[str] = mapped_column(Text, default="")
    meeting_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    outcome_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class QualityAudit(Base):
    """A sample of a team's signed records drawn for a period (K §11, S §8, H §12/§15, L §5.11):
    `seed` makes the draw reproducible, so an auditor can show how it was drawn."""

    __tablename__ = "quality_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    seed: Mapped[int] = mapped_column(Integer)
    per_supervisor: Mapped[int] = mapped_column(Integer)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    drawn_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    team: Mapped[Team] = relationship()


class QualityAuditItem(Base):
    """One sampled record and its audit form: criteria pre-filled where docgen can compute them,
    judged by the auditor where it cannot; `revision` makes two auditors' saves a compare-and-set."""

    __tablename__ = "quality_audit_item"
    __table_args__ = (UniqueConstraint("audit_id", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("quality_audit.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # criterion -> "yes" | "no" | ""
    findings: Mapped[str] = mapped_column(Text, default="")
    supervisor_actions: Mapped[str] = mapped_column(Text, default="")
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revision: Mapped[int] = _revision()
    record: Mapped[Record] = relationship()
    supervisor: Mapped[Person] = relationship(foreign_keys=[supervisor_id])
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


class ConsentRequest(Base):
    """A reader outside the line asking the supervisee to let them read (W §10 "where the
    supervisee agrees"; H §11): answered once through a single-use e-mailed link (only the token's
    hash kept), or overridden by a manager with a reason where the profile allows (H §11)."""

    __tablename__ = "consent_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisee_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # the link's
    answer: Mapped[str] = mapped_column(String(20), default="")  # "" | granted | refused
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answer_comment: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    access_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # granted or overridden: read until
    supervisee: Mapped[Person] = relationship(foreign_keys=[supervisee_id])
    reader: Mapped[Person] = relationship(foreign_keys=[reader_id])


# --- CPD evidence for Social Work England (issue 25 item 2) ---
class CpdPiece(Base):
    """A reflection a supervisee marks as a piece of CPD for Social Work England: from one of their
    records (an area's text, `area_key`, or the record as a whole, None), in their own words. The
    record is only pointed at, never changed: the signed record stays as it was signed."""

    __tablename__ = "cpd_piece"
    __table_args__ = (Index("ix_cpd_piece_person_done_on", "person_id", "done_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id"), index=True)
    area_key: Mapped[str | None] = mapped_column(String(60))  # an area's key, or a text field's; None: the whole record
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))  # SWE's "type of CPD", e.g. supervision, group supervision
    description: Mapped[str] = mapped_column(Text)
    done_on: Mapped[dt.date] = mapped_column(Date)  # SWE's "date"; the CPD year counts by it
    learning: Mapped[str] = mapped_column(Text)  # what was learnt
    impact: Mapped[str] = mapped_column(Text)  # its impact on practice
    peer_reflection: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)
    record: Mapped[Record] = relationship()


# --- Subject access requests (UK GDPR Art. 15; issue 25 item 1) ---
OPEN_SUBJECT_ACCESS_REQUEST = "answered_on IS NULL AND withdrawn_on IS NULL"


class SubjectAccessRequest(Base):
    """A person's request for everything held about them (UK GDPR Art. 15), recorded by HR or the
    data protection officer: due one calendar month after it was received, or three once extended
    (with a reason, within the first month: Art. 12(3)); closed with the date it was answered.
    `revision` makes two officers' changes from one read a compare-and-set."""

    __tablename__ = "subject_access_request"
    # One open request a person: of two recorded at once, on either database, one lands.
    __table_args__ = (Index("uq_subject_access_request_open", "person_id", unique=True,
                            postgresql_where=text(OPEN_SUBJECT_ACCESS_REQUEST),
                            sqlite_where=text(OPEN_SUBJECT_ACCESS_REQUEST)),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)  # the person asked about
    received_on: Mapped[dt.date] = mapped_column(Date)
    extended_on: Mapped[dt.date | None] = mapped_column(Date)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[dt.date | None] = mapped_column(Date)  # set: the request is closed, answered
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)  # set: closed unanswered, withdrawn or in error
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    revision: Mapped[int] = _revision()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    withholdings: Mapped[list[SubjectAccessWithholding]] = relationship(back_populates="request",
                                                                         order_by="SubjectAccessWithholding.id")
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}


class SubjectAccessWithholding(Base):
    """HR's decision to withhold one third-party mention (another member of staff, a child's case
    ID) from a request's export, with the reason the person can be told (Art. 15(4)). The mention
    is named by its stable key from the redaction schedule, so a decision outlives re-reading it."""

    __tablename__ = "subject_access_withholding"
    __table_args__ = (UniqueConstraint("request_id", "mention_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_access_request.id"))
    mention_key: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    request: Mapped[SubjectAccessRequest] = relationship(back_populates="withholdings")


# --- The ASYE record of support (issue 25 item 3) ---
class AsyeSupportEntry(Base):
    """What an ASYE's record of support holds beside their supervision: a direct observation of their
    practice (W §9: "4 per annum for ASYE") or a review of their progress
    (at the points the profile's `roles.asye.reviews` sets: S §10), on a day, by whom, with a short note.
    Recorded by their current supervisor."""

    __tablename__ = "asye_support_entry"
    __table_args__ = (CheckConstraint("kind IN ('observation', 'review')", name="known_kind"),
                      CheckConstraint("(kind = 'review') = (review_month IS NOT NULL)", name="review_has_month"))
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)  # the ASYE
    kind: Mapped[str] = mapped_column(String(20))  # observation | review
    review_month: Mapped[int | None] = mapped_column(Integer)  # a review's whole months from the start, as the profile sets them
    on_date: Mapped[dt.date] = mapped_column(Date)  # observed, or the review held
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    by_name: Mapped[str] = mapped_column(String(200))  # the observer, or who held the review
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class SubjectAccessExport(Base):
    """A request's export, made by the worker and filed in the document store (issue 25 item 1):
    when HR asked for it and who, and once filed its key, SHA-256 and size, and the digest of the
    withholdings it was built with (another decision since makes it out of date). `problem` says why
    the last one asked for could not be made. Kept apart from the request's row so the worker
    filing it does not move the request's revision under HR's open page."""

    __tablename__ = "subject_access_export"
    __table_args__ = (UniqueConstraint("request_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("subject_access_request.id"))
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    filed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    storage_key: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    withheld: Mapped[str | None] = mapped_column(String(64))  # digest of the withholdings it was built with
    # The mention keys of the schedule HR saw when asking: the export refuses to release any other
    reviewed_mentions: Mapped[list[str] | None] = mapped_column(JSON)
    problem: Mapped[str] = mapped_column(Text, default="")


class PageText(Base):
    """The text of each page of a filed PDF, by the PDF's SHA-256, so the redaction schedule does
    not read, check and parse every sealed PDF again on each view (`storage.page_texts`). Bytes
    never change under one SHA-256, so an entry is never out of date; it is personal data, so it
    is destroyed with the PDF by retention."""

    __tablename__ = "page_text"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    pages: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class DraftText(Base):
    """A draft's page texts as the redaction schedule read them from its Word rendering, one row
    per draft, so an unchanged draft is not rendered again on each view (`storage.page_texts`).
    `rendering` is the SHA-256 of what rendered it; an edit of the draft and retention delete the
    row by its owner, so no copy of a draft's words outlives it."""

    __tablename__ = "draft_text"
    owner_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # record|agreement
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rendering: Mapped[str] = mapped_column(String(64))
    pages: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class SupersededCopy(Base):
    """A filed document's earlier bytes, kept when `storage.filing.refile_document` files new ones in
    their place (a sealed PDF given a new archive timestamp, `workflows.timestamp_renewal`): a copy
    downloaded before is still recognised by its SHA-256 (`workflows.pipeline.verify`), and a backup,
    a restore or a download in flight still finds the object. It is destroyed with its version by
    retention (`storage.superseded_copies`), and logged as the version is."""

    __tablename__ = "superseded_copy"
    __table_args__ = (UniqueConstraint("storage_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    superseded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    destroyed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
