"""How much does finalising a record cost, against its parts and against a cold LibreOffice?

Prints, for a batch of realistic three-page records with ten actions each:
  (a) render + finalise (certificate page, one warm conversion, seal) per sealed PDF;
  (b) the sum of the parts timed alone: docxtpl render + warm conversion + seal;
  (c) a cold `soffice --convert-to pdf` of the same document;
and the ratios (a)/(b) (target <= 1.15, issue 26; 1.25 before it) and (c)/(a) (target >= 3).

Run: .venv/bin/python bench/finalise.py [--records 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import docx
from docx.shared import Pt
from docxtpl import DocxTemplate
from pypdf import PdfReader

from documents.pdf import Converter, cold_convert
from documents.seal import (
    RECORD_ID_KEY,
    create_organisation_certificate,
    finalise,
    load_signer,
    seal_pdf,
)

AREAS = ("Wellbeing and workload", "Caseload management", "Case discussion",
         "Learning and development", "Reflective discussion")
DISCUSSION = (
    "We talked through the family's progress against the child in need plan, the outcome of "
    "the last core group meeting and the school's concerns about attendance. {name} described "
    "the mother's engagement as improving but fragile; we agreed the threshold for a strategy "
    "discussion has not been met and recorded the rationale on the child's file. We reviewed "
    "the chronology, the visiting pattern and whether the voice of the child is evident in the "
    "assessment. "
)


def record_template() -> bytes:
    """A docxtpl template shaped like a council practitioner supervision record."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading("Supervision record: {{ supervisee }}", level=0)
    details = document.add_table(rows=0, cols=2)
    for label, tag in (("Supervisee", "supervisee"), ("Supervisor", "supervisor"),
                       ("Date", "date"), ("Location", "location"), ("Type", "kind")):
        cells = details.add_row().cells
        cells[0].text, cells[1].text = label, "{{ " + tag + " }}"
    document.add_paragraph("{%p for area in areas %}")
    document.add_heading("{{ area.title }}", level=2)
    document.add_paragraph("{{ area.text }}")
    document.add_paragraph("{%p endfor %}")
    document.add_heading("Actions", level=2)
    actions = document.add_table(rows=3, cols=4)
    for cell, header in zip(actions.rows[0].cells, ("No.", "Action", "Who", "By")):
        cell.text = header
    actions.rows[1].cells[0].text = "{%tr for action in actions %}"
    for cell, tag in zip(actions.rows[2].cells, ("number", "text", "who", "due")):
        cell.text = "{{ action." + tag + " }}"
    actions.add_row().cells[0].text = "{%tr endfor %}"
    document.add_heading("Agreement", level=2)
    document.add_paragraph("Signed electronically; see the signature and audit certificate.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def record_context(number: int) -> dict:
    supervisee = f"Practitioner {number:02d}"
    return {
        "supervisee": supervisee,
        "supervisor": "Tom Okafor, team manager",
        "date": f"{number % 28 + 1} March 2025",
        "location": "Civic Centre, room 2.14",
        "kind": "Formal one-to-one",
        "areas": [{"title": area, "text": DISCUSSION.format(name=supervisee) * (2 if i < 3 else 1)}
                  for i, area in enumerate(AREAS)],
        "actions": [
            {"number": i, "text": f"Update the chronology and case notes for family {i}",
             "who": supervisee, "due": f"2025-04-{i + 1:02d}"}
            for i in range(1, 11)
        ],
    }


def certificate(number: int) -> dict:
    at = dt.datetime(2025, 3, 11, 9, 0, tzinfo=dt.timezone.utc)
    people = {
        "supervisee": {"name": f"Practitioner {number:02d}", "email": f"p{number}@council.example"},
        "supervisor": {"name": "Tom Okafor", "email": "tom.okafor@council.example"},
    }
    events = [
        {"event": event, "who": who, "at": at + dt.timedelta(hours=hours), "ip": "10.20.1.15",
         "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/131.0", "comment": ""}
        for event, who, hours in (("sent", "Tom Okafor", 0), ("opened", "Practitioner", 2),
                                  ("signed", "Practitioner", 3), ("signed", "Tom Okafor", 5))
    ]
    return {"record_id": f"REC-2025-{number:04d}", "title": f"Supervision record {number}",
            "version": 1, **people, "events": events}


def render(template: bytes, context: dict) -> bytes:
    document = DocxTemplate(io.BytesIO(template))
    document.render(context)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20)
    count = parser.parse_args().records

    template = record_template()
    with tempfile.TemporaryDirectory() as tmp, Converter() as converter:
        p12 = Path(tmp) / "org.p12"
        create_organisation_certificate(p12, b"bench", "Northshire Council")
        signer = load_signer(p12, b"bench")
        converter.convert(render(template, record_context(0)))  # first warm conversion is slower

        whole, parts, cold, pages = [], [], [], []
        for number in range(1, count + 1):
            context, cert = record_context(number), certificate(number)
            render_s, docx_bytes = timed(lambda: render(template, context))
            convert_s, pdf = timed(lambda: converter.convert(docx_bytes))
            seal_s, _ = timed(lambda: seal_pdf(
                pdf, signer=signer, attachment_name="record.docx", attachment=docx_bytes,
                metadata={"/Title": cert["title"], RECORD_ID_KEY: cert["record_id"]}))
            parts.append(render_s + convert_s + seal_s)
            whole_s, sealed = timed(lambda: finalise(
                render(template, context), cert, converter=converter, signer=signer))
            whole.append(whole_s)
            pages.append(len(PdfReader(io.BytesIO(sealed)).pages))
            cold_s, _ = timed(lambda: cold_convert(docx_bytes))
            cold.append(cold_s)

    a, b, c = (statistics.mean(x) for x in (whole, parts, cold))
    print(f"records: {count}, pages per sealed PDF: {statistics.median(pages):.0f}")
    for label, mean, samples in (
        ("(a) render + finalise, warm  ", a, whole),
        ("(b) render + convert + seal  ", b, parts),
        ("(c) cold soffice --convert-to", c, cold),
    ):
        median = statistics.median(samples)
        print(f"{label}: {mean * 1000:5.0f} ms mean, {median * 1000:5.0f} ms median")
    print(f"(a)/(b) = {a / b:.2f}  (target <= 1.15)")
    print(f"(c)/(a) = {c / a:.2f}  (target >= 3)")


if __name__ == "__main__":
    main()
