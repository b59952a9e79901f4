"""A subject access request's export is made by the worker, not the web request (issue 25 item 1),
on SQLite and PostgreSQL: Harriet in HR withholds Sam Whitfield from Alex Morgan's draft, which
needs a redacted copy (a LibreOffice conversion), and presses "Prepare the export". The request
only records that it was asked for; the worker builds the zip and files it in the document store
with its SHA-256; the page then offers it, and the download serves exactly those bytes. A filed zip
whose bytes changed is refused, a withholding changed since makes it out of date, a task lost on the
way is asked again by the sweep after ten minutes, and one that cannot be made says why."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, SubjectAccessExport, SubjectAccessWithholding
from tests.e2e.test_subject_access import NOW, _audited, _draft_naming_sam, _recorded, _sams_key
from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from tests.e2e.test_web_signoff import _worker_runs

pytestmark = pytest.mark.libreoffice


@pytest.fixture(autouse=True)
def mid_november() -> None:
    clock.set_clock(lambda: NOW)  # the conftest's real_clock puts the clock back


@pytest.fixture
def queued_tasks(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Tasks wait in the app's in-memory queue until the test plays the worker."""
    huey = app.extensions["docgen.tasks"].huey
    monkeypatch.setattr(huey, "immediate", False)
    yield huey
    huey.flush()


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
