"""A group session's record in each attendee's own pages and file (issue 23), in Southwark: the
record names the "Names of those present at discussion" (W App C 6), and it is their supervision as
much as its recorder's. Sol and Tam were present, Uma sent apologies; Pat, the Practice
Co-ordinator, wrote the record. (Its case discussion also goes "on electronic social care record",
W §10: the case notes of issue 23 item 3, not tested here.)
"""
from __future__ import annotations

from typing import Any

from tests.e2e.test_groups import Southwark, _group, _held_session, _sign_in, config, group_org  # noqa: F401
from tests.e2e.test_web_pages import HTML, text


def test_each_attendee_finds_the_group_record_on_my_records_and_in_their_file(app: Any, client: Any,
                                                                              group_org: Southwark) -> None:
    org = group_org
    session = _held_session(client, org, _group(client, org)["id"])
    started = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=org.auth("pc"))
    assert started.status_code == 201, started.json
    record_id, number = started.json["id"], f"R-{started.json['id']:06d}"

    for who, finds in (("sw1", True), ("sw2", True), ("sw3", False)):
        browser = app.test_client()
        _sign_in(browser, who)
        page = text(browser.get("/my-records", headers=HTML))
        assert (f'href="/group-records/{record_id}"' in page and number in page) is finds, who
        listed = client.get(f"/api/v1/people/{org.ids[who]}/records", headers=org.auth(who)).json["items"]
        assert ([r["id"] for r in listed] == [record_id]) is finds, who
        opened = browser.get(f"/group-records/{record_id}", headers=HTML)
        assert opened.status_code == (200 if finds else 404), who
