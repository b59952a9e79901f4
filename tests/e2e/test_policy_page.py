"""The administrator's policy page lists every rule the council's profile holds, each with where it
comes from: the council's section and the policy's own words, or docgen's labelled default (issue
23: "Every rule docgen applies moves into the profile with a citation or a labelled default, and so
appears on the policy page")."""
from __future__ import annotations

import dataclasses
import html
import re
from typing import Any

import pytest

from kernel.config import Config
from tests.e2e.test_web_pages import HTML, sign_in, text
from workflows import profile_sources
from workflows.profiles import Profile, load_profile

COUNCILS = ["knowsley", "stockport", "southwark", "haringey", "lancashire"]
CITED = re.compile(r'<span class="govuk-body-s" data-source="([^"]+)">(.*?)</span>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(params=COUNCILS)
def profile_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def config(config: Config, profile_name: str) -> Config:
    return dataclasses.replace(config, profile=profile_name)


def rule_keys(profile: Profile) -> list[str]:
    """Every rule value's dotted key, as the profile file names it (a period is written as its text)."""
    return [key.removesuffix(".text") for key in profile_sources.rule_keys(profile.model_dump())]


def shown_sources(page: str) -> dict[str, str]:
    """Each citation the page shows, by the dotted key it stands beside, as a reader sees it."""
    return {key: " ".join(html.unescape(TAG.sub("", body)).split()) for key, body in CITED.findall(page)}


def test_the_policy_page_shows_every_rule_of_the_profile_with_its_source(client: Any, org: Any,
                                                                         profile_name: str) -> None:
    profile = load_profile(profile_name)
    sign_in(client, "admin")

    shown = shown_sources(text(client.get("/admin/policy", headers=HTML)))

    missing = []
    for key in rule_keys(profile):
        # the rule's own row, or the row of the mapping holding it when that citation is the one that applies
        nearest = next((".".join(key.split(".")[:end]) for end in range(key.count(".") + 1, 0, -1)
                        if ".".join(key.split(".")[:end]) in shown), None)
        if nearest is None or profile.source(nearest) != profile.source(key):
            missing.append(key)
            continue
        words = profile.quote(key)
        source = profile.source(key)
        why = profile_sources.reason(source)
        cited = f"Why: {why[:1].upper()}{why[1:]}" if profile_sources.is_default(source) else f"Source: {source}"
        expected = cited + (f": {' '.join(words.split())}" if words else "")
        assert expected in shown[nearest], key
        assert shown[nearest].startswith("docgen default") == profile_sources.is_default(profile.source(key)), key
    assert not missing, f"rules not on the policy page with their source: {missing}"


def test_the_policy_page_shows_whether_a_record_may_be_finalised_over_a_disagreement(client: Any, org: Any,
                                                                                      profile_name: str) -> None:
    sign_in(client, "admin")

    page = text(client.get("/admin/policy", headers=HTML))

    if load_profile(profile_name).signoff.finalise_over_disagreement:  # W §10: "what has been agreed (or not)"
        assert "Yes: the supervisor may finalise a record the supervisee disagrees with" in page
    else:  # K §9 "signed by both", S 12.3 "must always be agreed by both", H §9
        assert "Only once the disagreement route records its outcome" in page


def test_the_policy_page_labels_what_docgen_adds_to_the_councils_forms(client: Any, org: Any,
                                                                       profile_name: str) -> None:
    """S App A and B end at "Date of next supervision" and "Time": the summary of actions, the
    signatures and Knowsley's closing line are docgen's. K App B asks only "Was the supervisee happy
    with the record of the previous supervision?" and gives no date of next supervision."""
    profile = load_profile(profile_name)
    sign_in(client, "admin")

    page = html.unescape(text(client.get("/admin/policy", headers=HTML)))

    for key, kind in profile.record_kinds.items():
        if kind.definition.additions:
            label = (f'<p class="govuk-body" data-additions="{key}"><strong class="govuk-tag govuk-tag--yellow">'
                     f'docgen default</strong> docgen adds to {kind.definition.source}: '
                     f'{"; ".join(kind.definition.additions)}.</p>')
            assert label in page, key
    if profile_name == "stockport":
        assert "docgen adds to S App A: Summary of Actions & Progress; Signatures; Knowsley's closing line" in page
    if profile_name == "knowsley":
        assert ("docgen adds to K App B: Comments on the record of the previous supervision; "
                "Date of next supervision.") in page
