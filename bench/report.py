"""Is the due list and the organisation's compliance report fast enough at 100,000 records?

Builds an organisation on PostgreSQL in its own database `docgen_bench` (about 3,000 people in
150 teams under 10 heads of service, about 33 monthly records each, agreements and planned
sessions), bulk-loaded with COPY; then times, after a warm-up, 30 runs each of:
  - due_list for the whole organisation,
  - due_list for one team,
  - the organisation's compliance report for a quarter,
and prints p50/p95 in milliseconds against the 100 ms target: on the schema as migrated, then
again with any PROPOSED_INDEXES (candidates not yet in models.py). The database is dropped at the
end.

Run: .venv/bin/python bench/report.py [--runs 30] [--keep]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from typing import Any, Callable, Iterable

import psycopg

from docgen import collector
from storage.db import make_engine, session_factory, upgrade
from kernel import clock
from workflows.compliance import team_report
from workflows.due_dates import record_due_date
from workflows.due_list import due_list
from workflows.profiles import load_profile

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME = "docgen_bench"
TODAY = dt.date(2026, 4, 15)
TARGET_MS = 100.0
# Candidate indexes to measure before adding them to models.py and a migration. The last one
# tried, a partial index on unsigned records (status NOT IN ('signed', 'finalised')), made no
# measurable difference: the statuses are bound parameters, so PostgreSQL's generic plans cannot
# use a partial index, and the scan it would replace took 2 ms.
PROPOSED_INDEXES: list[str] = []
SERVICES, TEAMS_PER_SERVICE, WORKERS_PER_TEAM, RECORDS_EACH = 10, 15, 19, 36


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    n = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def build(url: str) -> dict[str, int]:
    """Load the organisation; returns the row counts."""
    rng = random.Random(2026)
    profile = load_profile("knowsley")
    now = dt.datetime(2026, 4, 15, 9)
    people: list[tuple[Any, ...]] = []
    teams: list[tuple[Any, ...]] = []
    supervisor_of: dict[int, int] = {}

    def person(pid: int, role: str, team: int | None, manager: int | None, start: dt.date) -> None:
        people.append((pid, 1, f"Person {pid}", f"p{pid}@bench.example.org", role, "", team, manager,
                       "employee", start, None, "active", None, None, now, now))

    pid = 0
    for s in range(SERVICES):
        pid += 1
        head = pid
        person(head, "head_of_service", None, None, dt.date(2015, 1, 5))
        for t in range(TEAMS_PER_SERVICE):
            team_id = s * TEAMS_PER_SERVICE + t + 1
            teams.append((team_id, 1, f"Team {team_id}", f"Service {s + 1}"))
            pid += 1
            manager = pid
            person(manager, "team_manager", team_id, head, dt.date(2018, 3, 1))
            supervisor_of[manager] = head
            for _ in range(WORKERS_PER_TEAM):
                pid += 1
                role = rng.choice(["social_worker"] * 8 + ["asye", "family_support_worker"])
                start = TODAY - dt.timedelta(days=rng.randint(60, 300) if role == "asye" else rng.randint(1000, 4000))
                person(pid, role, team_id, manager, start)
                supervisor_of[pid] = manager
    starts = {p[0]: p[9] for p in people}

    records, agreements, sessions, rels = [], [], [], []
    rid = sid = 0
    for n, (supervisee, supervisor) in enumerate(supervisor_of.items(), start=1):
        began = max(starts[supervisee], dt.date(2023, 1, 2))
        rels.append((n, supervisee, supervisor, began, None))
        agreements.append((n, supervisee, supervisor, n, "signed", began, began + dt.timedelta(days=365),
                           json.dumps({"frequency": rng.choice(["monthly", "fortnightly", "every 4 weeks"])}), 1,
                           None, now, now))
        day = TODAY - dt.timedelta(days=rng.randint(0, 45))
        for k in range(RECORDS_EACH):
            if day < starts[supervisee]:
                break
            rid += 1
            due = record_due_date(profile, day)
            late = rng.random() < 0.2
            signed = None if (k == 0 and rng.random() < 0.5) else dt.datetime.combine(
                due + dt.timedelta(days=rng.randint(1, 6) if late else -rng.randint(0, 3)), dt.time(15))
            records.append((rid, "practitioner", supervisee, supervisor, day, due, "draft" if signed is None else "signed",
                            "{}", 1, signed, now, now))
            day -= dt.timedelta(days=rng.randint(24, 38))
        sid += 1
        sessions.append((sid, supervisee, supervisor, dt.datetime.combine(TODAY + dt.timedelta(days=rng.randint(1, 40)),
                                                                          dt.time(10)), 60, "", "planned", None, None,
                         None, 0, f"s{sid}@bench"))
        if rng.random() < 0.05:
            sid += 1
            cancelled = TODAY - dt.timedelta(days=rng.randint(1, 12))
            sessions.append((sid, supervisee, supervisor, dt.datetime.combine(cancelled + dt.timedelta(days=3),
                                                                              dt.time(10)), 60, "", "cancelled",
                             cancelled, supervisor, None, 1, f"s{sid}@bench"))

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("INSERT INTO organisation (id, name, profile, created_at) VALUES (1, 'Bench Council', "
                     "'knowsley', now())")
        counts = {
            "team": _copy(conn, "team", ("id", "organisation_id", "name", "service"), teams),
            "person": _copy(conn, "person", ("id", "organisation_id", "name", "email", "role", "job_title", "team_id",
                                             "line_manager_id", "employment_type", "employment_start", "leave_date",
                                             "status", "records_frozen_on", "forwarded_to_hr_on", "created_at",
                                             "updated_at"), people),
            "supervision_relationship": _copy(conn, "supervision_relationship",
                                              ("id", "supervisee_id", "supervisor_id", "starts_on", "ends_on"), rels),
            "agreement": _copy(conn, "agreement", ("id", "supervisee_id", "supervisor_id", "relationship_id", "status",
                                                   "started_on", "review_date", "fields", "version", "superseded_by_id",
                                                   "created_at", "updated_at"), agreements),
            "record": _copy(conn, "record", ("id", "kind", "supervisee_id", "supervisor_id", "session_date",
                                             "due_date", "status", "sections", "version", "signed_at", "created_at",
                                             "updated_at"), records),
            "planned_session": _copy(conn, "planned_session", ("id", "supervisee_id", "supervisor_id", "starts_at",
                                                               "minutes", "location", "status", "cancelled_on",
                                                               "cancelled_by_id", "rebooked_as_id", "ics_sequence",
                                                               "uid"), sessions),
        }
        for table in counts:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return counts


def timed(runs: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """p50 and p95 in ms over `runs` calls after one warm-up call."""
    result = fn()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{NAME}"
    engine = None
    try:
        upgrade(url)
        began = time.perf_counter()
        counts = build(url)
        print(f"loaded {', '.join(f'{v:,} {k}' for k, v in counts.items())} in {time.perf_counter() - began:.1f} s")
        clock.set_clock(lambda: dt.datetime.combine(TODAY, dt.time(9)))
        collector.tune()  # as the app factory does in every docgen process
        profile = load_profile("knowsley")
        engine = make_engine(url)
        sessions = session_factory(engine)
        quarter = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 3, 31)}
        with sessions() as db:
            cases: list[tuple[str, Callable[[], Any]]] = [
                ("due_list, whole organisation", lambda: due_list(db, profile, TODAY)),
                ("due_list, one team", lambda: due_list(db, profile, TODAY, team_id=7)),
                ("compliance report, organisation, a quarter", lambda: team_report(db, profile, **quarter)),
            ]
            for schema in ("as migrated", "with PROPOSED_INDEXES")[:2 if PROPOSED_INDEXES else 1]:
                if schema != "as migrated":
                    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
                        for ddl in PROPOSED_INDEXES:
                            c.execute(ddl)
                        c.execute("ANALYZE record")
                print(f"\nschema {schema}: {args.runs} runs after a warm-up")
                print(f"{'operation':<45} {'p50 ms':>8} {'p95 ms':>8}  target {TARGET_MS:.0f} ms")
                for label, fn in cases:
                    p50, p95, result = timed(args.runs, fn)
                    size = f"{len(result)} items" if isinstance(result, list) else \
                        "; ".join(f"{m.key} {m.count}/{m.total}" for m in result.measures)
                    verdict = "ok" if p95 < TARGET_MS else "OVER"
                    print(f"{label:<45} {p50:8.1f} {p95:8.1f}  {verdict}  ({size})")
    finally:
        if engine is not None:
            engine.dispose()
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
