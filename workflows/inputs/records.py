"""What a supervisor gives to start and edit a record or an agreement."""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, create_model

from workflows.forms import AGREEMENTS, FORMS
from workflows.inputs import Id, Input


class StartRecord(Input):
    """A record for a supervision session, pre-filled from the profile and the open actions."""

    supervisee_id: Id
    session_date: dt.date
    supervisor_id: Id | None = None
    kind: str | None = Field(None, description="a record kind of the profile (e.g. Southwark's casework record, "
                                               "W App E); by default the supervisee's role's")


class PreviousSession(Input):
    happy: str = ""
    comments: str = ""


class Welfare(Input):
    discussion: str = ""


class AreaIn(Input):
    key: str | None = None
    title: str | None = None
    discussion: str = ""


class ActionIn(Input):
    """An existing action (with id: progress, completed, corrections, a move to another part of
    the record, remove, with the reason a carried action is no longer needed) or a new one (no id)."""

    id: str | None = None
    section: str | None = None
    text: str | None = None
    owner: str | None = None
    due: str | None = None
    progress: str | None = None
    completed: bool | None = None
    remove: bool = False
    reason: str | None = Field(None, max_length=2000)


class _RecordPatch(Input):
    previous: PreviousSession | None = None
    welfare: Welfare | None = None
    areas: list[AreaIn] | None = None
    next_supervision: dt.date | None = None
    review_date: dt.date | None = None
    actions: list[ActionIn] | None = None

    def patch(self) -> dict[str, Any]:
        """What was given, as the edit use case takes it: fields left out stay unchanged (explicit
        nulls are kept), and each action carries only what was given for it."""
        given = self.model_dump(exclude_unset=True)
        if "actions" in given:
            given["actions"] = [action.model_dump(exclude_unset=True) for action in self.actions or []]
        return given


# Every text field of docgen's forms (workflows.forms); a record takes only its own form's, and
# refuses the others naming the field (422).
RecordPatch = create_model("RecordPatch", __base__=_RecordPatch, __doc__="An edit of a draft record.",
                           **{key: (str | None, None) for key in sorted({key for form in FORMS.values()
                                                                         for key in form.text_keys})})


# Every text field of docgen's agreement forms (K App A, S App C); an agreement takes only its
# council's form's, and refuses the others naming the field (422).
AgreementFields = create_model("AgreementFields", __base__=Input, __doc__="An agreement's own fields.",
                               **{key: (str | None, None) for key in sorted({key for form in AGREEMENTS.values()
                                                                             for key in form.text_keys})})


class StartAgreement(Input):
    supervisee_id: Id
    started_on: dt.date
    supervisor_id: Id | None = None
    fields: AgreementFields | None = None  # type: ignore[valid-type]


class AgreementPatch(AgreementFields):  # type: ignore[valid-type,misc]
    started_on: dt.date | None = None
    review_date: dt.date | None = None
