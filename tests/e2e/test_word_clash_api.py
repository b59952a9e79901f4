"""A Word file older than the record that changed what the record changed too (issue 27): the
API's 409 lists the clashes and the revisions to answer from, and a client keeps the file's text
as the upload page lets a person (`?keep=file`, the page's `keep=file`). Where the record removed an
action or area the file changed, keeping the file's text brings it back as the file has it (the
page answered 400 "not part of this record" before)."""
from __future__ import annotations

import io
import re
from typing import Any

from tests.e2e.test_web_pages import HTML, post, sign_in, text, words
from tests.integration.test_word_three_way_merge import _word_edit


def _if_match(org: Any, revision: int | str) -> dict[str, str]:
    return {**org.auth("manager"), "If-Match": f'"{revision}"'}


def _record(client: Any, org: Any, change: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Alex's record, through the API, with `change` saved (an action, say); its URL and JSON."""
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"},
                          headers=org.auth("manager"))
    assert created.status_code == 201, created.json
    url = f"/api/v1/records/{created.json['id']}"
    if change is None:
        return url, created.json
    edited = client.patch(url, json=change, headers=_if_match(org, created.json["revision"]))
    assert edited.status_code == 200, edited.json
    return url, edited.json


def _downloaded_then_changed(client: Any, org: Any, url: str, record: dict[str, Any],
                             change: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The record's Word file, downloaded before `change` was saved in another tab."""
    data = client.get(f"{url}/docx", headers=org.auth("manager")).data
    changed = client.patch(url, json=change, headers=_if_match(org, record["revision"]))
    assert changed.status_code == 200, changed.json
    return data, changed.json


def _put(client: Any, url: str, org: Any, data: bytes, revision: int | str, query: str = "") -> Any:
    return client.put(f"{url}/docx{query}", data=data, content_type="application/octet-stream",
                      headers=_if_match(org, revision))


def _keep_the_files_text(client: Any, upload: str, clash_page: str) -> Any:
    """Press the clash page's button: its form holds the file, the revision and the choice."""
    form = {name: re.search(rf'name="{name}" (?:type="hidden" )?value="([^"]*)"', clash_page).group(1)
            for name in ("csrf_token", "revision", "keep", "carried")}
    return client.post(upload, data=form, headers=HTML)


BOOKING = {"section": "summary", "text": "Book the legal planning meeting", "owner": "Alex Morgan", "due": "Friday"}


def test_keeping_the_files_text_brings_back_an_action_removed_from_the_record(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    url, record = _record(client, org, {"actions": [BOOKING]})
    action = record["actions"][-1]["id"]
    data, _ = _downloaded_then_changed(client, org, url, record, {"actions": [{"id": action, "remove": True}]})
    upload = f"/records/{record['id']}/upload"
    edited = _word_edit(data, {f"dg_act_{action}_p": "Booked for 12 March"})

    refused = post(client, upload, {"file": (io.BytesIO(edited), "record.docx")}, content_type="multipart/form-data")
    assert refused.status_code == 409
    assert re.search(r"Book the legal planning meeting.{0,40}: progress</th>\s*<td[^>]*>\(removed\)</td>\s*"
                     r"<td[^>]*>Booked for 12 March</td>", text(refused))
    assert ("Where the record says (removed), that action or area was removed from the record after you downloaded "
            "the file: keeping the file's text adds it back, as your file has it.") in words(refused)

    kept = _keep_the_files_text(client, upload, text(refused))
    assert kept.status_code == 302, words(kept)
    back = [a for a in client.get(url, headers=org.auth("manager")).json["actions"] if a["text"] == BOOKING["text"]]
    assert [(a["owner"], a["due"], a["progress"], a["completed"]) for a in back] == [
        ("Alex Morgan", "Friday", "Booked for 12 March", False)]
    assert back[0]["id"] != action  # raised again: the removed one stays removed in its history
    told = words(client.get(kept.headers["Location"], headers=HTML))
    assert "The action \u201cBook the legal planning meeting\u201d was removed from the record after this file was " \
           "downloaded; it was changed in the file, so it was added again as the file has it." in told


def test_an_action_removed_from_an_area_comes_back_in_that_area(client: Any, org: Any) -> None:
    url, created = _record(client, org)
    area = created["sections"]["areas"][1]
    record = client.patch(url, json={"actions": [{**BOOKING, "section": area["key"]}]},
                          headers=_if_match(org, created["revision"])).json
    action = record["actions"][-1]["id"]
    data, changed = _downloaded_then_changed(client, org, url, record, {"actions": [{"id": action, "remove": True}]})
    kept = _put(client, url, org, _word_edit(data, {f"dg_act_{action}_p": "Booked"}), changed["revision"],
                "?keep=file")
    assert kept.status_code == 200, kept.json
    assert [(a["section"], a["progress"]) for a in kept.json["record"]["actions"]] == [(area["key"], "Booked")]


def test_keeping_the_files_text_brings_back_an_area_removed_from_the_record_with_the_action_typed_in_it(
        client: Any, org: Any) -> None:
    url, record = _record(client, org)
    areas = record["sections"]["areas"]
    data, changed = _downloaded_then_changed(client, org, url, record, {"areas": areas[1:]})
    edited = _word_edit(data, {"dg_area0_d": "Course booked", "dg_area0_a": "Share the course notes – by 1 April 2025"})
    refused = _put(client, url, org, edited, changed["revision"])
    assert refused.status_code == 409
    assert {(c["record"], c["file"]) for c in refused.json["clashes"]} == {
        ("(removed)", "Course booked"), ("(removed)", "Share the course notes – by 1 April 2025")}

    kept = _put(client, url, org, edited, refused.json["record_revision"], "?keep=file")
    assert kept.status_code == 200, kept.json
    back = next(a for a in kept.json["record"]["sections"]["areas"] if a["title"] == areas[0]["title"])
    assert back["discussion"] == "Course booked"
    assert [(a["section"], a["text"], a["due"]) for a in kept.json["record"]["actions"]] == [
        (back["key"], "Share the course notes", "1 April 2025")]
    assert any(f"The area \u201c{areas[0]['title']}\u201d was removed" in w for w in kept.json["warnings"])


def test_the_apis_409_lists_the_clashes_and_the_revisions_to_answer_from(client: Any, org: Any) -> None:
    url, record = _record(client, org)
    data, changed = _downloaded_then_changed(client, org, url, record, {"welfare": {"discussion": "Typed on the page"}})
    refused = _put(client, url, org, _word_edit(data, {"dg_f_welfare_discussion": "Typed in Word"}),
                   changed["revision"])
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "changed_on_both_sides" and refused.json["error"]["field"] == "file"
    assert refused.json["clashes"] == [{"label": "Welfare", "record": "Typed on the page", "file": "Typed in Word"}]
    assert (refused.json["file_revision"], refused.json["record_revision"]) == (record["revision"], changed["revision"])


def test_an_api_client_keeps_the_files_text_from_the_revision_the_clashes_were_listed_at(
        client: Any, org: Any) -> None:
    url, record = _record(client, org)
    data, changed = _downloaded_then_changed(client, org, url, record, {"welfare": {"discussion": "Typed on the page"}})
    edited = _word_edit(data, {"dg_f_welfare_discussion": "Typed in Word", "dg_f_decisions": "Agreed in Word"})
    refused = _put(client, url, org, edited, changed["revision"])

    kept = _put(client, url, org, edited, refused.json["record_revision"], "?keep=file")
    assert kept.status_code == 200, kept.json
    assert kept.json["merged_from"] == refused.json["file_revision"]
    assert kept.headers["ETag"] == f'"{kept.json["record"]["revision"]}"'
    sections = client.get(url, headers=org.auth("manager")).json["sections"]
    assert (sections["welfare"]["discussion"], sections["decisions"]) == ("Typed in Word", "Agreed in Word")


def test_keeping_the_files_text_over_a_save_made_after_the_clashes_were_listed_is_refused_as_stale(
        client: Any, org: Any) -> None:
    url, record = _record(client, org)
    data, changed = _downloaded_then_changed(client, org, url, record, {"welfare": {"discussion": "Typed on the page"}})
    edited = _word_edit(data, {"dg_f_welfare_discussion": "Typed in Word"})
    refused = _put(client, url, org, edited, changed["revision"])
    client.patch(url, json={"welfare": {"discussion": "Typed again"}}, headers=_if_match(org, changed["revision"]))
    stale = _put(client, url, org, edited, refused.json["record_revision"], "?keep=file")
    assert stale.status_code == 412 and "upload the file again without keeping its text" in stale.json["error"]["message"]
    assert client.get(url, headers=org.auth("manager")).json["sections"]["welfare"]["discussion"] == "Typed again"


def test_an_upload_names_the_revision_an_older_file_was_merged_from(client: Any, org: Any) -> None:
    url, record = _record(client, org)
    data, changed = _downloaded_then_changed(client, org, url, record, {"welfare": {"discussion": "Typed on the page"}})
    merged = _put(client, url, org, _word_edit(data, {"dg_f_decisions": "Agreed in Word"}), changed["revision"])
    assert merged.status_code == 200 and merged.json["merged_from"] == record["revision"]
    current = client.get(f"{url}/docx", headers=org.auth("manager")).data
    read_in = _put(client, url, org, _word_edit(current, {"dg_f_decisions": "Agreed again"}),
                   merged.json["record"]["revision"])
    assert read_in.status_code == 200 and read_in.json["merged_from"] is None


def test_an_agreement_clash_is_answered_the_same_way(client: Any, org: Any) -> None:
    agreement = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-09-01"},
                            headers=org.auth("manager")).json
    url = f"/api/v1/agreements/{agreement['id']}"
    data, changed = _downloaded_then_changed(client, org, url, agreement, {"location": "Room 2.14"})
    edited = _word_edit(data, {"dg_f_agreement_location": "Room 3.01"})
    refused = _put(client, url, org, edited, changed["revision"])
    assert refused.status_code == 409 and [(c["record"], c["file"]) for c in refused.json["clashes"]] == [
        ("Room 2.14", "Room 3.01")]
    kept = _put(client, url, org, edited, refused.json["record_revision"], "?keep=file")
    assert kept.status_code == 200 and kept.json["fields"]["location"] == "Room 3.01"


def test_the_openapi_document_publishes_the_clash_answer_and_the_choice(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json
    for path in ("/records/{record_id}/docx", "/agreements/{agreement_id}/docx"):
        upload = document["paths"][path]["put"]
        keep = next(p for p in upload["parameters"] if p["name"] == "keep")
        assert (keep["in"], keep["required"], keep["schema"].get("enum") or [keep["schema"].get("const")]) == (
            "query", False, ["file"])
        assert upload["responses"]["409"]["content"]["application/json"]["schema"]["anyOf"] == [
            {"$ref": "#/components/schemas/ChangedOnBothSidesError"}, {"$ref": "#/components/schemas/Error"}]
    clash = document["components"]["schemas"]["ChangedOnBothSidesError"]
    assert {"error", "clashes", "file_revision", "record_revision"} <= set(clash["required"])
    assert "merged_from" in document["components"]["schemas"]["UploadOut"]["required"]
