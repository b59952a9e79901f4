"""The demo a newcomer meets: `docgen init --demo` replays a team's year, so the pages show a
believable month (issue 15): due, overdue, awaiting-signature and signed items on the supervisor's
dashboard, actions carried forward in a history, a compliance report that is not 0%, a cancelled
session to rebook and a leaver on HR's page. Everything is read through the pages, signed in as
the demo's people, on a copy of one demo instance."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from kernel.config import from_env
from storage.models import Action, ActionEntry, OutboxMessage, Person, Record
from tests.demo_instance import DemoInstance
from workflows import demo

# One worker replays the shared demo instance (tests/demo_instance.py) for all its users.
pytestmark = pytest.mark.xdist_group("demo")

HTML = {"Accept": "text/html"}
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def app(tmp_path: Path, demo_instance: DemoInstance) -> Iterator[Any]:
    from docgen.app import create_app

    env = demo_instance.copy_to(tmp_path)
    app = create_app(from_env({k: v for k, v in env.items() if k.startswith("DOCGEN_")}))
    yield app
    app.extensions["docgen"].engine.dispose()


def _signed_in(app: Any, who: str) -> Any:
    client = app.test_client()
    token = TOKEN.search(client.get("/sign-in", headers=HTML).get_data(as_text=True)).group(1)
    answer = client.post("/sign-in", headers=HTML, data={"csrf_token": token, "email": f"{who}@demo.example.org",
                                                         "password": demo.DEMO_PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _text(client: Any, path: str) -> str:
    page = client.get(path, headers=HTML, follow_redirects=True)
    assert page.status_code == 200, path
    html = page.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[html.index("<main"):html.index("</main>")]))


def _person(app: Any, key: str) -> int:
    with app.extensions["docgen"].sessions() as db:
        return db.scalar(select(Person.id).where(Person.email == f"{key}@demo.example.org"))


def test_the_supervisors_dashboard_shows_a_month_in_progress(app: Any) -> None:
    dashboard = _text(_signed_in(app, "manager"), "/")
    for name in ("Alex Morgan", "Jordan Lee", "Chris Evans", "Priya Patel", "Taylor Green"):
        assert name in dashboard
    assert "Waiting for Jordan Lee to agree" in dashboard
    assert "Chris Evans disagreed" in dashboard
    assert "Signed: the PDF is being sealed" in dashboard  # queued for the worker `docgen run` starts
    assert "Overdue" in dashboard  # Taylor's monthly supervision, last held seven weeks ago
    assert "Upcoming" in dashboard or "Due" in dashboard
    assert "review" in dashboard.lower()  # Taylor's agreement comes up for its annual review


def test_a_history_carries_open_actions_forward_and_drops_completed_ones(app: Any) -> None:
    with app.extensions["docgen"].sessions() as db:
        alex = db.scalar(select(Person).where(Person.email == "worker@demo.example.org"))
        signed = db.scalar(select(func.count(Record.id)).where(Record.supervisee_id == alex.id,
                                                              Record.status == "signed"))
        carried = db.scalar(select(func.count(func.distinct(ActionEntry.action_id)))
                            .join(Action, Action.id == ActionEntry.action_id)
                            .where(Action.supervisee_id == alex.id, ActionEntry.record_id != Action.raised_in_record_id))
        completed = db.scalar(select(func.count(Action.id)).where(Action.supervisee_id == alex.id,
                                                                   Action.completed_in_record_id.is_not(None)))
    assert signed >= 10 and carried >= 3 and completed >= 2
    history = _text(_signed_in(app, "manager"), f"/supervision/{alex.id}")
    assert "Book the safeguarding refresher course" in history


def test_the_asye_was_supervised_weekly_then_fortnightly(app: Any) -> None:
    with app.extensions["docgen"].sessions() as db:
        days = db.scalars(select(Record.session_date).join(Person, Person.id == Record.supervisee_id)
                          .where(Person.email == "asye@demo.example.org").order_by(Record.session_date)).all()
    gaps = [(b - a).days for a, b in zip(days, days[1:])]
    assert gaps[:5] == [7] * 5 and set(gaps[5:]) == {14}


def test_the_compliance_report_hr_and_planning_pages_have_something_to_show(app: Any) -> None:
    report = _text(_signed_in(app, "head"), "/reports/compliance")
    assert re.search(r"\b([1-9]\d?|100)(\.\d)?%", report), report[:2000]
    leavers = _text(_signed_in(app, "hr"), "/hr/leavers")
    assert "Morgan Blake" in leavers
    sessions = _text(_signed_in(app, "manager"), f"/supervision/{_person(app, 'taylor')}/sessions")
    assert "Cancelled" in sessions or "cancelled" in sessions
    assert "rebook" in sessions.lower()


def test_every_signed_document_waits_in_the_queue_for_its_sealed_pdf(app: Any) -> None:
    """The worker `docgen run` starts seals them; the replay converts nothing itself."""
    with app.extensions["docgen"].sessions() as db:
        signed = db.scalar(select(func.count(Record.id)).where(Record.status == "signed"))
    pending = app.extensions["docgen.tasks"].huey.pending()
    finalising = {tuple(task.args) for task in pending if task.name.endswith("finalise_document")}
    assert signed >= 40 and len({args for args in finalising if args[0] == "record"}) == signed


def test_the_replayed_year_is_never_e_mailed(app: Any) -> None:
    with app.extensions["docgen"].sessions() as db:
        unsent = db.scalars(select(OutboxMessage.last_error).where(OutboxMessage.sent_at.is_(None))).all()
    assert unsent and set(unsent) == {demo.HISTORY_NOT_SENT}


def test_the_demo_queues_no_e_mail_of_its_replayed_history(app: Any, demo_instance: DemoInstance) -> None:
    """Issue 27: a new demo left 101 invented e-mails of its year queued to send, some dated later
    the same day. The history is kept in the outbox, dated no later than the replay itself."""
    pending = app.extensions["docgen.tasks"].huey.pending()
    assert [task.name for task in pending if task.name.endswith("deliver_email")] == []
    made = dt.datetime.fromtimestamp((demo_instance.path / "storage.db").stat().st_mtime, dt.timezone.utc)
    with app.extensions["docgen"].sessions() as db:
        written = db.scalars(select(OutboxMessage.created_at)).all()
    assert written and max(written) <= made.replace(tzinfo=None)


def test_the_compliance_report_shows_who_the_dashboard_shows_overdue(app: Any) -> None:
    """Issue 27: the report said "Nothing is overdue" while the dashboard showed Taylor Green
    overdue since 9 November."""
    dashboard = _text(_signed_in(app, "manager"), "/")
    report = _text(_signed_in(app, "head"), "/reports/compliance")
    assert "Taylor Green" in dashboard and "Nothing is overdue" not in report
    overdue = report[report.index("Overdue now"):report.index("Agreements out of date")]
    assert "Taylor Green Supervision overdue" in overdue


def test_hr_reads_that_the_leavers_records_were_frozen_on_the_leaving_date(app: Any) -> None:
    """Issue 27: "Frozen on 7 December" beside "from the leaving date" (28 October): the replayed
    nightly run froze Morgan's records on the day they left, as it would have."""
    with app.extensions["docgen"].sessions() as db:
        morgan = db.scalar(select(Person).where(Person.email == "morgan@demo.example.org"))
        left = morgan.leave_date
    leavers = _text(_signed_in(app, "hr"), "/hr/leavers")
    assert f"Frozen on {left:%-d %B %Y}, the leaving date" in leavers
