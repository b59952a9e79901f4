"""Which roles are on Social Work England's register (`roles.<key>.swe_registered`), as the policy
page shows it for each built-in profile, on SQLite and PostgreSQL: only those roles are sent the CPD
renewal reminder (`workflows.cpd`), and the built-in profiles' choice is labelled docgen's default."""
from __future__ import annotations

import re
from typing import Any

from tests.e2e.test_policy_page import config, profile_name  # noqa: F401  (each council's profile)
from tests.e2e.test_web_pages import HTML, sign_in, text
from workflows.profiles import load_profile


def test_the_policy_page_says_of_each_role_whether_it_is_on_the_register_and_why(client: Any, org: Any,
                                                                                 profile_name: str) -> None:
    profile = load_profile(profile_name)
    sign_in(client, "admin")

    page = text(client.get("/admin/policy", headers=HTML))

    for key, role in profile.roles.items():
        said = re.search(rf'data-swe-registered="{key}">([^<]*)<', page)
        assert said is not None, key
        assert said.group(1).startswith("On " if role.swe_registered else "Not on "), key
        if role.swe_registered:  # its own citation, docgen's default, beside it
            assert f'data-source="roles.{key}.swe_registered"' in page, key
    assert profile.roles["student"].swe_registered is False
