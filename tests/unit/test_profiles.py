"""Policy profiles load as data, a council's own folder comes first, and a bad one fails naming its key."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from kernel.errors import InvalidInput, ProfileError
from storage.models import Organisation, Person
from workflows import demo, forms
from workflows.profile_sources import Citation
from workflows.profiles import PROFILE_DIR, load_profile, load_profile_file, profile_dirs


COUNCILS = ["knowsley", "stockport", "southwark", "haringey", "lancashire"]


@pytest.mark.parametrize("name", COUNCILS)
def test_each_council_profile_loads_with_every_rule_cited(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.signoff.link_expiry_days == 14
    for key, role in profile.roles.items():
        assert role.record_kind in profile.record_kinds
        assert profile.source(f"roles.{key}.frequency")
    assert profile.source("retention.keep_for") and profile.source("record_days")


def test_knowsley_asye_phases_follow_the_policy() -> None:
    phases = load_profile("knowsley").roles["asye"].frequency
    assert [(p.every.text, p.until.text if p.until else None) for p in phases] == [
        ("1 week", "6 weeks"), ("2 weeks", "6 months"), ("1 month", None)]


def test_knowsley_record_kinds_carry_the_appendix_areas() -> None:
    kinds = load_profile("knowsley").record_kinds
    assert kinds["practitioner"].actions_section == 4 and kinds["team_manager"].actions_section == 5
    assert [a.title for a in kinds["practitioner"].areas][0] == "Learning and Development"
    assert "Budget & financial management" in [a.title for a in kinds["service_manager"].areas]


def test_stockport_names_its_own_line_management_form() -> None:
    profile = load_profile("stockport")
    assert profile.record_kinds[profile.roles["social_worker"].record_kind].template == "stockport_line_management.docx"
    assert [r.text for r in profile.roles["asye"].reviews] == ["3 months", "6 months", "12 months"]


def test_haringey_records_need_only_the_supervisor_but_agreements_both() -> None:
    signoff = load_profile("haringey").signoff
    assert signoff.record_signers == ["supervisor"] and signoff.agreement_signers == ["supervisee", "supervisor"]


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "knowsley.yaml").write_text((PROFILE_DIR / "knowsley.yaml").read_text())
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,key", [
    ("extends: knowsley\nname: bad\nretention: {hr_forward_after: soon, keep_for: 7 years}\n", "retention.hr_forward_after"),
    ("extends: knowsley\nname: bad\nsignoff: {link_expiry_dayz: 3}\n", "signoff.link_expiry_dayz"),
    ("extends: knowsley\nname: bad\nroles: {asye: {label: A, record_kind: nosuch, frequency: [{every: 1 week}]}}\n", "roles"),
    ("extends: knowsley\nname: bad\nroles: {asye: {label: A, record_kind: practitioner, frequency: []}}\n",
     "roles.asye.frequency"),
    ("extends: nowhere\nname: bad\n", "extends"),
])
def test_bad_profile_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_write(tmp_path, text))
    assert key in str(caught.value)


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match="knowsley"):
        load_profile("atlantis")


def test_unknown_role_names_the_role_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_profile("knowsley").role("wizard")
    assert caught.value.field == "role"


@pytest.mark.parametrize("name", ["knowsley", "stockport", "southwark", "haringey"])
def test_staff_outside_supervision_have_a_role_of_their_own_with_no_record_or_frequency(name: str) -> None:
    profile = load_profile(name)

    assert profile.label("hr_officer") == "HR officer" and profile.label("social_worker") != "HR officer"
    profile.check_role("hr_officer")  # a person may hold it
    with pytest.raises(InvalidInput, match="outside supervision") as caught:
        profile.role("hr_officer")  # but it has no record kind or frequency to look up
    assert caught.value.field == "role"
    assert "hr_officer" not in profile.roles  # so due lists and the compliance report pass them by


def test_the_demos_hr_officer_auditor_and_administrator_are_not_social_workers(uow: Any) -> None:
    org = Organisation(name="Knowsley Council", profile="knowsley")
    uow.session.add(org)
    uow.session.flush()
    profile = load_profile("knowsley")

    demo.seed_demo(uow.session, org, profile)

    staff = {p.email.split("@")[0]: profile.label(p.role) for p in uow.session.scalars(select(Person))}
    assert staff["hr"] == "HR officer" and staff["auditor"] == "Quality assurance auditor"
    assert staff["admin"] == "System administrator"
    assert staff["worker"] == "Qualified social worker"


# --- a council's own profiles (DOCGEN_PROFILE_DIR) ------------------------------------------

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "docs" / "example-profile"
NORTHSHIRE = (EXAMPLE_DIR / "northshire.yaml").read_text()  # the documented example (docs/PROFILES.md)


def test_councils_own_file_is_used_before_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "knowsley.yaml").write_text(
        "extends: knowsley\npolicy_ref: K\nsignoff: {link_expiry_days: 7}\n"
        "sources: {signoff.link_expiry_days: 'default: docgen — shorter links, the council IT asks'}\n")

    own = load_profile("knowsley", profile_dirs(tmp_path))

    assert own.signoff.link_expiry_days == 7
    assert own.roles == load_profile("knowsley").roles  # the rest is still Knowsley's policy
    assert load_profile("knowsley").signoff.link_expiry_days == 14


EASTSHIRE_12 = {"section": "E §12", "quote": "records are sent to HR three months after they leave"}


def _extending_stockport(sources: dict[str, Any]) -> str:
    return yaml.safe_dump({"extends": "stockport", "name": "eastshire", "council": "Eastshire Council",
                           "policy_ref": "E", "retention": {"hr_forward_after": "3 months", "keep_for": "6 years"},
                           "sources": sources}, allow_unicode=True)


def test_councils_new_profile_extends_a_built_in_one_citing_its_own_policy_throughout(tmp_path: Path) -> None:
    own = {key: {"section": "E §1", "quote": "supervised monthly"}
           for key, cited in load_profile("stockport").sources.items() if isinstance(cited, Citation)}
    (tmp_path / "eastshire.yaml").write_text(_extending_stockport(own))

    profile = load_profile("eastshire", profile_dirs(tmp_path))

    assert (profile.name, profile.council) == ("eastshire", "Eastshire Council")
    assert (profile.retention.hr_forward_after.text, profile.retention.keep_for.text) == ("3 months", "6 years")
    assert profile.record_kinds == load_profile("stockport").record_kinds
    assert profile.source("retention.keep_for") == "E §1"


def test_extending_another_councils_profile_cannot_carry_its_rules_silently(tmp_path: Path) -> None:
    (tmp_path / "eastshire.yaml").write_text(_extending_stockport({"retention": EASTSHIRE_12}))

    with pytest.raises(ProfileError) as caught:
        load_profile("eastshire", profile_dirs(tmp_path))

    problems = _problems(caught)
    assert ("roles.asye: inherits 'S §10' from 'stockport', another council's policy: cite E's own section in "
            "`sources`, or label it 'default: docgen — <why>'") in problems
    assert not any(p.startswith("retention") for p in problems)  # re-cited, so not refused
    assert not any("default: docgen —" in p.split(": inherits")[-1][:20] for p in problems)  # defaults carry over


def test_a_value_changed_under_an_inherited_citation_must_be_cited_again(tmp_path: Path) -> None:
    (tmp_path / "knowsley.yaml").write_text("extends: knowsley\npolicy_ref: K\nsignoff: {link_expiry_days: 7}\n")

    with pytest.raises(ProfileError) as caught:
        load_profile("knowsley", profile_dirs(tmp_path))

    assert _problems(caught) == ["signoff.link_expiry_days: changed here, but its source 'default: docgen — how long "
                                 "an e-mailed sign-off link stays valid' is inherited from 'knowsley': cite it again"]
    assert caught.value.field == "signoff.link_expiry_days"


def test_a_citation_of_a_whole_section_does_not_cover_a_change_the_parent_cites_more_closely(tmp_path: Path) -> None:
    """Haringey cited `roles` as H §1 but changed the managers' frequency, which Knowsley cites
    key by key: the page showed Knowsley's default text beside Haringey's value."""
    (tmp_path / "knowsley.yaml").write_text(
        "extends: knowsley\npolicy_ref: K\nroles:\n  team_manager: {frequency: [{every: 4 weeks}]}\n"
        "sources:\n  roles: {section: \"K §6\", quote: \"Qualified social workers: Minimum monthly supervision\"}\n")

    with pytest.raises(ProfileError) as caught:
        load_profile("knowsley", profile_dirs(tmp_path))

    assert _problems(caught) == ["roles.team_manager: changed here, but its source 'default: docgen — K §6 sets no "
                                 "frequency for managers; monthly as its other roles' is inherited from 'knowsley': "
                                 "cite it again"]


RECORD_DAYS = '  record_days: {section: "K §9", quote: "Records should be completed within 5 working days."}'
NO_QUOTE = ("sources.record_days: 'K §9' has no quote: write {section: 'K §9', quote: '<the policy's words for this "
            "rule>'}, copied from the policy")


@pytest.mark.parametrize("change,problem", [
    ((RECORD_DAYS, "  # no source for record_days"),
     "record_days: no source: cite the policy's section (e.g. 'K §9') in `sources`, or 'default: docgen — <why>'"),
    ((RECORD_DAYS, '  record_days: {section: "S 13.1", quote: "within 5 days"}'),
     "sources.record_days: 'S 13.1' cites another council's policy; this profile's is 'K'"),
    ((RECORD_DAYS, "  record_days: \"default: docgen\""),
     "sources.record_days: a default must give its reason: 'default: docgen — <why>'"),
    ((RECORD_DAYS, RECORD_DAYS + "\n" + RECORD_DAYS.replace("record_days", "record_dayz")),
     "sources.record_dayz: cites a key the profile does not have"),
    (("policy_ref: K ", "policy_ref: N "),
     "sources.record_days: 'K §9' cites another council's policy; this profile's is 'N'"),
    ((RECORD_DAYS, '  record_days: "K §9"'), NO_QUOTE),
    ((RECORD_DAYS, '  record_days: {section: "K §9"}'), NO_QUOTE),
    ((RECORD_DAYS, '  record_days: {section: "K §9", quote: "within 5 working days", page: 4}'),
     "sources.record_days: unknown key page: a citation is {section: 'K §9', quote: '<the policy's words>'}"),
])
def test_a_rule_without_a_proper_source_is_refused_with_its_key(tmp_path: Path, change: tuple[str, str],
                                                                 problem: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_standalone(tmp_path, change))

    assert problem in _problems(caught)


def test_a_citation_may_name_any_section_as_the_council_numbers_it(tmp_path: Path) -> None:
    """'N 5' and 'N App 1' are sections as a council may number them, not malformed citations."""
    (tmp_path / "northshire-policy.txt").write_text((EXAMPLE_DIR / "northshire-policy.txt").read_text())
    (tmp_path / "northshire.yaml").write_text(
        NORTHSHIRE.replace('{section: "N §5"', '{section: "N 5"').replace('{section: "N App A"', '{section: "N App 1"'))

    profile = load_profile("northshire", profile_dirs(tmp_path))

    assert (profile.source("roles.social_worker"), profile.source("record_kinds.supervision")) == ("N 5", "N App 1")


def test_a_sections_quote_stays_its_own_when_it_re_cites_a_parents_key(tmp_path: Path) -> None:
    """A citation is replaced whole: a council re-citing a key never keeps the parent's quote."""
    (tmp_path / "knowsley.yaml").write_text(
        "extends: knowsley\npolicy_ref: K\nsources:\n  record_days: {section: \"K §9\"}\n")

    with pytest.raises(ProfileError) as caught:
        load_profile("knowsley", profile_dirs(tmp_path))

    assert _problems(caught) == [NO_QUOTE]


def test_bad_key_in_a_councils_file_is_named_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "northshire.yaml").write_text(NORTHSHIRE.replace("signoff:\n", "signoff:\n  link_expiry_dayz: 7\n", 1))

    with pytest.raises(ProfileError) as caught:
        load_profile("northshire", profile_dirs(tmp_path))

    assert "signoff.link_expiry_dayz" in str(caught.value)
    assert str(tmp_path / "northshire.yaml") in str(caught.value)


def test_a_key_written_twice_is_refused_naming_it(tmp_path: Path) -> None:
    """Plain YAML keeps the second silently: a rule restated lower down would hide the first."""
    (tmp_path / "northshire.yaml").write_text(NORTHSHIRE + "signoff: {link_expiry_days: 7}\n")

    with pytest.raises(ProfileError) as caught:
        load_profile("northshire", profile_dirs(tmp_path))

    assert f"line {NORTHSHIRE.count(chr(10)) + 1}: the key 'signoff' is written twice" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert str(tmp_path / "northshire.yaml") in str(caught.value)


def test_unknown_profile_lists_the_councils_own_and_the_built_in_ones(tmp_path: Path) -> None:
    (tmp_path / "northshire.yaml").write_text(NORTHSHIRE)

    with pytest.raises(ProfileError, match="known: haringey, knowsley, lancashire, northshire, southwark, stockport"):
        load_profile("atlantis", profile_dirs(tmp_path))


def test_mistyped_council_profile_folder_is_refused_not_passed_over(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="does not exist") as caught:
        load_profile("knowsley", profile_dirs(tmp_path / "profiels"))
    assert caught.value.field == "profile_dir"


# --- every bad key, as the user typed it ------------------------------------------------------

def _standalone(tmp_path: Path, change: tuple[str, str]) -> Path:
    """Knowsley's profile written out whole (no `extends`), with one line changed."""
    text = (PROFILE_DIR / "knowsley.yaml").read_text()
    assert change[0] in text
    path = tmp_path / "northshire.yaml"
    path.write_text(text.replace(change[0], change[1], 1))
    return path


def _problems(caught: pytest.ExceptionInfo[ProfileError]) -> list[str]:
    """The lines under the file's name, one per bad key."""
    return [line.strip() for line in str(caught.value).splitlines()[1:]]


def test_every_bad_key_is_listed_not_only_the_first(tmp_path: Path) -> None:
    path = _write(tmp_path, "extends: knowsley\nname: bad\nrecord_dayz: 4\n"
                            "signoff: {link_expiry_dayz: 3, reminder_days: [2, soon]}\n"
                            "retention: {hr_forward_afer: 6 months, keep_for: 7 years}\n"
                            "roles: {asye: {label: A, record_kind: practitioner, frequncy: [{every: 1 week}]}}\n")

    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)

    assert str(caught.value).startswith(f"{path}: 5 problems:")
    assert sorted(_problems(caught)) == sorted([
        "record_dayz: unknown key; did you mean 'record_days'?",
        "signoff.link_expiry_dayz: unknown key; did you mean 'link_expiry_days'?",
        "signoff.reminder_days.1: Input should be a valid integer, unable to parse string as an integer",
        "retention.hr_forward_afer: unknown key; did you mean 'hr_forward_after'?",
        "roles.asye.frequncy: unknown key; did you mean 'frequency'?",
    ])


@pytest.mark.parametrize("line,typed,where", [
    ("council: Knowsley Council", "counsil: Knowsley Council", "counsil"),
    ("  keep_for: 7 years", "  keep_fro: 7 years", "retention.keep_fro"),
])
def test_misspelt_required_key_is_named_as_typed_not_reported_missing(tmp_path: Path, line: str, typed: str,
                                                                      where: str) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_standalone(tmp_path, (line, typed)))

    [problem] = _problems(caught)
    correct = line.split(":")[0].strip()
    assert problem == f"{where}: unknown key; did you mean '{correct}'?"
    assert caught.value.field == where
    assert "missing" not in str(caught.value) and "Field required" not in str(caught.value)


def test_unknown_key_like_no_other_lists_the_keys_allowed_there(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_write(tmp_path, "extends: knowsley\nname: bad\nsignoff: {colour: blue}\n"))

    [problem] = _problems(caught)
    assert problem.startswith("signoff.colour: unknown key (allowed here: record_signers, agreement_signers,")


def test_a_key_left_out_is_reported_missing(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_standalone(tmp_path, ("council: Knowsley Council\n", "")))

    assert _problems(caught) == ["council: required key is missing"]


def test_misspelt_extends_is_suggested_too(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile_file(_write(tmp_path, "extend: knowsley\nname: bad\n"))

    assert "extend: unknown key; did you mean 'extends'?" in _problems(caught)


@pytest.mark.parametrize("name", ["southwark", "lancashire"])
def test_knowsleys_agreement_form_serves_a_council_without_one_only_as_docgens_labelled_default(name: str) -> None:
    """K App A is Knowsley's: "Appendix A: Supervision Agreement Template". W and L give no form
    (H neither: its agreement is K App A's fields with H §9's cover for absences, `test_left_out_rules`)."""
    profile = load_profile(name)

    assert profile.agreement_form == "knowsley_agreement"
    assert profile.source("agreement_form").startswith("default: docgen — ")
    assert load_profile("knowsley").source("agreement_form") == "K App A"
    assert load_profile("stockport").agreement.source == "S App C"


def test_the_agreement_form_and_session_length_are_read_from_the_profile_file(tmp_path: Path) -> None:
    path = tmp_path / "northbury.yaml"
    path.write_text(
        "extends: lancashire\nname: northbury\nprofile_version: 2\ncouncil: Northbury\npolicy_ref: L\n"
        "agreement_form: stockport_agreement\nsession_minutes: 45\n"
        "sources:\n  agreement_form: 'default: docgen — a test'\n  session_minutes: 'default: docgen — a test'\n")

    profile = load_profile_file(path)

    assert profile.agreement.source == "S App C" and profile.session_minutes == 45


@pytest.mark.parametrize("name", ["knowsley", "stockport", "haringey", "lancashire"])
def test_a_group_record_is_written_and_signed_off_by_its_facilitator_only_as_docgens_labelled_default(name: str) -> None:
    """Only W §8 names who records a group ("Practice Co-ordinators will make a record and Advanced
    Practitioners will sign them off"); elsewhere the facilitator does both, as docgen's default."""
    profile = load_profile(name)

    assert profile.groups.recorder_role is None and profile.groups.signer_role is None
    assert "facilitator" in profile.source("groups.recorder_role") and "facilitator" in profile.source("groups.signer_role")
    assert load_profile("southwark").source("groups.recorder_role") == "W §8"


@pytest.mark.parametrize("key", ["stockport_line_management", "stockport_reflective"])
def test_what_docgen_adds_to_stockports_forms_is_named_as_its_addition(key: str) -> None:
    """S App A and B end at "Date of next supervision" and "Time" (S App A 8; App B 14)."""
    form = forms.FORMS[key]

    assert [part.kind for part in form.parts][-3:] == ["actions", "fields", "signatures"]
    assert form.closing == (forms.CLOSING_LINES[1],)
    assert form.additions == forms.STOCKPORT_ADDITIONS and forms.CLOSING_LINES[1] in form.additions[2]


def test_what_docgen_adds_to_knowsleys_records_is_named_as_its_addition() -> None:
    """K App B 1 asks only "Was the supervisee happy with the record of the previous supervision?"."""
    form = forms.FORMS["knowsley_practitioner"]

    assert form.field("previous_comments") is not None and form.field("next_supervision") is not None
    assert {form.field("previous_comments").label, form.field("next_supervision").label} == set(form.additions)
