"""Small things the pages must write the same way everywhere: hints with this year's examples,
dates in the GOV.UK style."""
from __future__ import annotations

import re
from typing import Any

import pytest

from storage import clock
from tests.e2e.test_web_pages import HTML, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_date_hint_gives_an_example_in_the_current_year(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    page = client.get(f"/supervision/{org.ids['worker']}/records/new", headers=HTML).get_data(as_text=True)
    assert f"For example, 27 3 {clock.today().year}" in page
    assert not re.search(r"For example, [^<]*2025", page)
