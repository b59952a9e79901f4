"""Configuration refuses unsafe production starts; migrations go up and down on both databases."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from kernel.config import ConfigError, from_env
from storage.db import downgrade, make_engine, session_factory, upgrade
from storage.models import Base, Person


def test_config_reads_docgen_variables() -> None:
    config = from_env({"DOCGEN_DATABASE_URL": "sqlite:////tmp/x.db", "DOCGEN_SMTP_PORT": "2525",
                       "DOCGEN_SMTP_STARTTLS": "true", "DOCGEN_PROFILE": "stockport"})
    assert config.resolved_database_url == "sqlite:////tmp/x.db"
    assert config.smtp_port == 2525 and config.smtp_starttls is True and config.profile == "stockport"


def test_bad_number_in_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="DOCGEN_SMTP_PORT"):
        from_env({"DOCGEN_SMTP_PORT": "twenty-five"})


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ConfigError, match="DOCGEN_SECRET_KEY"):
        from_env({"DOCGEN_ENV": "production"}).check()
    from_env({"DOCGEN_ENV": "production", "DOCGEN_SECRET_KEY": "s" * 40,
              "DOCGEN_ORG_P12_PASSPHRASE": "pw", "DOCGEN_BASE_URL": "https://docgen.example.org"}).check()


def test_production_refuses_plain_http_unless_allowed() -> None:
    safe = {"DOCGEN_ENV": "production", "DOCGEN_SECRET_KEY": "s" * 40, "DOCGEN_ORG_P12_PASSPHRASE": "pw",
            "DOCGEN_BASE_URL": "http://docgen.example.org"}
    with pytest.raises(ConfigError, match="DOCGEN_BASE_URL must start with https://.*DOCGEN_ALLOW_HTTP"):
        from_env(safe).check()
    allowed = from_env(safe | {"DOCGEN_ALLOW_HTTP": "1"})
    allowed.check()
    assert allowed.allow_http is True


def test_production_on_a_shared_store_needs_the_storage_key_from_the_environment() -> None:
    shared = {"DOCGEN_ENV": "production", "DOCGEN_SECRET_KEY": "s" * 40, "DOCGEN_ORG_P12_PASSPHRASE": "pw",
              "DOCGEN_BASE_URL": "https://docgen.example.org", "DOCGEN_STORAGE_URL": "s3://docgen/records"}
    with pytest.raises(ConfigError, match="DOCGEN_STORAGE_KEY must be set"):
        from_env(shared).check()
    from_env(shared | {"DOCGEN_STORAGE_KEY": "k" * 44}).check()


def test_migrations_upgrade_from_empty_and_downgrade_cleanly(empty_database: str) -> None:
    upgrade(empty_database)
    engine = make_engine(empty_database)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    downgrade(empty_database)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_database)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_people_already_there_start_at_revision_one_and_count_their_changes(empty_database: str) -> None:
    upgrade(empty_database, "0003")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (name, profile, created_at) VALUES ('Knowsley Council', "
                          "'knowsley', '2025-01-01')"))
        conn.execute(text("INSERT INTO person (organisation_id, name, email, role, job_title, employment_type, "
                          "employment_start, status, created_at, updated_at) SELECT id, 'Alex Morgan', "
                          "'alex@knowsley.example.org', 'social_worker', '', 'employee', '2024-01-08', 'active', "
                          "'2025-01-01', '2025-01-01' FROM organisation"))
    upgrade(empty_database)
    with session_factory(engine)() as db:
        alex = db.scalars(select(Person)).one()
        assert alex.revision == 1
        alex.job_title = "Senior practitioner"
        db.commit()
        assert alex.revision == 2
    engine.dispose()
