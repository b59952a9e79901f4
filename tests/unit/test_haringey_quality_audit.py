"""Haringey's quality audit as H §12 and H §15 say (issue 23, item 2).

H §12: "Individual supervision (none case related) will not be audited"; H §12's monthly audits
are of the case files ("they will comment on the quality of supervision records on each case
sampled"), which are kept in the case management system, not here. H §15: "Supervision records
should be monitored and audited once a year to ensure consistency and compliance with agreed
supervision standards as outlined in the supervision audit tool." So Haringey's audit covers a
year and draws from the group supervision records (Signs of Safety case work, H §8: "actively
working on aspects of case practice for real"), never from one-to-one records.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from storage.models import Person, Record
from tests.unit.test_group_records_belong_to_attendees import group  # noqa: F401  (the group's session)
from workflows import quality_audits, records, signoff
from workflows.deployment import Work
from workflows.profile_sources import Citation, plain, quoted_in
from workflows.profiles import load_profile

HARINGEY = Path(__file__).resolve().parents[1] / "policies" / "003_b3a0402c6d3b037e.txt"  # tests/policies/README.md
WORDS = {
    "quality_audit.every": ("H §15", "Supervision records should be monitored and audited once a year"),
    "quality_audit.draws_from": ("H §12", "Individual supervision (none case related) will not be audited"),
}


def test_haringey_audits_once_a_year_and_no_individual_supervision_quoting_its_policy() -> None:
    profile = load_profile("haringey")
    rule = profile.quality_audit
    assert (rule.every.text, rule.draws_from) == ("1 year", ["group"])
    policy = plain(HARINGEY.read_text(encoding="utf-8"))
    for key, (section, words) in WORDS.items():
        cited = profile.sources[key]
        assert isinstance(cited, Citation) and cited.section == section, key
        assert words in cited.quote and quoted_in(cited.quote, policy), key


def test_the_other_councils_audit_one_to_one_and_group_records() -> None:
    for council in ("knowsley", "stockport", "southwark", "lancashire"):
        assert load_profile(council).quality_audit.draws_from == ["individual", "group"], council


def test_haringeys_sample_draws_the_group_case_work_and_no_one_to_one_record(uow: Work,
                                                                             group: dict[str, int]) -> None:
    db = uow.session
    alex = db.get_one(Person, group["alex"])
    one_to_one = records.create_record(db, uow.deployment.profile, alex, dt.date(2026, 1, 7))
    for record in (one_to_one, db.get_one(Record, group["record"])):
        record.status = signoff.SIGNED
    uow.commit()

    def drawn(council: str) -> list[int]:
        sample = quality_audits.sample(db, alex.team_id, dt.date(2026, 1, 1), dt.date(2026, 12, 31), 7, 5, None,
                                       None, load_profile(council).quality_audit.draws_from)
        return sorted(record_id for ids in sample.values() for record_id in ids)

    assert drawn("haringey") == [group["record"]]
    assert drawn("knowsley") == sorted([group["record"], one_to_one.id])
