"""A group session's length and its record's deadline come from the profile: a session lasts the
profile's `groups.session_minutes` unless its organiser says otherwise, and a group record falls
due when the profile's record deadline says, or never where the policy sets none (W, H, L)."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest
from sqlalchemy import select

from kernel import clock
from storage.models import Account, GroupSession
from workflows import groups
from workflows.access import Caller
from workflows.deployment import Deployment, Work
from workflows.profiles import Profile

SESSION = dt.datetime(2026, 1, 6, 10)  # a Tuesday


@pytest.fixture(autouse=True)
def the_day_before() -> Iterator[None]:
    clock.set_clock(lambda: SESSION - dt.timedelta(days=1))
    yield
    clock.set_clock(None)


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def _planned(uow: Work, team: dict[str, int], name: str = "Reflective group", **length: int) -> GroupSession:
    sam = _caller(uow, team["manager"])
    group = groups.create_group(uow, sam, name, team["manager"], [team["worker"]])
    return groups.plan_session(uow, sam, group.id, SESSION, **length)


def _lasting(profile: Profile, minutes: int) -> Profile:
    """The profile with group sessions of `minutes`."""
    return profile.model_copy(update={"groups": profile.groups.model_copy(update={"session_minutes": minutes})})


def _recorded(uow: Work, team: dict[str, int]) -> dt.date | None:
    session = _planned(uow, team)
    sam = _caller(uow, team["manager"])
    clock.set_clock(lambda: SESSION + dt.timedelta(hours=3))
    groups.record_attendance(uow, sam, session.id, {team["worker"]: "present"})
    return groups.start_record(uow, sam, session.id).due_date


def test_a_group_session_lasts_the_profiles_length_unless_its_organiser_says(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    profile = deployment.profile
    deployment.profile = _lasting(profile, 75)
    assert _planned(uow, team).minutes == 75
    assert _planned(uow, team, "Case mapping", minutes=45).minutes == 45


def test_the_group_page_offers_the_profiles_session_length_for_a_new_session(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    profile = deployment.profile
    deployment.profile = _lasting(profile, 60)
    session = _planned(uow, team)
    assert groups.group_page(uow, _caller(uow, team["manager"]), session.group_id).session_minutes == 60


def test_every_profile_labels_its_group_session_length_as_docgens_default(deployment: Deployment) -> None:
    assert deployment.profile.groups.session_minutes == 90
    assert deployment.profile.source("groups.session_minutes").startswith("default: docgen — K sets no length")


def test_a_group_record_falls_due_on_the_profiles_record_deadline(uow: Work, team: dict[str, int]) -> None:
    assert _recorded(uow, team) == dt.date(2026, 1, 13)  # K §9: five working days


def test_where_the_policy_sets_no_record_deadline_a_group_record_has_none(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    deployment.profile = deployment.profile.model_copy(update={"record_days": None})  # as W, H and L
    assert _recorded(uow, team) is None
