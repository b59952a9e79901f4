"""Build docgen's Word templates from source: ``.venv/bin/python templates_docx/build.py``.

The forms live here as code so a change to a council form is reviewable in a diff.
The output ``*.docx`` files carry docxtpl Jinja tags and, for the round trip of an
edited upload (``/work/shared/ROUNDTRIP.md``), a bookmark spanning the text of every
editable cell:

* ``dg_f_<field>``       a single value, e.g. ``dg_f_supervisee_name``
* ``dg_area<n>_<t|d|a>`` area ``n`` (index into the record's issued area keys): title,
  discussion, actions & timescales
* ``dg_act_<id>_<d|t|p|c>`` summary action ``id``: date added, action, progress, completed
* ``dg_tbl_<table>``     a structured table's header row (``agreement``, ``areas``,
  ``actions``, ``signatures``), so a changed header is told apart from a missing table

Bookmark ``w:id``s are numbered here for fixed cells (below 10 000) and by Jinja
expressions from the loop index in repeated rows, so they stay unique after rendering.
Each record template is built from its form's definition in ``workflows.forms`` (the same one
the edit page and the record's HTML view read), so the three cannot ask for different fields; the
signature block has a row only for a signer the record names (``signatures.<who>``).
Wording follows Knowsley's Appendices A–D, Stockport's A–C, Southwark's E and Lancashire's §3.2.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from documents.certificate import CERTIFICATE_TITLE
from documents.render import PROP_SCHEMA_VERSION, PROP_TABLES, set_custom_properties
from workflows import forms

OUT_DIR = Path(__file__).resolve().parent
SCHEMA_VERSION = "1"
FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans
LABEL_FILL = "D9D9D9"
ALERT_FILL = "F4CCCC"  # a disagreement on the certificate page must not be missed by a skimming reader
ALERT_TEXT = RGBColor(0x99, 0x00, 0x00)
TEXT_WIDTH_CM = 17.0
AREA_ID_BASE = 10_000  # bookmark ids of repeated rows: base + 4 * row index + column
ACTION_ID_BASE = 1_000_000
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

WELFARE_ACTIONS = (
    '{% for a in welfare.actions %}{{ a.text }}{% if a.due %} \u2013 by {{ a.due }}{% endif %}'
    '{% if not loop.last %}{{ "\\n" }}{% endif %}{% endfor %}'
)
AREA_ACTIONS = (
    '{% for a in area.actions %}{{ a.text }}{% if a.due %} \u2013 by {{ a.due }}{% endif %}'
    '{% if not loop.last %}{{ "\\n" }}{% endif %}{% endfor %}'
)
# Owner and due date go on their own last line so docx_form can read them back apart.
ACTION_TEXT = (
    '{{ a.text }}{% if a.owner or a.due %}{{ "\\n" }}{% if a.owner %}Owner: {{ a.owner }}{% endif %}'
    '{% if a.owner and a.due %}; {% endif %}{% if a.due %}Due: {{ a.due }}{% endif %}{% endif %}'
)

class Form:
    """A form being built: the Word document plus the counter for fixed bookmark ids.

    ``masthead=False`` leaves out the title and the header and footer, for a page that is
    appended to a record and so sits under the record's own.
    """

    def __init__(self, core_title: str, tables: Sequence[str], *, masthead: bool = True) -> None:
        self.doc: WordDocument = Document()
        self.tables = tables
        self._ids: Iterator[int] = itertools.count(1)
        self.doc.core_properties.title = core_title
        self.doc.core_properties.author = "docgen"
        self.doc.core_properties.comments = "docgen supervision form"
        _page_setup(self.doc)
        _styles(self.doc)
        if masthead:
            _header_footer(self.doc)
            self.doc.add_paragraph("{{ title }}", style="Title")

    def heading(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Heading 2")

    def para(self, text: str, *, bold: bool = False, italic: bool = False) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(6)  # clear of a table just above
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        return paragraph

    def table(self, widths_cm: Sequence[float], rows: int) -> Table:
        table = self.doc.add_table(rows=rows, cols=len(widths_cm))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm):
                cell.width = Cm(width)
        return table

    def field(self, cell: _Cell, field: str, expression: str) -> None:
        """An editable cell holding one value, bookmarked ``dg_f_<field>``."""
        _bookmarked_text(cell, f"dg_f_{field}", str(next(self._ids)), expression)

    def marker(self, cell: _Cell, table: str, text: str) -> None:
        """A header label bookmarked ``dg_tbl_<table>`` so the parser finds its table."""
        _bookmarked_text(cell, f"dg_tbl_{table}", str(next(self._ids)), text, bold=True)
        _shade(cell)

    def field_rows(self, rows: Sequence[tuple[str, str, str]], widths_cm: Sequence[float] = (6.5, 10.5)) -> Table:
        """A two-column table of shaded labels and value cells: (label, field, expression)."""
        table = self.table(widths_cm, len(rows))
        for row, (label_text, field, expression) in zip(table.rows, rows):
            label(row.cells[0], label_text)
            self.field(row.cells[1], field, expression)
        return table

    def save(self, name: str) -> Path:
        _drop_unused_parts(self.doc)
        set_custom_properties(
            self.doc, {PROP_SCHEMA_VERSION: SCHEMA_VERSION, PROP_TABLES: ",".join(self.tables)}
        )
        path = OUT_DIR / f"{name}.docx"
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(_reproducible(buffer.getvalue()))
        return path


def label(cell: _Cell, text: str) -> None:
    """A shaded, bold label cell."""
    cell.paragraphs[0].add_run(text).bold = True
    _shade(cell)


def header_row(form: Form, table: Table, table_name: str, labels: Sequence[str]) -> None:
    """Shade the first row, repeat it on every page, and mark it for the parser."""
    row = table.rows[0]
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    marked = next(i for i, text in enumerate(labels) if text)
    for index, (cell, text) in enumerate(zip(row.cells, labels)):
        if index == marked:
            form.marker(cell, table_name, text)
        else:
            label(cell, text)


def loop_rows(table: Table, loop: str, cells: Sequence[tuple[str, str, str]], shade_first: bool = False) -> None:
    """Append ``{%tr for %}``, one templated row and ``{%tr endfor %}`` to ``table``.

    ``cells`` holds (bookmark name expression, bookmark id expression, text expression)
    for each column; docxtpl repeats the middle row once per item.
    """
    table.add_row().cells[0].paragraphs[0].add_run(f"{{%tr {loop} %}}")
    row = table.add_row()
    for index, (cell, (name, bookmark_id, text)) in enumerate(zip(row.cells, cells)):
        _bookmarked_text(cell, name, bookmark_id, text, bold=shade_first and index == 0)
        if shade_first and index == 0:
            _shade(cell)
    table.add_row().cells[0].paragraphs[0].add_run("{%tr endfor %}")


def row_ids(base: int, column: int) -> str:
    return f"{{{{ {base} + loop.index0 * 4 + {column} }}}}"


def signatures(form: Form) -> None:
    form.heading("Signatures")
    table = form.table((4.0, 8.5, 4.5), 1)
    header_row(form, table, "signatures", ("", "Signature", "Date"))
    for who in ("supervisee", "supervisor"):
        # Only a signer has a row (`signatures` names the profile's signers): H §10 has none for
        # the supervisee. The row between `{%tr %}` tags, which docxtpl drops with their rows.
        _tag_row(table, f"{{%tr if signatures.{who} %}}")
        row = table.add_row()
        row.height = Cm(1.0)  # room to sign a printed copy
        label(row.cells[0], who.capitalize())
        # Nobody is called a signer before they signed (issue 27): the sealed PDF's certificate
        # step (`documents.certificate`) writes who signed, and who did not, over this line.
        form.field(row.cells[1], f"signature_{who}", f"To be signed by {{{{ signatures.{who}.name }}}}")
        form.field(row.cells[2], f"signature_{who}_date", f"{{{{ signatures.{who}.date }}}}")
        _tag_row(table, "{%tr endif %}")
    for row in table.rows[:-2]:  # keep the block on one page, as a signed paper form would be
        for cell in row.cells:
            cell.paragraphs[0].paragraph_format.keep_with_next = True


def actions_summary(form: Form, heading: str) -> None:
    form.heading(heading)  # its hint for the writer is the edit page's, not printed (forms.Part.writer_hint)
    columns = ("Date added", "Action", "Progress made", "Completed?")
    table = form.table((3.0, 6.5, 5.0, 2.5), 1)
    header_row(form, table, "actions", columns)
    loop_rows(
        table,
        "for a in actions",
        [
            (f"dg_act_{{{{ a.id }}}}_{code}", row_ids(ACTION_ID_BASE, column), text)
            for column, (code, text) in enumerate(
                [("d", "{{ a.date_added }}"), ("t", ACTION_TEXT), ("p", "{{ a.progress }}"), ("c", "{{ a.completed }}")]
            )
        ],
    )


def welfare(form: Form, part: forms.Part) -> None:
    form.heading(part.heading)
    table = form.table((8.5, 8.5), 3)
    merged = table.cell(0, 0).merge(table.cell(0, 1))
    merged.paragraphs[0].add_run(part.prompt_title).bold = True
    merged.add_paragraph(part.prompt)
    _shade(merged)
    label(table.cell(1, 0), "Discussion")
    label(table.cell(1, 1), "Actions")
    form.field(table.cell(2, 0), "welfare_discussion", "{{ welfare.discussion }}")
    form.field(table.cell(2, 1), "welfare_actions", WELFARE_ACTIONS)


def areas_table(form: Form, heading: str) -> None:
    form.heading(heading)
    table = form.table((5.0, 6.5, 5.5), 1)
    header_row(form, table, "areas", ("Area Discussed", "Discussion", "Actions & Timescales"))
    loop_rows(
        table,
        "for area in areas",
        [
            (f"dg_area{{{{ loop.index0 }}}}_{code}", row_ids(AREA_ID_BASE, column), text)
            for column, (code, text) in enumerate(
                [("t", "{{ area.title }}"), ("d", "{{ area.discussion }}"), ("a", AREA_ACTIONS)]
            )
        ],
        shade_first=True,
    )


def fields_part(form: Form, part: forms.Part) -> None:
    """A part of fields: its heading, the appendix's guidance, a label and a value cell per field."""
    form.heading(part.heading)
    if part.guidance:
        form.para(part.guidance)
    wide = any(len(field.label) > 40 for field in part.fields)  # K App B's long question
    table = form.field_rows([(field.label, field.key, f"{{{{ {field.expression} }}}}") for field in part.fields],
                            (10.0, 7.0) if wide else (6.5, 10.5))
    if part.note and wide:  # under the question it answers, as K App B prints it
        note = table.add_row()
        note.cells[0].merge(note.cells[1]).paragraphs[0].add_run(part.note).italic = True
    elif part.note:
        form.para(part.note, italic=True)


def record(definition: forms.Form) -> Path:
    """A record form built from its definition in ``workflows.forms``, part by part, so the Word
    file asks for exactly what the edit page and the record's HTML view show."""
    tables = [name for name in ("areas", "actions", "signatures") if definition.has(name)]
    form = Form(definition.heading, tables)
    form.para(definition.heading, bold=not definition.heading_italic, italic=definition.heading_italic)
    form.field_rows([(field.label, field.key, f"{{{{ {field.expression} }}}}") for field in definition.details])
    for part in definition.parts:
        if part.kind == "fields":
            fields_part(form, part)
        elif part.kind == "welfare":
            welfare(form, part)
        elif part.kind == "areas":
            areas_table(form, part.heading)
        elif part.kind == "actions":
            actions_summary(form, part.heading)
        else:
            signatures(form)
    for line in definition.closing:
        form.para(line)
    return form.save(definition.template.removesuffix(".docx"))


def agreement(definition: forms.AgreementForm) -> Path:
    """A supervision agreement from its definition in ``workflows.forms``: K App A, or S App C with
    its standing clauses, with a signature block (POLICY.md: docgen's choice for K, both sign)."""
    form = Form("Supervision Agreement", ("agreement", "signatures"))
    form.para(definition.intro)
    form.heading("1. Supervision Agreement Template" if not definition.clauses else "Supervision Agreement")
    rows = [forms.AGREEMENT_SUPERVISEE, forms.AGREEMENT_SUPERVISOR, *definition.fields]
    table = form.table((6.5, 10.5), len(rows) + 1)
    header_row(form, table, "agreement", ("Field", "Details"))
    for row, field in zip(table.rows[1:], rows):
        label(row.cells[0], field.label)
        cell = field.key if field in (forms.AGREEMENT_SUPERVISEE, forms.AGREEMENT_SUPERVISOR) else f"agreement_{field.key}"
        form.field(row.cells[1], cell, f"{{{{ {definition.expression(field)} }}}}")
    for clause in definition.clauses:
        form.para(clause)
    form.para("{{ agreement.access }}")  # who sees the records, in the council's words (the profile's)
    signatures(form)
    return form.save(definition.template.removesuffix(".docx"))


def certificate() -> Path:
    """The signature and audit certificate page that ends every sealed record (DESIGN.md:
    sign-off and evidence): the document and its people, the SHA-256 of the signed Word file, a
    box for each recorded disagreement, and every sign-off event with its time, IP and browser.

    documents.certificate fills it from workflows.signoff.certificate() and appends its
    body to the signed record, so one conversion makes the whole PDF and the page carries the
    record's own header and footer (organisation, marking, page numbers). Tables take shares of
    the text width, not centimetres, because a council's record may be on a narrower page.
    """
    form = Form(CERTIFICATE_TITLE, (), masthead=False)
    form.doc.add_paragraph(CERTIFICATE_TITLE, style="Heading 1").paragraph_format.page_break_before = True
    rows = [
        ("Document", "{{ title }}"),
        ("Record id", "{{ record_id }}"),
        ("Version", "{{ version }}"),
        ("Supervisee\u2019s decisions", '{{ decisions | join("; ") if decisions else "none recorded" }}'),
        ("Supervisee", "{{ supervisee.name }} <{{ supervisee.email }}>"),
        ("Supervisor", "{{ supervisor.name }} <{{ supervisor.email }}>"),
        ("SHA-256 of the signed Word document", "{{ docx_sha256 }}"),
    ]
    details = form.table((5.44, 11.56), len(rows))
    for row, (label_text, expression) in zip(details.rows, rows):
        label(row.cells[0], label_text)
        row.cells[1].paragraphs[0].add_run(expression)

    # K §9 "signed by both": a version countersigned over a disagreement says so first, with
    # whose signature is missing, both views and the route's outcome (none where W §10 allows it).
    finalised = _alert_box(form, "{%p if finalised_after_disagreement %}", "FINALISED AFTER A DISAGREEMENT", (
        "{{ finalised_after_disagreement.missing_signature }}.",
        "{{ supervisee.name }}\u2019s view: {{ finalised_after_disagreement.supervisee_view }}",
        '{{ supervisor.name }}\u2019s view: {{ finalised_after_disagreement.supervisor_view or "(no comment given)" }}',
        'Outcome: {{ finalised_after_disagreement.outcome or "none recorded; the policy lets the supervisor '
        'finalise a record that was not agreed" }}',
    ), "{%p endif %}")
    # An earlier version's disagreement is named as such: the version this PDF holds was revised
    # after it, and may have been agreed (issue 27).
    boxes = _alert_box(form, '{%p for e in events if e.event == "disagreement" %}', (
        '{{ "DISAGREEMENT RECORDED" if e.version == version else "DISAGREEMENT WITH AN EARLIER VERSION" }}'), (
        "{{ e.who }} disagreed with version {{ e.version }} on {{ e.at }}"
        "{% if e.version != version %}, which was revised after it; this PDF holds version {{ version }}{% endif %}.",
        'Their comment: {{ e.comment or "(none given)" }}',
    ), "{%p endfor %}")

    form.heading("Events")
    events = form.table((2.55, 2.55, 2.55, 2.21, 4.08, 3.06), 1)
    events.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, text in zip(events.rows[0].cells, ("Event", "Who", "Time (UTC)", "IP address", "User agent", "Comment")):
        _small(cell, text, bold=True)
        _shade(cell)
    _tag_row(events, "{%tr for e in events %}")
    _tag_row(events, '{%tr if e.event == "disagreement" %}')
    _event_row(events, bold=True)  # a disagreement's row is bold as well as boxed above
    _tag_row(events, "{%tr else %}")
    _event_row(events, bold=False)
    _tag_row(events, "{%tr endif %}")
    _tag_row(events, "{%tr endfor %}")
    form.doc.add_paragraph(
        "This PDF is sealed with the organisation's digital certificate. The signed Word "
        "document is attached to it unchanged; its SHA-256 is shown above. Any change to "
        "this file breaks the seal."
    )
    for table in (details, finalised, boxes, events):
        _span_text_width(table)
    return form.save("certificate")


def _alert_box(form: Form, opening: str, heading: str, lines: tuple[str, ...], closing: str) -> Table:
    """A shaded box on the certificate page, shown as its template tags (`opening`, `closing`) say:
    what a skimming reader must not miss."""
    form.doc.add_paragraph(opening)
    form.doc.add_paragraph()  # adjacent tables would merge into one
    table = form.table((TEXT_WIDTH_CM,), 1)
    box = table.cell(0, 0)
    alert = box.paragraphs[0].add_run(heading)
    alert.bold, alert.font.color.rgb = True, ALERT_TEXT
    for line in lines:
        box.add_paragraph(line)
    _shade(box, ALERT_FILL)
    form.doc.add_paragraph(closing)
    return table


def _span_text_width(table: Table) -> None:
    """Let the table span the text width of whatever page it lands on, columns in proportion.

    Each cell's width becomes its column's share in fiftieths of a percent (``pct``), which Word
    and LibreOffice scale to the page; the grid is set from the first row for readers that look
    only at it.
    """
    widths = [int(cell._tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for cell in table.rows[0].cells]
    for column, width in zip(table._tbl.tblGrid.iterfind(qn("w:gridCol")), widths):
        column.set(qn("w:w"), str(width))
    table._tbl.tblPr.find(qn("w:tblW")).attrib.update({qn("w:type"): "pct", qn("w:w"): "5000"})
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell._tc.tcPr.find(qn("w:tcW")).attrib.update(
                {qn("w:type"): "pct", qn("w:w"): str(round(5000 * width / sum(widths)))}
            )


def _tag_row(table: Table, tag: str) -> None:
    """A row holding only a ``{%tr %}`` tag, which docxtpl replaces, row and all."""
    table.add_row().cells[0].paragraphs[0].add_run(tag)


def _event_row(table: Table, *, bold: bool) -> None:
    for cell, key in zip(table.add_row().cells, ("event", "who", "at", "ip", "user_agent", "comment")):
        _small(cell, f"{{{{ e.{key} }}}}", bold=bold)


def _small(cell: _Cell, text: str, *, bold: bool) -> None:
    """8 pt: user agents are long, and six columns must fit a portrait page."""
    run = cell.paragraphs[0].add_run(text)
    run.bold, run.font.size = bold, Pt(8)


def _bookmarked_text(cell: _Cell, name: str, bookmark_id: str, text: str, *, bold: bool = False) -> None:
    """Put ``text`` in the cell's first paragraph inside a bookmark spanning all of it.

    A spanning bookmark is the placement that survived a user retyping the cell in
    LibreOffice 7.4; empty or start-only bookmarks were lost (ROUNDTRIP.md).
    """
    run = cell.paragraphs[0].add_run(text)
    run.bold = bold
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), bookmark_id)
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), bookmark_id)
    run._r.addprevious(start)
    run._r.addnext(end)


def _shade(cell: _Cell, fill: str = LABEL_FILL) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    # Appended after tcW/gridSpan, the only cell properties set here, which keeps schema order.
    cell._tc.get_or_add_tcPr().append(shading)


def _reproducible(docx: bytes) -> bytes:
    """The same zip with fixed timestamps, so rebuilding unchanged forms leaves git clean."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), source.read(info))
    return out.getvalue()


def _drop_unused_parts(doc: WordDocument) -> None:
    """Remove python-docx's sample thumbnail and Word 2010 style copy (0.4 MB parsed per render)."""
    for rels, reltype in ((doc.part.package.rels, RT.THUMBNAIL), (doc.part.rels, STYLES_WITH_EFFECTS)):
        for rel_id in [rel_id for rel_id, rel in rels.items() if rel.reltype == reltype]:
            del rels[rel_id]


def _page_setup(doc: WordDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.header_distance = section.footer_distance = Cm(1.0)


LANGUAGE = "en-GB"


def _styles(doc: WordDocument) -> None:
    """Arial throughout, black headings: a council form, not python-docx's blue theme."""
    for name, size, bold in (
        ("Normal", 10, False),
        ("Title", 16, True),
        ("Heading 2", 12, True),
        ("List Bullet", 10, False),
    ):
        style = doc.styles[name]
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.color.rgb = RGBColor(0, 0, 0)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attribute}"), None)
        for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{attribute}"), FONT)
    title = doc.styles["Title"].element.pPr
    if title is not None and title.find(qn("w:pBdr")) is not None:
        title.remove(title.find(qn("w:pBdr")))
    doc.styles["Normal"].paragraph_format.space_after = Pt(4)
    doc.styles["Heading 2"].paragraph_format.space_before = Pt(12)
    # British English, not python-docx's en-US: the language a screen reader speaks the form in,
    # and the /Lang its tagged PDF declares (issue 15).
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.find(qn("w:lang")).set(qn("w:val"), LANGUAGE)
    doc.core_properties.language = LANGUAGE
    # The form's title is its first heading (H1 in the tagged PDF), so the Heading 2 sections sit
    # under a level 1 as PDF/UA's heading rule asks.
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    doc.styles["Title"].element.get_or_add_pPr().insert_element_before(
        outline, "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _header_footer(doc: WordDocument) -> None:
    """Organisation and protective marking on top; marking, organisation, Page X of Y below."""
    section = doc.sections[0]
    section.header.paragraphs[0].add_run("{{ organisation }}").bold = True
    _marking(section.header.add_paragraph(), section.header.add_paragraph(), section.header.add_paragraph())
    _marking(section.footer.paragraphs[0], section.footer.add_paragraph(), section.footer.add_paragraph())
    footer = section.footer.add_paragraph()
    footer.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run("{{ organisation }}\tPage ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _marking(opening: Paragraph, marking: Paragraph, closing: Paragraph) -> None:
    """The protective marking between ``{%p %}`` paragraphs, which docxtpl drops, so an
    empty marking leaves no blank line."""
    opening.add_run("{%p if marking %}")
    marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
    marking.add_run("{{ marking }}").bold = True
    closing.add_run("{%p endif %}")


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A real Word field (PAGE, NUMPAGES) that Word and LibreOffice update when laid out."""
    for kind, text in (("begin", None), ("instr", f" {instruction} "), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)


def main() -> None:
    built = [
        *(agreement(definition) for definition in forms.AGREEMENTS.values()),
        *(record(definition) for definition in forms.FORMS.values()),
        certificate(),
    ]
    for path in built:
        print(f"built {path.relative_to(OUT_DIR.parent)}")


if __name__ == "__main__":
    main()
