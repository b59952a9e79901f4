"""The group supervision records: W App C, and docgen's plain group record for a council without
a form of its own. Defined with `workflows.forms`' parts and fields, so the Word template
(`templates_docx/group_forms.py` builds it with `templates_docx/build.py`'s record builder), the
record's page and the sign-off link's page all read one definition, as the 1:1 forms do.

A field with a `source` is printed from the session (its date, who was present), never typed.
Case discussions name cases by ID only (`CASE_FIELDS`, checked by `workflows.groups`): W App C
warns that "should a service user request access to files then they will see supervision records",
and S App A/B take "Case IDs – Numbers only"; the names stay on the child's record (W §10).
"""
from __future__ import annotations

from workflows.forms import SIGNATURES, Field, Form, Part

CASE_IDS_HINT = ("Case IDs only, separated by commas (for example 104233, 104240): names stay on the child\u2019s "
                 "electronic social care record.")
PRESENT = Field("present", "Names of those present at discussion", "line", source="group.present")
NEXT_GROUP = Field("next_supervision", "Date of next group supervision", "date")

# W App C's headings, worded and numbered as the seed gives them ("the following are headings for a
# group supervision record"). Heading 2 asks for the children's names; docgen takes their case IDs.
SOUTHWARK_GROUP = Form(
    "southwark_group", "W App C", "southwark_group.docx", "Group Supervision Record", False,
    (Field("group_name", "Group", "line", source="group.name"),
     Field("recorder_name", "Recorded by", "line", source="supervisee.name"),
     Field("signer_name", "Signed off by", "line", source="supervisor.name")),
    (
        Part("fields", "1. Date of group supervision discussion;", fields=(
            Field("discussion_date", "Date of group supervision discussion", "line", source="session_date"),)),
        Part("fields", "2. Names of children in family under consideration;", fields=(
            Field("cases", "Case IDs of the children", "line", hint=CASE_IDS_HINT),)),
        Part("fields", "3. Legal status;", fields=(Field("legal_status", "Legal status", "line"),)),
        Part("fields", "4. CIN/CP/LAC/Pre-proceedings/In proceedings/SO;", fields=(
            Field("legal_category", "CIN/CP/LAC/Pre-proceedings/In proceedings/SO", "line"),)),
        Part("fields", "5. Name of lead social worker;", fields=(
            Field("lead_social_worker", "Name of lead social worker", "line"),)),
        Part("fields", "6. Names of those present at discussion;", fields=(PRESENT,)),
        Part("fields", "7. Case presentation (new/review discussion in this allocation episode);",
             "When was the child last seen? What were their views, wishes, feelings?",
             (Field("case_presentation", "Case presentation"),)),
        Part("fields", "8. What was agreed and followed up from last discussion?", fields=(
            Field("followed_up", "What was agreed and followed up from last discussion?"),)),
        Part("fields", "9. Reflective discussion \u2013 bullet points;", fields=(
            Field("reflective_discussion", "Reflective discussion"),)),
        Part("fields", "10. Needs/outcomes/SMART plan in line with CIN/CP plan and arising from systemic "
                       "hypothesis & reflection;", fields=(Field("smart_plan", "Needs/outcomes/SMART plan"),)),
        Part("fields", "11. Action required / Who is leading? / Timescales", fields=(
            Field("action_required", "Action required"), Field("who_is_leading", "Who is leading?", "line"),
            Field("timescales", "Timescales", "line"))),
        Part("fields", "12. Performance:",
             "(CIN review, RCPPC, LAC review, Pre-proceedings meeting/review, LPM review, Court hearing, other "
             "meeting or planning process e.g. s.47, FGC, Permanence consultation, chronology on file/update needed, "
             "Genogram on file/update needed?", (
                 Field("last_visit_date", "Last visit date:", "line"),
                 Field("visit_recorded", "Recorded: Y/N", "yes_no"),
                 Field("next_visit_due", "Next due date:", "line"),
                 Field("visit_action", "Action required:"),
                 Field("next_statutory_task", "Next statutory task:", "line"),
                 Field("task_lead", "Who is to lead?", "line"),
                 Field("task_date", "Date for report/task:", "line"),
                 Field("task_action", "Action required:"),
             )),
        Part("fields", "Date of next group supervision (consider if need to discuss further before next statutory "
                       "task).", fields=(NEXT_GROUP,)),
        SIGNATURES,
    ),
    case_note=("legal_status", "legal_category", "lead_social_worker", "present", "case_presentation", "followed_up",
               "reflective_discussion", "smart_plan", "action_required", "who_is_leading", "timescales",
               "last_visit_date", "visit_recorded", "next_visit_due", "visit_action", "next_statutory_task",
               "task_lead", "task_date", "task_action", "next_supervision"),
)

# For a council whose policy gives no group form (K, S §5, H §8, L): what the group was, who came,
# the cases discussed by ID (S §5: "recorded on the child's file"), the discussion and what follows.
PLAIN_GROUP = Form(
    "group_plain", "default: docgen", "group_plain.docx", "Group Supervision Record", False,
    (Field("group_name", "Group", "line", source="group.name"),
     Field("discussion_date", "Date of group supervision", "line", source="session_date"),
     Field("recorder_name", "Recorded by", "line", source="supervisee.name")),
    (
        Part("fields", "1. Present", fields=(PRESENT,)),
        Part("fields", "2. Cases discussed", "The discussion of each child and the decisions about them go on the "
                                             "child\u2019s own record.",
             (Field("cases", "Case IDs discussed", "line", hint=CASE_IDS_HINT),)),
        Part("fields", "3. Reflective discussion and learning", fields=(Field("reflective_discussion", "Discussion"),)),
        Part("fields", "4. Agreed actions", fields=(
            Field("action_required", "Action required"), Field("who_is_leading", "Who is leading?", "line"),
            Field("timescales", "Timescales", "line"))),
        Part("fields", "Next group supervision", fields=(NEXT_GROUP,)),
        SIGNATURES,
    ),
    # S §5: "a record of group supervision recorded on the child's file that clearly identify the
    # purpose of the discussion and any reflections/actions relevant to the child"
    case_note=("present", "reflective_discussion", "action_required", "who_is_leading", "timescales",
               "next_supervision"),
)

FORMS: dict[str, Form] = {form.key: form for form in (SOUTHWARK_GROUP, PLAIN_GROUP)}
CASE_FIELDS = frozenset({"cases"})


def typed_fields(form: Form) -> tuple[Field, ...]:
    """The fields a recorder fills in (those printed from the session are not typed)."""
    return tuple(field for field in form.fields if not field.source)
