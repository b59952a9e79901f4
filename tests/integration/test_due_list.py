"""The organisation-wide due list over real databases (SQLite and PostgreSQL): which agreement
counts, which states or kinds are kept, and Stockport's NQSW reviews."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event

from storage.models import Agreement, Record
from workflows.compliance import AGREEMENT_GAPS
from workflows.due_list import due_list, due_summary
from workflows.profiles import load_profile

D = dt.date


@pytest.mark.parametrize("today,label", [
    (D(2024, 3, 8), None),                                  # more than 30 days before
    (D(2024, 3, 20), "3 months review due 8 April 2024"),     # shows 30 days ahead
    (D(2024, 4, 20), "3 months review due 8 April 2024"),     # and for 30 days after
    (D(2024, 6, 20), "6 months review due 8 July 2024"),
    (D(2024, 12, 20), "12 months review due 8 January 2025"),
])
def test_stockport_nqsw_reviews_fall_at_3_6_and_12_months(db: Any, org: Any, today: dt.date,
                                                           label: str | None) -> None:
    items = due_list(db, load_profile("stockport"), today, supervisee_ids=frozenset({org.ids["asye"]}))
    reviews = [i.label for i in items if i.kind == "review"]
    assert reviews == ([label] if label else [])



def test_due_list_uses_the_agreement_with_the_current_supervisor_only(db: Any, org: Any) -> None:
    profile = load_profile("knowsley")
    db.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                  session_date=D(2026, 3, 2), due_date=D(2026, 3, 9), status="signed"))
    db.add(Agreement(supervisee_id=org.ids["worker"], supervisor_id=org.ids["head"], status="signed",
                     started_on=D(2025, 6, 1), review_date=D(2026, 6, 1), fields={"frequency": "weekly"}))
    db.flush()
    [item] = [i for i in due_list(db, profile, D(2026, 3, 10), supervisee_ids=frozenset({org.ids["worker"]}))
              if i.kind == "supervision"]
    assert item.due_on == D(2026, 4, 2)  # weekly was agreed with someone else: the profile applies
    db.add(Agreement(supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"], status="signed",
                     started_on=D(2025, 7, 1), review_date=D(2026, 7, 1), fields={"frequency": "weekly"}))
    db.flush()
    [item] = [i for i in due_list(db, profile, D(2026, 3, 10), supervisee_ids=frozenset({org.ids["worker"]}))
              if i.kind == "supervision"]
    assert (item.due_on, item.state) == (D(2026, 3, 9), "overdue")



def test_due_list_keeps_only_the_states_asked_for_with_the_same_dates(db: Any, org: Any) -> None:
    profile = load_profile("knowsley")
    db.add(Record(kind="practitioner", supervisee_id=org.ids["worker"], supervisor_id=org.ids["manager"],
                  session_date=D(2026, 3, 2), due_date=D(2026, 3, 9), status="draft"))
    db.flush()
    everything = due_list(db, profile, D(2026, 3, 20))
    assert {i.state for i in everything} >= {"overdue", "upcoming"}
    for states in (("overdue",), ("due", "upcoming")):
        assert due_list(db, profile, D(2026, 3, 20), states=states) == [i for i in everything if i.state in states]


def test_a_caller_gets_the_whole_list_less_what_it_refuses_and_no_reminder_it_never_keeps_is_worked_out(
        db: Any, org: Any) -> None:
    """Kinds a caller refuses in every state are skipped before anyone's dates are worked out
    (the compliance report keeps no reviews or `also_due` items, which are never overdue), and
    the answer is still the whole list filtered, item for item."""
    profile = load_profile("stockport")
    today = D(2024, 4, 20)  # the NQSW's 3 months review is due
    everything = due_summary(db, profile, today).items
    assert {"review", "supervision"} <= {i.kind for i in everything}
    callers = {
        "compliance report": lambda kind, state: state == "overdue" or kind in AGREEMENT_GAPS,
        "due list, upcoming": lambda kind, state: state == "upcoming",
        "reviews only": lambda kind, state: kind == "review",
        "reminders refused": lambda kind, state: kind not in ("review", "reflective_1_1", "appraisal"),
    }
    read: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        read.append(statement)

    for caller, wanted in callers.items():
        read.clear()
        event.listen(db.get_bind(), "before_cursor_execute", count)
        try:
            kept = due_summary(db, profile, today, wanted=wanted).items
        finally:
            event.remove(db.get_bind(), "before_cursor_execute", count)
        assert kept == [i for i in everything if wanted(i.kind, i.state)], caller
        reviews_read = any("asye_support_entry" in statement for statement in read)
        assert reviews_read == (caller in ("due list, upcoming", "reviews only")), caller
