"""Break-glass is the profile's rule, not docgen's (issue 23, item 10): a senior manager outside the
line reads with a written reason only where the profile allows it (W §10: "There are exceptional
circumstances when senior managers at Director level may need access to supervision records on a need
to know basis"); Knowsley's and Lancashire's allow it as docgen's labelled default."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kernel.errors import Forbidden, NotFound
from storage.models import Organisation, Person
from workflows import access, accounts, people
from workflows.profiles import load_profile

REASON = "A complaint about the duty rota names this worker"


def director_reads(app: Any, org: Any, break_glass: bool, reason: str = REASON) -> access.Access:
    """A director outside Alex's line reads Alex's records under a profile that does or does not allow it."""
    with app.extensions["docgen"].sessions.begin() as db:
        organisation = db.get_one(Organisation, org.org.id)
        director = people.create_person(db, organisation, load_profile("knowsley"), {
            "name": "Dee Director", "email": "director@knowsley.example.org", "role": "head_of_service",
            "team_id": org.team.id, "employment_start": dt.date(2024, 1, 8)})
        account = accounts.create_account(db, director, "correct-horse-battery", ["senior_manager"])
        return access.read_access(db, account, db.get_one(Person, org.ids["worker"]), reason, break_glass=break_glass)


def test_a_senior_manager_breaks_glass_with_a_reason_where_the_profile_allows_it(app: Any, org: Any) -> None:
    knowsley = load_profile("knowsley")

    assert knowsley.break_glass and knowsley.source("break_glass").startswith("default: docgen")
    assert director_reads(app, org, knowsley.break_glass) == access.Access("break_glass", REASON)
    assert load_profile("southwark").source("break_glass") == "W §10"


def test_a_senior_manager_still_gives_a_reason_first(app: Any, org: Any) -> None:
    with pytest.raises(Forbidden):
        director_reads(app, org, load_profile("knowsley").break_glass, reason="")


def test_a_profile_without_break_glass_shows_a_senior_manager_outside_the_line_nothing(app: Any, org: Any) -> None:
    closed = load_profile("knowsley").model_copy(update={"break_glass": False})

    with pytest.raises(NotFound):
        director_reads(app, org, closed.break_glass)
