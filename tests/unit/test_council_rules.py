"""Each council's rules against its own policy's words (`/work/shared/POLICY.md`, the seeds).

One table per rule; each row quotes the words it checks, so a reader can hold the profile against
the policy: supervision frequency at the boundary days of each phase, the record deadline, who
signs and when the record is agreed, retention dates and their source, escalation or none, and
what else falls due (S §10's reflective 1-1, W §9's direct observations, L §5.13's performance
conversation).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from storage.models import Person, Record
from workflows import deadlines
from workflows.due_dates import next_due, record_due_date
from workflows.due_list import due_list
from workflows.profile_sources import is_default, needs_confirming
from workflows.profiles import load_profile
from workflows.retention import destruction_date, forward_date

START = dt.date(2026, 1, 5)  # a Monday, the first day of employment
D = dt.date


def day(n: int) -> dt.date:
    """Day n of employment (day 42 = six weeks in)."""
    return START + dt.timedelta(days=n)


def month(n: int) -> dt.date:
    return START + relativedelta(months=n)


@dataclass
class Staff:
    role: str
    employment_start: dt.date = START


FREQUENCY = [
    # council, role, the policy's words, last session, agreed frequency, next due
    ("knowsley", "asye", "K §6: Weekly for the first six weeks", day(41), None, day(48)),
    ("knowsley", "asye", "K §6: fortnightly for six months", day(42), None, day(56)),
    ("knowsley", "asye", "K §6: fortnightly for six months", month(6) - dt.timedelta(days=1), None,
     month(6) + dt.timedelta(days=13)),
    ("knowsley", "asye", "K §6: then monthly", month(6), None, month(7)),
    ("knowsley", "student", "K §6: weekly supervision for the first six weeks", day(41), None, day(48)),
    ("knowsley", "student", "K §6: fortnightly for the remainder of their placement", day(42), None, day(56)),
    ("knowsley", "social_worker", "K §6: Minimum monthly supervision", D(2026, 1, 31), None, D(2026, 2, 28)),
    ("knowsley", "family_first_case_manager", "K §6: Family First Case Managers ...: Monthly", D(2026, 3, 2), None,
     D(2026, 4, 2)),
    ("stockport", "asye", "S §10: weekly from their line manager for six weeks", day(41), None, day(48)),
    ("stockport", "asye", "S §10: and then monthly for the remainder of their ASYE", day(42), None,
     day(42) + relativedelta(months=1)),
    ("stockport", "social_worker", "S §7: monthly for Stockport Family fieldwork staff", D(2026, 3, 2), None,
     D(2026, 4, 2)),
    ("stockport", "student", "S App C: the frequency will be decided by the supervisor (docgen: weekly until agreed)",
     day(400), None, day(407)),
    ("stockport", "student", "S App C: the frequency will be decided by the supervisor", day(400), "fortnightly",
     day(414)),
    ("southwark", "asye", "W §5: Weekly for the first 6 weeks of employment", day(41), None, day(48)),
    ("southwark", "asye", "W §5: Fortnightly for the duration of the first six months", day(42), None, day(56)),
    ("southwark", "asye", "W §5: Minimum of monthly supervision thereafter", month(6), None, month(7)),
    ("southwark", "social_worker", "W §5: For social works post-ASYE, the frequency should be monthly",
     D(2026, 3, 2), None, D(2026, 4, 2)),
    ("southwark", "team_manager", "W §5: the frequency will be determined when negotiating the supervision agreement",
     D(2026, 3, 2), "every 6 weeks", D(2026, 4, 13)),
    ("haringey", "service_manager", "H §1: All workers ... Every four weeks", D(2026, 3, 2), None, D(2026, 3, 30)),
    ("haringey", "head_of_service", "H §1: All workers ... Every four weeks", D(2026, 3, 2), None, D(2026, 3, 30)),
    ("haringey", "social_worker", "H §1: All workers ... Every four weeks", D(2026, 3, 2), None, D(2026, 3, 30)),
    ("haringey", "asye", "H §1: One to one supervision weekly for the first six weeks", day(41), None, day(48)),
    ("haringey", "asye", "H §1: Fortnightly for the following three months", day(132), None, day(146)),
    ("haringey", "asye", "H §1: Thereafter, supervision will take place once a month", day(133), None,
     day(133) + relativedelta(months=1)),
    ("lancashire", "social_worker", "L sets no frequency (docgen: monthly until agreed)", D(2026, 3, 2), None,
     D(2026, 4, 2)),
    ("lancashire", "senior_manager", "L §2.1: from the frontline to the most senior managers; as agreed",
     D(2026, 3, 2), "every 6 weeks", D(2026, 4, 13)),
]


@pytest.mark.parametrize("council,role,words,last,agreed,due", FREQUENCY)
def test_supervision_falls_due_as_the_councils_policy_says(council: str, role: str, words: str, last: dt.date,
                                                           agreed: str | None, due: dt.date) -> None:
    profile = load_profile(council)
    assert next_due(profile, Staff(role), last, agreed, today=last).due_on == due
    assert profile.source(f"roles.{role}.frequency").startswith((words[:1], "default: docgen"))


RECORD_DEADLINE = [
    # council, the policy's words, session, due (None: no deadline)
    ("knowsley", "K §9: Records should be completed within 5 working days", D(2026, 12, 23), D(2027, 1, 4)),
    ("stockport", "S 13.1: Stockport's standard for recording that is within 5 days", D(2026, 12, 23),
     D(2026, 12, 28)),
    ("southwark", "W §10: The record should be shared with the supervisee and filed electronically", D(2026, 12, 23),
     None),
    ("haringey", "H §10: retained in a file by the manager with a copy to the worker", D(2026, 12, 23), None),
    ("lancashire", "L §4.5: a clear recording process", D(2026, 12, 23), None),
]


@pytest.mark.parametrize("council,words,session,due", RECORD_DEADLINE)
def test_record_deadline_is_the_policys_or_none(council: str, words: str, session: dt.date,
                                                due: dt.date | None) -> None:
    profile = load_profile(council)
    assert record_due_date(profile, session) == due
    assert profile.source("record_days") == words.split(":")[0]


SIGNERS = [
    # council, the policy's words, record signers, when the record is agreed, agreement signers
    ("knowsley", "K §9: signed by both the supervisor and supervisee", ["supervisee", "supervisor"], "at_signoff",
     ["supervisee", "supervisor"]),
    ("stockport", "S 12.3: agreed by both; S 13.1: formally agreed at the next supervision",
     ["supervisee", "supervisor"], "at_next_supervision", ["supervisee", "supervisor"]),
    ("southwark", "W §10: a record should be agreed and signed by both parties", ["supervisee", "supervisor"],
     "at_signoff", ["supervisee", "supervisor"]),
    ("haringey", "H §10 sets no signer (docgen: the supervisor finalises); H §9: signed by both parties",
     ["supervisor"], "at_signoff", ["supervisee", "supervisor"]),
    ("lancashire", "L sets no signer (docgen: both sign)", ["supervisee", "supervisor"], "at_signoff",
     ["supervisee", "supervisor"]),
]


@pytest.mark.parametrize("council,words,record,agreed,agreement", SIGNERS)
def test_who_signs_and_when_the_record_is_agreed(council: str, words: str, record: list[str], agreed: str,
                                                 agreement: list[str]) -> None:
    signoff = load_profile(council).signoff
    assert (signoff.record_signers, signoff.record_agreed, signoff.agreement_signers) == (record, agreed, agreement)


OVER_A_DISAGREEMENT = [
    # council, the policy's words, whether the supervisor may finalise over a disagreement without
    # the route's outcome, the route's outcomes, and whether that is docgen's default
    ("knowsley", "K §9: signed by both the supervisor and supervisee", False, (True, False)),
    ("stockport", "S 12.3: must always be agreed by both the supervisor and the supervisee", False, (True, False)),
    ("southwark", "W §10: what has been agreed (or not); W §17: then HR would need to be consulted", True, (True, True)),
    ("haringey", "H §9: signed by both parties; H §13: with the supervisor's line manager, no HR", False, (True, False)),
    ("lancashire", "L sets no signer (docgen: both sign) and names no route", False, (True, False)),
]


@pytest.mark.parametrize("council,words,over,route", OVER_A_DISAGREEMENT)
def test_whether_a_record_may_be_finalised_over_a_disagreement_and_where_the_disagreement_goes(
        council: str, words: str, over: bool, route: tuple[bool, bool]) -> None:
    profile = load_profile(council)
    assert profile.signoff.finalise_over_disagreement is over
    assert (profile.disagreement.three_way_meeting, profile.disagreement.hr) == route
    assert is_default(profile.source("signoff.finalise_over_disagreement")) is (council == "lancashire")


RETENTION = [
    # council, the policy's words, whether it is docgen's default for the council to confirm
    ("stockport", "S 12.4: forwarded to the Human Resources Section after 6 months ... held for seven years", False),
    ("knowsley", "K §9: in line with GDPR (no period)", True),
    ("southwark", "W §10: Not kept longer than necessary (no period)", True),
    ("haringey", "H sets none", True),
    ("lancashire", "L sets none", True),
]


@pytest.mark.parametrize("council,words,default", RETENTION)
def test_retention_dates_and_whose_rule_they_are(council: str, words: str, default: bool) -> None:
    profile = load_profile(council)
    leave = D(2027, 1, 29)
    assert forward_date(profile, leave) == D(2027, 7, 29)
    assert destruction_date(profile, leave) == D(2034, 7, 29)
    source = profile.source("retention.keep_for")
    assert needs_confirming(source) is default
    assert source == "S 12.4" if not default else "S 12.4's periods" in source


ESCALATION = [
    # council, the policy's words, days after the due date (None: nobody is told)
    ("knowsley", "K names no route: docgen's default", 1),
    ("stockport", "S §9 is a complaints route: docgen's default", 1),
    ("southwark", "W sets no record deadline", None),
    ("haringey", "H sets no record deadline (H §13 is a dispute route)", None),
    ("lancashire", "L sets no record deadline", None),
]


@pytest.mark.parametrize("council,words,after", ESCALATION)
def test_escalation_of_an_overdue_record_is_docgens_labelled_default_or_none(council: str, words: str,
                                                                              after: int | None) -> None:
    profile = load_profile(council)
    assert profile.signoff.escalate_after_days == after
    assert is_default(profile.source("signoff.escalate_after_days"))


AGREEMENT = [
    # council, the policy's words for the session length, its confidentiality words
    ("knowsley", "K App A: Length of Sessions (e.g., 1 hour)", "1 hour", "confidential and respectful"),
    ("stockport", "S App C: a minimum of 1 ½ to 2 hours", "A minimum of 1 ½ to 2 hours",
     "exceptions cannot be made for particular issues to remain confidential"),
    ("southwark", "W §10", "1 hour", "only where the supervisee agrees"),
    ("haringey", "H §11", "1 hour", "by mutual agreement"),
]


@pytest.mark.parametrize("council,words,length,confidentiality", AGREEMENT)
def test_agreement_starts_from_the_councils_own_length_and_confidentiality(council: str, words: str, length: str,
                                                                           confidentiality: str) -> None:
    defaults = load_profile(council).agreement_defaults
    assert defaults.length.startswith(length)
    assert confidentiality in defaults.confidentiality


# W §9's observations share their citation with W §18's appraisals, due beside them
W9_W18 = "W §9; W §18 (docgen's reading of the appraisals: the first once the work plan is in place)"
ALSO_DUE = [
    # council, role, the policy's words, key, every, until
    ("stockport", "asye", "S §10: additional reflective 1-1 on a monthly basis throughout their ASYE programme",
     "reflective_1_1", "1 month", "12 months"),
    ("southwark", "asye", f"{W9_W18}: direct observation of practice (4 per annum for ASYE",
     "direct_observation", "3 months", "12 months"),
    ("southwark", "social_worker", f"{W9_W18}: and 2 per annum post ASYE", "direct_observation", "6 months", None),
    ("lancashire", "social_worker", "L §5.13: at a minimum of once a quarter", "performance_conversation",
     "3 months", None),
]


@pytest.mark.parametrize("council,role,words,key,every,until", ALSO_DUE)
def test_what_else_falls_due_for_a_role(council: str, role: str, words: str, key: str, every: str,
                                        until: str | None) -> None:
    profile = load_profile(council)
    [also] = [item for item in profile.roles[role].also_due if item.key == key]
    assert (also.key, also.every.text if also.every else None,
            also.until.text if also.until else None) == (key, every, until)
    # the section may hold a colon of its own ("docgen's reading: ...")
    assert profile.source(f"roles.{role}.also_due") == words.rsplit(": ", 1)[0]


@pytest.mark.parametrize("council,kind,label", [
    ("southwark", "direct_observation", "Direct observation of practice due 8 January 2025"),
    ("lancashire", "performance_conversation", "Performance conversation due 8 January 2025"),
])
def test_the_due_list_shows_what_else_falls_due_on_its_day(uow: Any, team: dict[str, int], council: str, kind: str,
                                                           label: str) -> None:
    # The worker started on 8 January 2024: W's post-ASYE observations every six months and L's
    # quarterly conversations both fall on 8 January 2025.
    items = due_list(uow.session, load_profile(council), D(2025, 1, 8), supervisee_ids=frozenset({team["worker"]}))

    assert [(i.kind, i.state, i.label) for i in items if i.kind == kind] == [(kind, "due", label)]


def test_knowsleys_due_list_has_no_other_councils_items(uow: Any, team: dict[str, int]) -> None:
    items = due_list(uow.session, load_profile("knowsley"), D(2025, 1, 8), supervisee_ids=frozenset({team["worker"]}))

    # K §6's own: "Annual appraisal and mid-year review are in addition to monthly supervision", and
    # the worker started on 8 January 2024, so the appraisal falls on the day
    assert {i.kind for i in items} <= {"supervision", "agreement_missing", "agreement_review", "record", "signoff",
                                       "mid_year_review", "appraisal"}
    assert [i.label for i in items if i.kind == "appraisal"] == ["Annual appraisal due 8 January 2025"]


def test_a_record_where_the_policy_sets_no_deadline_is_never_overdue_nor_escalated(uow: Any,
                                                                                   team: dict[str, int]) -> None:
    southwark = load_profile("southwark")  # W §10: agreed and signed by both, no deadline
    session = D(2025, 1, 6)
    uow.session.add(Record(kind="practitioner", supervisee_id=team["worker"], supervisor_id=team["manager"],
                           session_date=session, due_date=record_due_date(southwark, session), status="draft"))
    uow.session.flush()

    a_year_on = D(2026, 1, 6)
    [item] = [i for i in due_list(uow.session, southwark, a_year_on, supervisee_ids=frozenset({team["worker"]}))
              if i.kind == "record"]

    assert (item.state, item.label) == ("due", "record of 6 January 2025 to complete (no deadline set)")
    assert deadlines.escalate(uow.session, southwark, a_year_on) == 0


@pytest.mark.parametrize("today,state,escalated", [
    (D(2025, 1, 20), "due", 0),      # S 13.1: past "within 5 days", but agreed at the next supervision ...
    (D(2025, 2, 3), "due", 0),       # ... on 3 February
    (D(2025, 2, 5), "overdue", 1),   # not agreed at it: late, and the line manager is told (docgen's default)
])
def test_stockports_record_is_agreed_at_the_next_supervision_not_within_five_days(
        uow: Any, team: dict[str, int], today: dt.date, state: str, escalated: int) -> None:
    stockport = load_profile("stockport")
    uow.session.get(Person, team["manager"]).line_manager_id = team["stranger"]
    session = D(2025, 1, 6)
    uow.session.add(Record(kind="line_management", supervisee_id=team["worker"], supervisor_id=team["manager"],
                           session_date=session, due_date=record_due_date(stockport, session),
                           next_supervision=D(2025, 2, 3), status="awaiting_supervisee"))
    uow.session.flush()

    [item] = [i for i in due_list(uow.session, stockport, today, supervisee_ids=frozenset({team["worker"]}))
              if i.kind == "signoff"]

    assert record_due_date(stockport, session) == D(2025, 1, 11)  # written within 5 (calendar) days
    assert (item.state, item.due_on) == (state, D(2025, 2, 3))
    assert deadlines.escalate(uow.session, stockport, today) == escalated


def test_the_citations_issue_23_found_saying_what_the_policy_does_not_now_say_what_it_does() -> None:
    """Issue 23, item 8. Lancashire's record form is docgen's own design: only its four areas come from
    L §3.2 ("The four key functions of supervision are"). Neither W §17 nor S App C names who signs the
    agreement, so both are docgen's default. K numbers no §5: the group rule cites K's list before §6,
    "Promote and encourage group/team supervision/action learning as a separate meeting in addition
    to 1-1 supervision"."""
    lancashire, knowsley = load_profile("lancashire"), load_profile("knowsley")
    assert is_default(lancashire.source("record_kinds.supervision"))
    assert lancashire.source("record_kinds.supervision.areas") == "L §3.2"
    assert "The four key functions of supervision are" in (lancashire.quote("record_kinds.supervision.areas") or "")
    for council in ("stockport", "southwark"):
        assert is_default(load_profile(council).source("signoff.agreement_signers")), council
    assert knowsley.source("groups") == "K (list before §6)"
    assert "separate meeting in addition to 1-1 supervision" in (knowsley.quote("groups") or "")
    for council in ("knowsley", "stockport", "southwark", "haringey", "lancashire"):
        profile = load_profile(council)
        assert all(profile.source(key) != "K §5" for key in profile.sources), council
