"""The rows of the due-items table (the compliance report's and the due list's), written by
`docgen.web.reports.due_rows` rather than cell by cell in the template (issue 26)."""
from __future__ import annotations

import datetime as dt

from docgen.web.typography import due_rows
from workflows.due_list import DueItem


def _item(label: str, due_on: dt.date, supervisor: str) -> DueItem:
    return DueItem("supervision", "overdue", due_on, label, 1, "Alex Morgan", 2 if supervisor else None,
                   supervisor, 3)


def test_each_row_names_the_supervisee_the_label_with_a_capital_the_supervisor_and_the_date() -> None:
    items = [_item("supervision overdue (due 1 April 2026)", dt.date(2026, 4, 1), "Sam Okafor"),
             _item("agreement review due 2 January 2024", dt.date(2024, 1, 2), ""),
             _item("record of 1 March 2026 to complete by 6 March 2026", dt.date(2026, 4, 1), "Sam Okafor")]
    assert due_rows(items) == [
        ("Alex Morgan", "Supervision overdue (due 1 April 2026)", "Sam Okafor", "1 April 2026"),
        ("Alex Morgan", "Agreement review due 2 January 2024", "None", "2 January 2024"),
        ("Alex Morgan", "Record of 1 March 2026 to complete by 6 March 2026", "Sam Okafor", "1 April 2026")]
