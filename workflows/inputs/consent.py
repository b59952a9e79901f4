"""What a manager, a supervisee and an overriding manager give for consent (W §10, H §11)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from workflows.inputs import Id, Input

REASON_LIMIT = 2000  # a reason is read by the supervisee in an e-mail: a paragraph, not a file


class AskConsent(Input):
    """A manager outside the line asks a supervisee to let them read their records."""

    supervisee_id: Id
    reason: str = Field(max_length=REASON_LIMIT)


class AnswerConsent(Input):
    """The supervisee's answer through their single-use link."""

    answer: Literal["granted", "refused"]
    comment: str = Field("", max_length=REASON_LIMIT)


class OverrideConsent(Input):
    """The supervisee's own manager overrides a refusal, saying why (H §11)."""

    reason: str = Field(max_length=REASON_LIMIT)
