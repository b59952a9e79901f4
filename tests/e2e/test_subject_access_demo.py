"""A supervisee in the demo asks for access (issue 25 item 1, "Done when"): Harriet in HR records
Alex Morgan's request on the demo's replayed year, sees the deadline a calendar month on, and
prepares the export (filed by the worker) and downloads it, which holds every file its manifest names
with the SHA-256 it gives."""
from __future__ import annotations

from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from kernel import clock
from tests.e2e.test_demo import HTML, _signed_in, app  # noqa: F401  (the app on a copy of the demo instance)
from tests.e2e.test_subject_access_group_record import _checked
from tests.e2e.test_web_pages import post, words
from tests.e2e.test_web_signoff import _worker_runs
from workflows import working_days

# One worker replays the shared demo instance (tests/demo_instance.py) for all its users.
pytestmark = [pytest.mark.xdist_group("demo"), pytest.mark.libreoffice]


def test_hr_records_a_demo_supervisees_request_and_exports_what_the_manifest_names(app: Any) -> None:
    hr = _signed_in(app, "hr")
    received = clock.today() - relativedelta(days=3)
    made = post(hr, "/hr/subject-access/new", {"email": "worker@demo.example.org",
                                               "received_on": [str(received.day), str(received.month),
                                                               str(received.year)]})
    assert made.status_code == 303, words(made)
    url = made.headers["Location"]
    page = words(hr.get(url, headers=HTML))
    deadline = working_days.add_working_days(received + relativedelta(months=1, days=-1), 1)  # a working day
    assert f"Deadline {deadline.day} {deadline:%B %Y}, one month after it was received" in page
    assert f"{(deadline - clock.today()).days} days left" in page
    assert post(hr, f"{url}/export", {}, page=url).status_code == 303
    _worker_runs(app.extensions["docgen.tasks"].huey, "make_subject_access_export")  # the demo's worker is not running
    exported = hr.get(f"{url}/export.zip", headers=HTML)
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    manifest, members = _checked(exported.data)
    assert manifest["person"]["name"] == "Alex Morgan"
    assert any(name.endswith("cover-letter.txt") for name in members)
    assert sum(1 for name in members if "/records/" in name or name.startswith("records/")) >= 6  # a year of records
