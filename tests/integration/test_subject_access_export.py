"""A subject-access export (UK GDPR Art. 15; issue 25 item 1) of Sol Worker in Southwark: the group
session Sol and Tam attended, whose W App C record names Tam and two children's case IDs, signed off
and sealed; a draft one-to-one record with Sol's supervisor, Grace Lead; the e-mails Sol was sent.
The redaction schedule lists the third-party data with the page it is on; withholding a mention
removes its words from the exported PDF (read back with poppler's pdftotext), never only covers
them. The export writes nothing, and the schedule nothing but each sealed PDF's page texts, kept by
its SHA-256 the first time it is parsed, so the schedule read again reads no sealed PDF, and each
draft's text, one row a draft with a SHA-256 of its template, context and rendering code, so an
unchanged draft is rendered once and a changed one (or one after an upgrade) again, never written
over what happened to the row since it was read; an edit deletes the draft's text, and retention
destroys them all, and any filed export, with the records, and next time any a view kept while it
ran. The words around a mention are whole words. Both databases, real LibreOffice.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from typing import Any

import re

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from pypdf import PdfReader
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from documents import redaction, render
from documents.render import opened
from kernel import clock
from kernel.errors import Conflict
from storage import page_texts, subject_access_exports
from storage.models import (Base, DocumentVersion, DraftText, Organisation, OutboxMessage, PageText, Person, QualityAudit,
                            QualityAuditItem, Record, SignoffEvent, SubjectAccessExport, SubjectAccessRequest)
from tests.e2e.test_groups import Southwark, _group, _held_session, config, group_org  # noqa: F401
from tests.etags import read_then_change
from tests.mailbox import Mailbox, sign_link_for
from workflows import actions, group_records, people, retention, subject_access, subject_access_export
from workflows.subject_access_export import (CASE_ID, CONTACT, DEVICE, STAFF, Mention, export_zip,
                                             redaction_schedule)

pytestmark = pytest.mark.libreoffice

RECEIVED = dt.date(2027, 3, 1)
DEADLINE = dt.date(2027, 4, 1)


def sent_group_record(client: Any, org: Southwark, discussion: str, **fields: str) -> int:
    """The group session Sol and Tam attended, its record naming two case IDs and saying
    `discussion` (with any other `fields`), sent to the Advanced Practitioner for sign-off."""
    session = _held_session(client, org, _group(client, org)["id"])
    started = client.post(f"/api/v1/group-sessions/{session['id']}/record", headers=org.auth("pc"))
    assert started.status_code == 201, started.json
    record_id = started.json["id"]
    saved = client.patch(f"/api/v1/group-records/{record_id}", json={"fields": {
        "cases": "104233, LL-104240", "legal_status": "Child in need", "legal_category": "CIN",
        "lead_social_worker": "Sol Worker", "reflective_discussion": discussion,
        "action_required": "Visit within 10 working days", "who_is_leading": "Sol Worker", "timescales": "10 days",
        "visit_recorded": "Yes", **fields}}, headers=org.auth("pc"))
    assert saved.status_code == 200, saved.json
    assert client.post(f"/api/v1/records/{record_id}/send", headers=org.auth("pc")).status_code == 200
    return record_id


def agreed_by_link(client: Any, mailbox: Mailbox) -> None:
    """The Advanced Practitioner agrees through the e-mailed link, which signs (and seals) the record."""
    token = sign_link_for(mailbox, "ap@southwark.example.org")
    signed = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": "Ade Practitioner"})
    assert signed.status_code == 200 and signed.json["status"] == "signed", signed.json


def _draft_with_lead(app: Any, client: Any, org: Southwark) -> int:
    with app.extensions["docgen"].sessions.begin() as db:
        people.create_relationship(db, org.ids["sw1"], org.ids["lead"], dt.date(2024, 1, 8))
    made = client.post("/api/v1/records", json={"supervisee_id": org.ids["sw1"],
                                                "session_date": clock.today().isoformat()}, headers=org.auth("lead"))
    assert made.status_code == 201, made.json
    return int(made.json["id"])


def _action_and_quality_audit(app: Any, org: Southwark, draft_id: int, group_record_id: int) -> None:
    """An action in Sol's draft naming a case, and a quality audit of the group record naming Tam."""
    with app.extensions["docgen"].sessions.begin() as db:
        draft = db.get(Record, draft_id)
        action = actions.raise_action(db, draft, section="summary", text="Chase the health visitor for LL-104240",
                                      owner="Sol Worker")
        actions.record_progress(db, draft, action.id, progress="Rang twice")
        person = db.get(Person, org.ids["sw1"])
        audit = QualityAudit(team_id=person.team_id, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31),
                             seed=7, per_supervisor=1, drawn_by_id=org.ids["lead"])
        db.add(audit)
        db.flush()
        db.add(QualityAuditItem(audit_id=audit.id, record_id=group_record_id, supervisor_id=org.ids["ap"],
                                criteria={"reflection": "yes"}, findings="Tam Worker's hypothesis well recorded"))


@pytest.fixture
def sol(app: Any, client: Any, group_org: Southwark, mailbox: Mailbox) -> dict[str, int]:
    record_id = sent_group_record(client, group_org, "Tam Worker raised the father's absence.",
                                  next_supervision=(clock.today() + dt.timedelta(days=7)).isoformat())
    agreed_by_link(client, mailbox)
    assert client.get(f"/api/v1/records/{record_id}/pdf", headers=group_org.auth("lead")).status_code == 200
    draft = _draft_with_lead(app, client, group_org)
    _action_and_quality_audit(app, group_org, draft, record_id)
    return {"group_record": record_id, "draft": draft, "id": group_org.ids["sw1"]}


@pytest.fixture
def reading(app: Any) -> Iterator[Session]:
    """A unit of work's session, as HR's use case hands the export one, rolled back and closed after."""
    db = app.extensions["docgen"].sessions()
    yield db
    db.close()


KEPT_TEXTS = (PageText.__tablename__, DraftText.__tablename__)  # what the schedule keeps (`storage.page_texts`)


def _counts(db: Session) -> dict[str, int]:
    """Rows in every table, counted through `db` (so anything added to it unflushed is counted too),
    but for the page texts kept for the schedule (`storage.page_texts`)."""
    return {table.name: db.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables if table.name not in KEPT_TEXTS}


def _pdftotext(pdf: bytes) -> str:
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
                    .stdout.decode().split())


def _export(app: Any, db: Session, person: Person, withheld: dict[str, str]) -> tuple[bytes, dict[str, Any]]:
    services = app.extensions["docgen"]
    return export_zip(db, services.store, person, withheld=withheld, received_on=RECEIVED, deadline=DEADLINE,
                      converter=services.converter())


def test_the_export_holds_every_file_its_manifest_names_with_matching_hashes(app: Any, sol: dict[str, int],
                                                                             reading: Session) -> None:
    db = reading
    person = db.get(Person, sol["id"])
    sealed = db.scalar(select(DocumentVersion).where(DocumentVersion.record_id == sol["group_record"],
                                                     DocumentVersion.kind == "final_pdf"))
    before = _counts(db)
    data, manifest = _export(app, db, person, {})
    assert _counts(db) == before and not (db.new or db.dirty or db.deleted)
    assert db.get(PageText, sealed.sha256) is None  # the export parsed its sealed PDF and kept nothing

    archive = zipfile.ZipFile(io.BytesIO(data))
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert sorted(archive.namelist()) == sorted([*listed, "manifest.json"])
    assert json.loads(archive.read("manifest.json")) == manifest
    for path, entry in listed.items():
        member = archive.read(path)
        assert (len(member), hashlib.sha256(member).hexdigest()) == (entry["size"], entry["sha256"]), path
    pdf = f"records/R-{sol['group_record']:06d}-{_kind(db, sol['group_record'])}.pdf"
    assert listed[pdf]["sha256"] == sealed.sha256  # the sealed PDF itself, nothing withheld
    assert f"records/R-{sol['draft']:06d}-{_kind(db, sol['draft'])}.docx" in listed
    assert manifest["request"] == {"received_on": "2027-03-01", "deadline": "2027-04-01"}

    reads = archive.read("who-read-your-records.csv").decode()
    assert "Grace Lead" in reads and f"R-{sol['group_record']:06d}" in reads
    written = db.scalars(select(OutboxMessage.text_body).where(OutboxMessage.to_address == person.email)).all()
    assert any("https://" in body for body in written)  # the invitation and the sealed copy's e-mail link
    emails = archive.read("emails.csv").decode()
    assert "[link removed]" in emails and "://" not in emails
    assert "Chase the health visitor for LL-104240" in archive.read("actions.csv").decode()
    assert f"R-{sol['draft']:06d}" in archive.read("action-progress.csv").decode()
    audits = archive.read("quality-audits.csv").decode()
    assert "Tam Worker's hypothesis well recorded" in audits and "reflection: yes" in audits
    letter = archive.read("cover-letter.txt").decode()
    assert "Nothing." in letter and "ico.org.uk" in letter and "1 April 2027" in letter


def _kind(db: Session, record_id: int) -> str:
    return db.get(Record, record_id).kind.replace("_", "-")


def test_a_withheld_attendee_and_case_id_are_gone_from_the_exported_pdf_text(app: Any, sol: dict[str, int],
                                                                              reading: Session) -> None:
    db = reading
    person = db.get(Person, sol["id"])
    store = app.extensions["docgen"].store
    before = _counts(db)
    schedule = redaction_schedule(db, store, person)
    assert _counts(db) == before and not (db.new or db.dirty or db.deleted)
    assert [m.key for m in redaction_schedule(db, store, person)] == [m.key for m in schedule]  # stable keys

    sealed = f"records/R-{sol['group_record']:06d}-{_kind(db, sol['group_record'])}.pdf"
    found = {(m.document, m.kind, m.text): m for m in schedule}
    tam: Mention = found[(sealed, STAFF, "Tam Worker")]
    assert isinstance(tam.page, int) and tam.page >= 1 and "Tam Worker" in tam.context
    assert {(sealed, CASE_ID, "104233"), (sealed, CASE_ID, "LL-104240"), ("actions.csv", CASE_ID, "LL-104240"),
            ("quality-audits.csv", STAFF, "Tam Worker")} <= set(found)
    assert not any(m.text == "Sol Worker" for m in schedule)  # the person's own name is theirs
    draft = f"records/R-{sol['draft']:06d}-{_kind(db, sol['draft'])}.docx"
    lead = found[(draft, STAFF, "Grace Lead")]
    assert lead.page is None

    signer = found[("sign-off-events.csv", STAFF, "Ade Practitioner")]
    withheld = {tam.key: "Another worker's personal data", found[(sealed, CASE_ID, "104233")].key: "A child's case",
                lead.key: "Another worker's personal data", signer.key: "Another worker's personal data"}
    data, manifest = _export(app, db, person, withheld)
    assert _counts(db) == before
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sealed not in archive.namelist() and draft not in archive.namelist()
    redacted = _pdftotext(archive.read(sealed.replace(".pdf", "-redacted.pdf")))
    assert "Tam Worker" not in redacted and "104233" not in redacted and "[withheld]" in redacted
    assert "LL-104240" in redacted and "Sol Worker" in redacted and "the father's absence" in redacted
    assert "Grace Lead" not in _pdftotext(archive.read(draft.replace(".docx", "-redacted.pdf")))
    steps = archive.read("sign-off-events.csv").decode()
    assert "Ade Practitioner" not in steps and "[withheld]" in steps and "Pat Coordinator" in steps

    copy = next(e for e in manifest["files"] if e["path"] == sealed.replace(".pdf", "-redacted.pdf"))
    original = db.scalar(select(DocumentVersion.sha256).where(DocumentVersion.record_id == sol["group_record"],
                                                              DocumentVersion.kind == "final_pdf"))
    assert copy["redacted_copy_of"] == {"path": sealed, "sha256": original, "sealed": True}
    counts = {line["kind"]: line["count"] for line in manifest["withheld"]}
    assert counts == {STAFF: 3, CASE_ID: 1}
    letter = archive.read("cover-letter.txt").decode()
    assert "3 names of other members of staff" in letter and "1 child's case ID" in letter
    assert "Tam Worker" not in letter and "104233" not in letter


def test_a_name_split_across_word_runs_is_removed_and_the_records_text_in_properties_dropped() -> None:
    document = Document()
    paragraph = document.add_paragraph("Present: Sol Worker, ")
    paragraph.add_run("Ta").bold = True
    paragraph.add_run("m Work")
    paragraph.add_run("er and Tamsin Workerly.")
    render.set_custom_properties(document, {"docgen.base.0": "Present: Sol Worker, Tam Worker"})
    source = render.docx_bytes(document)
    assert "Tam Worker" in redaction.docx_text(source)

    redacted = redaction.redact_docx(source, ["Tam Worker"])
    assert redaction.docx_text(redacted) == "Present: Sol Worker, [withheld] and Tamsin Workerly."
    assert b"Tam Worker" not in zipfile.ZipFile(io.BytesIO(redacted)).read("docProps/custom.xml")
    assert render.document_properties(opened(redacted)).get("docgen.base.0") is None


def _sealed_path(db: Session, record_id: int) -> str:
    return f"records/R-{record_id:06d}-{_kind(db, record_id)}.pdf"


def test_other_signers_e_mail_and_ip_are_on_the_schedule_and_the_copy_says_it_is_not_the_sealed_record(
        app: Any, sol: dict[str, int], group_org: Southwark, reading: Session) -> None:
    db = reading
    person, signer = db.get(Person, sol["id"]), db.get(Person, group_org.ids["ap"])
    signed = db.scalars(select(SignoffEvent).where(SignoffEvent.record_id == sol["group_record"],
                                                   SignoffEvent.person_id.is_distinct_from(person.id),
                                                   SignoffEvent.ip.is_not(None))
                        .order_by(SignoffEvent.id)).first()
    assert signed is not None and signed.ip
    sealed = _sealed_path(db, sol["group_record"])
    schedule = redaction_schedule(db, app.extensions["docgen"].store, person)
    found = {(m.document, m.kind, m.text): m for m in schedule}
    contact, device = found[(sealed, CONTACT, signer.email)], found[(sealed, DEVICE, signed.ip)]
    original = app.extensions["docgen"].store.get(db.scalar(select(DocumentVersion.storage_key).where(
        DocumentVersion.record_id == sol["group_record"], DocumentVersion.kind == "final_pdf")))
    assert contact.page == device.page == len(PdfReader(io.BytesIO(original)).pages)  # the certificate page
    assert not any(m.text in (person.email, person.name) for m in schedule)

    data, _ = _export(app, db, person, {contact.key: "Another worker's contact details",
                                        device.key: "Another signer's device"})
    copy = zipfile.ZipFile(io.BytesIO(data)).read(sealed.replace(".pdf", "-redacted.pdf"))
    text = _pdftotext(copy)
    assert signer.email not in text and signed.ip not in text
    banner = (f"REDACTED COPY of R-{sol['group_record']:06d} made {clock.today():%-d %B %Y} for a subject access "
              "request. This is not the sealed record; withheld text reads [withheld].")
    assert text.startswith(banner) or banner in text
    assert hashlib.sha256(original).hexdigest() not in text and "certificate is left out" in text
    assert str(PdfReader(io.BytesIO(copy)).metadata.title).startswith("REDACTED COPY of")


def test_a_name_in_another_case_spacing_or_split_by_a_line_break_is_found_and_removed() -> None:
    document = Document()
    document.add_paragraph("Discussed with TAM\u00a0WORKER and tam   worker.")
    broken = document.add_paragraph("Lead: Tam")
    broken.add_run().add_break(WD_BREAK.LINE)
    broken.add_run("Worker\tnoted it.")
    source = render.docx_bytes(document)
    text = redaction.docx_text(source)
    found = redaction.matcher(["Tam Worker"])
    assert found is not None and len(found.findall(text)) == 3
    redacted = redaction.docx_text(redaction.redact_docx(source, ["Tam Worker"]))
    assert "tam" not in redacted.lower() and redacted.count("[withheld]") == 3
    assert redaction.redactor(["LL-104240"])("case ll-104240.") == "case [withheld]."


def test_a_withholding_no_longer_on_the_schedule_is_refused_and_reasons_never_repeat_withheld_words(
        app: Any, sol: dict[str, int], reading: Session) -> None:
    db = reading
    person = db.get(Person, sol["id"])
    schedule = redaction_schedule(db, app.extensions["docgen"].store, person)
    audit = next(m for m in schedule if (m.document, m.kind, m.text) == ("quality-audits.csv", STAFF, "Tam Worker"))
    with pytest.raises(Conflict) as refused:
        _export(app, db, person, {audit.key: "A colleague", "0" * 32: "decided before the record changed"})
    assert refused.value.field == "withheld" and "review" in refused.value.message

    data, manifest = _export(app, db, person, {audit.key: "TAM WORKER's data: Tam Worker asked us not to"})
    letter = zipfile.ZipFile(io.BytesIO(data)).read("cover-letter.txt").decode()
    assert "tam worker" not in letter.lower() and "tam worker" not in json.dumps(manifest).lower()
    assert "[withheld]'s data: [withheld] asked us not to" in letter
    assert manifest["withheld"][0]["reasons"] == ["[withheld]'s data: [withheld] asked us not to"]


def test_a_signer_from_another_organisation_is_named_and_a_case_id_needs_a_digit(
        app: Any, sol: dict[str, int], group_org: Southwark, reading: Session) -> None:
    db = reading
    elsewhere = Organisation(name="Lambeth")
    db.add(elsewhere)
    db.flush()
    db.get(Person, group_org.ids["ap"]).organisation_id = elsewhere.id  # moved since, or a neighbour's AP
    record = db.get(Record, sol["group_record"])
    record.sections = {**record.sections, "cases": "104233 and TBC"}
    db.flush()
    schedule = redaction_schedule(db, app.extensions["docgen"].store, db.get(Person, sol["id"]))
    sealed = _sealed_path(db, sol["group_record"])
    kinds = {(m.document, m.kind, m.text) for m in schedule}
    assert {(sealed, STAFF, "Ade Practitioner"), (sealed, CASE_ID, "104233")} <= kinds
    assert [m.text for m in schedule if m.kind == CASE_ID and not re.search(r"\d", m.text)] == []


def test_destroyed_missing_and_never_filed_documents_are_listed_as_not_enclosed(
        app: Any, sol: dict[str, int], reading: Session) -> None:
    group, draft = f"R-{sol['group_record']:06d}", f"R-{sol['draft']:06d}"
    with Session(bind=reading.get_bind()) as outside:  # no deployment: a draft cannot be rendered, only read if filed
        _, manifest = _export(app, outside, outside.get(Person, sol["id"]), {})
    assert {e["number"]: e["reason"].split(":")[0] for e in manifest["not_enclosed"]} == {draft: "draft not available"}

    db = reading
    person = db.get(Person, sol["id"])
    final = db.scalar(select(DocumentVersion).where(DocumentVersion.record_id == sol["group_record"],
                                                    DocumentVersion.kind == "final_pdf"))
    final.destroyed_at = dt.datetime(2027, 2, 1, 9, 30)
    db.flush()
    data, manifest = _export(app, db, person, {})
    missing = {entry["number"]: entry["reason"] for entry in manifest["not_enclosed"]}
    assert missing == {group: "destroyed on 2027-02-01 under the retention schedule"}
    assert not any(entry["path"].startswith(f"records/{group}") for entry in manifest["files"])
    assert "1 of your records or agreements could not be enclosed" in zipfile.ZipFile(io.BytesIO(data)).read(
        "cover-letter.txt").decode()

    final.destroyed_at, final.storage_key = None, re.sub(r"[0-9a-f]{32}\.pdf$", "0" * 32 + ".pdf", final.storage_key)
    db.flush()
    _, manifest = _export(app, db, person, {})
    assert [(e["number"], e["reason"].split(":")[0]) for e in manifest["not_enclosed"]] == [(group, "unavailable")]

    garbled = b"%PDF-1.7 cut short"  # filed as it reads, but no PDF a reader can open
    app.extensions["docgen"].store.put(final.storage_key, garbled)
    final.sha256 = hashlib.sha256(garbled).hexdigest()
    db.flush()
    _, manifest = _export(app, db, person, {})
    assert [(e["number"], e["reason"].split(":")[0]) for e in manifest["not_enclosed"]] == [(group, "unavailable")]


def _sealed(db: Session, record_id: int) -> DocumentVersion:
    return db.scalar(select(DocumentVersion).where(DocumentVersion.record_id == record_id,
                                                   DocumentVersion.kind == "final_pdf"))


def test_the_schedule_read_again_reads_and_parses_no_sealed_pdf(app: Any, sol: dict[str, int],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    services = app.extensions["docgen"]
    reads: list[str] = []
    parses: list[int] = []
    real_read, real_parse = subject_access_export.read_filed, subject_access_export._pdf_pages
    monkeypatch.setattr(subject_access_export, "read_filed", lambda *given: reads.append(given[1]) or real_read(*given))
    monkeypatch.setattr(subject_access_export, "_pdf_pages", lambda pdf: parses.append(len(pdf)) or real_parse(pdf))

    def viewed() -> list[tuple[str, int | None, str]]:
        with services.sessions.begin() as db:  # each view of the page is a transaction of its own
            person = db.get(Person, sol["id"])
            return [(m.key, m.page, m.context) for m in redaction_schedule(db, services.store, person)]

    first = viewed()
    with services.sessions.begin() as db:
        sealed = _sealed(db, sol["group_record"])
        assert reads == [sealed.storage_key] and len(parses) == 1  # the sealed group record, once
        kept = db.get(PageText, sealed.sha256)
        assert kept is not None and any("Tam Worker" in page for page in kept.pages)
    assert viewed() == first and len(reads) == 1 and len(parses) == 1  # nothing read, checked or parsed again


def _viewed_in_a_unit_of_work(app: Any, person_id: int) -> list[Mention]:
    """The schedule as HR's page reads it: in a deployment's unit of work of its own (a draft is
    rendered as it stands), committed."""
    with app.extensions["docgen"].unit_of_work() as uow:
        return redaction_schedule(uow.session, uow.store, uow.session.get(Person, person_id))


def _kept_drafts(app: Any) -> list[DraftText]:
    """The draft texts kept, as a fresh transaction reads them."""
    with app.extensions["docgen"].sessions.begin() as db:
        kept = list(db.scalars(select(DraftText)))
        db.expunge_all()
        return kept


def _owners(app: Any) -> set[tuple[str, int]]:
    """Whose draft texts are kept."""
    return {(kept.owner_kind, kept.owner_id) for kept in _kept_drafts(app)}


def _counting_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The records whose draft the schedule renders, each time it renders one."""
    renders: list[str] = []
    real_render = subject_access_export.rendered
    monkeypatch.setattr(subject_access_export, "rendered", lambda template, context: renders.append(
        context["record_id"]) or real_render(template, context))
    return renders


def test_the_schedule_read_again_renders_an_unchanged_draft_once_and_a_changed_one_again(
        app: Any, sol: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    renders = _counting_renders(monkeypatch)
    draft = f"R-{sol['draft']:06d}"

    def in_draft(mentions: list[Mention]) -> list[str]:
        return sorted(m.text for m in mentions if m.document.startswith(f"records/{draft}"))

    first = _viewed_in_a_unit_of_work(app, sol["id"])
    assert renders == [draft] and in_draft(first) == ["Grace Lead", "LL-104240"]
    assert _viewed_in_a_unit_of_work(app, sol["id"]) == first and renders == [draft]  # not rendered again
    [kept] = _kept_drafts(app)
    assert (kept.owner_kind, kept.owner_id) == ("record", sol["draft"]) and "Grace Lead" in kept.pages[0]
    services = app.extensions["docgen"]
    with services.sessions.begin() as db:  # an action raised by another way than an edit of the record
        actions.raise_action(db, db.get(Record, sol["draft"]), section="summary", text="Ask Tam Worker about cover",
                             owner="Sol Worker")
        assert page_texts.forget_drafts_of_destroyed(db) == 0  # retention's safety net leaves a live draft's text

    edited = _viewed_in_a_unit_of_work(app, sol["id"])
    assert renders == [draft, draft] and in_draft(edited) == ["Grace Lead", "LL-104240", "Tam Worker"]
    [replaced] = _kept_drafts(app)  # one row a draft: the earlier text is replaced, not kept beside it
    assert replaced.rendering != kept.rendering and "Tam Worker" in replaced.pages[0]
    assert _viewed_in_a_unit_of_work(app, sol["id"]) == edited and len(renders) == 2


def test_a_draft_is_rendered_again_once_the_code_that_renders_it_changes(
        app: Any, sol: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    renders = _counting_renders(monkeypatch)
    _viewed_in_a_unit_of_work(app, sol["id"])
    [kept] = _kept_drafts(app)
    assert subject_access_export._renderer() == subject_access_export._renderer()  # the same all through a process
    monkeypatch.setattr(subject_access_export, "_renderer", lambda: hashlib.sha256(b"docgen upgraded").hexdigest())

    _viewed_in_a_unit_of_work(app, sol["id"])
    assert len(renders) == 2  # same template, same record: an upgrade alone renders it again
    [replaced] = _kept_drafts(app)
    assert replaced.rendering != kept.rendering and replaced.pages == kept.pages


@pytest.mark.parametrize("meanwhile", ["another view kept its text", "an edit deleted it"])
def test_a_view_of_a_changed_draft_writes_nothing_over_what_happened_to_the_row_since_it_read_it(
        app: Any, sol: dict[str, int], meanwhile: str) -> None:
    _viewed_in_a_unit_of_work(app, sol["id"])
    row = (DraftText.owner_kind == "record") & (DraftText.owner_id == sol["draft"])
    with app.extensions["docgen"].sessions.begin() as db:

        def rendered_while_the_row_changes() -> list[str]:
            """What another transaction committed while this view rendered (on PostgreSQL the UPDATE
            after it sees it; SQLite runs the two one after the other)."""
            if meanwhile == "an edit deleted it":
                db.execute(delete(DraftText).where(row))
            else:
                db.execute(update(DraftText).where(row).values(rendering="b" * 64, pages=["the other view's text"]))
            return ["this view's text"]

        pages = page_texts.draft_pages_of(db, "record", sol["draft"], "c" * 64, rendered_while_the_row_changes)
    assert pages == ["this view's text"]  # the view still shows what it rendered
    kept = [(text.rendering, text.pages) for text in _kept_drafts(app)]
    assert kept == ([] if meanwhile == "an edit deleted it" else [("b" * 64, ["the other view's text"])])


def test_editing_a_draft_deletes_its_kept_text_in_the_same_unit_of_work(
        app: Any, client: Any, group_org: Southwark, sol: dict[str, int]) -> None:
    _viewed_in_a_unit_of_work(app, sol["id"])
    assert _owners(app) == {("record", sol["draft"])}
    url = f"/api/v1/records/{sol['draft']}"
    edited = client.patch(url, json={"welfare": {"discussion": "Caseload reviewed with Tam Worker."}},
                          headers=read_then_change(client, url, group_org.auth("lead")))
    assert edited.status_code == 200, edited.json
    assert _kept_drafts(app) == []
    refused = client.patch(url, json={"welfare": {"discussion": "x"}},  # a refused edit deletes nothing
                           headers={**group_org.auth("lead"), "If-Match": '"1"'})
    _viewed_in_a_unit_of_work(app, sol["id"])
    assert refused.status_code == 412 and len(_kept_drafts(app)) == 1


def test_retention_destroys_the_kept_page_texts_and_a_filed_export_with_the_records(
        app: Any, sol: dict[str, int]) -> None:
    services = app.extensions["docgen"]
    _viewed_in_a_unit_of_work(app, sol["id"])  # keeps the draft's text by what it is rendered from
    assert len(_kept_drafts(app)) == 1
    with services.sessions.begin() as db:
        redaction_schedule(db, services.store, db.get(Person, sol["id"]))  # keeps the sealed PDF's page texts
        sealed_sha256 = _sealed(db, sol["group_record"]).sha256
        request = SubjectAccessRequest(person_id=sol["id"], received_on=clock.today(), recorded_by_id=sol["id"])
        db.add(request)
        db.flush()
        filed = subject_access_exports.file_export(db, services.store, request, b"PK\x03\x04 Sol's export")
        db.add(SubjectAccessExport(request_id=request.id, storage_key=filed.key, sha256=filed.sha256,
                                   size=filed.size, filed_at=clock.now(), withheld=""))
        for holder in group_records.holders(db, db.get(Record, sol["group_record"])):  # all leave today
            holder.leave_date = clock.today()
    assert services.store.exists(filed.key)

    with services.unit_of_work() as uow:
        done = retention.run(uow, clock.today() + dt.timedelta(days=366 * 8))  # past every destruction date
    assert all(outcome.result == "done" for outcome in done), [outcome.describe() for outcome in done]
    with services.sessions.begin() as db:
        assert _sealed(db, sol["group_record"]).destroyed_at is not None
        assert db.get(PageText, sealed_sha256) is None
        assert db.scalar(select(func.count()).select_from(DraftText)) == 0  # the draft's text goes with it
        export = db.scalar(select(SubjectAccessExport))
        assert export.storage_key is None and export.sha256 is None
        assert export.problem.startswith(f"destroyed on {clock.today():%-d %B %Y} under the retention schedule")
    assert not services.store.exists(filed.key)
    later = clock.now() + subject_access.EXPORT_LOST_AFTER * 2
    clock.set_clock(lambda: later)
    with services.unit_of_work() as uow:
        assert subject_access.unfiled_exports(uow) == []  # the sweep makes none from what retention left


def test_a_draft_text_kept_by_a_view_racing_retention_is_destroyed_by_its_next_run(
        app: Any, sol: dict[str, int]) -> None:
    services = app.extensions["docgen"]
    _viewed_in_a_unit_of_work(app, sol["id"])
    [kept] = _kept_drafts(app)
    with services.sessions.begin() as db:
        for holder in group_records.holders(db, db.get(Record, sol["group_record"])):  # all leave today
            holder.leave_date = clock.today()
    after_destruction = clock.today() + dt.timedelta(days=366 * 8)
    with services.unit_of_work() as uow:
        retention.run(uow, after_destruction)
    with services.sessions.begin() as db:
        assert db.get(Record, sol["draft"]).sections == {}  # destroyed
        # a view that read the draft before retention committed keeps its text after retention's forget
        db.add(DraftText(owner_kind="record", owner_id=sol["draft"], rendering=kept.rendering, pages=kept.pages))
    assert len(_kept_drafts(app)) == 1

    with services.unit_of_work() as uow:
        assert retention.run(uow, after_destruction) == []  # nothing left to destroy but the safety net's find
    assert _kept_drafts(app) == []


def test_the_words_around_a_mention_are_whole_words_with_an_ellipsis_where_the_text_goes_on(
        app: Any, sol: dict[str, int]) -> None:
    mentions = [m for m in _viewed_in_a_unit_of_work(app, sol["id"]) if m.document.startswith("records/")]
    with app.extensions["docgen"].sessions.begin() as db:
        texts = {_sealed_path(db, sol["group_record"]): [" ".join(p.split()) for p in
                                                          db.get(PageText, _sealed(db, sol["group_record"]).sha256).pages],
                 **{m.document: [" ".join(db.get(DraftText, ("record", sol["draft"])).pages[0].split())]
                    for m in mentions if m.document.endswith(".docx")}}
    assert {m.document for m in mentions} == set(texts) and any("…" in m.context for m in mentions)
    for mention in mentions:
        shown = mention.context.removeprefix("… ").removesuffix(" …")
        page = f" {texts[mention.document][(mention.page or 1) - 1]} "
        assert mention.text in shown and f" {shown} " in page, (mention.context, page)  # no word cut in two
        assert mention.context.startswith("… ") == (not page.startswith(f" {shown} "))
        assert mention.context.endswith(" …") == (not page.endswith(f" {shown} "))


def test_editing_an_agreement_deletes_its_kept_text_and_no_other(
        app: Any, client: Any, group_org: Southwark, sol: dict[str, int]) -> None:
    made = client.post("/api/v1/agreements", headers=group_org.auth("lead"), json={
        "supervisee_id": sol["id"], "started_on": clock.today().isoformat(), "fields": {"frequency": "Monthly"}})
    assert made.status_code == 201, made.json
    _viewed_in_a_unit_of_work(app, sol["id"])
    assert _owners(app) == {("record", sol["draft"]), ("agreement", made.json["id"])}
    url = f"/api/v1/agreements/{made.json['id']}"
    edited = client.patch(url, json={"frequency": "Fortnightly"},
                          headers=read_then_change(client, url, group_org.auth("lead")))
    assert edited.status_code == 200, edited.json
    assert _owners(app) == {("record", sol["draft"])}


def test_a_one_to_one_record_written_by_a_supervisor_who_attended_a_group_session_is_about_others(
        app: Any, client: Any, group_org: Southwark, reading: Session) -> None:
    """Sol, present at a group session, supervises Uma and writes her 1:1 record: it is Uma's, so
    Sol's export names it as written about someone else (a 1:1 record has no group session, and
    "not in the sessions Sol attended" must still hold for it)."""
    _held_session(client, group_org, _group(client, group_org)["id"])
    with app.extensions["docgen"].sessions.begin() as db:
        people.create_relationship(db, group_org.ids["sw3"], group_org.ids["sw1"], dt.date(2024, 1, 8))
    made = client.post("/api/v1/records", json={"supervisee_id": group_org.ids["sw3"],
                                                "session_date": clock.today().isoformat()},
                       headers=group_org.auth("sw1"))
    assert made.status_code == 201, made.json
    db = reading
    data, manifest = _export(app, db, db.get(Person, group_org.ids["sw1"]), {})
    record = db.get(Record, made.json["id"])
    assert manifest["written_about_others"] == [{"number": f"R-{record.id:06d}", "kind": record.kind,
                                                 "date": record.session_date.isoformat()}]
    assert not any(entry["path"].startswith(f"records/R-{record.id:06d}") for entry in manifest["files"])
    letter = zipfile.ZipFile(io.BytesIO(data)).read("cover-letter.txt").decode()
    assert "wrote or signed 1 record as someone else's supervisor. It is about that person" in letter
