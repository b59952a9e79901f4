"""The days an input may name, where a day far outside working life is a typing mistake.

A supervision starting on 1 June 9999 is no one's plan, and a year later (its agreement's review
date) leaves the calendar: the date arithmetic then fails deep in a use case, a 500 instead of the
field named. So a day a move or a supervision starts from is refused at the input when it is more
than `AHEAD_YEARS` years after today (docgen's default: no policy dates supervision further ahead),
and a CPD piece's day when it is before `CPD_FLOOR` (SWE's register opened in December 2019, and
"1 1 1" read as the year 1 would be saved where no CPD year a page shows can hold it). Both are
refused naming the field, as every other input is (`workflows.inputs.validated`).
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator

from kernel import clock

AHEAD_YEARS = 5  # default: docgen — no policy plans a move or a supervision further ahead
CPD_FLOOR = dt.date(2000, 1, 1)  # default: docgen — before Social Work England (2019), well before any CPD kept here


def _within_reach(day: dt.date) -> dt.date:
    """`day`, unless it is more than `AHEAD_YEARS` years after today (calendar years: dateutil)."""
    if day > clock.today() + relativedelta(years=AHEAD_YEARS):
        raise ValueError(f"must be within {AHEAD_YEARS} years of today (a docgen default): "
                         "check the year")
    return day


def _not_before_floor(day: dt.date) -> dt.date:
    if day < CPD_FLOOR:
        raise ValueError(f"must be on or after {CPD_FLOOR:%-d %B %Y} (a docgen default): check the year")
    return day


Ahead = Annotated[dt.date, AfterValidator(_within_reach)]  # a day a move or a supervision starts or ends
CpdDay = Annotated[dt.date, AfterValidator(_not_before_floor)]  # the day a piece of CPD was done
