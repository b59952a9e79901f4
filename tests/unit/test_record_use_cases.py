"""Records as use cases: who may start and change one, what is audited, and that a refused change
leaves nothing behind."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from storage.models import Account, AuditEvent, Record
from workflows import records, word_files
from workflows.access import Caller
from workflows.deployment import Deployment, Work

SESSION = dt.date(2025, 3, 3)


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def _audit(deployment: Deployment) -> list[tuple[str, int | None]]:
    with deployment.sessions() as db:
        return [(e.action, e.actor_id) for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_supervisor_starts_a_record_and_the_start_is_audited(deployment: Deployment, uow: Work,
                                                                 team: dict[str, int]) -> None:
    record = records.start_record(uow, _caller(uow, team["manager"]), team["worker"], SESSION)
    assert (record.supervisor_id, record.status) == (team["manager"], "draft")
    assert _audit(deployment) == [("record.create", team["manager"])]


def test_a_record_for_nobody_names_the_supervisee_field(uow: Work, team: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as refused:
        records.start_record(uow, _caller(uow, team["manager"]), 9999, SESSION)
    assert refused.value.field == "supervisee_id"


@pytest.mark.parametrize("who, error", [("worker", Forbidden), ("stranger", NotFound)])
def test_only_the_current_supervisor_starts_a_record(deployment: Deployment, uow: Work, team: dict[str, int],
                                                     who: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        records.start_record(uow, _caller(uow, team[who]), team["worker"], SESSION)
    uow.rollback()
    assert _audit(deployment) == []


def test_a_change_refused_on_the_page_is_rolled_back(deployment: Deployment, uow: Work,
                                                     team: dict[str, int]) -> None:
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    with pytest.raises(InvalidInput) as refused:
        records.edit(uow, manager, record.id, {"welfare": {"discussion": "Typed before the mistake"},
                                               "next_supervision": SESSION}, record.revision)
    assert refused.value.field == "next_supervision"
    assert records.edit_view(uow, manager, record.id).record.sections["welfare"]["discussion"] == ""
    with deployment.sessions() as db:
        assert db.get(Record, record.id).sections["welfare"]["discussion"] == ""
    assert _audit(deployment) == [("record.create", team["manager"])]  # no record.update kept


def test_the_page_reads_the_record_it_edits_without_an_audit_entry(deployment: Deployment, uow: Work,
                                                                  team: dict[str, int]) -> None:
    manager = _caller(uow, team["manager"])
    record_id = records.start_record(uow, manager, team["worker"], SESSION).id
    assert records.edit_view(uow, manager, record_id).number == f"R-{record_id:06d}"
    assert _audit(deployment) == [("record.create", team["manager"])]


def test_a_page_edit_is_the_api_edit_audited_as_record_update(deployment: Deployment, uow: Work,
                                                              team: dict[str, int]) -> None:
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    records.edit(uow, manager, record.id, {"actions": [{"section": "welfare", "text": "Book leave"}]},
                 record.revision)
    assert [e.action.text for e in records.edit_view(uow, manager, record.id).entries] == ["Book leave"]
    assert _audit(deployment)[-1] == ("record.update", team["manager"])


def test_a_page_save_says_whether_it_changed_what_the_record_says(uow: Work, team: dict[str, int]) -> None:
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    typed = {"welfare": {"discussion": "Typed and not saved"}}
    assert records.edit(uow, manager, record.id, typed, record.revision) is True
    assert records.edit(uow, manager, record.id, typed, record.revision) is False


def test_a_sent_record_has_no_check_before_sending_and_no_area_to_remove(uow: Work, team: dict[str, int]) -> None:
    manager = _caller(uow, team["manager"])
    record = records.start_record(uow, manager, team["worker"], SESSION)
    assert records.send_check(uow, manager, record.id).doc["welfare"]["discussion"] == ""
    assert records.area_removal(uow, manager, record.id, "aob").area["title"] == "A.O.B"
    with pytest.raises(NotFound):
        records.area_removal(uow, manager, record.id, "no_such_area")
    record.status = "awaiting_supervisee"
    uow.commit()
    with pytest.raises(Conflict):
        records.send_check(uow, manager, record.id)
    with pytest.raises(Conflict):
        records.area_removal(uow, manager, record.id, "aob")


def test_an_upload_is_read_only_once_the_caller_may_change_the_record(uow: Work, team: dict[str, int]) -> None:
    record = records.start_record(uow, _caller(uow, team["manager"]), team["worker"], SESSION)
    opened: list[Any] = []
    with pytest.raises(NotFound):
        word_files.upload_record(uow, _caller(uow, team["stranger"]), record.id, lambda: opened.append(1) or b"",
                                 record.revision)
    assert opened == []
