"""The supervision forms: one definition per form, worded as its policy's appendix.

A profile's record kind names its form (`RecordKind.form`); the form says which fields it asks
for (label, type), in which numbered parts, whether it has a welfare part with actions, a table of
areas (the profile lists them), the summary of actions and a signature block. Everything that shows
a record reads the same definition: the edit page's boxes (`docgen/web/records.py`), the record as
read on its page and on a sign-off link (`docgen/templates/records/_document.html`), and the Word
template (`templates_docx/build.py`), from which the review PDF and the sealed PDF are made. So a
field cannot be on one and not the others, and an edit names only fields its form has
(`workflows.records.update_record` refuses the rest, naming the field).

The signature block prints a cell for each signer the profile names (`Signoff.record_signers`), so
nobody who does not sign gets a cell (H §10: the supervisor alone finalises a Haringey record).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

FieldType = Literal["text", "line", "date", "yes_no"]
PartKind = Literal["fields", "welfare", "areas", "actions", "signatures"]
# Field keys kept apart from the record's own text: two dates are record columns (planning reads
# them), the previous session's two answers and the welfare discussion are nested in `sections`.
DATE_COLUMNS = ("next_supervision", "review_date")
PREVIOUS = {"previous_happy": "happy", "previous_comments": "comments"}


@dataclass(frozen=True)
class Field:
    """One value the form asks for: `key` names its page box, its Word cell (`dg_f_<key>`) and the
    API's key; `label` is the appendix's wording; `source` is where a template reads it (defaults
    to the key)."""

    key: str
    label: str
    type: FieldType = "text"
    hint: str = ""
    source: str = ""

    @property
    def expression(self) -> str:
        return self.source or self.key


@dataclass(frozen=True)
class Part:
    """A numbered part of a form, in the order it prints: a heading and the appendix's guidance,
    then its fields, or one of the structured parts (welfare, areas, actions, signatures)."""

    kind: PartKind
    heading: str = ""
    guidance: str = ""
    fields: tuple[Field, ...] = ()
    prompt_title: str = ""  # welfare's shaded prompt
    prompt: str = ""
    # The seed's instruction to whoever writes the record ("please delete any that are not
    # relevant"): hint text on the edit page only, never in the Word file, the PDF or the record as
    # its supervisee reads it (issue 27: it reached the supervisee and the sealed PDF)
    writer_hint: str = ""
    note: str = ""  # an italic line under the part


@dataclass(frozen=True)
class Form:
    """A whole form: its Word template, the printed (not editable) details at its head, its parts."""

    key: str
    source: str  # the appendix it follows, e.g. "K App B"
    template: str  # the .docx file `templates_docx/build.py` builds from this definition
    heading: str  # the form's own heading, printed under the record kind's title
    heading_italic: bool
    details: tuple[Field, ...]  # printed from the record: names, date, team
    parts: tuple[Part, ...]
    closing: tuple[str, ...] = ()
    # What docgen adds to the council's appendix, named so the policy page labels it as docgen's,
    # not the council's (issue 23: S App A and B have no summary of actions, signatures or K's
    # closing line; K App B-D no comments on the record or date of next supervision)
    additions: tuple[str, ...] = ()
    # The fields about the child that a case note for the social care record carries
    # (`workflows.case_notes`); () where the form takes case IDs only (S App A 6: "The full
    # details and information should be recorded on the child's file") or holds no case discussion
    case_note: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[Field, ...]:
        """The fields a person fills in, in the order they print."""
        return tuple(field for part in self.parts for field in part.fields)

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def has(self, kind: PartKind) -> bool:
        return any(part.kind == kind for part in self.parts)

    @property
    def actions_section(self) -> int:
        """The number of the summary of actions (K App C and D have no section 4)."""
        heading = next(p.heading for p in self.parts if p.kind == "actions")
        number = heading.split(".", 1)[0]
        return int(number) if number.isdigit() else 0

    @property
    def text_keys(self) -> tuple[str, ...]:
        """Fields kept as text in the record's `sections` under their own key."""
        return tuple(f.key for f in self.fields if f.key not in DATE_COLUMNS and f.key not in PREVIOUS)


NAME_SUPERVISEE = Field("supervisee_name", "Name of Supervisee:", "line", source="supervisee.name")
NAME_SUPERVISOR = Field("supervisor_name", "Name of Supervisor:", "line", source="supervisor.name")
SESSION_DATE = Field("session_date", "Date of Supervision:", "date")
NEXT_SUPERVISION = Field("next_supervision", "Date of next supervision", "date")
SIGNATURES = Part("signatures", "Signatures")
# S App A and App B end alike: the next session's date and its time.
STOCKPORT_NEXT_SUPERVISION = Part("fields", "Date and Time of next supervision", fields=(
    NEXT_SUPERVISION, Field("next_supervision_time", "Time", "line")))

HOW_AM_I = (
    "How is your personal wellbeing at work / home?  This could include your physical and "
    "emotional wellbeing.  Are there any \u201cstressors\u201d impacting upon your work/well-being? "
    "Any additional support needed?"
)
# K App B's bullets under its summary tell the writer what to do, so they are the edit page's hint,
# not printed (issue 27); its third ("can be deleted from NEXT month's supervision record") is
# what docgen does itself: a completed action is not carried into the next record.
SUMMARY_HINT = ("Summarise here the actions recorded in the sections above, and record the progress made on "
                "each every month. A completed action is left out of the next record.")
CLOSING_LINES = (
    "This form should be saved by both the supervisor and the supervisee.",
    "This form should be used as the basis for the next supervision session to ensure that any "
    "agreed actions have been progressed / completed.",
)
# docgen's additions to Knowsley's records: K App B §1 asks only "Was the supervisee happy with the
# record of the previous supervision?"; the next date follows S §7 (the supervisor says when it is due)
KNOWSLEY_ADDITIONS = ("Comments on the record of the previous supervision", "Date of next supervision")
# docgen's additions to Stockport's App A and B, which end at the next session's date and time
STOCKPORT_ADDITIONS = ("Summary of Actions & Progress", "Signatures",
                       f"Knowsley's closing line (K App B): “{CLOSING_LINES[1]}”")
def summary(heading: str = "Summary of Actions & Progress") -> Part:
    """The summary of actions, with its hint for the writer (`SUMMARY_HINT`)."""
    return Part("actions", heading, writer_hint=SUMMARY_HINT)


AGREED_AGENDA = ("Review previous supervision notes to confirm these are agreed and progress of actions. "
                 "Any areas of disagreement/correction to be noted.")


def _knowsley(key: str, source: str, template: str, actions_section: int, knowsley: bool = True) -> Form:
    """Knowsley App B, C or D: alike but for the areas (the profile's) and the summary's number.

    K's text before App A asks each record to outline decisions made and their rationale and a
    review date: they have their own unnumbered part, so the summary keeps the seed's number. A
    council without a form of its own (W, H) gets the same form without them (`knowsley=False`).
    """
    closing_part = (Part("fields", "Decisions and review", fields=(
        Field("decisions", "Decisions made and rationale"), Field("review_date", "Review date", "date"),
        NEXT_SUPERVISION)) if knowsley else Part("fields", "Next supervision", fields=(NEXT_SUPERVISION,)))
    return Form(
        key, source, template, "Supervision Record", False,
        (NAME_SUPERVISEE, NAME_SUPERVISOR, SESSION_DATE),
        (
            Part("fields", "1. Record of previous session: ", fields=(
                Field("previous_happy", "Was the supervisee happy with the record of the previous supervision?",
                      "yes_no", source="previous.happy"),
                Field("previous_comments", "Comments on the record of the previous supervision",
                      source="previous.comments"),
            ), note="Please see update in rolling action plan below for progress against actions in section "
                    f"{actions_section}"),
            Part("welfare", "2. Welfare \u2013 Work & Personal ", prompt_title="How am I? ", prompt=HOW_AM_I,
                 writer_hint="Include the positives as well as the things that the supervisee would like to "
                             "change."),
            Part("areas", "3. Various", writer_hint="Remove any areas that are not relevant, or add new ones."),
            closing_part,
            summary(f"{actions_section}. Summary of Actions & Progress"),
            SIGNATURES,
        ),
        ("",) + CLOSING_LINES,
        KNOWSLEY_ADDITIONS,
    )


STOCKPORT_LINE_MANAGEMENT = Form(
    "stockport_line_management", "S App A", "stockport_line_management.docx",
    "(not case supervision)", True,
    (Field("session_date", "Date", "date"), Field("supervisee_name", "Supervisee", "line", source="supervisee.name"),
     Field("supervisor_name", "Supervisor", "line", source="supervisor.name"), Field("team", "Team", "line")),
    (
        Part("fields", "1. Agreed agenda", AGREED_AGENDA, fields=(
            Field("agenda", "Agreed agenda"),
            Field("previous_happy", "Previous supervision notes agreed?", "yes_no", source="previous.happy"),
            Field("previous_comments", "Areas of disagreement/correction", source="previous.comments"),
        ), note="Progress of actions: see the Summary of Actions & Progress below."),
        Part("welfare", "2. Well-being", prompt_title="How is the supervisee feeling today?",
             prompt="Explore how the supervisee\u2019s work may be impacting upon them such as current workload, "
                    "annual leave, TOIL, work life balance. Identify and agree support for any identified needs"),
        Part("fields", "3. Line management",
             "Discuss performance and provide feedback on practice including any observations/audits that have "
             "taken place.", (Field("line_management", "Discussion"),)),
        Part("fields", "4. Learning and Development",
             "What learning opportunities have taken place or are booked? How do these link to the PDR. Reflect on "
             "learning from training, research, or other learning opportunities and how this will impact on "
             "practice. Consider progress towards ASYE, POPP, management programmes or other progression "
             "programmes.",
             (Field("learning_development", "Discussion"), Field("pdr_date", "PDR date", "line"),
              Field("pdr_review_date", "Review date", "line"))),
        Part("fields", "5. Supervisory Responsibilities",
             "Provide support, and guidance anyone who performs a supervisory, mentoring or support role to others "
             "in the team or service. i.e. students, newly qualified colleagues, practice educators, ASYE "
             "supervisors, and team leaders.", (Field("supervisory_responsibilities", "Discussion"),)),
        Part("fields", "6. Professional Supervision (Case supervision)",
             "List case ID\u2019s that have been discussed in this supervision. The full details and information "
             "about the child/actions agreed is not recorded here \u2013 it should be recorded in Liquid Logic",
             (Field("cases", "Case IDs \u2013 Numbers only"),)),
        Part("fields", "7. Team around the school",
             "Note the activity the supervisee has undertaken in their role within the team around the school. "
             "Reflect on what is working well and the challenges faced. Note the actions agreed.",
             (Field("team_around_school", "Discussion"),)),
        Part("fields", "8. Anything else that needs to be discussed", fields=(Field("anything_else", "Discussion"),)),
        summary(),
        STOCKPORT_NEXT_SUPERVISION,
        SIGNATURES,
    ),
    (CLOSING_LINES[1],),
    STOCKPORT_ADDITIONS,
)

# S App B numbers its parts 9-14, following on from App A; the numbers are the seed's.
STOCKPORT_REFLECTIVE = Form(
    "stockport_reflective", "S App B", "stockport_reflective.docx",
    "Template for student/ASYE reflection 1-1", False,
    (Field("session_date", "Date", "date"), Field("supervisee_name", "ASYE/Student", "line", source="supervisee.name"),
     Field("supervisor_name", "Reflective Supervisor/Practice Educator", "line", source="supervisor.name"),
     Field("team", "Team", "line")),
    (
        Part("fields", "9. Agreed agenda",
             "Review previous notes to confirm these are agreed and progress of actions. Any areas of "
             "disagreement/correction to be noted.", (
                 Field("agenda", "Agreed agenda"),
                 Field("previous_happy", "Previous notes agreed?", "yes_no", source="previous.happy"),
                 Field("previous_comments", "Areas of disagreement/correction", source="previous.comments"),
             )),
        Part("welfare", "10. Well-being", prompt_title="How is the ASYE/student feeling today?",
             prompt="Explore how the work may be impacting upon them. Identify and agree a plan e.g. speaking to "
                    "the line manager"),
        Part("fields", "11. Reflection",
             "List case ID\u2019s that have been discussed in this supervision. Personal reflections and "
             "discussions about values can be recorded here. If a child is discussed in reflection time, it may be "
             "appropriate to record an account of this on Liquid Logic. Times when it would be appropriate \u2013 "
             "Discussion about risk; Ideas or thoughts about how we could work differently with a family; Thoughts "
             "about what might be happening with a family (hypotheses)",
             (Field("cases", "Case IDs discussed"), Field("reflection", "Personal reflections"))),
        Part("fields", "12. Learning and Development",
             "What learning opportunities have taken place or are booked? Reflect on learning from training, "
             "research, or other learning opportunities and how this will impact on practice.",
             (Field("learning_development", "Discussion"),)),
        Part("fields", "13. Feedback", "Provide feedback on practice including any observations that have taken place.",
             (Field("feedback", "Feedback"),)),
        Part("fields", "14. Anything else that needs to be discussed", fields=(Field("anything_else", "Discussion"),)),
        summary(),
        STOCKPORT_NEXT_SUPERVISION,
        SIGNATURES,
    ),
    (CLOSING_LINES[1],),
    STOCKPORT_ADDITIONS,
)

SOUTHWARK_CASEWORK = Form(
    "southwark_casework", "W App E", "southwark_casework.docx", "Recording 1:1 Casework Supervision", False,
    (NAME_SUPERVISEE, NAME_SUPERVISOR, SESSION_DATE),
    (
        Part("fields", "Casework supervision",
             "Record this on the child\u2019s electronic social care record; if the supervisor is not the "
             "operational line manager, bring the record or contents to their attention. Use line breaks, spacing "
             "or bullet points to avoid lengthy, difficult to read single line entries in the record.", (
                 Field("cases", "Child\u2019s case ID", "line"),
                 Field("activity", "Activity",
                       hint="Update on previous action agreed at last supervision or new developments requiring "
                            "consideration - when was child last seen and what was their view, wishes & feelings?"),
                 Field("analysis", "Analysis discussion",
                       hint="Reflection on developments requiring consideration outside group supervision-What\u2019s "
                            "going well and what needs to change? Any quality of relationship issues?"),
                 Field("action_plan", "Action",
                       hint="Plan of who will do what and when arising from analysis"),
             )),
        summary(),
        Part("fields", "Next supervision", fields=(NEXT_SUPERVISION,)),
        SIGNATURES,
    ),
    # W App E: "The supervisor needs to record this on the child's electronic social care record"
    case_note=("activity", "analysis", "action_plan"),
)

LANCASHIRE = Form(
    "lancashire", "L \u00a73.2", "lancashire.docx", "Supervision Record", False,
    (NAME_SUPERVISEE, NAME_SUPERVISOR, SESSION_DATE),
    (
        Part("fields", "1. Record of previous session", fields=(
            Field("previous_happy", "Was the supervisee happy with the record of the previous supervision?",
                  "yes_no", source="previous.happy"),
            Field("previous_comments", "Comments on the record of the previous supervision",
                  source="previous.comments"),
        )),
        Part("areas", "2. The four functions of supervision"),
        Part("fields", "3. The views of children, young people and families",
             "How the views and feedback from children, young people and families informed the analysis of "
             "progress, impact, outcomes and future plans (L \u00a73.3).",
             (Field("family_views", "Views of children, young people and families"),)),
        summary("4. Summary of Actions & Progress"),
        Part("fields", "Next supervision", fields=(NEXT_SUPERVISION,)),
        SIGNATURES,
    ),
)

FORMS: dict[str, Form] = {form.key: form for form in (
    _knowsley("knowsley_practitioner", "K App B", "practitioner.docx", 4),
    _knowsley("knowsley_team_manager", "K App C", "team_manager.docx", 5),
    _knowsley("knowsley_service_manager", "K App D", "service_manager.docx", 5),
    # docgen's default for W's and H's 1:1 records, which their policies give no form for
    _knowsley("practitioner", "K App B, without K's decisions and review date", "practitioner_general.docx", 4,
              knowsley=False),
    _knowsley("team_manager", "K App C, without K's decisions and review date", "team_manager_general.docx", 5,
              knowsley=False),
    _knowsley("service_manager", "K App D, without K's decisions and review date", "service_manager_general.docx",
              5, knowsley=False),
    STOCKPORT_LINE_MANAGEMENT, STOCKPORT_REFLECTIVE, SOUTHWARK_CASEWORK, LANCASHIRE,
)}


@dataclass(frozen=True)
class AgreementForm:
    """A supervision agreement's form: its fields (`key` is the API's name, the page's box and the
    Word cell `dg_f_agreement_<key>`), then the appendix's standing clauses, printed as they are."""

    key: str
    source: str
    template: str
    intro: str
    fields: tuple[Field, ...]
    clauses: tuple[str, ...] = ()

    @property
    def text_keys(self) -> tuple[str, ...]:
        """Fields kept as text in the agreement's `fields`; its two dates are columns."""
        return tuple(f.key for f in self.fields if f.key not in AGREEMENT_DATES)

    @staticmethod
    def expression(field: Field) -> str:
        """Where a template reads the field: the agreement's own fields sit under `agreement`."""
        return field.source or f"agreement.{field.key}"


AGREEMENT_DATES = ("started_on", "review_date")  # the agreement's columns: due dates read them
AGREEMENT_SUPERVISEE = Field("supervisee_name", "Name of Supervisee", "line", source="supervisee.name")
AGREEMENT_SUPERVISOR = Field("supervisor_name", "Name of Supervisor", "line", source="supervisor.name")

KNOWSLEY_AGREEMENT = AgreementForm(
    "knowsley_agreement", "K App A", "agreement.docx",
    "To be completed at the start of the supervisory relationship and must be shared with the supervisee.",
    (
        Field("job_roles", "Job Roles", "line"),
        Field("started_on", "Date Agreement Started", "date", source="agreement.started"),
        Field("frequency", "Frequency of Supervision (e.g., monthly)", "line"),
        Field("length", "Length of Sessions (e.g., 1 hour)", "line"),
        Field("location", "Location/Method (e.g., face-to-face, Teams)", "line"),
        Field("confidentiality", "Confidentiality Agreement (including when confidentiality might be breached)"),
        Field("supervisee_expectations", "Expectations of Supervisee"),
        Field("supervisor_expectations", "Expectations of Supervisor"),
        Field("review_date", "Review Date for This Agreement", "date"),
    ),
)

# S App C, with what S §6 adds to an agreement (where records are kept, the named complaints
# manager of S §9, session length, cancellation and agenda setting in the clauses).
STOCKPORT_AGREEMENT = AgreementForm(
    "stockport_agreement", "S App C", "stockport_agreement.docx",
    "This is the format for a supervision agreement between the supervisee and supervisor.",
    (
        Field("frequency", "Frequency of supervision meetings", "line"),
        Field("started_on", "Date of contract", "date", source="agreement.started"),
        Field("review_date", "Date contract to be reviewed - Recommended at least annually", "date"),
        Field("pdr_date", "Date of PDR", "line"),
        Field("pdr_review_date", "Date of PDR to be reviewed", "line"),
        Field("length", "Length of sessions", "line"),
        Field("location", "Location", "line"),
        Field("confidentiality", "Confidentiality"),
        Field("records_kept", "Where supervision records are kept"),
        Field("complaints_manager", "Complaints: the manager to approach (S \u00a79)", "line"),
    ),
    (
        "1. The purpose of supervision is to ensure that service users receive high quality services, and "
        "employees are supported in their work and professional development. Discussion within supervision will "
        "include: Professional Supervision (Case Supervision); Line Management; Continuing Professional "
        "Development.",
        "2. A supervision meeting will take place weekly; the frequency will be decided by the supervisor above. "
        "If a meeting has to be cancelled, another meeting will be arranged for the earliest opportunity. It is a "
        "joint responsibility to ensure that the meeting is rearranged. As a guideline the meeting will be for a "
        "minimum of 1 \u00bd to 2 hours.",
        "3. It will be the responsibility of the supervisor to arrange for a suitable room to be available, and to "
        "ensure that the session will not be interrupted.",
        "4. Both the supervisor and supervisee agree to prepare for the supervision meeting.",
        "5. Decisions and the reasons for them will be shared as appropriate. Issues concerning performance or "
        "personal issues may be shared with Senior Managers, but not without the knowledge of both parties.",
        "6. The supervisor will keep a record of the meeting which will be agreed and signed. Both the supervisor "
        "and supervisee will agree this record and it will be electronically stored.",
        "7. There will be a formal appraisal at, 6 months (Probationary Appraisal) and every year after this using "
        "the agreed departmental forms and procedures.",
        "8. If there are differences that cannot be resolved, either supervisee or the supervisor may approach a "
        "senior manager for help and advice or to request a three way meeting to resolve the situation.",
        "The supervisor will be available to provide help and advice and be available for decision making between "
        "supervision sessions.",
    ),
)

# K App A's fields (docgen's default for a council without a form) with what H §9 asks the
# agreement to settle: "Arrangements must be made to cover planned and unplanned absences of
# supervisor or supervisee".
HARINGEY_AGREEMENT = AgreementForm(
    "haringey_agreement", "K App A; H \u00a79", "haringey_agreement.docx", KNOWSLEY_AGREEMENT.intro,
    (*KNOWSLEY_AGREEMENT.fields[:-1],
     Field("absence_cover", "Cover for planned and unplanned absences of supervisor or supervisee"),
     KNOWSLEY_AGREEMENT.fields[-1]),
)

AGREEMENTS: dict[str, AgreementForm] = {form.key: form for form in (KNOWSLEY_AGREEMENT, STOCKPORT_AGREEMENT,
                                                                     HARINGEY_AGREEMENT)}


def printed_at(context: dict[str, Any], expression: str) -> str:
    """The text a template prints for `expression` ("previous.happy") from its context."""
    value: Any = context
    for part in expression.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return str(value or "")
