"""Small things the pages must write the same way everywhere: hints with this year's examples,
dates in the GOV.UK style."""
from __future__ import annotations

import re
from typing import Any

import pytest

from kernel import clock
from tests.e2e.test_web_pages import HTML, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_date_hint_gives_an_example_in_the_current_year(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    page = client.get(f"/supervision/{org.ids['worker']}/records/new", headers=HTML).get_data(as_text=True)
    assert f"For example, 27 3 {clock.today().year}" in page
    assert not re.search(r"For example, [^<]*2025", page)


def test_a_duplicate_record_error_links_to_the_record_it_names(client: Any, org: Any) -> None:
    from tests.e2e.test_web_pages import post
    sign_in(client, "manager")
    url = f"/supervision/{org.ids['worker']}/records/new"
    day = {"session_date": ["3", "3", "2025"]}
    first = post(client, url, day)
    record_id = int(re.search(r"/records/(\d+)/edit", first.headers["Location"]).group(1))
    again = post(client, url, day)
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert f"already exists: R-{record_id:06d}" in page
    assert f'href="/records/{record_id}/edit">Open record R-{record_id:06d}</a>' in page
