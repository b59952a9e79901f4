"""Where each profile value comes from: the `sources:` mapping of a profile file, and its rules.

A council's rules are only as good as the reader's ability to check them against its policy, so
every rule value in a profile cites either a section of the council's own policy (`S 12.4`,
`K §9`, `W App C`) or a default of docgen's with its reason (`default: docgen — ...`). A default
the council must decide for itself (retention where its policy sets no period) says so:
`default: docgen, for the council to confirm — ...`; an administrator confirms it
(`workflows.profile_confirmations`).

A citation covers its key and everything under it (`retention` covers `retention.keep_for`).
A profile that extends another inherits that profile's citations, but one that names the other
council's policy would carry that council's rule silently, so the loader refuses it: the child
re-cites the value from its own policy, or labels it a default. These checks work on the profile
file's raw mappings, before the model is built, and return problems as (dotted key, what is wrong).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

DEFAULT = "default: docgen"
TO_CONFIRM = "default: docgen, for the council to confirm"
UNCITED = frozenset({"name", "council", "policy_ref", "sources"})  # who the profile is, not a rule

_REFERENCE = re.compile(r"^(?P<ref>[A-Z]{1,3}) (?:§\s?\d|\d+\.\d|App(?:endix)? [A-Z]|\(.*§\s?\d)")
_DEFAULT_WITH_REASON = re.compile(rf"^{re.escape(DEFAULT)}(?:, for the council to confirm)?\s*[—:;-]\s*\S")

Problem = tuple[str, str]


def is_default(citation: str) -> bool:
    """The value is docgen's choice, not the council's policy."""
    return citation.startswith(DEFAULT)


def needs_confirming(citation: str) -> bool:
    """docgen's default stands in for a decision the council's policy leaves open."""
    return citation.startswith(TO_CONFIRM)


def policy_named(citation: str) -> str | None:
    """The policy a citation names ('S' for 'S 12.4'); None for docgen's defaults."""
    m = _REFERENCE.match(citation)
    return m.group("ref") if m and not is_default(citation) else None


def rule_keys(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every rule value's dotted key: leaves of the mappings (a list is one value)."""
    for key, value in data.items():
        if not prefix and key in UNCITED:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from rule_keys(value, path + ".")
        else:
            yield path


def citing(sources: Mapping[str, str], key: str) -> str | None:
    """The key in `sources` that covers `key`: itself or its nearest parent."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in sources:
            return candidate
    return None


def covers(key: str, keys: list[str]) -> bool:
    """`key` names one of `keys` or a mapping holding some of them."""
    return any(k == key or k.startswith(key + ".") for k in keys)


def citation(sources: Mapping[str, str], key: str) -> str | None:
    """The citation covering `key`, if any."""
    found = citing(sources, key)
    return sources[found] if found is not None else None


def problems(data: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with a whole profile's citations: a rule value with none, a citation of no
    value, a citation that is neither a section of the council's own policy nor a labelled
    default with a reason."""
    sources = data.get("sources")
    if not isinstance(sources, Mapping):
        return [("sources", "required: a mapping of each rule's dotted key to where it comes from")]
    own = data.get("policy_ref")
    keys = list(rule_keys(data))
    found: list[Problem] = []
    for key in keys:
        if citing(sources, key) is None:
            found.append((key, "no source: cite the policy's section (e.g. 'K §9') in `sources`, "
                               "or 'default: docgen — <why>'"))
    for key, text in sources.items():
        where = f"sources.{key}"
        if not covers(key, keys):
            found.append((where, "cites a key the profile does not have"))
        elif not isinstance(text, str) or not text.strip():
            found.append((where, "empty citation"))
        elif is_default(text):
            if not _DEFAULT_WITH_REASON.match(text):
                found.append((where, "a default must give its reason: 'default: docgen — <why>'"))
        elif policy_named(text) is None:
            found.append((where, f"'{text}' is neither a section like '{own or 'K'} §9' nor 'default: docgen — <why>'"))
        elif policy_named(text) != own:
            found.append((where, f"'{text}' cites another council's policy; this profile's is '{own}'"))
    return found


def inherited_problems(merged: Mapping[str, Any], own: Mapping[str, Any], parent: str) -> list[Problem]:
    """What a profile file that extends `parent` fails to re-cite (`merged`: the file over its parent).

    The file must name its own policy (`policy_ref`). Every citation it inherits that names
    another council's policy is refused with its key, and so is an inherited citation of a value
    this file changes: the citation would describe the parent's value, not this one.
    """
    if "policy_ref" not in own:
        return [("policy_ref", f"required in every profile file, also one that extends '{parent}': "
                               "the letter its own policy is cited by")]
    ref = own["policy_ref"]
    base_sources: Mapping[str, str] = merged.get("sources") or {}
    own_sources: Mapping[str, str] = own.get("sources") or {}
    changed = list(rule_keys(own))
    found: list[Problem] = []
    for key, text in base_sources.items():
        if key in own_sources or not isinstance(text, str):
            continue
        named = policy_named(text)
        if named is not None and named != ref:
            found.append((key, f"inherits '{text}' from '{parent}', another council's policy: cite {ref}'s "
                               f"own section in `sources`, or label it 'default: docgen — <why>'"))
        elif any(citing(base_sources, k) == key for k in changed):  # the inherited citation is the one that applies
            found.append((key, f"changed here, but its source '{text}' is inherited from '{parent}': cite it again"))
    return found
