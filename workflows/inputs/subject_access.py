"""What HR (or the data protection officer) gives for a subject access request (UK GDPR Art. 15;
issue 25 item 1): who asked and when, an extension's reason, a mention withheld with its reason
(or one text in every file at once), and the day the request was answered. The pages validate
their forms through these models, so an empty reason or a date that is not one is refused naming
its field."""
from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator

from workflows.inputs import Input, said

REASON_LIMIT = 2000  # a reason may be read back to the person who asked: a paragraph, not a file
EMAIL_LIMIT = 254  # the longest e-mail address (RFC 5321's path)
TEXT_LIMIT = 1000  # a text withheld in every file: a name, a case ID; the schedule offers none longer


class Revisioned(Input):
    """A change to a request, made from the revision the caller read (a hidden field on the page):
    left out, the change is refused as not saying what it was made from."""

    revision: int | None = Field(None, ge=1, le=2**31 - 1)


class RecordRequest(Input):
    """A request received: whose data it asks for (their e-mail address, a leaver's too) and the
    day it reached the council, from which the month to answer runs."""

    email: str = Field(max_length=EMAIL_LIMIT, description="the e-mail address of the person asking")
    received_on: dt.date = Field(description="the day the request was received, like 2026-11-02")

    _email_said = field_validator("email")(classmethod(lambda cls, value: said(value)))


class ExtendRequest(Revisioned):
    """The month extended by two more (Art. 12(3)), with the reason the person is told."""

    reason: str = Field(max_length=REASON_LIMIT)

    _reason_said = field_validator("reason")(classmethod(lambda cls, value: said(value)))


class WithholdMention(Revisioned):
    """A third-party mention on the redaction schedule withheld from the export, and why."""

    key: str = Field(max_length=100)
    reason: str = Field(max_length=REASON_LIMIT)

    _key_and_reason_said = field_validator("key", "reason")(classmethod(lambda cls, value: said(value)))


class WithholdEverywhere(Revisioned):
    """A text on the redaction schedule (a colleague's name, a child's case ID) withheld from every
    file of the export in one step, with one reason."""

    text: str = Field(max_length=TEXT_LIMIT)
    reason: str = Field(max_length=REASON_LIMIT)

    _text_and_reason_said = field_validator("text", "reason")(classmethod(lambda cls, value: said(value)))


class ReleaseEverywhere(Revisioned):
    """A text put back into every file of the export it was withheld from with `reason` (the page
    shows each reason a text is withheld for): a withholding with another reason stays."""

    text: str = Field(max_length=TEXT_LIMIT)
    reason: str = Field(max_length=REASON_LIMIT)

    _text_and_reason_said = field_validator("text", "reason")(classmethod(lambda cls, value: said(value)))


class ReleaseMention(Revisioned):
    """A withheld mention put back into the export."""

    key: str = Field(max_length=100)


class CloseRequest(Revisioned):
    """The request answered: the day the export went to the person."""

    answered_on: dt.date = Field(description="the day the request was answered, like 2026-11-20")


class WithdrawRequest(Revisioned):
    """The request closed unanswered: withdrawn by the person, or recorded in error, and why."""

    reason: str = Field(max_length=REASON_LIMIT)

    _reason_said = field_validator("reason")(classmethod(lambda cls, value: said(value)))
