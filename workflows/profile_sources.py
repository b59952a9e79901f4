"""Where each profile value comes from: the `sources:` mapping of a profile file, and its rules.

A council's rules are only as good as the reader's ability to check them against its policy, so
every rule value in a profile cites either a section of the council's own policy with the
policy's own words for the rule (`{section: "H §9", quote: "signed by both parties who will both
keep a copy"}`) or a default of docgen's with its reason (`default: docgen — ...`). A default the
council must decide for itself (retention where its policy sets no period) says so:
`default: docgen, for the council to confirm — ...`; an administrator confirms it
(`workflows.profile_confirmations`). The quote is what lets a reader check the rule without
hunting through the policy, and lets docgen check it against the policy's text (`unquoted`).

A citation covers its key and everything under it (`retention` covers `retention.keep_for`).
A profile that extends another inherits that profile's citations, but one that names the other
council's policy would carry that council's rule silently, so the loader refuses it: the child
re-cites the value from its own policy, or labels it a default. These checks work on the profile
file's raw mappings, before the model is built, and return problems as (dotted key, what is wrong).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any, Union

from pydantic import BaseModel, ConfigDict

DEFAULT = "default: docgen"
TO_CONFIRM = "default: docgen, for the council to confirm"
# who the profile is and its format, not a rule
UNCITED = frozenset({"name", "profile_version", "council", "policy_ref", "policy_text", "sources"})

# "<letter> <section>": a council numbers its policy as it likes ("K §9", "S 12.4", "N 5", "N App 1")
_REFERENCE = re.compile(r"^(?P<ref>[A-Z]{1,3}) \S")
_DEFAULT_WITH_REASON = re.compile(rf"^{re.escape(DEFAULT)}(?:, for the council to confirm)?\s*[—:;-]\s*\S")
_DEFAULT_LABEL = re.compile(rf"^{re.escape(DEFAULT)}(?:, for the council to confirm)?\s*[—:;-]\s*")

Problem = tuple[str, str]


class Citation(BaseModel):
    """A section of the council's own policy and the policy's words for the rule, copied verbatim
    so an administrator reads what the council wrote, and docgen can find it in the policy's text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str
    quote: str


Source = Union[Citation, str]  # a council's section with its quote, or docgen's default with its reason


def section(source: Source | Mapping[str, Any]) -> str:
    """What a citation is cited by: the council's section ('H §9'), or docgen's default with its
    reason. Takes a loaded `Citation` or the raw mapping a profile file holds."""
    if isinstance(source, Citation):
        return source.section
    if isinstance(source, Mapping):
        return str(source.get("section") or "")
    return source


def is_default(citation: str) -> bool:
    """The value is docgen's choice, not the council's policy."""
    return citation.startswith(DEFAULT)


def reason(citation: str) -> str:
    """docgen's reason for a default, as a reader of the policy page wants it: the words after
    its label ('default: docgen — K §11 sets no frequency' gives 'K §11 sets no frequency')."""
    return _DEFAULT_LABEL.sub("", citation, count=1)


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


def citing(sources: Mapping[str, Any], key: str) -> str | None:
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


def citation(sources: Mapping[str, Source], key: str) -> Source | None:
    """The citation covering `key`, if any."""
    found = citing(sources, key)
    return sources[found] if found is not None else None


def _council_problem(entry: Mapping[str, Any], own: str | None) -> str | None:
    """What is wrong with a citation of a council's policy ({section, quote}), if anything."""
    extra = sorted(str(k) for k in entry if k not in Citation.model_fields)
    if extra:
        return (f"unknown key {', '.join(extra)}: a citation is "
                f"{{section: '{own or 'K'} §9', quote: '<the policy's words>'}}")
    text = entry.get("section")
    if not isinstance(text, str) or not text.strip():
        return f"empty citation: give its section ('{own or 'K'} §9')"
    named = policy_named(text)
    if named is None:
        return f"'{text}' is neither a section like '{own or 'K'} §9' nor 'default: docgen — <why>'"
    if named != own:
        return f"'{text}' cites another council's policy; this profile's is '{own}'"
    quote = entry.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        return (f"'{text}' has no quote: write {{section: '{text}', quote: '<the policy's words for this rule>'}}, "
                "copied from the policy")
    return None


def _citation_problem(entry: object, own: str | None) -> str | None:
    """What is wrong with one citation: a council's section must carry its quote, docgen's default
    its reason. A bare section ('K §9') is read as a citation without its quote."""
    if isinstance(entry, Mapping):
        return _council_problem(entry, own)
    if not isinstance(entry, str) or not entry.strip():
        return "empty citation"
    if is_default(entry):
        if _DEFAULT_WITH_REASON.match(entry):
            return None
        return "a default must give its reason: 'default: docgen — <why>'"
    return _council_problem({"section": entry}, own)


def problems(data: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with a whole profile's citations: a rule value with none, a citation of no
    value, a citation that is neither a section of the council's own policy with its quote nor a
    labelled default with a reason."""
    sources = data.get("sources")
    if not isinstance(sources, Mapping):
        return [("sources", "required: a mapping of each rule's dotted key to where it comes from")]
    keys = list(rule_keys(data))
    found: list[Problem] = []
    for key in keys:
        if citing(sources, key) is None:
            found.append((key, "no source: cite the policy's section (e.g. 'K §9') in `sources`, "
                               "or 'default: docgen — <why>'"))
    found += [(f"sources.{key}", "cites a key the profile does not have") for key in sources if not covers(key, keys)]
    return found + citation_problems(data)


def citation_problems(data: Mapping[str, Any]) -> list[Problem]:
    """What is wrong with each citation in itself, whatever the values: a council's section must
    name this profile's policy and carry its quote, docgen's default its reason."""
    sources = data.get("sources")
    if not isinstance(sources, Mapping):
        return []
    own = data.get("policy_ref")
    return [(f"sources.{key}", what) for key, entry in sources.items()
            if (what := _citation_problem(entry, own)) is not None]


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
    base_sources: Mapping[str, Any] = merged.get("sources") or {}
    own_sources: Mapping[str, Any] = own.get("sources") or {}
    changed = list(rule_keys(own))
    found: list[Problem] = []
    for key, entry in base_sources.items():
        if key in own_sources or not isinstance(entry, (str, Mapping)):
            continue
        text = section(entry)
        named = policy_named(text)
        if named is not None and named != ref:
            found.append((key, f"inherits '{text}' from '{parent}', another council's policy: cite {ref}'s "
                               f"own section in `sources`, or label it 'default: docgen — <why>'"))
        elif any(citing(base_sources, k) == key for k in changed):  # the inherited citation is the one that applies
            found.append((key, f"changed here, but its source '{text}' is inherited from '{parent}': cite it again"))
    return found


# --- the quotes, found in the policy's text -----------------------------------------------------
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # markdown's [words](address): the words
_EMPHASIS = re.compile(r"</?(?:b|strong|i|em|u)\b[^>]*>|\*|__|\\(?=[()\[\]])", re.IGNORECASE)  # HTML, markdown
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")
_TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
                             "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-"})


def plain(text: str) -> str:
    """Text as a quote is compared: a policy copied from a web page or a Word file differs from
    the same words typed into a profile in its quotes, dashes, emphasis, spacing and case."""
    text = _EMPHASIS.sub("", _LINK.sub(r"\1", unicodedata.normalize("NFKC", text))).translate(_TYPOGRAPHY)
    return " ".join(text.split()).casefold()


def quoted_in(quote: str, policy: str) -> bool:
    """The quote is in the policy's text (`policy` already `plain`); an ellipsis ('…' or '...')
    stands for words left out, so the parts around it are found in order."""
    at = 0
    for part in filter(None, (plain(p) for p in _ELLIPSIS.split(quote))):
        at = policy.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def unquoted(sources: Mapping[str, Source], policy: str, policy_name: str) -> list[Problem]:
    """Each citation whose quote is not in the policy's text: the rule says something the policy,
    as the council has it now, does not (a revised section, or a value cited from memory)."""
    text = plain(policy)
    return [(f"sources.{key}", f"quote not found in {policy_name}: '{entry.quote}'")
            for key, entry in sources.items() if isinstance(entry, Citation) and not quoted_in(entry.quote, text)]
