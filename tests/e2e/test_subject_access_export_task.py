"""A subject access request's export is made by the worker, not the web request (issue 25 item 1),
on SQLite and PostgreSQL: Harriet in HR withholds Sam Whitfield from Alex Morgan's draft, which
needs a redacted copy (a LibreOffice conversion), and presses "Prepare the export". The request
only records that it was asked for; the worker builds the zip and files it in the document store
with its SHA-256; the page then offers it, and the download serves exactly those bytes. A filed zip
whose bytes changed is refused, a withholding changed since makes it out of date, a task lost on the
way is asked again by the sweep after ten minutes (for a day; the page offers to prepare it again),
and one that cannot be made, LibreOffice failing too, says why. Retention destroys a filed export
(logged, retried when the store refuses) and nothing makes another from what is left; a zip left by
a crash before its commit goes with the orphan sweep; the download is kept by no cache."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from documents.pdf import ConversionError
from kernel import clock
from storage import filing
from storage.backends.base import ObjectMissing, RetentionLocked
from storage.models import AuditEvent, DestructionLog, Person, SubjectAccessExport, SubjectAccessWithholding
from tests.e2e.test_subject_access import NOW, _audited, _draft_naming_sam, _recorded, _sams_key
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from tests.e2e.test_web_signoff import _worker_runs, queued_tasks  # noqa: F401  (a fixture)
from workflows import retention

pytestmark = pytest.mark.libreoffice


@pytest.fixture(autouse=True)
def mid_november() -> None:
    clock.set_clock(lambda: NOW)  # the conftest's real_clock puts the clock back


class NoConversionHere:
    """A converter that fails the test if anything converts while it is in place."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def __call__(self) -> NoConversionHere:
        return self

    def convert(self, source: bytes) -> bytes:
        self.asked.append(len(source))
        raise AssertionError("a conversion ran inside the web request")


def _filed(db: Any) -> SubjectAccessExport:
    db.expire_all()
    return db.scalar(select(SubjectAccessExport))


def _withhold_sam(client: Any, url: str) -> str:
    key = _sams_key(client, url)
    withheld = post(client, f"{url}/withhold", {"key": key, "reason": "Sam is another member of staff"}, page=url)
    assert withheld.status_code == 303, words(withheld)
    return key


def test_asking_converts_nothing_in_the_request_and_the_worker_files_what_the_download_serves(
        app: Any, client: Any, org: Any, db: Any, queued_tasks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _draft_naming_sam(db, org)
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    key = _withhold_sam(client, url)
    services = app.extensions["docgen"]
    warm, refusing = services.converter, NoConversionHere()
    monkeypatch.setattr(services, "converter", refusing)
    asked = post(client, f"{url}/export", {}, page=url)
    assert asked.status_code == 303, words(asked)
    assert refusing.asked == []  # the redacted copy waits for the worker
    page = words(client.get(url, headers=HTML))
    assert "Being prepared" in page and "Download the export" not in page
    assert client.get(f"{url}/export.zip", headers=HTML).status_code == 409
    assert "subject_access.exported" not in _audited(db, url)

    monkeypatch.setattr(services, "converter", warm)  # the worker's own LibreOffice
    _worker_runs(queued_tasks, "make_subject_access_export")
    filed = _filed(db)
    assert filed.storage_key and filed.storage_key.startswith("subject-access/") and filed.problem == ""
    page = text(client.get(url, headers=HTML))
    assert "Ready" in page and f'href="{url}/export.zip"' in page and filed.sha256 in page
    downloaded = client.get(f"{url}/export.zip", headers=HTML)
    assert downloaded.status_code == 200 and downloaded.mimetype == "application/zip"
    assert downloaded.headers["Content-Disposition"].endswith('-20261116.zip"')
    assert hashlib.sha256(downloaded.data).hexdigest() == filed.sha256 and len(downloaded.data) == filed.size
    with zipfile.ZipFile(io.BytesIO(downloaded.data)) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert any(name.endswith("-redacted.pdf") for name in names) and manifest["withheld"], names
    exported = db.scalar(select(AuditEvent).where(AuditEvent.action == "subject_access.exported"))
    assert exported.actor_id == org.ids["hr"] and exported.detail["basis"] == "page"
    assert exported.detail["sha256"] == filed.sha256 and exported.detail["withheld"] == [key]
    served = db.scalar(select(AuditEvent).where(AuditEvent.action == "subject_access.export_downloaded"))
    assert served.actor_id == org.ids["hr"] and served.detail["sha256"] == filed.sha256


def test_a_filed_export_whose_bytes_changed_is_refused_not_served(app: Any, client: Any, org: Any,
                                                                 db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303  # the worker runs inline here
    filed = _filed(db)
    app.extensions["docgen"].store.put(filed.storage_key, b"PK\x03\x04 another zip altogether")
    refused = client.get(f"{url}/export.zip", headers=HTML)
    assert refused.status_code == 500 and refused.mimetype == "text/html"
    assert "Sorry, there is a problem with the service" in words(refused) and b"another zip" not in refused.data
    assert "subject_access.export_downloaded" not in _audited(db, url)


def test_a_withholding_changed_after_the_export_makes_it_out_of_date_until_prepared_again(
        app: Any, client: Any, org: Any, db: Any) -> None:
    _draft_naming_sam(db, org)
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    before = _filed(db).storage_key
    assert client.get(f"{url}/export.zip", headers=HTML).status_code == 200
    _withhold_sam(client, url)
    page = words(client.get(url, headers=HTML))
    assert "Out of date" in page and "Prepare the export again" in page and "Download the export" not in page
    stale = client.get(f"{url}/export.zip", headers=HTML)
    assert stale.status_code == 409 and "withholding has changed since this export was prepared" in words(stale)

    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    again = _filed(db)
    assert again.storage_key != before and not app.extensions["docgen"].store.exists(before)  # the old zip is gone
    fresh = client.get(f"{url}/export.zip", headers=HTML)
    assert fresh.status_code == 200 and hashlib.sha256(fresh.data).hexdigest() == again.sha256
    released = post(client, f"{url}/release", {"key": _sams_key(client, url)}, page=url)
    assert released.status_code == 303 and "Out of date" in words(client.get(url, headers=HTML))


def test_an_export_whose_task_was_lost_is_asked_again_by_the_sweep_after_ten_minutes(
        app: Any, client: Any, org: Any, db: Any, queued_tasks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    queued_tasks.flush()  # the queue lost it (Redis restarted)
    monkeypatch.setattr(queued_tasks, "immediate", True)  # the worker is back
    services = app.extensions["docgen"]
    clock.set_clock(lambda: NOW + dt.timedelta(minutes=9))
    services.enqueue("sweep_subject_access_exports")
    assert _filed(db).storage_key is None  # not yet: its task may still be running
    clock.set_clock(lambda: NOW + dt.timedelta(minutes=11))
    services.enqueue("sweep_subject_access_exports")
    assert _filed(db).storage_key is not None and "Ready" in words(client.get(url, headers=HTML))


def test_an_export_that_cannot_be_made_says_why_and_is_not_asked_again(
        app: Any, client: Any, org: Any, db: Any, queued_tasks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    db.add(SubjectAccessWithholding(request_id=int(url.rsplit("/", 1)[1]), mention_key="gone-mention-key",
                                    reason="Names a colleague", decided_by_id=org.ids["hr"]))
    db.commit()  # decided on a mention the record no longer has, before the worker came
    _worker_runs(queued_tasks, "make_subject_access_export")
    filed = _filed(db)
    assert filed.storage_key is None and "review the schedule again" in filed.problem
    page = words(client.get(url, headers=HTML))
    assert "Not made" in page and "review the schedule again" in page and "Prepare the export again" in page
    assert "subject_access.export_failed" in _audited(db, url)
    monkeypatch.setattr(queued_tasks, "immediate", True)
    clock.set_clock(lambda: NOW + dt.timedelta(hours=1))
    app.extensions["docgen"].enqueue("sweep_subject_access_exports")
    assert _filed(db).problem == filed.problem and "subject_access.exported" not in _audited(db, url)


class BrokenLibreOffice:
    """The worker's LibreOffice failing on every document, as `documents.pdf` reports it."""

    def __call__(self) -> BrokenLibreOffice:
        return self

    def convert(self, source: bytes) -> bytes:
        raise ConversionError("soffice exited with status 81")


def test_an_export_libreoffice_cannot_convert_says_so_and_offers_to_prepare_it_again(
        app: Any, client: Any, org: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _draft_naming_sam(db, org)
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    _withhold_sam(client, url)  # the draft needs a redacted copy: a conversion
    monkeypatch.setattr(app.extensions["docgen"], "converter", BrokenLibreOffice())
    assert post(client, f"{url}/export", {}, page=url).status_code == 303  # the worker runs inline here
    filed = _filed(db)
    assert filed.storage_key is None and filed.problem.startswith("LibreOffice could not make the PDF")
    page = words(client.get(url, headers=HTML))
    assert "Not made" in page and "could not be made: LibreOffice could not make the PDF" in page
    assert "Being prepared" not in page and "Prepare the export again" in page
    assert "subject_access.export_failed" in _audited(db, url)


def test_an_export_preparing_too_long_is_offered_again_and_the_sweep_gives_up_on_it_after_a_day(
        app: Any, client: Any, org: Any, db: Any, queued_tasks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    page = words(client.get(url, headers=HTML))
    assert "Being prepared" in page and "Prepare the export again" not in page  # its task is on its way
    queued_tasks.flush()  # and lost: the worker died on it every time
    clock.set_clock(lambda: NOW + dt.timedelta(minutes=11))
    page = words(client.get(url, headers=HTML))
    assert "Being prepared" in page and "taken longer than 10 minutes" in page and "Prepare the export again" in page

    monkeypatch.setattr(queued_tasks, "immediate", True)
    clock.set_clock(lambda: NOW + dt.timedelta(days=1, minutes=1))
    app.extensions["docgen"].enqueue("sweep_subject_access_exports")
    assert _filed(db).storage_key is None  # left alone: the page has offered to prepare it again since
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    assert _filed(db).storage_key is not None and "Ready" in words(client.get(url, headers=HTML))


def _leaves_long_ago(app: Any, db: Any, person_id: int) -> Any:
    """The person left in 2015, so retention's destruction date has passed; the run's result."""
    person = db.get(Person, person_id)
    person.leave_date, person.status = dt.date(2015, 3, 31), "leaver"
    db.commit()
    with app.extensions["docgen"].unit_of_work() as uow:
        return retention.run(uow, clock.today())


def test_retention_destroys_a_filed_export_and_neither_the_sweep_nor_the_worker_makes_another(
        app: Any, client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    filed = _filed(db)
    key, sha256, request_id = filed.storage_key, filed.sha256, filed.request_id
    store, services = app.extensions["docgen"].store, app.extensions["docgen"]

    done = _leaves_long_ago(app, db, org.ids["worker"])
    assert [o.result for o in done if o.due.step == "destroy"] == ["done"], [o.describe() for o in done]
    assert not store.exists(key)
    destroyed = _filed(db)
    assert destroyed.storage_key is None and destroyed.sha256 is None
    assert destroyed.problem == "destroyed on 16 November 2026 under the retention schedule, with the records it copied"
    logged = db.scalar(select(DestructionLog).where(DestructionLog.sha256 == sha256))
    assert logged.person_id == org.ids["worker"]
    assert f"subject access export of request {request_id}" in logged.description

    clock.set_clock(lambda: NOW + dt.timedelta(hours=1))
    services.enqueue("sweep_subject_access_exports")
    services.enqueue("make_subject_access_export", request_id)  # a task queued before the run comes late
    assert _filed(db).storage_key is None and list(store.list_keys(filing.EXPORT_PREFIX)) == []
    assert _audited(db, url).count("subject_access.exported") == 1
    page = words(client.get(url, headers=HTML))
    assert "Destroyed" in page and "is no longer held: it was destroyed on 16 November 2026" in page
    assert "Being prepared" not in page and "Download the export" not in page


def test_an_export_still_being_prepared_when_retention_runs_is_not_made_from_what_is_left(
        app: Any, client: Any, org: Any, db: Any, queued_tasks: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303  # its task waits in the queue

    done = _leaves_long_ago(app, db, org.ids["worker"])
    assert [o.result for o in done if o.due.step == "destroy"] == ["done"], [o.describe() for o in done]
    _worker_runs(queued_tasks, "make_subject_access_export")  # the task comes after the run
    marked = _filed(db)
    assert marked.storage_key is None and marked.problem == (
        "the records it would copy were destroyed on 16 November 2026 under the retention schedule before it was made")
    assert "subject_access.exported" not in _audited(db, url)
    page = words(client.get(url, headers=HTML))
    assert "Not made" in page and "Being prepared" not in page and "Prepare the export again" in page


def test_an_export_the_store_refuses_to_destroy_is_retried_by_the_next_run_and_one_already_gone_counts(
        app: Any, client: Any, org: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    key = _filed(db).storage_key
    store = app.extensions["docgen"].store
    real_destroy = store.destroy

    def refusing(asked: str) -> list[str]:
        if asked == key:
            raise RetentionLocked(f"{asked} is under a legal hold")
        return real_destroy(asked)

    monkeypatch.setattr(store, "destroy", refusing)
    first = _leaves_long_ago(app, db, org.ids["worker"])
    assert [(o.due.step, o.result) for o in first if o.due.step == "destroy"] == [("destroy", "refused")]
    assert _filed(db).storage_key == key and _filed(db).problem == ""  # still filed, as it is

    def already_gone(asked: str) -> list[str]:
        real_destroy(asked)
        raise ObjectMissing(asked)

    monkeypatch.setattr(store, "destroy", already_gone)
    with app.extensions["docgen"].unit_of_work() as uow:
        again = retention.run(uow, clock.today())
    assert [o.result for o in again if o.due.step == "destroy"] == ["done"], [o.describe() for o in again]
    assert _filed(db).storage_key is None and "destroyed on 16 November 2026" in _filed(db).problem
    assert db.scalar(select(func.count()).select_from(DestructionLog)
                     .where(DestructionLog.description.startswith("subject access export"))) == 1


def test_an_export_left_by_a_crash_before_its_commit_is_destroyed_by_the_orphan_sweep(
        app: Any, client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    filed = _filed(db).storage_key
    orphan = re.sub(r"[0-9a-f]{32}\.zip$", "0" * 32 + ".zip", filed)  # as filed, the process killed then
    store = app.extensions["docgen"].store
    store.put(orphan, b"PK\x03\x04 Alex's records, named by no row")
    written = dict(store.list_keys("subject-access/"))[orphan].replace(tzinfo=None)  # naive UTC, as the clock
    with app.extensions["docgen"].unit_of_work() as uow:
        assert filing.destroy_orphans(uow.session, uow.store, written) == []  # too recent: it may still commit
        assert filing.destroy_orphans(uow.session, uow.store, written + filing.ORPHAN_AGE) == [orphan]
    assert not store.exists(orphan) and store.exists(filed)
    swept = db.scalar(select(AuditEvent).where(AuditEvent.action == "storage.orphans_destroyed"))
    assert swept.detail["keys"] == [orphan]


def test_the_download_is_marked_no_store_so_no_cache_keeps_a_copy(app: Any, client: Any, org: Any, db: Any) -> None:
    sign_in(client, "hr")
    url = _recorded(client, dt.date(2026, 11, 2))
    assert post(client, f"{url}/export", {}, page=url).status_code == 303
    downloaded = client.get(f"{url}/export.zip", headers=HTML)
    assert downloaded.status_code == 200 and downloaded.headers.get("Cache-Control") == "no-store"
