"""The Word round trip: a record downloaded and uploaded unchanged changes nothing, and what a user
does change in Word (an area's action and its due date, the summary, completion) is read back once."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from storage.models import Account, Action, ActionEntry, Organisation, Record
from workflows import actions, people, records, word_files
from workflows.access import Caller
from workflows.deployment import Deployment, Work
from workflows.profiles import load_profile
from tests.word_editing import cell_of, open_docx, retype, save, table_of

FIRST_SESSION = dt.date(2025, 2, 3)
SESSION = dt.date(2025, 3, 3)
# Pieces a user's text is made of, chosen to look like what the forms print around it.
LOOKALIKES = [" \u2013 by ", " - by ", " \u2014 by 1 May", "\u2013", " by ", "Owner: ", "Due: ", "; ", "\n", "\n\n",
              "\t", " ", "Yes", "No", "\u2612", "<b>", "&amp;", "{{ a.text }}", "{%p if %}", "\u00e9\u00e8",
              "\u0131\u0130", "\U0001f600", "\u200b", "\u00a0", "\r\n", "\x07"]
_counter = itertools.count()


def _text(min_size: int = 0) -> st.SearchStrategy[str]:
    piece = st.one_of(st.sampled_from(LOOKALIKES),
                      st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8))
    text = st.lists(piece, max_size=4).map("".join)
    return text.map(lambda t: t if t.strip() else "Action " + t) if min_size else text


ACTION = st.fixed_dictionaries({
    "text": _text(min_size=1), "owner": st.one_of(st.just(""), _text()), "due": st.one_of(st.just(""), _text()),
    "progress": st.one_of(st.just(""), _text()), "completed": st.booleans()})
RECORD = st.fixed_dictionaries({
    "role": st.sampled_from(["social_worker", "asye", "team_manager", "service_manager"]),
    "keep_areas": st.lists(st.booleans(), min_size=10, max_size=10),
    "custom_areas": st.lists(st.fixed_dictionaries({"title": _text(min_size=1), "discussion": _text()}), max_size=2),
    "discussions": st.lists(_text(), min_size=10, max_size=10),
    "welfare": _text(), "previous": st.tuples(_text(), _text()), "decisions": _text(),
    "next_supervision": st.one_of(st.none(), st.integers(1, 90)),
    "earlier": st.lists(ACTION, max_size=3),  # raised a month before, carried forward unless completed then
    "carried_progress": st.lists(st.one_of(st.none(), st.tuples(_text(), st.booleans())), min_size=3, max_size=3),
    "actions": st.lists(st.tuples(st.integers(0, 20), ACTION), max_size=6),  # section index, action
})


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def _supervisee(uow: Work, team: dict[str, int], role: str) -> int:
    """A new supervisee of the manager for each generated record, so records never meet."""
    db = uow.session
    org = db.scalars(select(Organisation)).first()
    n = next(_counter)
    person = people.create_person(db, org, uow.deployment.profile, {
        "name": f"Supervisee {n}", "email": f"supervisee{n}@knowsley.example.org", "role": role,
        "line_manager_id": team["manager"], "employment_start": dt.date(2024, 1, 8)})
    people.create_relationship(db, person.id, team["manager"], dt.date(2024, 1, 8))
    return person.id


def _item(section: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"section": section, **action}


def _make_record(uow: Work, team: dict[str, int], spec: dict[str, Any]) -> Record:
    """A record as the generated spec describes, built through the same rules as the API's edits."""
    db, profile = uow.session, uow.deployment.profile
    supervisee = people.get_person(db, _supervisee(uow, team, spec["role"]))
    earlier = records.create_record(db, profile, supervisee, FIRST_SESSION)
    records.update_record(db, profile, earlier, {"actions": [_item("summary", a) for a in spec["earlier"]]})
    record = records.create_record(db, profile, supervisee, SESSION)
    form = records.form_of(profile, record)
    areas = [{"key": a["key"], "discussion": discussion}
             for a, keep, discussion in zip(record.sections["areas"], spec["keep_areas"], spec["discussions"]) if keep]
    # every field of the record's form written in (text fields take the generated decisions' text)
    written = {key: spec["decisions"] for key in form.text_keys}
    records.update_record(db, profile, record, {
        **({"areas": areas + spec["custom_areas"]} if form.has("areas") else {}),
        **({"welfare": {"discussion": spec["welfare"]}} if form.has("welfare") else {}),
        **({"previous": dict(zip(("happy", "comments"), spec["previous"]))} if form.field("previous_happy") else {}),
        **written,
        "next_supervision": SESSION + dt.timedelta(days=spec["next_supervision"]) if spec["next_supervision"] else None})
    sections = [*(["welfare"] if form.has("welfare") else []), "summary", *(a["key"] for a in record.sections["areas"])]
    records.update_record(db, profile, record,
                          {"actions": [_item(sections[i % len(sections)], a) for i, a in spec["actions"]]})
    carried = [e for e in actions.entries(db, record) if e.action.raised_in_record_id != record.id]
    for entry, progress in zip(carried, spec["carried_progress"]):
        if progress is not None:
            actions.record_progress(db, record, entry.action_id, progress=progress[0], completed=progress[1])
    uow.commit()
    return record


def _state(uow: Work, record: Record) -> tuple[Any, ...]:
    """Everything an upload could change: the record's row, its actions and their entries."""
    db = uow.session
    db.expire_all()
    record = db.get(Record, record.id)
    rows = [(a.id, a.section, a.text, a.owner, a.due, a.date_added, a.completed_in_record_id, a.completed_on)
            for a in db.scalars(select(Action).where(Action.supervisee_id == record.supervisee_id).order_by(Action.id))]
    entries = [(e.action_id, e.position, e.progress, e.completed)
               for e in db.scalars(select(ActionEntry).where(ActionEntry.record_id == record.id).order_by(ActionEntry.id))]
    return records.record_json(db, record), record.updated_at, rows, entries


def _upload(uow: Work, team: dict[str, int], record: Record, data: bytes) -> list[str]:
    return word_files.upload_record(uow, _caller(uow, team["manager"]), record.id, lambda: data,
                                    record.revision)["warnings"]


def _download(uow: Work, team: dict[str, int], record: Record) -> bytes:
    return word_files.download_record(uow, _caller(uow, team["manager"]), record.id)[0]


@pytest.fixture(params=["knowsley", "stockport", "haringey"])
def council(request: pytest.FixtureRequest, deployment: Deployment, team: dict[str, int]) -> Iterator[Work]:
    """A unit of work under a council's profile: Knowsley's records have a table of areas, Stockport's
    forms (S App A, B) a fixed part for each subject and no areas, Haringey's no supervisee signature."""
    with dataclasses.replace(deployment, profile=load_profile(request.param)).unit_of_work() as unit:
        yield unit


# Each example is a new supervisee's record, so the fixtures' state is shared on purpose.
@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=RECORD)
def test_a_record_uploaded_unchanged_changes_nothing(council: Work, team: dict[str, int], spec: dict[str, Any]) -> None:
    record = _make_record(council, team, spec)
    before = _state(council, record)
    shown = actions.entries(council.session, record)
    event(f"section actions with a due date: {sum(e.action.section != 'summary' and bool(e.action.due) for e in shown) > 0}")
    event(f"carried forward: {any(e.action.raised_in_record_id != record.id for e in shown)}")
    assert _upload(council, team, record, _download(council, team, record)) == []
    assert _state(council, record) == before


@pytest.fixture
def record(uow: Work, team: dict[str, int]) -> Record:
    """A practitioner's record with an action due in an area, one in welfare and one in the summary."""
    db, profile = uow.session, uow.deployment.profile
    record = records.create_record(db, profile, people.get_person(db, team["worker"]), SESSION)
    records.update_record(db, profile, record, {"actions": [
        {"section": "learning_development", "text": "Attend PE course", "due": "January 2027"},
        {"section": "learning_development", "text": "Read the PE handbook"},
        {"section": "welfare", "text": "Book annual leave", "due": "1 December 2026"},
        {"section": "summary", "text": "Complete case audit", "owner": "Alex Morgan", "due": "30 November 2026"}]})
    uow.commit()
    return record


def _actions(uow: Work, record: Record) -> list[tuple[str, str, str, str, bool]]:
    uow.session.expire_all()
    return [(e.action.section, e.action.text, e.action.due, e.progress, e.completed)
            for e in actions.entries(uow.session, record)]


def _edited(uow: Work, team: dict[str, int], record: Record, edits: dict[str, tuple[str, ...]]) -> bytes:
    document = open_docx(_download(uow, team, record))
    for bookmark, lines in edits.items():
        retype(cell_of(document, bookmark), *lines)
    return save(document)


def _id(uow: Work, record: Record, text: str) -> str:
    return next(e.action_id for e in actions.entries(uow.session, record) if e.action.text == text)


def test_an_area_action_with_a_due_date_is_not_raised_again(uow: Work, team: dict[str, int], record: Record) -> None:
    before = _actions(uow, record)
    assert _upload(uow, team, record, _download(uow, team, record)) == []
    assert _actions(uow, record) == before and len(before) == 4


def test_a_due_date_changed_in_an_area_moves_that_action(uow: Work, team: dict[str, int], record: Record) -> None:
    data = _edited(uow, team, record, {"dg_area0_a": ("Attend PE course \u2013 by March 2027", "Read the PE handbook")})
    assert _upload(uow, team, record, data) == []
    assert ("learning_development", "Attend PE course", "March 2027", "", False) in _actions(uow, record)
    assert len(_actions(uow, record)) == 4


def test_an_action_retyped_in_an_area_keeps_its_id(uow: Work, team: dict[str, int], record: Record) -> None:
    action_id = _id(uow, record, "Read the PE handbook")
    data = _edited(uow, team, record, {"dg_area0_a": ("Attend PE course \u2013 by January 2027",
                                                      "Read the PE and ASYE handbooks - by Friday")})
    assert _upload(uow, team, record, data) == []
    action = uow.session.get(Action, action_id)
    assert (action.text, action.due) == ("Read the PE and ASYE handbooks", "Friday")
    assert len(_actions(uow, record)) == 4


def test_a_line_typed_in_an_area_is_a_new_action_with_its_due_date(uow: Work, team: dict[str, int],
                                                                   record: Record) -> None:
    data = _edited(uow, team, record, {"dg_area1_a": ("Shadow a court hearing \u2013 by April 2027",)})
    assert _upload(uow, team, record, data) == []
    assert ("projects", "Shadow a court hearing", "April 2027", "", False) in _actions(uow, record)
    assert len(_actions(uow, record)) == 5


def test_the_summary_reads_back_due_date_progress_and_completion(uow: Work, team: dict[str, int],
                                                                 record: Record) -> None:
    action_id = _id(uow, record, "Complete case audit")
    data = _edited(uow, team, record, {
        f"dg_act_{action_id}_t": ("Complete case audit", "Owner: Alex Morgan; Due: 7 December 2026"),
        f"dg_act_{action_id}_p": ("Audit done",), f"dg_act_{action_id}_c": ("Yes",)})
    assert _upload(uow, team, record, data) == []
    assert ("summary", "Complete case audit", "7 December 2026", "Audit done", True) in _actions(uow, record)
    assert len(_actions(uow, record)) == 4


def test_a_line_removed_from_an_area_keeps_its_action_and_says_so(uow: Work, team: dict[str, int],
                                                                  record: Record) -> None:
    before = _actions(uow, record)
    warnings = _upload(uow, team, record, _edited(uow, team, record, {"dg_area0_a": ("Read the PE handbook",)}))
    assert len(warnings) == 1 and "Attend PE course" in warnings[0] and "mark it completed" in warnings[0]
    assert _actions(uow, record) == before


def test_an_action_changed_in_its_area_and_in_the_summary_keeps_the_summary(uow: Work, team: dict[str, int],
                                                                           record: Record) -> None:
    action_id = _id(uow, record, "Book annual leave")
    data = _edited(uow, team, record, {
        "dg_f_welfare_actions": ("Book annual leave \u2013 by 5 December 2026",),
        f"dg_act_{action_id}_t": ("Book annual leave", "Due: 8 December 2026")})
    warnings = _upload(uow, team, record, data)
    assert len(warnings) == 1 and action_id in warnings[0] and "summary's version was kept" in warnings[0]
    assert ("welfare", "Book annual leave", "8 December 2026", "", False) in _actions(uow, record)


def test_a_new_action_typed_in_its_area_and_the_summary_is_raised_once(uow: Work, team: dict[str, int],
                                                                      record: Record) -> None:
    document = open_docx(_download(uow, team, record))
    retype(cell_of(document, "dg_area1_a"), "Write a placement report")
    row = table_of(document, "dg_tbl_actions").add_row().cells
    for cell, text in zip(row, ("3 March 2025", "Write a placement report", "Outline drafted", "No")):
        cell.text = text
    assert _upload(uow, team, record, save(document)) == []
    assert ("projects", "Write a placement report", "", "Outline drafted", False) in _actions(uow, record)
    assert len(_actions(uow, record)) == 5


def test_an_unchanged_upload_of_a_signed_off_record_is_accepted_as_no_change(uow: Work, team: dict[str, int],
                                                                            record: Record) -> None:
    data = _download(uow, team, record)
    record.status = "awaiting_supervisee"
    uow.commit()
    before = _state(uow, record)
    assert _upload(uow, team, record, data) == []
    assert _state(uow, record) == before


def test_actions_typed_in_an_area_the_user_added_are_raised_in_it(uow: Work, team: dict[str, int],
                                                                   record: Record) -> None:
    document = open_docx(_download(uow, team, record))
    row = table_of(document, "dg_tbl_areas").add_row().cells
    for cell, text in zip(row, ("Caseload", "Two new court cases", "Review allocation\nAsk for a co-worker - by May")):
        cell.text = text
    assert _upload(uow, team, record, save(document)) == []
    assert record.sections["areas"][-1] == {"key": "custom_caseload", "title": "Caseload",
                                            "discussion": "Two new court cases"}
    assert [a for a in _actions(uow, record) if a[0] == "custom_caseload"] == [
        ("custom_caseload", "Review allocation", "", "", False), ("custom_caseload", "Ask for a co-worker", "May", "", False)]
