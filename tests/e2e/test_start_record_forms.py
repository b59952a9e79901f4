"""The start page offers every form the supervisee's role may use, its own first (issue 23: "the
forms each role may use, so the start page offers W App E (casework) beside the role's own form").
W App E: "Where casework is discussed outside group supervision ... The supervisor needs to record
this on the child's electronic social care record"."""
from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from kernel.config import Config
from tests.e2e.test_web_pages import HTML, post, sign_in, text


@pytest.fixture
def config(config: Config, request: pytest.FixtureRequest) -> Config:
    return dataclasses.replace(config, profile=getattr(request, "param", "southwark"))


def test_a_southwark_supervisor_may_start_a_casework_record_beside_the_practitioner_record(client: Any,
                                                                                          org: Any) -> None:
    sign_in(client, "manager")
    url = f"/supervision/{org.ids['worker']}/records/new"

    page = text(client.get(url, headers=HTML))
    assert "Which record" in page
    offered = re.findall(r'name="kind" type="radio" value="([^"]+)"', page)
    assert offered == ["practitioner", "casework"]
    assert re.search(r'value="practitioner" checked', page)

    started = post(client, url, {"session_date": ["3", "3", "2025"], "kind": "casework"})
    assert started.status_code == 302, text(started)
    record_id = int(re.search(r"/records/(\d+)/edit", started.headers["Location"]).group(1))
    shown = client.get(f"/api/v1/records/{record_id}", headers=org.auth("manager")).json
    assert shown["kind"] == "casework"


@pytest.mark.parametrize("config", ["knowsley"], indirect=True)
def test_a_role_with_one_form_is_not_asked_which(client: Any, org: Any) -> None:
    sign_in(client, "manager")

    page = text(client.get(f"/supervision/{org.ids['worker']}/records/new", headers=HTML))

    assert "Which record" not in page and 'name="kind"' not in page
