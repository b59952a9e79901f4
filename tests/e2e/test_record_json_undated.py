"""Issue 27: the record's JSON says which of its actions have no real due date, as its edit page
does (`records.undated_actions`): an open action carried from an earlier session whose "By when"
was words ("Friday"). The words were fine in the session that raised them, so there it is not flagged."""
from __future__ import annotations

import datetime as dt
from typing import Any

from tests.e2e.test_relationships_and_actions_editing import _action
from tests.e2e.test_web_pages import HTML, config, post, sign_in, start_record, text  # noqa: F401


def _undated(client: Any, org: Any, record_id: int) -> dict[str, bool]:
    shown = client.get(f"/api/v1/records/{record_id}", headers=org.auth("manager"))
    assert shown.status_code == 200, shown.json
    return {action["text"]: action["undated"] for action in shown.json["actions"]}


def test_a_carried_action_due_on_friday_is_undated_in_the_json_as_on_the_page(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    first = start_record(client, org)
    worded = _action(client, first, due="Friday", wording="Ring the court")
    _action(client, first, due="30 April 2025", wording="File the chronology")
    assert _undated(client, org, first) == {"Ring the court": False, "File the chronology": False}

    second = start_record(client, org, dt.date(2025, 4, 7))

    assert _undated(client, org, second) == {"Ring the court": True, "File the chronology": False}
    assert text(client.get(f"/records/{second}/edit", headers=HTML)).count("No date set") == 1
    assert post(client, f"/records/{second}/actions/{worded}", {"text": "Ring the court", "owner": "Alex",
                                                                "due": "11 April 2025"}).status_code == 302
    assert _undated(client, org, second) == {"Ring the court": False, "File the chronology": False}


def test_the_published_schema_describes_undated(client: Any) -> None:
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    undated = schemas["RecordAction"]["properties"]["undated"]
    assert undated["type"] == "boolean" and "undated" in schemas["RecordAction"]["required"]
    assert "no date" in undated["description"]
