"""Dates and document numbers written one way on every page."""
from __future__ import annotations

import datetime as dt

from docgen.web.typography import govuk_date, govuk_date_time, unbroken_numbers


def test_dates_are_written_in_the_govuk_style_without_leading_zeros() -> None:
    assert govuk_date(dt.date(2026, 11, 7)) == "7 November 2026"
    assert govuk_date(None, "Not set") == "Not set"
    assert govuk_date_time(dt.datetime(2026, 11, 30, 14, 5)) == "30 November 2026 at 2:05pm"
    assert govuk_date_time(dt.datetime(2026, 11, 30, 9, 0)) == "30 November 2026 at 9am"


def test_a_document_number_never_breaks_at_its_hyphen_and_text_stays_escaped() -> None:
    assert str(unbroken_numbers("Supervision record R-000002 <b>")) == (
        'Supervision record <span class="app-document-number">R-000002</span> &lt;b&gt;')
