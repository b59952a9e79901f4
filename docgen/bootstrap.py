"""Builds the parts a process needs from its Config: database, profile, organisation.

Nothing is built at import time; the web app, the CLI and the worker each call `build` once.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from docgen.config import Config
from docgen.db import make_engine, session_factory
from docgen.models import Organisation
from storage.backends import open_store
from storage.backends.base import DocumentStore
from workflows.errors import NotFound
from workflows.profiles import Profile, load_profile


@dataclass
class Services:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    profile: Profile
    store: DocumentStore

    def organisation(self, db: Session) -> Organisation:
        """The organisation this deployment serves (made by `docgen init`)."""
        org = db.scalar(select(Organisation).order_by(Organisation.id).limit(1))
        if org is None:
            raise NotFound("no organisation yet: run `docgen init`", "organisation")
        return org


def build(config: Config) -> Services:
    config.check()
    config.instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(config.resolved_database_url)
    return Services(config=config, engine=engine, sessions=session_factory(engine),
                    profile=load_profile(config.profile),
                    store=open_store(config.storage_url, instance_path=config.instance_path, key=config.storage_key))
