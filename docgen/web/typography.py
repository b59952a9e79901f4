"""How the pages write dates and document numbers, so every page writes them the same way.

Dates follow the GOV.UK style guide ("30 November 2026", no leading zero, no abbreviation);
document numbers ("R-000002") never break at their hyphen on a narrow screen.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import Flask
from markupsafe import Markup, escape

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


def init_typography(app: Flask) -> None:
    """Register the filters on the app's templates."""
    app.add_template_filter(govuk_date)
    app.add_template_filter(govuk_date_time)
    app.add_template_filter(unbroken_numbers)
