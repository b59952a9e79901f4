"""Issue 27, items 5, 6 and 12, through the pages on SQLite and PostgreSQL: an administrator changes
a supervisor (the current supervision ends the day before) or ends a supervision; a supervisor
corrects or removes an action with its history kept and audited, moves the open actions of an area
they remove, and is told when a due date is before the session, when a carried action has no date,
and that a refused save saved nothing."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from storage.models import Action, ActionEntry, Agreement, AuditEvent, Record, SupervisionRelationship
from tests.e2e.test_web_pages import HTML, config, opened, post, sign_in, start_record, text, typed  # noqa: F401
from tests.unit.test_twin_inputs import _api_model, _page_models
from workflows import actions

CHANGE_ON = dt.date(2026, 1, 5)


def _current(db: Any, supervisee_id: int) -> SupervisionRelationship:
    return db.scalar(select(SupervisionRelationship).where(SupervisionRelationship.supervisee_id == supervisee_id)
                     .order_by(SupervisionRelationship.id))


def _day(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def _audited(db: Any, action: str, object_id: Any) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                    AuditEvent.object_id == str(object_id))))


# --- item 5: changing a supervisor, ending a supervision ----------------------------------------


def test_an_administrator_changes_a_supervisor_and_the_old_supervision_ends_the_day_before(
        client: Any, org: Any, db: Any) -> None:
    rel_id = _current(db, org.ids["worker"]).id
    db.commit()
    sign_in(client, "admin")
    listing = text(client.get("/admin/relationships", headers=HTML))
    change = f"/admin/relationships/{rel_id}/change-supervisor"
    assert f'href="{change}"' in listing and "end it first" not in listing

    done = post(client, change, {"supervisor_id": str(org.ids["head"]), "starts_on": _day(CHANGE_ON)})

    assert done.status_code == 302 and done.headers["Location"] == "/admin/relationships"
    banner = text(client.get("/admin/relationships", headers=HTML))
    assert "Dana Okafor supervises Alex Morgan from 5 January 2026" in banner
    assert "Sam Whitfield’s supervision ends on 4 January 2026" in banner
    rels = list(db.scalars(select(SupervisionRelationship).where(
        SupervisionRelationship.supervisee_id == org.ids["worker"]).order_by(SupervisionRelationship.id)))
    assert [(r.supervisor_id, r.starts_on, r.ends_on) for r in rels] == [
        (org.ids["manager"], dt.date(2024, 1, 8), dt.date(2026, 1, 4)), (org.ids["head"], CHANGE_ON, None)]
    assert db.scalar(select(Agreement.id).where(Agreement.relationship_id == rels[1].id)) is not None
    assert _audited(db, "person.transfer", org.ids["worker"])[0].actor_id == org.ids["admin"]
    db.commit()


def test_a_change_of_supervisor_dated_before_the_supervision_started_is_refused_naming_the_date(
        client: Any, org: Any, db: Any) -> None:
    rel_id = _current(db, org.ids["worker"]).id
    db.commit()
    sign_in(client, "admin")

    refused = post(client, f"/admin/relationships/{rel_id}/change-supervisor",
                   {"supervisor_id": str(org.ids["head"]), "starts_on": _day(dt.date(2023, 12, 1))})

    assert refused.status_code == 400
    assert 'href="#starts_on-day"' in text(refused) and "must start after 8 January 2024" in text(refused)
    assert _current(db, org.ids["worker"]).ends_on is None
    db.commit()


def test_a_change_of_supervisor_from_a_page_opened_before_another_change_is_refused_unchanged(
        client: Any, org: Any, db: Any) -> None:
    rel_id = _current(db, org.ids["worker"]).id
    db.commit()
    sign_in(client, "admin")
    change = f"/admin/relationships/{rel_id}/change-supervisor"
    shown = opened(client, change)
    theirs = client.patch(f"/api/v1/relationships/{rel_id}", json={"ends_on": "2026-06-30"},
                          headers={**org.auth("admin"), "If-Match": f'"{shown["revision"]}"'})
    assert theirs.status_code == 200, theirs.json

    late = client.post(change, data={**shown, "supervisor_id": str(org.ids["head"]), "starts_on": _day(CHANGE_ON)},
                       headers=HTML)

    assert late.status_code == 409 and "Someone else changed this supervision" in text(late)
    assert [(r.supervisor_id, r.ends_on) for r in db.scalars(select(SupervisionRelationship).where(
        SupervisionRelationship.supervisee_id == org.ids["worker"]))] == [(org.ids["manager"], dt.date(2026, 6, 30))]
    db.commit()


def test_an_administrator_ends_a_supervision_on_its_page(client: Any, org: Any, db: Any) -> None:
    rel_id = _current(db, org.ids["asye"]).id
    db.commit()
    sign_in(client, "admin")
    end = f"/admin/relationships/{rel_id}/end"
    assert "Priya Patel has no supervisor after this day" in text(client.get(end, headers=HTML))

    before_start = post(client, end, {"ends_on": _day(dt.date(2023, 1, 1))})
    assert before_start.status_code == 400 and 'href="#ends_on-day"' in text(before_start)
    done = post(client, end, {"ends_on": _day(dt.date(2026, 3, 31))})

    assert done.status_code == 302
    assert "Sam Whitfield’s supervision of Priya Patel ends on 31 March 2026" in text(
        client.get("/admin/relationships", headers=HTML))
    assert _current(db, org.ids["asye"]).ends_on == dt.date(2026, 3, 31)
    assert _audited(db, "relationship.update", rel_id)[0].actor_id == org.ids["admin"]
    db.commit()


def test_the_api_changes_a_supervisor_from_the_revision_it_read(client: Any, org: Any, db: Any) -> None:
    rel_id = _current(db, org.ids["worker"]).id
    db.commit()
    url = f"/api/v1/relationships/{rel_id}/change-supervisor"
    body = {"supervisor_id": org.ids["head"], "starts_on": CHANGE_ON.isoformat()}
    etag = client.get(f"/api/v1/relationships/{rel_id}", headers=org.auth("admin")).headers["ETag"]

    assert client.post(url, json=body, headers=org.auth("admin")).status_code == 428
    assert client.post(url, json=body, headers=org.auth("manager")).status_code == 403
    started = client.post(url, json=body, headers={**org.auth("admin"), "If-Match": etag})
    again = client.post(url, json=body, headers={**org.auth("admin"), "If-Match": etag})

    assert started.status_code == 201, started.json
    assert (started.json["supervisor_id"], started.json["starts_on"]) == (org.ids["head"], "2026-01-05")
    assert again.status_code == 412
    assert _current(db, org.ids["worker"]).ends_on == dt.date(2026, 1, 4)
    db.commit()


# --- item 6: correcting and removing actions, removing an area that holds one --------------------


def _action(client: Any, record_id: int, section: str = "summary", due: str = "30 April 2025",
            wording: str = "Book the court skills course") -> str:
    edit = f"/records/{record_id}/edit"
    added = post(client, edit, {**typed(client, edit), "step": "add-action", "new_action_section": section,
                                "new_action_text": wording, "new_action_owner": "Alex", "new_action_due": due})
    assert added.status_code == 302, text(added)
    return re.findall(r'value="edit-action:(\w+)"', text(client.get(edit, headers=HTML)))[-1]


def test_an_action_is_corrected_on_its_page_and_the_correction_is_audited(client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    action_id = _action(client, record_id)
    edit = f"/records/{record_id}/edit"

    opened_page = post(client, edit, {**typed(client, edit), "step": f"edit-action:{action_id}"})
    assert opened_page.headers["Location"] == f"/records/{record_id}/actions/{action_id}"
    page = f"/records/{record_id}/actions/{action_id}"
    saved = post(client, page, {"text": "Book the court skills course in May", "owner": "Sam",
                                "due": "31 May 2025"})

    assert saved.status_code == 302 and saved.headers["Location"].endswith("#actions")
    assert "The action has been corrected" in text(client.get(edit, headers=HTML))
    action = db.get(Action, action_id)
    assert (action.text, action.owner, action.due) == ("Book the court skills course in May", "Sam", "31 May 2025")
    entry = _audited(db, "action.update", action_id)[0]
    assert entry.actor_id == org.ids["manager"] and entry.detail["before"]["due"] == "30 April 2025"
    db.commit()


def test_an_action_raised_in_this_record_is_removed_and_what_it_said_is_audited(client: Any, org: Any,
                                                                                db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    action_id = _action(client, record_id)
    remove = f"/records/{record_id}/actions/{action_id}/remove"
    assert "raised in this record, so it is removed" in text(client.get(remove, headers=HTML))

    assert post(client, remove, {}).status_code == 302

    assert db.get(Action, action_id) is None
    entry = _audited(db, "action.remove", action_id)[0]
    assert entry.detail["before"]["text"] == "Book the court skills course" and entry.detail["after"] is None
    db.commit()


def test_a_carried_action_is_closed_as_no_longer_needed_and_its_history_kept(client: Any, org: Any,
                                                                             db: Any) -> None:
    sign_in(client, "manager")
    first = start_record(client, org)
    action_id = _action(client, first)
    second = start_record(client, org, dt.date(2025, 4, 7))
    remove = f"/records/{second}/actions/{action_id}/remove"

    unexplained = post(client, remove, {"reason": ""})
    assert unexplained.status_code == 400 and 'href="#reason"' in text(unexplained)
    assert "The action was not removed" in text(unexplained)
    assert post(client, remove, {"reason": "The course was cancelled"}).status_code == 302

    rows = {e.record_id: e for e in db.scalars(select(ActionEntry).where(ActionEntry.action_id == action_id))}
    assert set(rows) == {first, second}  # the record that raised it keeps it
    assert (rows[second].progress, rows[second].completed) == ("No longer needed: The course was cancelled", True)
    assert _audited(db, "action.remove", action_id)[0].detail["reason"] == "The course was cancelled"
    db.commit()
    third = start_record(client, org, dt.date(2025, 5, 5))
    assert action_id not in [e.action_id for e in actions.entries(db, db.get(Record, third))]
    db.commit()


def test_removing_an_area_with_an_open_action_offers_to_move_it_instead_of_a_dead_end(
        client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    action_id = _action(client, record_id, section="aob", wording="Renew the parking permit")
    confirm = f"/records/{record_id}/areas/aob/remove"
    page = text(client.get(confirm, headers=HTML))
    assert "Where should its open action go?" in page and "Renew the parking permit" in page
    assert 'name="move_to"' in page and 'value="performance"' in page

    unchosen = post(client, confirm, {})
    assert unchosen.status_code == 400 and "Choose where its open actions go" in text(unchosen)
    assert 'href="#move_to"' in text(unchosen) and "The area was not removed" in text(unchosen)
    moved = post(client, confirm, {"move_to": "performance"})

    assert moved.status_code == 302
    db.expire_all()
    assert "aob" not in {a["key"] for a in db.get(Record, record_id).sections["areas"]}
    assert db.get(Action, action_id).section == "performance"
    db.commit()


# --- item 12: dates --------------------------------------------------------------------------------


def test_a_due_date_before_the_session_is_refused_and_the_page_says_nothing_was_saved(
        client: Any, org: Any, db: Any) -> None:
    sign_in(client, "manager")
    record_id = start_record(client, org)
    edit = f"/records/{record_id}/edit"

    refused = post(client, edit, {"step": "save", "welfare": "Settled in", "new_action_text": "File the chronology",
                                  "new_action_due": "28/02/2025"})

    page = text(refused)
    assert refused.status_code == 400 and 'href="#new_action_due"' in page
    assert "By when must be on or after the session (3 March 2025)" in page and "Nothing was saved" in page
    assert db.get(Record, record_id).sections["welfare"]["discussion"] == ""
    db.commit()
    action_id = _action(client, record_id)
    corrected = post(client, f"/records/{record_id}/actions/{action_id}", {"text": "Book it", "due": "1 March 2025"})
    assert corrected.status_code == 400 and 'href="#due"' in text(corrected) and "Nothing was saved" in text(corrected)
    assert db.get(Action, action_id).due == "30 April 2025"
    db.commit()


def test_a_carried_action_whose_due_date_is_only_words_is_flagged_no_date_set(client: Any, org: Any,
                                                                              db: Any) -> None:
    sign_in(client, "manager")
    first = start_record(client, org)
    worded = _action(client, first, due="Friday", wording="Ring the court")
    _action(client, first, due="30 April 2025", wording="File the chronology")
    assert "No date set" not in text(client.get(f"/records/{first}/edit", headers=HTML))  # words, this once

    second = start_record(client, org, dt.date(2025, 4, 7))
    page = text(client.get(f"/records/{second}/edit", headers=HTML))

    assert page.count("No date set") == 1
    assert "No date set" in text(client.get(f"/records/{second}/actions/{worded}", headers=HTML))
    assert post(client, f"/records/{second}/actions/{worded}", {"text": "Ring the court", "owner": "Alex",
                                                                "due": "11 April 2025"}).status_code == 302
    assert "No date set" not in text(client.get(f"/records/{second}/edit", headers=HTML))
    # Its words are the first record's too: changing them there is refused, and says what to do instead.
    reworded = post(client, f"/records/{second}/actions/{worded}", {"text": "Ring the family court", "owner": "Alex",
                                                                    "due": "11 April 2025"})
    assert reworded.status_code == 400 and "remove it here as no longer needed and add a new action" in text(reworded)


def test_each_new_page_reads_its_form_through_its_api_twins_model() -> None:
    """A change of supervisor, the end of a supervision, an action corrected or removed and an area
    removed with its actions moved take the same values on the page as over the API."""
    for operation, view in (("POST /relationships/<int:rel_id>/change-supervisor", "admin.relationship_change"),
                            ("PATCH /relationships/<int:rel_id>", "admin.relationship_end"),
                            ("PATCH /records/<int:record_id>", "records.action_save"),
                            ("PATCH /records/<int:record_id>", "records.action_remove"),
                            ("PATCH /records/<int:record_id>", "records.remove_area")):
        assert _api_model(operation) in _page_models(view), (operation, view)


def test_an_action_carried_into_a_later_record_is_not_removed_from_the_one_it_was_raised_in(
        client: Any, org: Any, db: Any) -> None:
    """Removing it outright would pull it out of the later record too (a 500 once: the later
    record's entry still pointed at it); it is closed there instead."""
    sign_in(client, "manager")
    first = start_record(client, org)
    action_id = _action(client, first)
    second = start_record(client, org, dt.date(2025, 4, 7))
    assert action_id in text(client.get(f"/records/{second}/edit", headers=HTML))

    removed = post(client, f"/records/{first}/actions/{action_id}/remove", {"reason": "A mistake"},
                   page=f"/records/{first}/actions/{action_id}/remove")

    assert removed.status_code == 400 and "carried into the record of 7 April 2025" in text(removed)
    assert action_id in text(client.get(f"/records/{second}/edit", headers=HTML))


def test_a_leaver_cannot_become_the_new_supervisor(client: Any, org: Any, db: Any) -> None:
    rel_id = _current(db, org.ids["worker"]).id
    url = f"/api/v1/relationships/{rel_id}"
    left = client.post(f"/api/v1/people/{org.ids['head']}/leaver", json={"leave_date": "2025-12-31"},
                       headers=org.auth("admin"))
    assert left.status_code in (200, 201), left.json
    refused = client.post(f"{url}/change-supervisor", json={"supervisor_id": org.ids["head"], "starts_on": "2026-01-05"},
                          headers={**org.auth("admin"), "If-Match": client.get(url, headers=org.auth("admin")).headers["ETag"]})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "supervisor_id"
    assert "has left by 5 January 2026" in refused.json["error"]["message"]
