"""Defaults the council must confirm, and an administrator confirming them.

Where a council's policy leaves a rule open and docgen fills it with a default the council must
decide on (retention where its policy sets no period: K, W, H, L; S 13.1's "within 5 days" read
as calendar days), the profile cites it `default: docgen, for the council to confirm — ...`
(`workflows.profile_sources`). Until an administrator confirms it, the policy page and
`docgen init` warn. A confirmation holds a fingerprint of the value and its citation, so a
changed profile file asks again; it is written once (a unique row: two administrators confirming
at once make one) and recorded in the audit log.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import audit
from kernel.errors import InvalidInput
from storage.models import ProfileConfirmation
from workflows import access, profile_sources
from workflows.access import Caller
from workflows.deployment import Work
from workflows.profiles import Period, Profile


class Default(NamedTuple):
    """A default of docgen's the council must confirm: its key, value, citation and fingerprint."""

    key: str
    value: str
    citation: str
    fingerprint: str


class PolicyPage(NamedTuple):
    """The profile in use, and the defaults in it still waiting for the council's confirmation."""

    profile: Profile
    unconfirmed: list[Default]


def value_text(profile: Profile, key: str) -> str:
    """The value at a dotted key as the policy page writes it ('hr_forward_after 6 months, ...')."""
    value: Any = profile
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, Period):
        return value.text
    if isinstance(value, BaseModel):
        return "; ".join(f"{name.replace('_', ' ')} {_text(getattr(value, name))}" for name in type(value).model_fields)
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return "none" if value is None else str(value)


def to_confirm(profile: Profile) -> list[Default]:
    """Every default in the profile that the council must confirm, in the file's order."""
    found = []
    for key, citation in profile.sources.items():
        if isinstance(citation, str) and profile_sources.needs_confirming(citation):  # defaults are strings
            value = value_text(profile, key)
            digest = hashlib.sha256(json.dumps([profile.name, key, value, citation]).encode()).hexdigest()
            found.append(Default(key, value, citation, digest))
    return found


def unconfirmed(db: Session, profile: Profile) -> list[Default]:
    """The defaults no administrator has confirmed as they now stand."""
    wanted = to_confirm(profile)
    if not wanted:
        return []
    done = set(db.scalars(select(ProfileConfirmation.fingerprint).where(ProfileConfirmation.profile == profile.name)))
    return [d for d in wanted if d.fingerprint not in done]


def awaiting_confirmation(uow: Work) -> list[Default]:
    """What `docgen init` warns about: the profile in use's defaults not yet confirmed (the
    operator setting the deployment up reads it; an administrator confirms on the policy page)."""
    return unconfirmed(uow.session, uow.deployment.profile)


def warning(default: Default) -> str:
    """One line saying what the council has still to confirm, and where."""
    return (f"the council has not confirmed docgen's default for {default.key} ({default.value}): "
            f"{default.citation}. An administrator confirms it on the policy page (/admin/policy).")


def policy_page(uow: Work, caller: Caller) -> PolicyPage:
    """The policy profile in use as the administrator reads it, with what awaits confirmation."""
    access.require_role(caller, access.ADMINISTRATORS)
    profile = uow.deployment.profile
    return PolicyPage(profile, unconfirmed(uow.session, profile))


def _default(profile: Profile, key: str) -> Default:
    """The default at `key` that the council must confirm (InvalidInput naming `key` if none)."""
    shown = next((d for d in to_confirm(profile) if d.key == key), None)
    if shown is None:
        raise InvalidInput(f"'{key}' is not a default of this profile waiting for confirmation", "key")
    return shown


def to_check(uow: Work, caller: Caller, key: str) -> Default:
    """The default an administrator is about to confirm, for the page that asks them to check it
    first (issue 27: confirming a council's decision was one click on a warning)."""
    access.require_role(caller, access.ADMINISTRATORS)
    return _default(uow.deployment.profile, key)


def confirm(uow: Work, caller: Caller, key: str, fingerprint: str, *, decided: bool) -> Default:
    """An administrator confirms a default as shown to them; audited. `decided` is their
    declaration that the council has decided to keep it: without it nothing is recorded.
    `fingerprint` is the one the page showed: a profile changed since is refused, naming the
    field, rather than confirmed unseen. Confirming again is harmless (the unique row makes two
    confirmations one)."""
    access.require_role(caller, access.ADMINISTRATORS)
    profile = uow.deployment.profile
    shown = _default(profile, key)
    if not decided:
        raise InvalidInput("Select that the council has decided to keep this rule", "decided")
    if shown.fingerprint != fingerprint:
        raise InvalidInput(f"the profile's '{key}' has changed since the page was shown; read it again", "fingerprint")
    db = uow.session
    if shown in unconfirmed(db, profile):
        try:
            with db.begin_nested():
                db.add(ProfileConfirmation(profile=profile.name, key=key, fingerprint=fingerprint,
                                           confirmed_by_id=caller.person.id))
        except IntegrityError:
            uow.rollback()
            return shown  # confirmed meanwhile by someone else
        audit.record(db, "profile_default_confirmed", actor_id=caller.person.id, object_type="profile",
                     object_id=profile.name, detail={"key": key, "value": shown.value, "citation": shown.citation})
        uow.commit()
    return shown
