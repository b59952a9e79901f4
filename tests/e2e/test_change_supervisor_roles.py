"""Issue 27: who may change a supervisor is the command's to say (`supervision_changes.CHANGED_BY`),
so the page and the API give the same answer to the same account, on SQLite and PostgreSQL: HR,
who manage movers, change a supervisor on either edge as an administrator does; someone with no such
role is refused on both, with nothing written."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from kernel import clock
from storage.models import AuditEvent, SupervisionRelationship
from tests.e2e.test_web_pages import HTML, config, csrf, opened, sign_in, text  # noqa: F401

CHANGE_ON = dt.date(2026, 1, 5)


def _relationship_of(db: Any, supervisee_id: int) -> SupervisionRelationship:
    found = db.scalar(select(SupervisionRelationship).where(SupervisionRelationship.supervisee_id == supervisee_id)
                      .order_by(SupervisionRelationship.id))
    db.commit()
    return found


def _supervisors_of(db: Any, supervisee_id: int) -> list[tuple[int, dt.date, dt.date | None]]:
    db.expire_all()
    rels = db.scalars(select(SupervisionRelationship).where(SupervisionRelationship.supervisee_id == supervisee_id)
                      .order_by(SupervisionRelationship.id))
    found = [(r.supervisor_id, r.starts_on, r.ends_on) for r in rels]
    db.commit()
    return found


def _on_the_page(client: Any, rel_id: int, supervisor_id: int) -> Any:
    url = f"/admin/relationships/{rel_id}/change-supervisor"
    return client.post(url, data={**opened(client, url), "supervisor_id": str(supervisor_id),
                                  "starts_on": [str(CHANGE_ON.day), str(CHANGE_ON.month), str(CHANGE_ON.year)]},
                       headers=HTML)


def _over_the_api(client: Any, org: Any, who: str, rel_id: int, supervisor_id: int) -> Any:
    url = f"/api/v1/relationships/{rel_id}"
    etag = client.get(url, headers=org.auth(who)).headers["ETag"]
    return client.post(f"{url}/change-supervisor", json={"supervisor_id": supervisor_id, "starts_on": str(CHANGE_ON)},
                       headers={**org.auth(who), "If-Match": etag})


def test_hr_changes_a_supervisor_on_the_page_as_over_the_api(client: Any, org: Any, db: Any) -> None:
    on_page, over_api = _relationship_of(db, org.ids["worker"]), _relationship_of(db, org.ids["asye"])
    sign_in(client, "hr")
    form = client.get(f"/admin/relationships/{on_page.id}/change-supervisor", headers=HTML)
    assert form.status_code == 200 and "Change Alex Morgan’s supervisor" in text(form)
    assert 'href="/hr/leavers"' in text(form)  # back to HR's own page, which lists recent changes

    page = _on_the_page(client, on_page.id, org.ids["head"])
    api = _over_the_api(client, org, "hr", over_api.id, org.ids["head"])

    assert page.status_code == 302 and page.headers["Location"] == "/hr/leavers", text(page)
    assert api.status_code == 201, api.json
    assert "Dana Okafor supervises Alex Morgan from 5 January 2026" in text(client.get("/hr/leavers", headers=HTML))
    for who in ("worker", "asye"):
        assert _supervisors_of(db, org.ids[who]) == [(org.ids["manager"], dt.date(2024, 1, 8), dt.date(2026, 1, 4)),
                                                     (org.ids["head"], CHANGE_ON, None)]
    actors = db.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "person.transfer")).all()
    assert actors == [org.ids["hr"], org.ids["hr"]]


def test_someone_without_a_people_role_is_refused_on_the_page_as_over_the_api(client: Any, org: Any,
                                                                               db: Any) -> None:
    rel = _relationship_of(db, org.ids["worker"])
    sign_in(client, "manager")  # Alex's supervisor, but neither an administrator nor HR
    url = f"/admin/relationships/{rel.id}/change-supervisor"
    assert client.get(url, headers=HTML).status_code == 403

    page = client.post(url, data={"csrf_token": csrf(client, "/tokens"), "revision": str(rel.revision),
                                  "supervisor_id": str(org.ids["head"]),
                                  "starts_on": [str(CHANGE_ON.day), str(CHANGE_ON.month), str(CHANGE_ON.year)]},
                       headers=HTML)
    api = _over_the_api(client, org, "manager", rel.id, org.ids["head"])

    assert page.status_code == api.status_code == 403, (text(page), api.json)
    assert _supervisors_of(db, org.ids["worker"]) == [(org.ids["manager"], dt.date(2024, 1, 8), None)]


def test_an_administrator_still_goes_back_to_who_supervises_whom(client: Any, org: Any, db: Any) -> None:
    rel = _relationship_of(db, org.ids["worker"])
    sign_in(client, "admin")
    assert 'href="/admin/relationships"' in text(
        client.get(f"/admin/relationships/{rel.id}/change-supervisor", headers=HTML))
    done = _on_the_page(client, rel.id, org.ids["head"])
    assert done.status_code == 302 and done.headers["Location"] == "/admin/relationships"


def test_hr_reaches_the_change_and_end_pages_from_the_leavers_page_and_ends_a_supervision(
        client: Any, org: Any, db: Any) -> None:
    """HR's own page lists recent changes of supervisor with the links to change or end each one, as
    an administrator's list does: a change HR may make is never reachable only by typing its URL."""
    rel, on = _relationship_of(db, org.ids["worker"]), clock.today() - dt.timedelta(days=10)  # a recent change
    sign_in(client, "hr")
    url = f"/admin/relationships/{rel.id}/change-supervisor"
    changed = client.post(url, data={**opened(client, url), "supervisor_id": str(org.ids["head"]),
                                     "starts_on": [str(on.day), str(on.month), str(on.year)]}, headers=HTML)
    assert changed.status_code == 302, text(changed)
    new = db.scalar(select(SupervisionRelationship).where(SupervisionRelationship.supervisee_id == org.ids["worker"],
                                                           SupervisionRelationship.ends_on.is_(None)))
    db.commit()
    page = text(client.get("/hr/leavers", headers=HTML))
    assert f'href="/admin/relationships/{new.id}/change-supervisor"' in page
    assert f'href="/admin/relationships/{new.id}/end"' in page
    url = f"/admin/relationships/{new.id}/end"
    ends_on = on + dt.timedelta(days=30)
    ended = client.post(url, data={**opened(client, url), "ends_on": [str(ends_on.day), str(ends_on.month),
                                                                      str(ends_on.year)]}, headers=HTML)
    assert ended.status_code == 302 and ended.headers["Location"] == "/hr/leavers", text(ended)
    assert _supervisors_of(db, org.ids["worker"])[-1] == (org.ids["head"], on, ends_on)


def test_a_new_supervisor_from_the_year_9999_is_refused_naming_the_date_on_the_page_as_over_the_api(
        client: Any, org: Any, db: Any) -> None:
    """A year typed as 9999 is a slip: refused at the input (`workflows.inputs.dates`), never a 500
    when the draft agreement's review date, a year on, leaves the calendar."""
    on_page, over_api = _relationship_of(db, org.ids["worker"]), _relationship_of(db, org.ids["asye"])
    sign_in(client, "hr")
    url = f"/admin/relationships/{on_page.id}/change-supervisor"

    page = client.post(url, data={**opened(client, url), "supervisor_id": str(org.ids["head"]),
                                  "starts_on": ["1", "6", "9999"]}, headers=HTML)
    api_url = f"/api/v1/relationships/{over_api.id}"
    api = client.post(f"{api_url}/change-supervisor", json={"supervisor_id": org.ids["head"], "starts_on": "9999-06-01"},
                      headers={**org.auth("hr"), "If-Match": client.get(api_url, headers=org.auth("hr")).headers["ETag"]})

    assert page.status_code in (400, 422) and 'href="#starts_on-day"' in text(page), text(page)
    assert "must be within 5 years of today (a docgen default)" in text(page)
    assert api.status_code == 422 and api.json["error"]["field"] == "starts_on", api.json
    for who in ("worker", "asye"):
        assert _supervisors_of(db, org.ids[who]) == [(org.ids["manager"], dt.date(2024, 1, 8), None)]
