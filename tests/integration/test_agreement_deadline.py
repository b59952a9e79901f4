"""A new agreement's pre-filled record deadline is its own council's (issue 23, item 9): Knowsley's
"Records should be completed within 5 working days" (K §9) is Knowsley's alone. Stockport records
"within 5 days" and has them "formally agreed at the next supervision" (S 13.1); Southwark and
Haringey set no record deadline."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from storage.models import Person
from workflows import agreements
from workflows.profiles import load_profile


def prefilled_expectations(app: Any, org: Any, profile_name: str) -> str:
    """The supervisor's expectations a new agreement starts from under the council's profile."""
    with app.extensions["docgen"].sessions.begin() as db:
        worker, manager = db.get_one(Person, org.ids["worker"]), db.get_one(Person, org.ids["manager"])
        agreement = agreements.create_agreement(db, load_profile(profile_name), worker, manager, dt.date(2027, 1, 4))
        return str(agreement.fields["supervisor_expectations"])


def test_knowsleys_agreement_asks_the_supervisor_to_complete_the_record_within_5_working_days(app: Any,
                                                                                             org: Any) -> None:
    assert "complete it within 5 working days" in prefilled_expectations(app, org, "knowsley")
    assert load_profile("knowsley").quote("agreement_defaults.supervisor_expectations") == (
        "Records should be completed within 5 working days.")


@pytest.mark.parametrize("profile_name", ["southwark", "haringey"])
def test_an_agreement_where_the_policy_sets_no_record_deadline_does_not_say_5_working_days(
        app: Any, org: Any, profile_name: str) -> None:
    expectations = prefilled_expectations(app, org, profile_name)

    assert "working days" not in expectations and "record supervision accurately." in expectations
    assert load_profile(profile_name).source("agreement_defaults.supervisor_expectations").startswith("default: docgen")


def test_stockports_agreement_wording_counts_5_days_agreed_at_the_next_supervision() -> None:
    profile = load_profile("stockport")

    assert profile.agreement_defaults.supervisor_expectations.endswith(
        "within 5 days, and agree it at the next supervision.")
    assert profile.source("agreement_defaults.supervisor_expectations").startswith("S 13.1")
