"""Shared fixtures: the same app and API tests run on SQLite and on PostgreSQL (127.0.0.1:5432).

Each backend gets one migrated database per test session (PostgreSQL: created and dropped here);
every test starts from empty tables.
"""
from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest
from jinja2 import FileSystemBytecodeCache
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine, Table, create_engine, event, select, text
from werkzeug.routing import Rule

from kernel.config import Config
from storage.db import make_engine, session_factory, upgrade
from storage.models import Base, Organisation, Team
from tests.demo_instance import DemoInstance, make_demo_instance
from tests.mailbox import Mailbox, smtp_server_on
from tests.webhook_receiver import Receiver, start
from kernel import clock
from workflows import accounts, people
from workflows.profiles import load_profile

@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook, so a group it did name is seen
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an asyncio loop running in the main
    thread for the rest of the session, and pyHanko's sync calls (asyncio.run) cannot start inside
    it. The order of everything else is kept."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    if getattr(config.option, "loadgroup", False):
        _name_xdist_groups(items)


def _name_xdist_groups(items: list[pytest.Item]) -> None:
    """`--dist loadgroup` sends a test to its xdist_group's worker by the "@group" ending of its node
    id. pytest-xdist 3.8 writes that ending to `item._nodeid`, which pytest 9.2 no longer reads (its
    node id is the structured `item._id`; pytest-dev/pytest-xdist#1386): every group was spread over
    the workers, and each built the demo instance and the wheel again. This writes the same ending
    where pytest reads it, and leaves alone an id xdist has already ended (once it is fixed)."""
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


def pytest_configure() -> None:
    """Under PYTHONDONTWRITEBYTECODE every Python process of a run compiled each module it imports
    from source: about 20 seconds of CPU for each xdist worker to collect the suite, every run,
    and two for each `docgen` (or worker, or unoserver) a test starts. The modules compiled go to a
    folder of the machine's temporary directory instead, kept between runs (Python checks each
    against its source's size and time, and compiles a changed one again), so the checkout still
    gets no __pycache__. Set here, before pytest-xdist starts its workers: they and every process a
    test starts inherit it; this process writes what it imports from now on."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    prefix = str(Path(tempfile.gettempdir()) / f"docgen-tests-pycache-{os.getuid()}")
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.dont_write_bytecode = False
    sys.pycache_prefix = prefix


PG_ADMIN = os.environ.get("DOCGEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_database() -> Iterator[str]:
    name = f"docgen_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A commit need not wait for its WAL to reach the disk: what that protects against is a
        # power cut, which no test makes, and the wait was a few milliseconds a commit.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def sqlite_commits_without_fsync() -> Iterator[None]:
    """SQLite test databases skip the fsync of each commit, as the PostgreSQL ones skip waiting for
    theirs (`_pg_database`): a power cut is the only thing it guards against, and at about 3.5 ms a
    commit it was a large part of a request's time in the suite. Deployments keep SQLite's default
    (`storage.db.make_engine`); processes a test starts do too."""
    def no_fsync(conn: Any, _record: Any) -> None:
        if isinstance(conn, sqlite3.Connection):
            conn.execute("PRAGMA synchronous=OFF")

    event.listen(Engine, "connect", no_fsync)
    yield
    event.remove(Engine, "connect", no_fsync)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'storage.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    for url in _pg_database():
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    url = request.getfixturevalue(f"{request.param}_url")
    yield url
    engine = make_engine(url)
    with engine.begin() as conn:
        deletes = [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE makes every table's files
            # anew (three times slower here); the sequences restart as TRUNCATE ... RESTART IDENTITY would.
            sequences = conn.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
            conn.exec_driver_sql("; ".join(deletes + [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences.scalars()]))
        else:
            for statement in deletes:
                conn.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(env="test", instance_path=tmp_path / "instance", database_url=database_url,
                  secret_key="test-secret-" + "x" * 32, tasks_url="memory")


@pytest.fixture(scope="session")
def warm_converter() -> Iterator[Any]:
    """One warm LibreOffice for the whole run, as a worker process has one (started on first use)."""
    from documents.pdf import WarmConverter

    converter = WarmConverter()
    yield converter
    converter.stop()


@pytest.fixture(scope="session")
def compiled_templates(tmp_path_factory: pytest.TempPathFactory) -> FileSystemBytecodeCache:
    """Jinja's compiled templates, shared by every test's app. A deployment compiles each template
    once per process; a test builds a new app, and compiling the GOV.UK macros again took about
    half of a page test's time. Entries are keyed by the template's source, so a change is seen."""
    return FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja")))


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once() -> Iterator[None]:
    """Werkzeug compiles a URL builder for each of an app's 175 rules; every test builds an app, and
    that was two thirds of building one. A builder is a pure function of the rule's parsed parts and
    defaults (the rule itself is passed in when it runs), so the tests compile each one once."""
    compile_builder = Rule._compile_builder
    compiled: dict[Any, Any] = {}

    def once(rule: Rule, append_unknown: bool = True) -> Any:
        key = (tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
               tuple(sorted((k, type(c).__name__) for k, c in rule._converters.items())), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = once  # type: ignore[method-assign]
    yield
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


@pytest.fixture
def app(config: Config, warm_converter: Any, compiled_templates: FileSystemBytecodeCache) -> Iterator[Any]:
    from docgen.app import create_app

    app = create_app(config)
    app.jinja_env.bytecode_cache = compiled_templates
    app.extensions["docgen"].converter = warm_converter
    yield app
    app.extensions["docgen"].engine.dispose()


@pytest.fixture
def db(app: Any, config: Config) -> Iterator[Any]:
    """A session for the test to look at (and set up) the database beside the app.

    On SQLite it has its own plain engine: pysqlite's deferred BEGIN, so a test's reads never hold
    the write lock that the app's engine takes at the start of every transaction (BEGIN
    IMMEDIATE) while the test goes on to make requests. On PostgreSQL the app's engine serves.
    """
    url = config.resolved_database_url
    if not url.startswith("sqlite"):
        with app.extensions["docgen"].sessions() as session:
            yield session
        return
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA foreign_keys=ON"))
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashes() -> Iterator[None]:
    """Cheap argon2 parameters for tests only; production keeps the library's defaults."""
    from argon2 import PasswordHasher

    saved = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = saved


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


@dataclass
class Org:
    """A realistic small organisation: a team, a manager, two workers, HR, auditor, admin."""

    org: Organisation
    team: Any
    ids: dict[str, int]
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@dataclass(frozen=True)
class _Saved:
    """The rows the organisation was made of, and what a test needs of it besides them."""

    rows: list[tuple[Table, list[dict[str, Any]]]]
    ids: dict[str, int]
    tokens: dict[str, str]


_saved_orgs: dict[str, _Saved] = {}  # by database: one per backend and xdist worker


def _clock_is_real() -> bool:
    """A test that moved the clock before its organisation was made gets one made at that time:
    the saved rows carry the time they were made (token expiry, created_at)."""
    real = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return abs(clock.now() - real) < dt.timedelta(seconds=5)


@pytest.fixture
def org(app: Any) -> Org:
    """The organisation, made through the use cases once per database and run, and then put back
    as the same rows for every test: making it (seven people, their accounts and tokens) was about
    a fifth of a page test's time. Every table is emptied after each test (`database_url`)."""
    services = app.extensions["docgen"]
    key = services.engine.url.render_as_string(hide_password=False)
    saved = _saved_orgs.get(key) if _clock_is_real() else None
    if saved is None:
        ids, tokens = _make_org(services)
        if _clock_is_real():
            _saved_orgs[key] = _Saved(_rows_of_every_table(services.engine), ids, tokens)
    else:
        _put_back(services.engine, saved.rows)
        ids, tokens = saved.ids, saved.tokens
    with services.sessions() as db:
        org = db.scalars(select(Organisation)).one()
        team = db.scalars(select(Team)).one()
        db.expunge_all()
    return Org(org=org, team=team, ids=dict(ids), tokens=dict(tokens))


def _make_org(services: Any) -> tuple[dict[str, int], dict[str, str]]:
    profile = load_profile("knowsley")
    with services.sessions.begin() as db:
        org = Organisation(name="Knowsley Council", profile="knowsley")
        db.add(org)
        db.flush()
        team = people.create_team(db, org, "Children in Need 1", "Children's Social Care")
        start = dt.date(2024, 1, 8)
        spec = [("head", "Dana Okafor", "head_of_service", None, ["senior_manager"]),
                ("manager", "Sam Whitfield", "team_manager", "head", []),
                ("worker", "Alex Morgan", "social_worker", "manager", []),
                ("asye", "Priya Patel", "asye", "manager", []),
                ("hr", "Harriet Reid", "social_worker", None, ["hr"]),
                ("auditor", "Omar Aziz", "social_worker", None, ["auditor"]),
                ("admin", "Ada Admin", "social_worker", None, ["admin"])]
        ids: dict[str, int] = {}
        tokens: dict[str, str] = {}
        for key, name, role, manager, roles in spec:
            person = people.create_person(db, org, profile, {
                "name": name, "email": f"{key}@knowsley.example.org", "role": role, "team_id": team.id,
                "line_manager_id": ids.get(manager) if manager else None, "employment_start": start})
            account = accounts.create_account(db, person, "correct-horse-battery", roles)
            ids[key] = person.id
            tokens[key] = accounts.issue_api_token(db, account, "test")
        for supervisee, supervisor in (("worker", "manager"), ("asye", "manager"), ("manager", "head")):
            people.create_relationship(db, ids[supervisee], ids[supervisor], start)
    return ids, tokens


def _rows_of_every_table(engine: Any) -> list[tuple[Table, list[dict[str, Any]]]]:
    with engine.connect() as conn:
        rows = [(table, [dict(row) for row in conn.execute(table.select()).mappings()])
                for table in Base.metadata.sorted_tables]
    return [(table, found) for table, found in rows if found]


def _put_back(engine: Any, rows: list[tuple[Table, list[dict[str, Any]]]]) -> None:
    """Insert the saved rows, parents first; on PostgreSQL move each id sequence past them, as
    making them did (the teardown restarts the sequences)."""
    with engine.begin() as conn:
        for table, found in rows:
            conn.execute(table.insert(), found)
            if engine.dialect.name == "postgresql" and "id" in table.c:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                  f"(SELECT max(id) FROM \"{table.name}\"))"))


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 for the module; point `config.smtp_port` at its `port`."""
    with smtp_server_on() as mailbox:
        yield mailbox


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Mailbox:
    """The SMTP server, emptied for this test."""
    smtp_server.envelopes.clear()
    return smtp_server


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server of the module's own (fresh buckets per module), on a free port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory: pytest.TempPathFactory) -> DemoInstance:
    """`docgen init --demo` run once for the test run; tests copy it (`DemoInstance.copy_to`)."""
    return make_demo_instance(tmp_path_factory.mktemp("demo") / "instance")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback that checks each delivery's signature (tests/webhook_receiver.py)."""
    receiver = Receiver()
    server = start(receiver)
    yield receiver
    server.shutdown()
    server.server_close()
