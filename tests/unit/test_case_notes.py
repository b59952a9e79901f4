"""Case notes for the child's social care record (issue 23): where the policy puts case discussion
on the child's record, a record naming case IDs offers one note per case ID to copy into the case
management system. S §5: "There should be a record of group supervision recorded on the child's
file that clearly identify the purpose of the discussion and any reflections/actions relevant to
the child". W §10: "See Section 8, Group Supervision on recording group discussions which should be
recorded on electronic social care record"; W App E: "The supervisor needs to record this on the
child's electronic social care record". A supervisee's own welfare or reflections never reach it
(S §10: "Personal reflections should be recorded separately on the personal supervision file")."""
from __future__ import annotations

import datetime as dt

from storage.models import Person, Record
from tests.unit.test_group_records_belong_to_attendees import _caller, group  # noqa: F401  (the group fixture)
from workflows import case_notes, events, groups, pipeline, records, signoff, webhooks
from workflows.deployment import Deployment, Work
from workflows.profiles import load_profile


def test_case_ids_are_read_in_order_each_once() -> None:
    assert case_notes.case_ids("104233, 104240;104233\n 104251") == ["104233", "104240", "104251"]
    assert case_notes.case_ids("") == []


def test_a_stockport_group_record_gives_one_note_per_case_with_the_reflections_relevant_to_the_child(
        deployment: Deployment, uow: Work, group: dict[str, int]) -> None:
    deployment.profile = load_profile("stockport")
    groups.save_record(uow, _caller(uow, group["sam"]), group["record"],
                       {"cases": "104233, 104240", "reflective_discussion": "Stuck case mapped.",
                        "action_required": "Strategy meeting"})

    shown = case_notes.case_notes(uow, _caller(uow, group["kim"]), group["record"])

    assert shown.offered and [n.case_id for n in shown.notes] == ["104233", "104240"]
    first = shown.notes[0].text
    assert first.startswith("Case 104233: case discussion in supervision")
    assert "Group supervision (Reflective group) on 6 January 2026" in first
    assert "Discussion: Stuck case mapped." in first and "Action required: Strategy meeting" in first
    assert "Alex Morgan, Kim Lee" in first  # those present
    assert shown.download().count("case discussion in supervision") == 2


def test_knowsley_offers_no_case_notes(uow: Work, group: dict[str, int]) -> None:
    shown = case_notes.case_notes(uow, _caller(uow, group["sam"]), group["record"])

    assert not shown.offered and shown.notes == []


def test_a_southwark_casework_record_gives_its_activity_analysis_and_action(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    deployment.profile = southwark = load_profile("southwark")
    db = uow.session
    record = records.create_record(db, southwark, db.get(Person, team["worker"]), dt.date(2025, 3, 3),
                                   kind="casework")
    record.sections = {**record.sections, "cases": "200117", "activity": "Seen at home on 1 March",
                       "analysis": "Going well", "action_plan": "Review in two weeks"}
    uow.commit()

    [note] = case_notes.case_notes(uow, _caller(uow, team["manager"]), record.id).notes

    assert note.case_id == "200117"
    for line in ("Supervision of Alex Morgan by Sam Whitfield on", "Activity: Seen at home on 1 March",
                 "Analysis discussion: Going well", "Action: Review in two weeks"):
        assert line in note.text


def test_a_stockport_line_management_record_gives_case_ids_only_never_the_supervisees_welfare(
        deployment: Deployment, uow: Work, team: dict[str, int]) -> None:
    """S App A 6: "List case ID's that have been discussed in this supervision. The full details and
    information should be recorded on the child's file"."""
    deployment.profile = stockport = load_profile("stockport")
    db = uow.session
    record = records.create_record(db, stockport, db.get(Person, team["worker"]), dt.date(2025, 3, 3))
    record.sections = {**record.sections, "cases": "300001", "welfare": {"discussion": "Tired after a hard month"},
                       "line_management": "Caseload of 22"}
    uow.commit()

    [note] = case_notes.case_notes(uow, _caller(uow, team["manager"]), record.id).notes

    assert "Tired" not in note.text and "Caseload" not in note.text
    assert "to be recorded here, on the child's record" in note.text


def test_a_sealed_record_naming_cases_is_announced_to_the_case_management_system_by_id(
        deployment: Deployment, uow: Work, group: dict[str, int]) -> None:
    """The webhook names the case IDs and links to the notes; never what the record says."""
    deployment.profile = load_profile("stockport")
    groups.save_record(uow, _caller(uow, group["sam"]), group["record"], {"cases": "104233, 104240"})
    heard: list[object] = []
    deployment.subscribe(events.CaseNotesReady, lambda _uow, event: heard.append(event))
    record = uow.session.get(Record, group["record"])
    record.status = signoff.SIGNED
    uow.commit()

    pipeline._file_final_pdf(uow, pipeline._ToSeal(record, record.version, b"docx", {}), b"%PDF-1.7 sealed")

    [ready] = [e for e in heard if isinstance(e, events.CaseNotesReady)]
    assert ready.case_ids == ("104233", "104240")
    found = webhooks.announced(ready, "https://docgen.example.org")
    assert (found.event, found.data["case_ids"]) == ("record.case_notes", ["104233", "104240"])
    assert found.links["case_notes"] == f"https://docgen.example.org/api/v1/records/{record.id}/case-notes"
