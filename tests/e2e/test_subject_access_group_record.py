"""A subject access request's redaction schedule and export through HR's page and the CLI (issue 25
item 1, "Done when"), on SQLite and PostgreSQL: in Southwark's practice group, Pat records a group
session Sol and Tam were present at and Ade signs it, so its sealed PDF names Tam and two children's
case IDs. Sol asks for everything held about them. Harriet in HR records the request, finds Tam's
name on the redaction schedule with its page, withholds it with a reason, prepares the export (the
worker files it; the in-memory queue runs it at once) and downloads it:
every file the manifest names is in the zip with the SHA-256 it gives, and Tam's name is gone from
the group record's text (pdftotext), not covered. The operator's `docgen sar export` writes the same
export for the open request, and refuses in one line for a person with none."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from docgen.main import cli
from kernel import clock
from storage.models import AuditEvent, Organisation
from tests.e2e.test_groups import Southwark, config, group_org  # noqa: F401
from tests.e2e.test_web_pages import HTML, PASSWORD, csrf, post, text, words
from tests.integration.test_subject_access_export import agreed_by_link, sent_group_record
from tests.mailbox import Mailbox
from workflows import accounts, people
from workflows.profiles import load_profile

pytestmark = pytest.mark.libreoffice

SOL = "sw1@southwark.example.org"
WITHHELD_BECAUSE = "Tam Worker is another member of staff; their presence is their own data"


@pytest.fixture
def hr(app: Any, group_org: Southwark) -> None:
    """Harriet Reid, Southwark's HR officer, with a sign-in."""
    with app.extensions["docgen"].sessions.begin() as db:
        org = db.scalar(select(Organisation).where(Organisation.name == "Southwark Council"))
        person = people.create_person(db, org, load_profile("southwark"), {
            "name": "Harriet Reid", "email": "hr@southwark.example.org", "role": "social_worker",
            "employment_start": dt.date(2024, 1, 8)})
        accounts.create_account(db, person, PASSWORD, ["hr"])


def _sealed_group_record(client: Any, org: Southwark, mailbox: Mailbox) -> int:
    """A group record naming Sol and Tam as present, and two case IDs, signed and sealed."""
    record_id = sent_group_record(client, org, "Hypotheses about the father's absence.")
    agreed_by_link(client, mailbox)
    return record_id


def _sign_in_hr(client: Any) -> None:
    client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "email": "hr@southwark.example.org",
                                  "password": PASSWORD}, headers=HTML)


def _rows(page: str) -> list[str]:
    """The redaction schedule's rows, as HTML."""
    table = page[page.index('id="redaction-schedule"'):]
    return re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "exported.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, text=True,
                          check=True).stdout


def _checked(zipped: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the files of an export, every file the manifest names checked against its SHA-256."""
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    manifest = json.loads(next(data for name, data in members.items() if name.endswith("manifest.json")))
    folder = next(name for name in members if name.endswith("manifest.json"))[:-len("manifest.json")]
    listed = {folder + str(entry["path"]): entry["sha256"] for entry in manifest["files"]}
    assert listed, manifest
    for name, sha256 in listed.items():
        assert name in members, f"{name} is in the manifest but not in the zip"
        assert hashlib.sha256(members[name]).hexdigest() == sha256, name
    assert set(members) - set(listed) == {folder + "manifest.json"}  # nothing in the zip the manifest leaves out
    return manifest, members


def test_a_withheld_attendee_is_on_the_schedule_and_gone_from_the_exported_pdf(
        app: Any, client: Any, group_org: Southwark, hr: None, mailbox: Mailbox, db: Any, tmp_path: Path) -> None:
    record_id = _sealed_group_record(client, group_org, mailbox)
    browser = app.test_client()
    _sign_in_hr(browser)
    day = clock.today()  # the session's day: the group session moved the clock on to hold it
    made = post(browser, "/hr/subject-access/new", {"email": SOL, "received_on": [str(day.day), str(day.month),
                                                                                  str(day.year)]})
    assert made.status_code == 303, words(made)
    url = made.headers["Location"]
    page = text(browser.get(url, headers=HTML))
    assert "Deadline" in words(browser.get(url, headers=HTML))
    tam = [row for row in _rows(page) if "<strong>Tam Worker</strong>" in row]
    assert tam, _rows(page)
    assert f"R-{record_id:06d}" in tam[0] and "Member of staff" in tam[0]
    assert re.search(r'data-label="Page">\d+<', tam[0]), tam[0]  # the page of the PDF it is on
    assert any("Child’s case ID" in row and "104233" in row for row in _rows(page))
    key = re.search(r'name="key" value="([^"]+)"', tam[0]).group(1)

    withheld = post(browser, f"{url}/withhold", {"key": key, "reason": WITHHELD_BECAUSE}, page=url)
    assert withheld.status_code == 303, words(withheld)
    assert f"Withheld: {WITHHELD_BECAUSE}" in words(browser.get(url, headers=HTML))

    assert post(browser, f"{url}/export", {}, page=url).status_code == 303
    exported = browser.get(f"{url}/export.zip", headers=HTML)
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    manifest, members = _checked(exported.data)
    group_pdf = next(data for name, data in members.items() if f"R-{record_id:06d}" in name and name.endswith(".pdf"))
    printed = _pdf_text(group_pdf, tmp_path)
    assert "Tam Worker" not in printed and "Sol Worker" in printed  # removed, not covered; Sol's own name stays
    assert manifest["withheld"], manifest

    db.expire_all()
    audited = db.scalar(select(AuditEvent).where(AuditEvent.action == "subject_access.exported"))
    assert audited.detail["sha256"] == hashlib.sha256(exported.data).hexdigest()
    assert audited.detail["withheld"] == [key] and audited.detail["basis"] == "page"
    steps = list(db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "subject_access_request")))
    assert {"subject_access.recorded", "subject_access.schedule_read", "subject_access.withheld",
            "subject_access.export_asked", "subject_access.exported", "subject_access.export_downloaded"} <= set(steps)

    out = tmp_path / "sol.zip"
    by_operator = app.test_cli_runner().invoke(cli, ["sar", "export", "--person", SOL, "--out", str(out)])
    assert by_operator.exit_code == 0, by_operator.output
    _, from_cli = _checked(out.read_bytes())
    cli_pdf = next(data for name, data in from_cli.items() if f"R-{record_id:06d}" in name and name.endswith(".pdf"))
    assert "Tam Worker" not in _pdf_text(cli_pdf, tmp_path)
    db.expire_all()
    assert db.scalar(select(AuditEvent.detail).where(AuditEvent.action == "subject_access.exported")
                     .order_by(AuditEvent.id.desc()).limit(1))["basis"] == "cli"


def test_the_cli_refuses_in_one_line_a_person_with_no_open_request(app: Any, group_org: Southwark,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "tam.zip"
    refused = app.test_cli_runner().invoke(cli, ["sar", "export", "--person", "sw2@southwark.example.org",
                                                 "--out", str(out)])
    assert refused.exit_code == 2 and not out.exists()
    said = refused.output.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(
        "docgen: no open subject access request for sw2@southwark.example.org; record one first"), refused.output
