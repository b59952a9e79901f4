"""A Word file built to attack docgen is refused through the API with a 4xx naming the part, and
changes nothing; one a supervisor saved unchanged, or with a hyperlink typed in, is accepted."""
from __future__ import annotations

from typing import Any

import pytest

from tests.word_editing import HOSTILE_CASES, hostile_uploads, with_hyperlink


def _record_with_action(client: Any, org: Any) -> str:
    """A draft record whose summary holds an action due on a date, as the bug report had it."""
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2026-10-05"},
                          headers=org.auth("manager"))
    assert created.status_code == 201, created.json
    url = f"/api/v1/records/{created.json['id']}"
    read = client.get(url, headers=org.auth("manager"))
    changed = client.patch(url, headers={**org.auth("manager"), "If-Match": read.headers["ETag"]}, json={"actions": [
        {"section": "learning_development", "text": "Attend the court skills course", "due": "2027-01-15"}]})
    assert changed.status_code == 200, changed.json
    return url


def _put(client: Any, org: Any, url: str, data: bytes, etag: str) -> Any:
    return client.put(f"{url}/docx", data=data, content_type="application/octet-stream",
                      headers={**org.auth("manager"), "If-Match": etag})


@pytest.mark.parametrize("case", HOSTILE_CASES)
def test_a_hostile_upload_is_refused_naming_the_part_and_changes_nothing(client: Any, org: Any, case: str) -> None:
    url = _record_with_action(client, org)
    download = client.get(f"{url}/docx", headers=org.auth("manager"))
    before = client.get(url, headers=org.auth("manager")).json
    data, part = hostile_uploads(download.data)[case]
    response = _put(client, org, url, data, download.headers["ETag"])
    assert response.status_code == 422, (response.status_code, response.json)
    assert part in response.json["error"]["message"] and response.json["error"]["field"] == "file"
    assert client.get(url, headers=org.auth("manager")).json == before


def test_a_record_uploaded_unchanged_or_with_a_hyperlink_changes_nothing(client: Any, org: Any) -> None:
    url = _record_with_action(client, org)
    before = client.get(url, headers=org.auth("manager")).json
    for transform in (lambda data: data, lambda data: with_hyperlink(data, "https://www.gov.uk/")):
        download = client.get(f"{url}/docx", headers=org.auth("manager"))
        response = _put(client, org, url, transform(download.data), download.headers["ETag"])
        assert response.status_code == 200 and response.json["warnings"] == [], response.json
    after = client.get(url, headers=org.auth("manager")).json
    assert after == before and [a["text"] for a in after["actions"]] == ["Attend the court skills course"]
