"""A stale Word upload after a page edit (issue 27), on a 375 px phone and a 1280 px desktop: the
supervisor downloads the record, edits welfare and an action's progress on the page, then uploads
the older file. What they changed in the file is read in and the page's edits stay; when the file
also changed the welfare text, the upload page shows both texts and reads the file in only when
they choose its text, without choosing the file again."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.test_journeys import sign_in
from tests.word_editing import cell_of, open_docx, retype, save

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _record(app: Any, org: Any) -> int:
    """Alex's record with a welfare note and an action, written through the API."""
    api = app.test_client()
    record = api.post("/api/v1/records", headers=org.auth("manager"),
                      json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"})
    assert record.status_code == 201, record.json
    edited = api.patch(f"/api/v1/records/{record.json['id']}",
                       headers={**org.auth("manager"), "If-Match": record.headers["ETag"]},
                       json={"welfare": {"discussion": "Settled after the team move."}, "actions": [
                           {"section": "summary", "text": "Write the case summary for the legal planning meeting",
                            "owner": "Alex Morgan", "due": "Friday"}]})
    assert edited.status_code == 200, edited.json
    return int(record.json["id"])


def _word_edit(data: bytes, edits: dict[str, str]) -> bytes:
    document = open_docx(data)
    for bookmark, typed in edits.items():
        retype(cell_of(document, bookmark), typed)
    return save(document)


def _upload(page: Page, data: bytes) -> None:
    page.get_by_role("button", name="Upload an edited Word file").click()
    page.get_by_label("Upload the edited Word file").set_input_files(
        files=[{"name": "R-000001-Alex-Morgan.docx", "mimeType": "application/octet-stream", "buffer": data}])
    page.get_by_role("button", name="Upload", exact=True).click()


@pytest.mark.parametrize("width", [375, 1280])
def test_a_stale_word_upload_keeps_the_page_edits_and_asks_about_a_clash(
        page: Page, site: str, accessible: Any, app: Any, org: Any, tmp_path: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    record_id = _record(app, org)
    sign_in(page, site, "manager", accessible)
    page.goto(f"{site}/records/{record_id}/edit")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as Word").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    downloaded = saved.read_bytes()

    page.get_by_label("Welfare discussion").fill("Typed on the page: caseload down to 18.")
    page.locator(".govuk-summary-card", has_text="Write the case summary").get_by_label(
        re.compile("Progress this session")).fill("Draft shared with the legal team")
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The record has been saved")

    _upload(page, _word_edit(downloaded, {"dg_f_decisions": "Agreed in Word: review the caseload monthly."}))
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("The Word file has been read into the record")
    expect(banner).to_contain_text("was kept")
    expect(page.get_by_label("Welfare discussion")).to_have_value("Typed on the page: caseload down to 18.")
    expect(page.get_by_text("Draft shared with the legal team")).to_have_count(1)
    accessible(page, f"stale-word-upload-merged-{width}")

    _upload(page, _word_edit(downloaded, {"dg_f_welfare_discussion": "Typed in Word: caseload unchanged.",
                                          "dg_f_decisions": "Agreed in Word: review the caseload monthly."}))
    expect(page.locator(".govuk-error-summary")).to_contain_text("The record and your Word file changed the same parts")
    clash = page.locator("#stale-changes tr", has_text="Welfare")
    expect(clash).to_contain_text("Typed on the page: caseload down to 18.")
    expect(clash).to_contain_text("Typed in Word: caseload unchanged.")
    accessible(page, f"stale-word-upload-clash-{width}")

    page.get_by_role("button", name="Read in the Word file, keeping its text").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The Word file has been read into the record")
    expect(page.get_by_label("Welfare discussion")).to_have_value("Typed in Word: caseload unchanged.")
    accessible(page, f"stale-word-upload-kept-file-{width}")
