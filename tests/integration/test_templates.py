"""The Word templates render into the forms of Knowsley App A-D and Stockport App A."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from documents.certificate import CERTIFICATE_TITLE, certificate_page_docx
from documents.render import DEFAULT_TEMPLATE_DIR, render_docx, template_path
from tests.integration.test_pdf_seal import audit_certificate

KINDS = ("agreement", "practitioner", "team_manager", "service_manager", "stockport_line_management")
KNOWSLEY_AREAS = {
    "practitioner": [
        "Learning and Development",
        "Projects or one off tasks i.e Practice Education/Placement Supervisor",
        "Case Audits and reflection on learning from audit",
        "Performance",
        "Good Practice",
        "Compliments & Complaints",
        "Service Development",
        "Leave & Absences",
        "A.O.B",
    ],
    "team_manager": [
        "Staff Welfare including A/L and Flexi",
        "Staff employment and HR issues",
        "Team Performance data/ management information",
        "Case Audits and Reflection",
        "Practice / Learning and development for the team",
        "Compliments and Complaints",
        "Learning and Development",
        "Reflection on your role",
        "Leave & Absences",
        "A.O.B",
    ],
    "service_manager": [
        "Improvement Plan",
        "Staff employment and HR issues",
        "Service Performance data/ management information",
        "Budget & financial management",
        "Individual High Risk/Needs case discussion",
        "Intra/Inter agency working",
        "Projects or special tasks",
        "Compliments and Complaints",
        "Learning and Development",
        "Reflection on your role",
        "Leave & Absences",
        "A.O.B",
    ],
}
ACTIONS_SECTION = {"practitioner": 4, "team_manager": 5, "service_manager": 5}
HOW_AM_I = (
    "How is your personal wellbeing at work / home?  This could include your physical and emotional "
    "wellbeing.  Are there any \u201cstressors\u201d impacting upon your work/well-being? Any additional "
    "support needed?"
)
ACTIONS_HEADER = ["Date added", "Action", "Progress made", "Completed?"]
AGREEMENT_LABELS = [
    "Name of Supervisee",
    "Name of Supervisor",
    "Job Roles",
    "Date Agreement Started",
    "Frequency of Supervision (e.g., monthly)",
    "Length of Sessions (e.g., 1 hour)",
    "Location/Method (e.g., face-to-face, Teams)",
    "Confidentiality Agreement (including when confidentiality might be breached)",
    "Expectations of Supervisee",
    "Expectations of Supervisor",
    "Review Date for This Agreement",
]
STOCKPORT_TEXT = [
    "Date",
    "Supervisee",
    "Supervisor",
    "Team",
    "1. Agreed agenda",
    "Review previous supervision notes to confirm these are agreed and progress of actions. "
    "Any areas of disagreement/correction to be noted.",
    "2. Well-being",
    "3. Line management",
    "4. Learning and Development",
    "PDR date",
    "Review date",
    "5. Supervisory Responsibilities",
    "6. Professional Supervision (Case supervision)",
    "Case IDs \u2013 Numbers only",
    "7. Team around the school",
    "8. Anything else that needs to be discussed",
    "Date and Time of next supervision",
    "Date of next supervision",
    "Time",
    "Summary of Actions & Progress",
]


def area_key(title: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_")[:30]


def record_context(kind: str, *, actions: int = 3, marking: str = "OFFICIAL-SENSITIVE") -> dict:
    """A realistic context as the records workflow builds it."""
    titles = KNOWSLEY_AREAS.get(kind, [])
    return {
        "organisation": "Knowsley Council",
        "marking": marking,
        "record_id": "R-000042",
        "kind": kind,
        "title": "Supervision Agreement" if kind == "agreement" else "Supervision record for Practitioners",
        "supervisee": {"name": "Aisha Khan", "job_role": "Social Worker"},
        "supervisor": {"name": "Tom O'Neill", "job_role": "Team Manager"},
        "team": "Huyton Children in Need",
        "session_date": "25 November 2026",
        "next_supervision": "23 December 2026",
        "review_date": "25 February 2027",
        "previous": {"happy": "Yes", "comments": "Agreed as accurate."},
        "welfare": {
            "discussion": "Feeling settled after the move.\nCaseload is busy but manageable.",
            "actions": [{"id": "W4TR8X", "text": "Book two days of annual leave", "due": "1 December 2026"}],
        },
        "areas": [
            {"key": area_key(title), "title": title, "discussion": f"Discussed {title.lower()}.", "actions": []}
            for title in titles
        ],
        "decisions": "Caseload held at 18 because of two complex court cases.",
        "agenda": "Review of actions; workload; PDR",
        "cases": "123456, 234567",
        "line_management": "Feedback from the audit was positive.",
        "learning_development": "Booked onto the PE course.",
        "pdr_date": "1 April 2026",
        "pdr_review_date": "1 October 2026",
        "supervisory_responsibilities": "Supervises one student.",
        "team_around_school": "Attended two school meetings.",
        "anything_else": "None.",
        "next_supervision_time": "10:00",
        "actions_section": ACTIONS_SECTION.get(kind, 0),
        "actions": [
            {
                "id": f"A{n}K2Q9",
                "date_added": "3 November 2026",
                "text": f"Action number {n}",
                "owner": "Aisha Khan",
                "due": "30 November 2026",
                "progress": "Started",
                "completed": "No",
            }
            for n in range(actions)
        ],
        "signatures": {"supervisee": {"name": "", "date": ""}, "supervisor": {"name": "", "date": ""}},
        "agreement": {
            "started": "1 September 2026",
            "frequency": "Monthly",
            "length": "1.5 hours",
            "location": "Face-to-face, Huyton office",
            "confidentiality": "Confidential except where a child or adult is at risk of harm.",
            "supervisee_expectations": "Prepare an agenda.",
            "supervisor_expectations": "Protect the time.",
            "review_date": "1 September 2027",
            "job_roles": "Social Worker / Team Manager",
        },
    }


def render(kind: str, **options) -> WordDocument:
    return Document(io.BytesIO(render_docx(DEFAULT_TEMPLATE_DIR / f"{kind}.docx", record_context(kind, **options))))


def all_texts(document: WordDocument) -> set[str]:
    """Stripped text of every paragraph and every table cell in the body."""
    texts = {p.text.strip() for p in document.paragraphs}
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.add(cell.text.strip())
                texts.update(p.text.strip() for p in cell.paragraphs)
    return texts


def table_with_header(document: WordDocument, header: list[str]):
    for table in document.tables:
        if [cell.text.strip() for cell in table.rows[0].cells] == header:
            return table
    raise AssertionError(f"no table headed {header}")


def bookmark_ids(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return [start.get(qn("w:id")) for start in root.iter(qn("w:bookmarkStart"))]


@pytest.mark.parametrize("kind", ACTIONS_SECTION)
def test_knowsley_record_has_every_label_of_its_appendix(kind: str) -> None:
    texts = all_texts(render(kind))
    section = ACTIONS_SECTION[kind]
    expected = [
        "Supervision Record",
        "Name of Supervisee:",
        "Name of Supervisor:",
        "Date of Supervision:",
        "1. Record of previous session:",
        "Was the supervisee happy with the record of the previous supervision?",
        f"Please see update in rolling action plan below for progress against actions in section {section}",
        "2. Welfare \u2013 Work & Personal",
        "How am I?",
        HOW_AM_I,
        "Discussion",
        "Actions",
        "3. Various",
        "Decisions made and rationale",
        "Review date",
        "Date of next supervision",
        f"{section}. Summary of Actions & Progress",
        "Signatures",
        "Supervisee",
        "Supervisor",
        "This form should be saved by both the supervisor and the supervisee.",
        "This form should be used as the basis for the next supervision session to ensure that any agreed "
        "actions have been progressed / completed.",
        *KNOWSLEY_AREAS[kind],
    ]
    assert [text for text in expected if text not in texts] == []
    assert "4. Summary of Actions & Progress" not in texts or section == 4


@pytest.mark.parametrize("kind", ACTIONS_SECTION)
def test_record_has_one_area_row_per_area_in_the_context(kind: str) -> None:
    areas = table_with_header(render(kind), ["Area Discussed", "Discussion", "Actions & Timescales"])
    assert [row.cells[0].text for row in areas.rows[1:]] == KNOWSLEY_AREAS[kind]


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "agreement"])
@pytest.mark.parametrize("count", [0, 1, 12])
def test_actions_summary_has_one_row_per_action(kind: str, count: int) -> None:
    table = table_with_header(render(kind, actions=count), ACTIONS_HEADER)
    assert len(table.rows) - 1 == count


@pytest.mark.parametrize("kind", KINDS)
def test_signature_block_has_supervisee_and_supervisor_rows(kind: str) -> None:
    table = table_with_header(render(kind), ["", "Signature", "Date"])
    assert [row.cells[0].text for row in table.rows[1:]] == ["Supervisee", "Supervisor"]


def test_agreement_has_the_eleven_fields_worded_as_knowsley_appendix_a() -> None:
    table = table_with_header(render("agreement"), ["Field", "Details"])
    assert [row.cells[0].text for row in table.rows[1:]] == AGREEMENT_LABELS
    assert table.rows[4].cells[1].text == "1 September 2026"


def test_stockport_form_has_every_section_of_appendix_a() -> None:
    document = render("stockport_line_management")
    texts = all_texts(document)
    assert [text for text in STOCKPORT_TEXT if text not in texts] == []
    assert "123456, 234567" in texts
    table_with_header(document, ACTIONS_HEADER)


@pytest.mark.parametrize("kind", KINDS)
def test_bookmark_ids_are_unique_across_loop_rows(kind: str) -> None:
    ids = bookmark_ids(render_docx(DEFAULT_TEMPLATE_DIR / f"{kind}.docx", record_context(kind, actions=25)))
    assert len(ids) > 10
    assert len(ids) == len(set(ids))


def test_header_and_footer_carry_organisation_marking_and_page_x_of_y() -> None:
    section = render("practitioner").sections[0]
    assert [p.text for p in section.header.paragraphs] == ["Knowsley Council", "OFFICIAL-SENSITIVE"]
    footer_xml = etree.tostring(section.footer._element, encoding="unicode")
    assert " PAGE " in footer_xml and " NUMPAGES " in footer_xml
    assert "Knowsley Council\tPage 1 of 1" in [p.text for p in section.footer.paragraphs]


def test_empty_marking_leaves_no_marking_line() -> None:
    section = render("practitioner", marking="").sections[0]
    assert [p.text for p in section.header.paragraphs] == ["Knowsley Council"]


def test_forms_are_a4_in_arial_with_shaded_labels() -> None:
    document = render("practitioner")
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert round(section.left_margin.cm, 1) == 2.0
    assert document.styles["Normal"].font.name == "Arial"
    label_cell = document.tables[0].rows[0].cells[0]
    assert label_cell._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "D9D9D9"


def test_user_text_with_markup_characters_and_line_breaks_survives() -> None:
    context = record_context("practitioner")
    context["decisions"] = 'Risk < threshold & "stable"\n<script>alert(1)</script>'
    document = Document(io.BytesIO(render_docx(DEFAULT_TEMPLATE_DIR / "practitioner.docx", context)))
    assert 'Risk < threshold & "stable"\n<script>alert(1)</script>' in all_texts(document)


def test_council_template_directory_overrides_the_default(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_TEMPLATE_DIR / "agreement.docx", tmp_path / "agreement.docx")
    assert template_path("agreement", [tmp_path, DEFAULT_TEMPLATE_DIR]) == tmp_path / "agreement.docx"
    assert template_path("practitioner.docx", [tmp_path, DEFAULT_TEMPLATE_DIR]) == DEFAULT_TEMPLATE_DIR / "practitioner.docx"


def test_template_names_cannot_leave_the_template_directories(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        template_path("../secrets", [tmp_path])
    with pytest.raises(FileNotFoundError):
        template_path("missing", [tmp_path])


# --- the signature and audit certificate page ----------------------------------------------

EVENTS_HEADER = ["Event", "Who", "Time (UTC)", "IP address", "User agent", "Comment"]


def signed_record() -> bytes:
    return render_docx(DEFAULT_TEMPLATE_DIR / "practitioner.docx", record_context("practitioner"))


def with_certificate(record: bytes, certificate: dict | None = None, search_dirs=(DEFAULT_TEMPLATE_DIR,)) -> WordDocument:
    return Document(io.BytesIO(certificate_page_docx(record, certificate or audit_certificate(), search_dirs)))


def signature_dates(document: WordDocument) -> dict[str, str]:
    """The date cells of the record's signature block, by signer."""
    [table] = [t for t in document.tables if [c.text for c in t.rows[0].cells] == ["", "Signature", "Date"]]
    return {row.cells[0].text.lower(): row.cells[2].text for row in table.rows[1:]}


def test_the_printed_record_carries_each_signers_date_while_the_signed_word_file_stays_as_it_was() -> None:
    record = signed_record()
    certificate = {**audit_certificate(), "signed_on": {"supervisee": "2025-03-10", "supervisor": "2025-03-11"}}

    printed = with_certificate(record, certificate)

    assert signature_dates(printed) == {"supervisee": "10 March 2025", "supervisor": "11 March 2025"}
    assert signature_dates(Document(io.BytesIO(record))) == {"supervisee": "", "supervisor": ""}
    assert hashlib.sha256(record).hexdigest() in "\n".join(p.text for p in printed.paragraphs + [
        c for t in printed.tables for r in t.rows for c in r.cells])  # the page names what was signed


def disagreement_boxes(document: WordDocument) -> list[str]:
    return [table.cell(0, 0).text for table in document.tables
            if table.cell(0, 0).text.startswith("DISAGREEMENT RECORDED")]


def tiny_png() -> bytes:
    """A one-pixel PNG, as a council's logo would stand in a test."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def test_certificate_page_starts_a_new_page_after_the_record_in_its_section() -> None:
    document = with_certificate(signed_record())
    texts = [p.text for p in document.paragraphs]
    heading = document.paragraphs[texts.index(CERTIFICATE_TITLE)]

    assert heading.paragraph_format.page_break_before
    assert "Supervision record for Practitioners" in texts[: texts.index(CERTIFICATE_TITLE)]
    assert len(document.sections) == 1  # under the record's own header: organisation and marking
    assert [p.text for p in document.sections[0].header.paragraphs] == ["Knowsley Council", "OFFICIAL-SENSITIVE"]


def test_certificate_page_names_the_document_its_people_and_the_signed_files_hash() -> None:
    record = signed_record()
    details = table_with_header(with_certificate(record),
                                ["Document", "Practitioner supervision record, Priya Shah, 4 March 2025"])

    assert {row.cells[0].text: row.cells[1].text for row in details.rows} == {
        "Document": "Practitioner supervision record, Priya Shah, 4 March 2025",
        "Record id": "REC-2025-0042",
        "Version": "3",
        "Supervisee": "Priya Shah <priya.shah@council.example>",
        "Supervisor": "Tom Okafor <tom.okafor@council.example>",
        "SHA-256 of the signed Word document": hashlib.sha256(record).hexdigest(),
        "Supervisee\u2019s decisions": "none recorded",
    }
    assert details.rows[0].cells[0]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "D9D9D9"


def test_certificate_page_lists_every_event_in_utc_with_disagreements_bold() -> None:
    events = table_with_header(with_certificate(signed_record()), EVENTS_HEADER)
    rows = [[cell.text for cell in row.cells] for row in events.rows[1:]]
    bold = [{run.bold for cell in row.cells for p in cell.paragraphs for run in p.runs} for row in events.rows[1:]]

    assert [row[0] for row in rows] == ["sent", "opened", "disagreement", "signed"]
    assert rows[3] == ["signed", "Tom Okafor", "2025-03-11 09:42:17 UTC", "10.20.1.15",
                       "Mozilla/5.0 (Windows NT 10.0) Edge/131.0", "Countersigned; disagreement recorded."]
    assert bold == [{False}, {False}, {True}, {False}]


def test_each_recorded_disagreement_gets_its_own_box() -> None:
    certificate = audit_certificate()
    certificate["events"].append({"event": "disagreement", "who": "Priya Shah", "at": "2025-03-12T08:00:00+00:00",
                                  "ip": None, "user_agent": None, "comment": None})

    boxes = disagreement_boxes(with_certificate(signed_record(), certificate))

    assert boxes == [
        "DISAGREEMENT RECORDED\nPriya Shah disagreed with version 3 on 2025-03-11 07:42:17 UTC.\n"
        "Their comment: The caseload figure should be 18, not 22.",
        "DISAGREEMENT RECORDED\nPriya Shah disagreed with version 3 on 2025-03-12 08:00:00 UTC.\n"
        "Their comment: (none given)",
    ]


def test_a_version_finalised_after_a_disagreement_says_so_first_with_whose_signature_is_missing() -> None:
    """K §9: "signed by both the supervisor and supervisee"; W §10: "what has been agreed (or not)".
    The page never lets a disagreement read as signed by both: it names the missing signature, both
    views and the route's outcome, above the events."""
    certificate = {**audit_certificate(), "finalised_after_disagreement": {
        "supervisee_view": "The caseload figure should be 18, not 22.", "supervisor_view": "",
        "outcome": "Three-way meeting on 12 March 2025: the figure is 18",
        "missing_signature": "Signed by Tom Okafor only: Priya Shah did not sign, having disagreed with this version"}}

    document = with_certificate(signed_record(), certificate)

    [box] = [table.cell(0, 0).text for table in document.tables
             if table.cell(0, 0).text.startswith("FINALISED AFTER A DISAGREEMENT")]
    assert box == ("FINALISED AFTER A DISAGREEMENT\n"
                   "Signed by Tom Okafor only: Priya Shah did not sign, having disagreed with this version.\n"
                   "Priya Shah\u2019s view: The caseload figure should be 18, not 22.\n"
                   "Tom Okafor\u2019s view: (no comment given)\n"
                   "Outcome: Three-way meeting on 12 March 2025: the figure is 18")
    assert not [t for t in with_certificate(signed_record()).tables
                if t.cell(0, 0).text.startswith("FINALISED AFTER A DISAGREEMENT")]


def test_event_time_without_a_time_zone_is_refused() -> None:
    certificate = audit_certificate()
    certificate["events"][0]["at"] = dt.datetime(2025, 3, 9, 9, 42)

    with pytest.raises(ValueError, match="time zone"):
        certificate_page_docx(signed_record(), certificate)


def test_council_certificate_template_comes_first_and_keeps_its_logo(tmp_path: Path) -> None:
    council = Document(str(DEFAULT_TEMPLATE_DIR / "certificate.docx"))
    council.add_paragraph("Northshire Council, information governance")
    council.add_picture(io.BytesIO(tiny_png()))
    council.save(str(tmp_path / "certificate.docx"))

    document = with_certificate(signed_record(), search_dirs=[tmp_path, DEFAULT_TEMPLATE_DIR])

    assert "Northshire Council, information governance" in [p.text for p in document.paragraphs]
    pictures = [blip.get(qn("r:embed")) for blip in document.element.body.iter(qn("a:blip"))]
    assert [document.part.related_parts[rel_id].blob for rel_id in pictures] == [tiny_png()]


def test_certificate_page_brings_the_styles_the_record_lacks_and_keeps_its_own() -> None:
    bare = Document()
    bare.styles["Heading 1"].font.size = Pt(20)
    bare.styles.element.remove(bare.styles["Table Grid"].element)
    bare.add_paragraph("A council's own record, made without a grid table style.")
    saved = io.BytesIO()
    bare.save(saved)

    document = with_certificate(saved.getvalue())

    assert document.styles["Table Grid"] is not None
    assert document.styles["Heading 1"].font.size == Pt(20)
    assert table_with_header(document, EVENTS_HEADER).style.name == "Table Grid"


@pytest.mark.libreoffice
def test_every_template_converts_to_pdf_showing_its_headings(tmp_path: Path) -> None:
    paths = []
    for kind in KINDS:
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(render_docx(DEFAULT_TEMPLATE_DIR / path.name, record_context(kind)))
        paths.append(str(path))
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--convert-to", "pdf",
         "--outdir", str(tmp_path), *paths],
        check=True, capture_output=True, timeout=120,
    )
    headings = {
        "agreement": ["1. Supervision Agreement Template", "Review Date for This Agreement"],
        "practitioner": ["2. Welfare \u2013 Work & Personal", "4. Summary of Actions & Progress"],
        "team_manager": ["3. Various", "5. Summary of Actions & Progress"],
        "service_manager": ["Improvement Plan", "5. Summary of Actions & Progress"],
        "stockport_line_management": ["6. Professional Supervision (Case supervision)", "7. Team around the school"],
    }
    for kind, expected in headings.items():
        text = subprocess.run(
            ["pdftotext", "-layout", str(tmp_path / f"{kind}.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert [heading for heading in [*expected, "Signatures", "Page 1 of"] if heading not in text] == [], kind
