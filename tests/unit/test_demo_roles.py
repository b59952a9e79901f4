"""The demo's people take a profile's roles by what they do, so `docgen init --demo` runs on any
council's profile and says whom it could not place."""
from __future__ import annotations

from workflows.demo import STAFF, map_roles
from workflows.profiles import load_profile


def test_knowsleys_demo_keeps_each_persons_own_role() -> None:
    placed = map_roles(load_profile("knowsley"))
    assert placed.unmapped == []
    assert placed.roles == {"head": "head_of_service", "manager": "team_manager", "worker": "social_worker",
                            "jordan": "social_worker", "chris": "social_worker", "asye": "asye",
                            "taylor": "personal_advisor", "morgan": "family_support_worker", "hr": "hr_officer",
                            "auditor": "quality_auditor", "admin": "administrator"}


def test_a_profile_without_a_role_gives_its_person_another_and_says_so() -> None:
    lancashire = load_profile("lancashire")
    placed = map_roles(lancashire)
    assert placed.roles["head"] == "senior_manager" and placed.roles["morgan"] == "practitioner"
    assert placed.roles["taylor"] == placed.roles["worker"] == "social_worker"
    assert placed.unmapped == ["Personal Advisor: no such role in profile 'lancashire'; given "
                               "'Qualified social worker' instead"]


def test_every_demo_person_is_placed_in_every_built_in_profile() -> None:
    for name in ("knowsley", "stockport", "southwark", "haringey", "lancashire"):
        profile = load_profile(name)
        placed = map_roles(profile).roles
        assert set(placed) == {row[0] for row in STAFF}
        for role in placed.values():
            profile.check_role(role)
