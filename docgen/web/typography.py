"""How the pages write dates, document numbers and due-item rows, so every page writes them the same way.

Dates follow the GOV.UK style guide ("30 November 2026", no leading zero, no abbreviation);
document numbers ("R-000002") never break at their hyphen on a narrow screen.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from flask import Flask
from markupsafe import Markup, escape

from workflows.due_list import DueItem

_NUMBER = re.compile(r"\b[A-Z]-\d{6}\b")


def govuk_date(day: dt.date | None, otherwise: str = "") -> str:
    """A date as GOV.UK writes it: "30 November 2026"; `otherwise` when there is none."""
    if day is None:
        return otherwise
    return f"{day.day} {day:%B %Y}"


def govuk_date_time(moment: dt.datetime | None, otherwise: str = "") -> str:
    """A moment as GOV.UK writes it: "30 November 2026 at 2:15pm"."""
    if moment is None:
        return otherwise
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{govuk_date(moment)} at {hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def unbroken_numbers(text: str) -> Markup:
    """Text with each document number wrapped so a line never breaks inside it ("R-/000002")."""
    return Markup(_NUMBER.sub(lambda m: f'<span class="app-document-number">{m.group(0)}</span>', str(escape(text))))


def due_rows(items: Iterable[DueItem]) -> list[tuple[str, str, str, str]]:
    """Due items as the rows of `reports/_due_items.html` (the compliance report's tables and the due list's):
    supervisee, what (its label with a capital), supervisor, due date. Written here, not cell by cell
    in the template, and each date once: an organisation's report lists thousands of items, which
    share a few hundred dates, and the template's own lookups were a third of the page's time."""
    dates: dict[dt.date, str] = {}
    rows = []
    for item in items:
        due = dates.get(item.due_on)
        if due is None:
            due = dates[item.due_on] = govuk_date(item.due_on)
        rows.append((item.supervisee_name, item.label[:1].upper() + item.label[1:], item.supervisor_name or "None",
                     due))
    return rows


def init_typography(app: Flask) -> None:
    """Register the filters on the app's templates."""
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_date_time)
    app.add_template_filter(unbroken_numbers)
    app.add_template_filter(due_rows)
