"""A small profile and an old one: the blocks a council may leave out take docgen's labelled
defaults, the profile's format is checked by its version, a key of the last format says what
replaced it, and `docgen profile check` prints a bad profile's problems as startup does."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.main import cli
from kernel.errors import ProfileError
from tests.e2e.test_small_profile import EASTVALE
from tests.unit.test_profiles import EXAMPLE_DIR
from workflows.due_dates import first_year
from workflows.profiles import OPTIONAL_KEYS, load_profile, load_profile_file


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eastvale.yaml"
    path.write_text(text)
    return path


def _problems(caught: pytest.ExceptionInfo[ProfileError]) -> list[str]:
    return [line.strip() for line in str(caught.value.message).splitlines()[1:]]


@pytest.mark.parametrize("block", sorted(OPTIONAL_KEYS))
def test_a_block_left_out_takes_docgens_default_cited_with_its_label(tmp_path: Path, block: str) -> None:
    profile = load_profile_file(_write(tmp_path, EASTVALE))
    assert profile.source(block) == OPTIONAL_KEYS[block].label
    assert profile.source(block).startswith("default: docgen — ")
    assert profile.quote(block) is None


def test_docgens_default_blocks_are_the_rules_a_council_would_otherwise_write(tmp_path: Path) -> None:
    profile = load_profile_file(_write(tmp_path, EASTVALE))
    assert profile.disagreement.resolve_within.text == "1 month" and profile.disagreement.three_way_meeting
    assert profile.quality_audit.every.text == "3 months" and profile.quality_audit.per_supervisor == 1
    assert not profile.consent.outside_line and not profile.consent.manager_override
    assert profile.groups.every is None and profile.groups.record_form == "group_plain"


def test_a_block_the_council_writes_keeps_its_own_citation(tmp_path: Path) -> None:
    written = EASTVALE.replace("sources:\n", "quality_audit: {per_supervisor: 2, every: 6 months}\nsources:\n", 1)
    written += '  quality_audit: {section: "E 11", quote: "Two records of each supervisor every six months."}\n'
    profile = load_profile_file(_write(tmp_path, written))
    assert profile.source("quality_audit") == "E 11" and profile.quality_audit.per_supervisor == 2


def test_a_profile_of_another_format_version_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_write(tmp_path, EASTVALE.replace("profile_version: 2", "profile_version: 3")))
    assert _problems(caught) == ["profile_version: 3 is not a format this docgen reads: it reads 2 (docs/PROFILES.md)"]


def test_a_profile_without_its_version_is_told_it_is_required(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_write(tmp_path, EASTVALE.replace("profile_version: 2\n", "")))
    assert _problems(caught) == ["profile_version: required key is missing"]


def test_the_last_formats_keys_each_say_what_replaced_them_and_nothing_else_is_said(tmp_path: Path) -> None:
    last_format = EASTVALE.replace("profile_version: 2\n", "").replace(
        "    form: practitioner\n", "    template: practitioner.docx\n    actions_section: 4\n")
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_write(tmp_path, last_format))
    problems = _problems(caught)
    assert len(problems) == 2
    assert problems[0].startswith("record_kinds.supervision.template: replaced in profile format 2 by `form`, "
                                  "one of docgen's forms (workflows/forms.py: ")
    assert problems[1] == ("record_kinds.supervision.actions_section: replaced in profile format 2 by `form`: "
                           "the form says which section holds the actions")


def test_profile_check_prints_every_problem_one_line_each_and_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path, EASTVALE.replace("keep_for: 6 years", "keep_for: forever")
                  .replace("planning_horizon: 3 months", "planning_horizon: soon"))
    result = CliRunner().invoke(cli, ["profile", "check", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"docgen: {path}: 2 problems:",
        "  planning_horizon: Value error, 'soon' is not a period like '6 weeks' or '1 month'",
        "  retention.keep_for: Value error, 'forever' is not a period like '6 weeks' or '1 month'"]
    assert result.stdout == ""


def test_a_new_starters_first_year_follows_the_phases_with_reviews_and_what_else_is_due() -> None:
    northshire = load_profile("northshire", (EXAMPLE_DIR,))
    year = first_year(northshire, "asye", dt.date(2027, 1, 4))
    supervision = [item.on for item in year if item.what == "supervision"]
    assert supervision[:6] == [dt.date(2027, 1, 11), dt.date(2027, 1, 18), dt.date(2027, 1, 25),
                               dt.date(2027, 2, 1), dt.date(2027, 2, 15), dt.date(2027, 3, 1)]  # N §6
    assert [item for item in year if item.what != "supervision"] == [
        (dt.date(2027, 4, 4), "3 months review"), (dt.date(2027, 5, 4), "Direct observation of practice"),
        (dt.date(2027, 7, 4), "6 months review"), (dt.date(2027, 9, 4), "Direct observation of practice"),
        (dt.date(2028, 1, 4), "Direct observation of practice"), (dt.date(2028, 1, 4), "agreement review")]
