"""Every council citation in the built-in profiles carries the policy's own words, and those words
are in the council's policy (issue 23, item 1): a rule that cites a section which does not say it
fails here, naming the profile and the key.

The policies' texts are copies of the project's sources (`tests/policies/`, README there), so a
clone alone checks them; where the sources (`../shared/seeds/`) sit beside the checkout, the copies
must be identical to them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from workflows.profile_sources import Citation, plain, quoted_in
from workflows.profiles import load_profile

POLICIES = Path(__file__).resolve().parents[1] / "policies"
SOURCES = Path(__file__).resolve().parents[3] / "shared" / "seeds"  # beside the checkout, where there is one
POLICY_TEXT = {"K": "000_705786161ee73607.txt", "S": "001_1216f55f16d758c1.txt", "W": "002_bf6f72f8613ec071.txt",
               "H": "003_b3a0402c6d3b037e.txt", "L": "004_4fc7eb6a68fb9c70.txt"}  # seeds/README.md
COUNCILS = ["knowsley", "stockport", "southwark", "haringey", "lancashire"]


def _policy(letter: str) -> str:
    return plain((POLICIES / POLICY_TEXT[letter]).read_text(encoding="utf-8"))


def _quotes(name: str) -> dict[str, Citation]:
    return {key: cited for key, cited in load_profile(name).sources.items() if isinstance(cited, Citation)}


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the project's sources are not beside this checkout")
@pytest.mark.parametrize("letter", sorted(POLICY_TEXT))
def test_the_policies_the_tests_read_are_the_projects_sources_unchanged(letter: str) -> None:
    copy, source = POLICIES / POLICY_TEXT[letter], SOURCES / POLICY_TEXT[letter]
    assert copy.read_bytes() == source.read_bytes(), f"{copy} differs from {source}: copy it again"


@pytest.mark.parametrize("name", COUNCILS)
def test_every_quote_in_a_built_in_profile_is_found_in_its_councils_policy(name: str) -> None:
    policy = _policy(load_profile(name).policy_ref)

    missing = [f"{name}: sources.{key}: {cited.section}: '{cited.quote}'"
               for key, cited in _quotes(name).items() if not quoted_in(cited.quote, policy)]

    assert not missing, "quotes not found in the council's policy:\n" + "\n".join(missing)


@pytest.mark.parametrize("name", COUNCILS)
def test_every_council_citation_in_a_built_in_profile_carries_a_quote(name: str) -> None:
    profile = load_profile(name)

    assert _quotes(name)
    assert all(isinstance(cited, Citation) or cited.startswith("default: docgen")
               for cited in profile.sources.values())


def test_a_quote_is_found_whatever_its_typography_emphasis_or_left_out_words() -> None:
    policy = plain("**5.13** LCC’s [performance engagement process](#) *is about* managers —\n"
                   "<b>having</b>   “quality conversations”")

    assert quoted_in("LCC's performance engagement process is about managers - having \"Quality conversations\"",
                     policy)
    assert quoted_in("LCC’s performance … quality conversations", policy)
    assert not quoted_in("quality conversations … LCC’s performance", policy)  # left-out words keep the order
