"""An older Word file is merged three ways (issue 27): what the user changed in the file since its
download is read into the record as it stands, so what was saved on the page meanwhile stays; a
part changed on both sides is refused with both texts shown, until the user chooses the file's.
On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from documents.render import PROP_BASE, PROP_REVISION
from kernel.errors import Conflict, InvalidInput
from storage.models import Account, Organisation, Record
from tests.e2e.test_web_pages import HTML, post, sign_in, text
from tests.word_editing import cell_of, open_docx, retype, rezip, row_of, save
from workflows import actions, people, records, word_files
from workflows.access import Caller
from workflows.deployment import Work

SESSION = dt.date(2025, 3, 3)
_counter = itertools.count()
# Text a user types: letters, digits, punctuation and characters XML and the forms print specially.
WORDS = st.text(st.sampled_from("abcdefghij KLMNOP 0123 ,.'&<>\u00e9\u0142\u2013"), min_size=1, max_size=24).map(
    str.strip).filter(bool)


@pytest.fixture
def uow(app: Any, org: Any) -> Iterator[Work]:
    with app.extensions["docgen"].unit_of_work() as unit:
        yield unit


def _manager(uow: Work, org: Any) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == org.ids["manager"])).one()
    return Caller(account=account, ip="192.0.2.7")


def _record(uow: Work, org: Any, carried: list[tuple[str, str]], own: list[tuple[str, str]]) -> Record:
    """A new supervisee's record with actions carried from a month before and its own."""
    db, profile = uow.session, uow.deployment.profile
    n = next(_counter)
    supervisee = people.create_person(db, db.scalars(select(Organisation)).first(), profile, {
        "name": f"Supervisee {n}", "email": f"merge{n}@knowsley.example.org", "role": "social_worker",
        "line_manager_id": org.ids["manager"], "employment_start": dt.date(2024, 1, 8)})
    people.create_relationship(db, supervisee.id, org.ids["manager"], dt.date(2024, 1, 8))
    earlier = records.create_record(db, profile, supervisee, SESSION - dt.timedelta(days=28))
    records.update_record(db, profile, earlier, {"actions": [
        {"section": "summary", "text": t, "owner": supervisee.name, "due": d} for t, d in carried]})
    record = records.create_record(db, profile, supervisee, SESSION)
    records.update_record(db, profile, record, {"welfare": {"discussion": "Settled."}, "actions": [
        {"section": "summary", "text": t, "due": d} for t, d in own]})
    uow.commit()
    return record


def _download(uow: Work, org: Any, record: Record) -> bytes:
    return word_files.download_record(uow, _manager(uow, org), record.id)[0]


def _page_edit(uow: Work, org: Any, record: Record, patch: dict[str, Any]) -> None:
    records.edit(uow, _manager(uow, org), record.id, patch, record.revision)


def _upload(uow: Work, org: Any, record: Record, data: bytes, keep_file: bool = False) -> dict[str, Any]:
    return word_files.upload_record(uow, _manager(uow, org), record.id, lambda: data, record.revision,
                                    keep_file=keep_file)


def _word_edit(data: bytes, edits: dict[str, str]) -> bytes:
    document = open_docx(data)
    for bookmark, typed in edits.items():
        retype(cell_of(document, bookmark), typed)
    return save(document)


def _ids(uow: Work, record: Record) -> list[str]:
    return [e.action_id for e in actions.entries(uow.session, record)]


def _shown(uow: Work, record: Record) -> dict[str, Any]:
    uow.session.expire_all()
    return records.record_json(uow.session, uow.session.get(Record, record.id))


DUES = st.sampled_from(["Friday", "within six weeks", "end of month", "1 May 2025", ""])
CASE = st.fixed_dictionaries({
    "carried": st.lists(st.tuples(WORDS, DUES), min_size=1, max_size=3),
    "own": st.lists(st.tuples(WORDS, DUES), min_size=1, max_size=2),
    "page": st.fixed_dictionaries({"welfare": WORDS, "progress": WORDS, "area": WORDS}),
    "word": st.fixed_dictionaries({"area": WORDS, "progress": WORDS, "decisions": WORDS}),
})


@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=CASE)
def test_an_older_word_file_keeps_what_was_saved_on_the_page(uow: Work, org: Any, case: dict[str, Any]) -> None:
    """Download, edit welfare, an action's progress and an area on the page, then upload the older
    file with other cells changed: both sets of changes are in the record, and nothing else moved."""
    record = _record(uow, org, case["carried"], case["own"])
    data = _download(uow, org, record)
    ids = _ids(uow, record)
    page, word = case["page"], case["word"]
    areas = record.sections["areas"]
    _page_edit(uow, org, record, {
        "welfare": {"discussion": page["welfare"]},
        "areas": [{**areas[0], "discussion": page["area"]}, *areas[1:]],
        "actions": [{"id": ids[0], "progress": page["progress"]}]})
    uow.commit()
    before = _shown(uow, record)
    edited = _word_edit(data, {"dg_area1_d": word["area"], f"dg_act_{ids[-1]}_p": word["progress"],
                               "dg_f_decisions": word["decisions"]})
    uploaded = _upload(uow, org, record, edited)
    after = _shown(uow, record)
    assert uploaded["merged_from"] == record.revision - 2 and uploaded["warnings"] == []
    assert after["sections"]["welfare"]["discussion"] == page["welfare"]
    assert [a["discussion"] for a in after["sections"]["areas"][:2]] == [page["area"], word["area"]]
    assert after["sections"]["decisions"] == word["decisions"]
    progress = {a["id"]: a["progress"] for a in after["actions"]}
    assert progress[ids[0]] == page["progress"] and progress[ids[-1]] == word["progress"]
    assert [a["id"] for a in after["actions"]] == ids  # no action raised again, none lost
    unchanged = {k: v for k, v in before["sections"].items() if k not in ("areas", "decisions")}
    assert {k: v for k, v in after["sections"].items() if k not in ("areas", "decisions")} == unchanged


def test_a_part_changed_on_both_sides_is_refused_until_the_files_text_is_chosen(uow: Work, org: Any) -> None:
    record = _record(uow, org, [("Write the case summary", "Friday")], [("Book leave", "1 May 2025")])
    data = _download(uow, org, record)
    action = _ids(uow, record)[0]
    _page_edit(uow, org, record, {"welfare": {"discussion": "Typed on the page"},
                                  "actions": [{"id": action, "progress": "Half done on the page"}]})
    uow.commit()
    edited = _word_edit(data, {"dg_f_welfare_discussion": "Typed in Word", "dg_f_decisions": "Agreed in Word"})
    with pytest.raises(word_files.ChangedOnBothSides) as refused:
        _upload(uow, org, record, edited)
    assert [(c.label, c.record, c.file) for c in refused.value.clashes] == [
        ("Welfare", "Typed on the page", "Typed in Word")]
    assert _shown(uow, record)["sections"]["decisions"] == ""  # nothing was read in
    _upload(uow, org, record, edited, keep_file=True)
    after = _shown(uow, record)
    assert after["sections"]["welfare"]["discussion"] == "Typed in Word"
    assert after["sections"]["decisions"] == "Agreed in Word"
    assert after["actions"][0]["progress"] == "Half done on the page"


def test_an_area_added_on_the_page_survives_an_older_file_that_changes_the_areas(uow: Work, org: Any) -> None:
    record = _record(uow, org, [("Write the case summary", "Friday")], [])
    data = _download(uow, org, record)
    areas = record.sections["areas"]
    _page_edit(uow, org, record, {"areas": [*areas[1:], {"title": "Court work", "discussion": "Hearing in May"}]})
    uow.commit()
    _upload(uow, org, record, _word_edit(data, {"dg_area2_d": "Audit done"}))
    after = _shown(uow, record)["sections"]["areas"]
    assert areas[0]["key"] not in [a["key"] for a in after]  # removed on the page, untouched in the file
    assert ("Court work", "Hearing in May") in [(a["title"], a["discussion"]) for a in after]
    assert next(a for a in after if a["key"] == areas[2]["key"])["discussion"] == "Audit done"


def _stale_download(uow: Work, org: Any) -> tuple[Record, bytes]:
    """A record's Word file, downloaded before the welfare text was typed on the page."""
    record = _record(uow, org, [("Write the case summary", "Friday")], [])
    data = _download(uow, org, record)
    _page_edit(uow, org, record, {"welfare": {"discussion": "Typed on the page"}})
    uow.commit()
    return record, data


def _custom_without(data: bytes, name: str) -> bytes:
    """The file's custom properties part without the property called `name`."""
    return re.sub(rb'<property [^>]*name="' + re.escape(name.encode()) + rb'"[^>]*>.*?</property>', b"",
                  _member(data, "docProps/custom.xml"))


def test_an_older_file_that_no_longer_holds_its_base_is_refused(uow: Work, org: Any) -> None:
    record, data = _stale_download(uow, org)
    custom = _custom_without(data, PROP_BASE + "0")
    with pytest.raises(Conflict, match="download the record again"):
        _upload(uow, org, record, rezip(_word_edit(data, {"dg_f_decisions": "x"}),
                                        replace={"docProps/custom.xml": custom}))
    assert _shown(uow, record)["sections"]["welfare"]["discussion"] == "Typed on the page"


def _member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name)


def test_the_api_refuses_a_stale_file_that_clashes_naming_the_parts(client: Any, org: Any) -> None:
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"},
                         headers=org.auth("manager")).json
    url = f"/api/v1/records/{record['id']}"
    data = client.get(f"{url}/docx", headers=org.auth("manager")).data
    changed = client.patch(url, json={"welfare": {"discussion": "Typed on the page"}},
                           headers={**org.auth("manager"), "If-Match": f'"{record["revision"]}"'})
    refused = client.put(f"{url}/docx", data=_word_edit(data, {"dg_f_welfare_discussion": "Typed in Word"}),
                         content_type="application/octet-stream",
                         headers={**org.auth("manager"), "If-Match": changed.headers["ETag"]})
    assert refused.status_code == 409 and refused.json["error"]["field"] == "file"
    assert "Welfare" in refused.json["error"]["message"]
    assert client.get(url, headers=org.auth("manager")).json["sections"]["welfare"]["discussion"] == "Typed on the page"


def test_an_older_agreement_file_keeps_what_was_saved_since(client: Any, org: Any) -> None:
    agreement = client.post("/api/v1/agreements", json={"supervisee_id": org.ids["worker"], "started_on": "2026-09-01"},
                            headers=org.auth("manager")).json
    url = f"/api/v1/agreements/{agreement['id']}"
    data = client.get(f"{url}/docx", headers=org.auth("manager")).data
    changed = client.patch(url, json={"location": "Room 2.14"},
                           headers={**org.auth("manager"), "If-Match": f'"{agreement["revision"]}"'})
    assert changed.status_code == 200, changed.json
    uploaded = client.put(f"{url}/docx", data=_word_edit(data, {"dg_f_agreement_length": "90 minutes"}),
                          content_type="application/octet-stream",
                          headers={**org.auth("manager"), "If-Match": changed.headers["ETag"]})
    assert uploaded.status_code == 200, uploaded.json
    assert (uploaded.json["fields"]["location"], uploaded.json["fields"]["length"]) == ("Room 2.14", "90 minutes")


def test_the_upload_page_shows_both_texts_and_keeps_the_file(client: Any, org: Any) -> None:
    sign_in(client, "manager")
    record = client.post("/api/v1/records", json={"supervisee_id": org.ids["worker"], "session_date": "2025-03-03"},
                         headers=org.auth("manager")).json
    url = f"/api/v1/records/{record['id']}"
    data = client.get(f"{url}/docx", headers=org.auth("manager")).data
    changed = client.patch(url, json={"welfare": {"discussion": "Typed on the page"}},
                           headers={**org.auth("manager"), "If-Match": f'"{record["revision"]}"'})
    assert changed.status_code == 200
    edited = _word_edit(data, {"dg_f_welfare_discussion": "Typed in Word"})
    upload = f"/records/{record['id']}/upload"
    refused = post(client, upload, {"file": (io.BytesIO(edited), "record.docx")}, content_type="multipart/form-data")
    page = text(refused)
    assert refused.status_code == 409
    assert "The record and your Word file changed the same parts" in page
    assert re.search(r"Welfare</th>\s*<td[^>]*>Typed on the page</td>\s*<td[^>]*>Typed in Word</td>", page)
    carried = re.search(r'name="carried" value="([^"]+)"', page).group(1)
    revision = re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    kept = client.post(upload, data={"csrf_token": token, "revision": revision, "keep": "file", "carried": carried},
                       headers=HTML)
    assert kept.status_code == 302, text(kept)
    assert client.get(url, headers=org.auth("manager")).json["sections"]["welfare"]["discussion"] == "Typed in Word"
    told = text(client.get(kept.headers["Location"], headers=HTML))
    assert "where the record and the file both changed" in told and "since you downloaded the file was kept" not in told


def test_a_file_that_does_not_say_its_revision_is_read_in_and_the_user_is_told(uow: Work, org: Any) -> None:
    """A file from before the revision was kept cannot be merged: its text wins where it differs,
    and the answer says so rather than promising that the page's edits were kept."""
    record, data = _stale_download(uow, org)
    undated = rezip(data, replace={"docProps/custom.xml": _custom_without(data, PROP_REVISION)})
    uploaded = _upload(uow, org, record, undated)
    assert uploaded["merged_from"] is None
    assert any("does not say when it was downloaded" in warning for warning in uploaded["warnings"])


def test_a_word_file_that_removes_an_area_holding_an_open_action_is_refused(uow: Work, org: Any) -> None:
    """An area goes with what is written in it, never with an open action raised in it (K App B §4),
    whether it is removed on the page or by deleting its row in Word: the upload reads nothing in."""
    record = _record(uow, org, [], [])
    area = record.sections["areas"][0]
    _page_edit(uow, org, record, {"actions": [{"section": area["key"], "text": "Book the court skills course",
                                               "due": "1 May 2025"}]})
    uow.commit()
    document = open_docx(_download(uow, org, record))
    row = row_of(cell_of(document, "dg_area0_d"))
    row.getparent().remove(row)
    with pytest.raises(InvalidInput, match=f"the area '{area['title']}' still holds the open action"):
        _upload(uow, org, record, save(document))
    uow.rollback()
    after = _shown(uow, record)
    assert area["key"] in [a["key"] for a in after["sections"]["areas"]]
    assert [a["section"] for a in after["actions"] if a["text"] == "Book the court skills course"] == [area["key"]]
