"""Unit tier: rules and use cases over a unit of work on in-memory SQLite; no app, no server.

The schema comes from the models (`create_all`), not Alembic: the migrations are proved on both
databases in the integration tier, and here a fresh database per test costs milliseconds.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.pool import StaticPool

from kernel.config import Config
from storage.backends import open_store
from storage.db import session_factory
from storage.models import Base, Organisation
from workflows import accounts, people
from workflows.deployment import Deployment, Work
from workflows.profiles import load_profile


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """A deployment on one in-memory SQLite database shared by every session of the test."""
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON"))
    Base.metadata.create_all(engine)
    config = Config(env="test", instance_path=tmp_path, secret_key="unit-" + "x" * 32, tasks_url="memory")
    enqueued: list[tuple[object, ...]] = []
    yield Deployment(config=config, engine=engine, session_maker=session_factory(engine),
                     profile=load_profile("knowsley"),
                     store=open_store("local", instance_path=tmp_path, key=None),
                     enqueue=lambda *task: enqueued.append(task))
    engine.dispose()


@pytest.fixture
def uow(deployment: Deployment) -> Iterator[Work]:
    with deployment.unit_of_work() as unit:
        yield unit


@pytest.fixture
def team(uow: Work) -> dict[str, int]:
    """A manager supervising a social worker, and a stranger in another part of the council."""
    db = uow.session
    org = Organisation(name="Knowsley Council", profile="knowsley")
    db.add(org)
    db.flush()
    team = people.create_team(db, org, "Children in Need 1", "Children's Social Care")
    ids: dict[str, int] = {}
    for key, name, role, manager in (("manager", "Sam Whitfield", "team_manager", None),
                                     ("worker", "Alex Morgan", "social_worker", "manager"),
                                     ("stranger", "Sol Other", "social_worker", None)):
        person = people.create_person(db, org, uow.deployment.profile, {
            "name": name, "email": f"{key}@knowsley.example.org", "role": role, "team_id": team.id,
            "line_manager_id": ids.get(manager) if manager else None, "employment_start": dt.date(2024, 1, 8)})
        accounts.create_account(db, person, "correct-horse-battery")
        ids[key] = person.id
    people.create_relationship(db, ids["worker"], ids["manager"], dt.date(2024, 1, 8))
    uow.commit()
    return ids
