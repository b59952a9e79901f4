"""Our API-level generation of a record's Word file vs raw docxtpl on the same template.

For 10 and 200 actions: time GET /api/v1/records/<id>/docx through the Flask app (access check,
audit entry, database reads, context, render, custom properties) against docxtpl's own
render+save of the same template with the same context, measured in the same run, their calls
taken in turn; the CPU ratio is the same comparison in this process's CPU time, which other work
on the machine disturbs less than the wall clock. Ours includes reading back the form the file
prints, sealed into it for a later three-way merge (workflows.word_files).
Target: ours <= 1.3x raw. Run: .venv/bin/python bench/render.py
"""
from __future__ import annotations

import datetime as dt
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docxtpl import DocxTemplate  # noqa: E402

from docgen.app import create_app  # noqa: E402
from kernel.config import Config  # noqa: E402
from storage.db import upgrade  # noqa: E402
from storage.models import Organisation, Person  # noqa: E402
from documents.render import DEFAULT_TEMPLATE_DIR  # noqa: E402
from workflows import accounts, actions, people, records  # noqa: E402
from workflows.profiles import load_profile  # noqa: E402

RUNS = 15


def _setup(instance: Path) -> tuple[object, str, dict[int, int]]:
    url = f"sqlite:///{instance / 'bench.db'}"
    upgrade(url)
    app = create_app(Config(env="test", instance_path=instance, database_url=url, secret_key="b" * 40, tasks_url="memory"))
    services = app.extensions["docgen"]
    profile = load_profile("knowsley")
    ids: dict[int, int] = {}
    with services.sessions.begin() as db:
        org = Organisation(name="Knowsley Council", profile="knowsley")
        db.add(org)
        db.flush()
        start = dt.date(2024, 1, 8)
        manager = people.create_person(db, org, profile, {"name": "Sam Whitfield", "email": "m@bench.example.org",
                                                          "role": "team_manager", "employment_start": start})
        token = accounts.issue_api_token(db, accounts.create_account(db, manager, "bench-password-1"))
        for n in (10, 200):
            worker = people.create_person(db, org, profile, {"name": f"Worker {n}", "email": f"w{n}@bench.example.org",
                                                             "role": "social_worker", "employment_start": start,
                                                             "line_manager_id": manager.id})
            people.create_relationship(db, worker.id, manager.id, start)
            record = records.create_record(db, profile, db.get(Person, worker.id), dt.date(2026, 11, 2))
            for i in range(n):
                action = actions.raise_action(db, record, section="summary", text=f"Action {i}: review the plan "
                                              "with the family & partner agencies <by Friday>", owner="Worker", due="4 weeks")
                actions.record_progress(db, record, action.id, progress=f"Progress on action {i}")
            ids[n] = record.id
    return app, token, ids


def _timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _compare(ours, raw) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    """Median (wall, CPU) seconds of ours and of raw, their runs taken in turn: on a machine busy
    with other work, both see the same load and the ratio stays comparable between runs."""
    ours(), raw()
    samples = [(_timed(ours), _timed(raw)) for _ in range(RUNS)]
    return tuple(statistics.median(sample[side][kind] for sample in samples)  # type: ignore[return-value]
                 for side in (0, 1) for kind in (0, 1))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, token, ids = _setup(Path(tmp))
        client = app.test_client()
        services = app.extensions["docgen"]
        template = DEFAULT_TEMPLATE_DIR / "practitioner.docx"
        print(f"{'actions':>8} {'ours (ms)':>10} {'raw docxtpl (ms)':>17} {'ratio':>6} {'CPU ratio':>10}"
              "  target <= 1.30")
        for n, record_id in ids.items():
            with services.sessions() as db:
                record = records.get_record(db, record_id)
                context = records.record_context(db, services.profile, services.organisation(db), record)

            def raw() -> None:
                doc = DocxTemplate(template)
                doc.render(context, autoescape=True)
                doc.save(io.BytesIO())

            def ours() -> None:
                response = client.get(f"/api/v1/records/{record_id}/docx", headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200 and len(response.data) > 10_000

            t_ours, cpu_ours, t_raw, cpu_raw = _compare(ours, raw)
            print(f"{n:>8} {t_ours * 1000:>10.1f} {t_raw * 1000:>17.1f} {t_ours / t_raw:>6.2f} {cpu_ours / cpu_raw:>10.2f}")


if __name__ == "__main__":
    main()
