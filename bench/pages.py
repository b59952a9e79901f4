"""What does a page cost the server, beside the cheapest page Flask and GOV.UK can serve?

Builds bench/report.py's organisation on PostgreSQL (about 3,000 people, 98,000 records), with
about 150 leavers and a record sent for sign-off, then serves through docgen's own app (in
process, no network, so the figure is the server's time):
  - the floor: a GOV.UK page filled from one indexed query, made here, served by a bare Flask app
    with a SQLAlchemy session on the same database; the same route inside docgen's app shows what
    docgen's per-request work (unit of work, session, logs, metrics, headers) adds to every page;
  - the link page a supervisee opens from the e-mail, the record page, the supervisor dashboard
    (a team of 19), My records, the compliance report for a quarter and HR's leavers page.
For each it prints the median and p95 in ms, the SQL statements one request runs and the ratio
to the floor's median, all from the same run, against issue 26's targets; then a cProfile of the
page furthest over its target and PostgreSQL's plan (EXPLAIN ANALYZE) of that page's slowest
statement. The database is dropped at the end.

Run: .venv/bin/python bench/pages.py [--runs 50] [--keep] [--reuse] [--only TEXT] [--database NAME]
(--keep then --reuse measures again without building the organisation anew; --only measures the
pages whose label holds TEXT, beside the floor.)
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import itertools
import logging
import pstats
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import psycopg
from flask import Flask, g, render_template
from sqlalchemy import event, select

import report
from docgen.app import create_app
from kernel import clock
from kernel.config import Config
from storage.db import session_factory
from storage.models import Account, Person, Record, SignoffLink
from workflows import accounts, links

TODAY = report.TODAY
PASSWORD = "bench-password-not-secret"
# The cheapest page a GOV.UK service can serve: its own template, one indexed row, no context.
FLOOR = """<!DOCTYPE html><html lang="en" class="govuk-template"><head><meta charset="utf-8">
<title>{{ person.name }} – Supervision records</title>
<link rel="stylesheet" href="/assets/govuk-frontend.min.css"></head>
<body class="govuk-template__body"><header class="govuk-header"><div class="govuk-header__container
govuk-width-container"><a href="/" class="govuk-header__link">Supervision records</a></div></header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">{{ person.name }}</h1><dl class="govuk-summary-list">
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Role</dt>
<dd class="govuk-summary-list__value">{{ person.role }}</dd></div>
<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Started</dt>
<dd class="govuk-summary-list__value">{{ person.employment_start.strftime('%-d %B %Y') }}</dd></div>
</dl></main></div></body></html>"""
# Issue 26's targets: a ratio to the floor, or milliseconds at 100k records.
TARGETS: dict[str, tuple[str, float]] = {
    "link page": ("ratio", 2.0),
    "record page": ("ratio", 3.0),
    "supervisor dashboard (team of 19)": ("ms", 25.0),
    "compliance report, a quarter": ("ms", 60.0),
}


@dataclass
class Statements:
    """The SQL a request runs, with each statement's time, counted on the app's engine."""

    log: list[tuple[float, str, Any]] = field(default_factory=list)
    started: dict[int, float] = field(default_factory=dict)

    def listen(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            self.started[id(cursor)] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            began = self.started.pop(id(cursor), time.perf_counter())
            self.log.append(((time.perf_counter() - began) * 1000, statement, params))


def add_leavers(url: str) -> None:
    """One social worker in twenty left a month ago, for HR's leavers page."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("UPDATE person SET status = 'leaver', leave_date = %s WHERE role = 'social_worker' "
                     "AND id %% 20 = 0", (TODAY - dt.timedelta(days=30),))
        conn.commit()


def sign_ins(app: Flask) -> dict[str, Any]:
    """The sign-ins (team 7's manager, one of that team, an HR officer, an auditor for the compliance
    report), and that member's latest record sent to them, with its link's token."""
    services = app.extensions["docgen"]
    with services.session_maker.begin() as db:
        manager = db.scalar(select(Person).where(Person.team_id == 7, Person.role == "team_manager"))
        member = db.scalar(select(Person).where(Person.line_manager_id == manager.id, Person.status == "active")
                           .order_by(Person.id))
        hr, auditor = db.scalars(select(Person).where(Person.role == "head_of_service").order_by(Person.id)
                                 .limit(2)).all()
        record = db.scalar(select(Record).where(Record.supervisee_id == member.id).order_by(Record.session_date.desc()))
        record.status = "awaiting_supervisee"
        issued = links.issue(days=14)
        db.add(SignoffLink(record_id=record.id, version=record.version, signer_id=member.id,
                           signer_role="supervisee", token_hash=issued.token_hash, expires_at=issued.expires_at))
        made = {who: db.scalar(select(Account).where(Account.person_id == person.id))  # kept by --keep
                or accounts.create_account(db, person, PASSWORD, roles) for who, person, roles in (
            ("manager", manager, []), ("member", member, []), ("hr", hr, ["hr"]), ("auditor", auditor, ["auditor"]))}
        db.flush()
        return {"accounts": {who: (a.id, a.password_hash[-16:]) for who, a in made.items()},
                "record": record.id, "token": issued.token, "floor_person": member.id}


def add_floor(app: Flask) -> None:
    """The floor page inside docgen's app, reading through the request's unit of work."""
    template = app.jinja_env.from_string(FLOOR)  # compiled once, as Flask caches a template file

    @app.get("/bench-floor/<int:person_id>")
    def floor(person_id: int) -> str:
        return render_template(template, person=g.uow.session.get(Person, person_id))


def bare_flask(engine: Any) -> Flask:
    """The floor: Flask, one SQLAlchemy session a request, one indexed row, a GOV.UK template."""
    app = Flask(__name__)
    sessions = session_factory(engine)
    template = app.jinja_env.from_string(FLOOR)

    @app.get("/bench-floor/<int:person_id>")
    def floor(person_id: int) -> str:
        with sessions() as db:
            return render_template(template, person=db.get(Person, person_id))
    return app


def client_as(app: Flask, account: tuple[int, str] | None) -> Any:
    """A test client holding a signed-in session cookie, as docgen's sign-in leaves it."""
    client = app.test_client()
    if account is not None:
        with client.session_transaction() as session:
            session["account_id"], session["epoch"] = account
            session.permanent = True
    return client


_ADDRESSES = (f"10.1.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())


def get(client: Any, path: str) -> Any:
    """A browser's GET, from a new address each time, as 50 supervisees opening their links come
    from 50 (the link pages' rate limit counts per address)."""
    return client.get(path, headers={"Accept": "text/html"}, environ_overrides={"REMOTE_ADDR": next(_ADDRESSES)})


def measure(client: Any, path: str, runs: int, statements: Statements) -> tuple[float, float, int]:
    """Median and p95 ms of `runs` requests after two warm-ups, and the statements of one request."""
    for _ in range(2):
        answer = get(client, path)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.get_data(as_text=True)[:300]}"
    statements.log.clear()
    get(client, path)
    count = len(statements.log)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        get(client, path)
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)], count


def verdict(label: str, median: float, ratio: float) -> str:
    kind, limit = TARGETS.get(label, ("", 0.0))
    if not kind:
        return ""
    value = ratio if kind == "ratio" else median
    unit = "x floor" if kind == "ratio" else " ms"
    return f"{'ok' if value <= limit else 'OVER'} (target {limit:g}{unit})"


def profile_page(client: Any, path: str, statements: Statements, engine: Any) -> None:
    """Where the worst page spends its time, and PostgreSQL's plan of its slowest statement."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        get(client, path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())
    statements.log.clear()
    get(client, path)
    took, sql, params = max(statements.log, key=lambda s: s[0])
    print(f"slowest statement ({took:.1f} ms):\n{_shortened(sql)}\n")
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN ANALYZE {sql}", params).scalars().all()
    print("\n".join(_shortened(line) for line in plan))


def _shortened(text: str, keep: int = 600) -> str:
    """A statement or plan line cut to a readable length: an IN list of 3,000 ids ran to 100 kB."""
    return text if len(text) <= keep else f"{text[:keep]} … ({len(text) - keep:,} more characters)"


def serve(url: str, runs: int, only: str = "") -> None:
    clock.set_clock(lambda: dt.datetime.combine(TODAY, dt.time(9)))
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(Config(env="development", instance_path=Path(instance), database_url=url,
                                organisation="Bench Council", secret_key="b" * 40))
        logging.getLogger("docgen").setLevel(logging.WARNING)  # the request log, one line a request
        add_floor(app)
        who = sign_ins(app)
        engine = app.extensions["docgen"].engine
        floor_path = f"/bench-floor/{who['floor_person']}"
        statements = Statements()
        statements.listen(engine)
        pages = [
            ("floor inside docgen's app", who["accounts"]["member"], floor_path),
            ("link page", None, f"/sign/{who['token']}"),
            ("record page", who["accounts"]["manager"], f"/records/{who['record']}"),
            ("supervisor dashboard (team of 19)", who["accounts"]["manager"], "/supervision"),
            ("My records", who["accounts"]["member"], "/my-records"),
            ("compliance report, a quarter", who["accounts"]["auditor"], "/reports/compliance"),
            ("HR leavers page", who["accounts"]["hr"], "/hr/leavers"),
        ]
        pages = [page for page in pages if only.lower() in page[0].lower()]
        print(f"\n{runs} requests each after two warm-ups, in process (server time)")
        print(f"{'page':<36} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>4} {'x floor':>8}")
        floor_median, p95, count = measure(bare_flask(engine).test_client(), floor_path, runs, statements)
        print(f"{'floor (bare Flask)':<36} {floor_median:7.2f} {p95:7.2f} {count:4d} {1:8.2f}")
        worst = (0.0, "", None)
        for label, account, path in pages:
            median, p95, count = measure(client_as(app, account), path, runs, statements)
            ratio = median / floor_median
            print(f"{label:<36} {median:7.2f} {p95:7.2f} {count:4d} {ratio:8.2f}  {verdict(label, median, ratio)}")
            if path != floor_path and ratio > worst[0]:
                worst = (ratio, path, account)
        print(f"\ncProfile of the costliest page, {worst[1]} (20 requests):")
        profile_page(client_as(app, worst[2]), worst[1], statements, engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--reuse", action="store_true", help="Measure on a database kept by --keep, unbuilt.")
    parser.add_argument("--only", default="", help="Only the pages whose label holds this text.")
    parser.add_argument("--database", default=report.NAME, help="The database's name (one per concurrent run).")
    args = parser.parse_args()
    name = args.database
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        if not args.reuse:
            with psycopg.connect(report.ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            report.upgrade(url)
            began = time.perf_counter()
            counts = report.build(url)
            add_leavers(url)
            print(f"loaded {', '.join(f'{v:,} {k}' for k, v in counts.items())} in {time.perf_counter() - began:.1f} s")
        serve(url, args.runs, args.only)
    finally:
        if not args.keep:
            with psycopg.connect(report.ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
