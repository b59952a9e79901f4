"""Policy profiles: what varies between councils, held as YAML data and validated on load.

A profile names the roles and how often each must be supervised (in phases from the employment
start), the record kinds and their areas, how long a record may take, sign-off link expiry,
reminders, and the HR-forwarding and retention periods. The seeds differ on each of these, so
none of them is code (STYLE: data over code). A bad file fails listing every bad key by its dotted
path, a misspelt one as the user typed it with the key it most likely meant.

Every rule value cites where it comes from (`sources`, checked by `workflows.profile_sources`):
a section of the council's own policy, or a default of docgen's with its reason. A profile that
extends another council's cannot carry that council's rules without citing its own.
"""
from __future__ import annotations

import calendar
import datetime as dt
import difflib
import types
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kernel.errors import ProfileError
from workflows import forms, group_forms, periods, profile_sources

PROFILE_DIR = Path(__file__).resolve().parent.parent / "docgen" / "profiles"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    """A checked period string, kept as text so the profile reads as the policy does."""

    text: str

    @property
    def step(self) -> periods.Step:
        """What to add to a day: the cheapest equal step (`workflows.periods`)."""
        return periods.step(self.text)

    def after(self, day: dt.date) -> dt.date:
        """The day this period after `day`, in docgen's one period arithmetic (`workflows.periods`)."""
        return day + periods.step(self.text)


def _period(v: object) -> object:
    if isinstance(v, str):
        periods.parse_period(v)
        return {"text": v}
    return v


class Phase(_Strict):
    """Supervise every `every` until `until` after the start (None: for good)."""

    every: Period
    until: Period | None = None
    overdue_after: Period | None = None  # W: due monthly, overdue only after 6 weeks

    _p = field_validator("every", "until", "overdue_after", mode="before")(lambda cls, v: _period(v))


class Recurring(_Strict):
    """Something due besides supervision, every `every` from the employment start until `until`
    (None: for good), or by the end of each of `months` every year: S §10's NQSW reflective 1-1,
    W §9's direct observations, K §6's and S App C 7's appraisals, W §18's appraisals in September
    and March, L §5.13's performance conversation. docgen keeps no record of it being done, so it
    is shown as coming up and due, never overdue (`workflows.due_list`)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    every: Period | None = None
    # instead of `every`: month numbers (1 January … 12 December), due by the end of each of these
    # months every year, whenever the person started (W §18: "mid-way appraisals in September and
    # end of year appraisal in March")
    months: tuple[int, ...] | None = None
    until: Period | None = None
    # with `every`: the first falls this long after the start, then every `every` after it (S App C 7:
    # "a formal appraisal at, 6 months (Probationary Appraisal) and every year after this"); None:
    # `every`. With `months`: the first is the first of those months at least this long after the start
    first: Period | None = None

    _p = field_validator("every", "until", "first", mode="before")(lambda cls, v: _period(v))

    @field_validator("months", mode="before")
    @classmethod
    def _month_numbers(cls, v: object) -> object:
        """Said in one line, whatever is wrong: a month a council writes as a name, 0, 13 or twice."""
        if v is None:
            return v
        numbers = list(v) if isinstance(v, (list, tuple)) else []
        months = all(type(m) is int and 1 <= m <= 12 for m in numbers)  # not a name, nor True (a YAML 'yes')
        if not numbers or not months or len(set(numbers)) != len(numbers):
            raise ValueError(f"{v!r} is not a list of month numbers from 1 (January) to 12 (December), each "
                             "once: e.g. [9, 3] for September and March")
        return tuple(numbers)

    @model_validator(mode="after")
    def _one_schedule(self) -> "Recurring":
        """Both would leave the due date ambiguous; neither, no date at all."""
        if (self.every is None) == (self.months is None):
            raise ValueError("give one of `every` (a period: '1 year') and `months` (month numbers each year: [9, 3])")
        return self

    @property
    def schedule(self) -> str:
        """When it falls due, as the policy page writes it after the label."""
        until = f" for the first {self.until.text}" if self.until is not None else ""
        if self.months is not None:
            named = " and ".join(calendar.month_name[m] for m in self.months)
            first = f", the first at least {self.first.text} after the start" if self.first is not None else ""
            return f"by the end of {named} each year{first}{until}"
        first = f"at {self.first.text}, then " if self.first is not None else ""
        return f"{first}every {self.every.text if self.every is not None else ''}{until}"


class Role(_Strict):
    label: str
    record_kind: str
    frequency: list[Phase] = Field(min_length=1)
    # The policy leaves the frequency to the agreement (S App C, L): the signed agreement's
    # frequency applies even when less frequent; `frequency` is docgen's default until then.
    as_agreed: bool = False
    reviews: list[Period] = []  # formal reviews from start (S: NQSW at 3, 6, 12 months)
    also_due: list[Recurring] = []
    # The other record kinds a supervisor may start for this role beside its own (W App E's casework
    # record where casework is discussed outside group supervision; S §10's reflective 1-1 beside
    # the line manager's record): the start page offers each, and no other kind is accepted.
    also_kinds: list[str] = []
    # Whether people in this role are on Social Work England's register, so renew it each year with
    # CPD (`workflows.cpd`'s renewal reminder). A role's name does not say (a personal advisor or a
    # family support worker is not; a social work student joins only once qualified), and a
    # reminder to someone off the register tells them something false, so a role is not registered
    # unless the profile says so.
    swe_registered: bool = False

    _p = field_validator("reviews", mode="before")(
        lambda cls, v: [_period(x) for x in v] if isinstance(v, list) else v)

    @model_validator(mode="after")
    def _last_phase_open(self) -> "Role":
        if any(p.until is None for p in self.frequency[:-1]) or self.frequency[-1].until is not None:
            raise ValueError("only the last frequency phase may (and must) have no 'until'")
        return self


class StaffRole(_Strict):
    """A role outside supervision (HR, administration, quality assurance): people in it sign in
    and work in docgen, but the policy sets them no supervision, so no record or due date."""

    label: str


class Area(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str


class RecordKind(_Strict):
    """A kind of record: its title, its form (`workflows.forms`) and, where the form has a table of
    areas, the areas a new record starts with."""

    title: str
    form: str
    areas: list[Area] = []
    # When a record of this kind is sealed, the supervisee's line manager is told if someone else
    # supervised it (W App E: "if the supervisor is not the operational line manager, bring the
    # record or contents to their attention")
    tell_line_manager: bool = False

    @model_validator(mode="after")
    def _fits_its_form(self) -> "RecordKind":
        form = forms.FORMS.get(self.form)
        if form is None:
            raise ValueError(f"form '{self.form}' is not one of docgen's forms: {', '.join(sorted(forms.FORMS))}")
        if form.has("areas") != bool(self.areas):
            raise ValueError(f"form '{self.form}' {'needs' if form.has('areas') else 'has no'} areas")
        return self

    @property
    def definition(self) -> forms.Form:
        return forms.FORMS[self.form]

    @property
    def template(self) -> str:
        return self.definition.template

    @property
    def actions_section(self) -> int:
        return self.definition.actions_section


class Signoff(_Strict):
    """Who signs records and agreements, how, and whether one may be finalised over a disagreement.

    `finalise_over_disagreement`: where the policy has both sign ("signed by both", K §9; "must
    always be agreed by both", S 12.3; the agreement "signed by both parties", H §9), the
    supervisor may not countersign over the supervisee's disagreement until the disagreement
    route records its outcome (`workflows.disagreements`), so a disagreement is never sealed as
    signed by both. W §10 records "what has been agreed (or not)": there the supervisor may
    finalise it, and every page and the certificate say whose signature is missing.
    """

    record_signers: list[Literal["supervisee", "supervisor"]] = ["supervisee", "supervisor"]
    agreement_signers: list[Literal["supervisee", "supervisor"]] = ["supervisee", "supervisor"]
    link_expiry_days: int = Field(14, ge=1, le=90)
    one_time_code: bool = False
    reminder_days: list[int] = [2, 4]
    escalate_after_days: int | None = 1  # after the record's due date; None: nobody is told
    # When the record is formally agreed: at sign-off, or at the next supervision (S 13.1)
    record_agreed: Literal["at_signoff", "at_next_supervision"] = "at_signoff"
    finalise_over_disagreement: bool = False  # False: the disagreement route's outcome first
    # The supervisee is e-mailed when their record is sealed, that their copy is in My records
    # (H: "Supervisees will receive a copy of their personal supervision record"); where the
    # supervisee signs, the sign-off itself tells them
    copy_to_supervisee: bool = False


class Retention(_Strict):
    hr_forward_after: Period
    keep_for: Period  # counted from the HR forwarding date (S 12.4)

    _p = field_validator("hr_forward_after", "keep_for", mode="before")(lambda cls, v: _period(v))


class AgreementDefaults(_Strict):
    """Wording a new agreement starts from; the supervisor and supervisee edit it together.

    `access` is not edited: it is the policy's line on who sees supervision records, printed on
    every agreement of the council (K §9 limits it to the line; S 12.2 shares files with senior
    leaders and inspectors; W §10 and H §11 say who else may read them and when)."""

    length: str = "1 hour"
    location: str = "Face-to-face"
    confidentiality: str = ""
    supervisee_expectations: str = ""
    supervisor_expectations: str = ""
    access: str = ""
    absence_cover: str = ""  # on a form with the field only (H §9: cover for planned and unplanned absences)


class Profile(_Strict):
    name: str
    profile_version: Literal[2]  # checked before the rest (`format_problems`)
    council: str
    policy_ref: str = Field(pattern=r"^[A-Z]{1,3}$")  # the letter the council's own policy is cited by
    # the council's policy as text, beside the profile file: its quotes are checked at load
    policy_text: str | None = None
    sources: dict[str, profile_sources.Source]  # dotted key path -> citation (`workflows.profile_sources`)
    marking: str = "OFFICIAL-SENSITIVE"
    record_days: int | None = Field(5, ge=1)  # None: the policy sets no record deadline (W, H, L)
    record_day_kind: Literal["working", "calendar"] = "working"
    agreement_review: Period
    planning_horizon: Period
    cancelled_rebook_working_days: int = 5
    # A planned session's length, in minutes, unless the person planning it says otherwise
    # (K App A "Length of Sessions (e.g., 1 hour)"; S §7 "one and a half hours")
    session_minutes: int = Field(ge=1, le=8 * 60)
    # A senior manager may read outside the line with a written reason, the supervisee told
    # (`workflows.access`; W §10 "senior managers at Director level may need access to supervision
    # records on a need to know basis"); False: only the line, HR, auditors and consent
    break_glass: bool
    signoff: Signoff
    retention: Retention
    roles: dict[str, Role]
    staff_roles: dict[str, StaffRole] = {}  # roles outside supervision
    record_kinds: dict[str, RecordKind]
    agreement_form: str  # workflows.forms.AGREEMENTS: K App A, S App C
    agreement_defaults: "AgreementDefaults" = None  # type: ignore[assignment]
    # issue 14's blocks; optional (`OPTIONAL_KEYS`): absent, docgen's labelled default applies
    disagreement: "DisagreementRoute"  # the route for a disagreement
    quality_audit: "QualityAuditRule"  # sampling records for quality audits
    consent: "ConsentRule"  # reading outside the line with the supervisee's consent
    groups: "GroupRule"  # group supervision
    # A case note per case ID for the child's social care record, from a record that names cases
    # (`workflows.case_notes`; W §10 "recorded on electronic social care record", S §5 "recorded
    # on the child's file"); optional (`OPTIONAL_KEYS`)
    case_notes: bool

    _p = field_validator("agreement_review", "planning_horizon", mode="before")(lambda cls, v: _period(v))

    @model_validator(mode="before")
    @classmethod
    def _default_blocks(cls, data: object) -> object:
        """A block or key the file leaves out (`OPTIONAL_KEYS`) takes docgen's default, cited with its
        label, so the policy page shows it as docgen's choice rather than hiding a rule the council
        never wrote."""
        if not isinstance(data, dict):
            return data
        absent = [key for key in OPTIONAL_KEYS if key not in data]
        data = {**data, **{key: OPTIONAL_KEYS[key].value for key in absent}}
        if isinstance(data.get("sources"), dict):
            data["sources"] = {**{key: OPTIONAL_KEYS[key].label for key in absent}, **data["sources"]}
        if data.get("agreement_defaults") is None:
            data["agreement_defaults"] = {}
        return data

    @model_validator(mode="after")
    def _kinds_exist(self) -> "Profile":
        for key, role in self.roles.items():
            if role.record_kind not in self.record_kinds:
                raise ValueError(f"roles.{key}.record_kind '{role.record_kind}' is not a record kind")
            for kind in role.also_kinds:
                if kind not in self.record_kinds:
                    raise ValueError(f"roles.{key}.also_kinds: '{kind}' is not a record kind")
        for key in self.staff_roles.keys() & self.roles.keys():
            raise ValueError(f"staff_roles.{key} is also a supervised role")
        return self

    def source(self, key: str) -> str:
        """Where the value at dotted `key` comes from (its own citation or its nearest parent's):
        the council's section, or docgen's default with its reason."""
        found = profile_sources.citation(self.sources, key)
        return profile_sources.section(found) if found is not None else ""

    def quote(self, key: str) -> str | None:
        """The policy's own words for the value at dotted `key`; None where it is docgen's default."""
        found = profile_sources.citation(self.sources, key)
        return found.quote if isinstance(found, profile_sources.Citation) else None

    @field_validator("agreement_form")
    @classmethod
    def _agreement_form_exists(cls, value: str) -> str:
        if value not in forms.AGREEMENTS:
            raise ValueError(f"'{value}' is not one of docgen's agreement forms: {', '.join(sorted(forms.AGREEMENTS))}")
        return value

    @property
    def agreement(self) -> forms.AgreementForm:
        """The agreement's form (`workflows.forms`)."""
        return forms.AGREEMENTS[self.agreement_form]

    @property
    def agreement_template(self) -> str:
        return self.agreement.template

    def role(self, key: str) -> Role:
        """The supervised role, or InvalidInput naming the field when the profile has no such role
        (or only one outside supervision, which has no record and no frequency)."""
        from kernel.errors import InvalidInput

        if key in self.staff_roles:
            raise InvalidInput(f"the role '{self.staff_roles[key].label}' is outside supervision: it has no "
                               "supervision record or frequency", "role")
        try:
            return self.roles[key]
        except KeyError:
            raise InvalidInput(f"unknown role '{key}'; this profile has: {', '.join(sorted(self.roles))}",
                               "role") from None

    def kinds_for(self, role_key: str) -> list[str]:
        """The record kinds a supervisor may start for someone in `role_key`: the role's own first,
        then the others the profile lets it use (`Role.also_kinds`)."""
        role = self.role(role_key)
        return list(dict.fromkeys([role.record_kind, *role.also_kinds]))

    def label(self, key: str) -> str:
        """What a person's role is called, supervised or not (the key itself if the profile lost it)."""
        found = self.roles.get(key) or self.staff_roles.get(key)
        return found.label if found is not None else key

    @property
    def swe_registered_roles(self) -> frozenset[str]:
        """The keys of the supervised roles whose people are on Social Work England's register."""
        return frozenset(key for key, role in self.roles.items() if role.swe_registered)

    def check_role(self, key: str) -> None:
        """A role a person may hold: supervised, or outside supervision."""
        if key not in self.staff_roles:
            self.role(key)


class LeftOut(NamedTuple):
    """docgen's value for a block or a key a profile may leave out, and the label that cites it."""

    value: Any
    label: str


# The blocks and keys a council's profile may leave out (issue 23): a small profile starts from these,
# and each shows on the policy page as docgen's default, never as a rule with no source.
OPTIONAL_KEYS: dict[str, LeftOut] = {
    "session_minutes": LeftOut(
        60, "default: docgen — the profile sets no session length: an hour, as K App A's example"),
    "break_glass": LeftOut(
        True, "default: docgen — a senior manager may read outside the line with a written reason, the "
              "supervisee told"),
    "agreement_form": LeftOut(
        "knowsley_agreement", "default: docgen — the profile names no agreement form: Knowsley's (K App A)"),
    "disagreement": LeftOut(
        {"resolve_within": "1 month", "three_way_meeting": True, "hr": False},
        "default: docgen — the profile names no route for a disagreement: a month to settle it, then a "
        "three-way meeting with the supervisor's line manager"),
    "quality_audit": LeftOut(
        {"per_supervisor": 1, "every": "3 months"},
        "default: docgen — the profile sets no quality audit: one signed record per supervisor each quarter"),
    "consent": LeftOut(
        {"outside_line": False, "manager_override": False, "lasts": "30 days"},
        "default: docgen — the profile names no consent route: records are read within the line only"),
    "case_notes": LeftOut(
        False, "default: docgen — the profile does not put case discussion on the child's record: no case notes "
               "are offered"),
    "groups": LeftOut(
        {"every": None, "record_form": "group_plain", "session_minutes": 90},
        "default: docgen — the profile sets no group supervision frequency, so none is due; docgen's plain "
        "group record; a group session lasts an hour and a half"),
}

Problem = tuple[str, str]  # (dotted key, what is wrong)

PROFILE_VERSION = 2
"""The profile format this docgen reads. Version 1 (before issue 17) named each record kind's Word
template and actions section itself and cited no sources; version 2 names a form and cites every rule."""

# Keys of a record kind in format 1, and what replaced them in format 2.
_REPLACED = {
    "template": "replaced in profile format 2 by `form`, one of docgen's forms (workflows/forms.py: "
                f"{', '.join(sorted(forms.FORMS))}), which carries its own template",
    "actions_section": "replaced in profile format 2 by `form`: the form says which section holds the actions",
}


def format_problems(data: dict[str, Any]) -> list[Problem]:
    """A profile written for another format: its version, and each key of the last format with what
    replaced it. Said alone, one line each (the version is not needed to see them), because the same
    file read as the current format would be a list of unrelated missing and unknown keys that all
    come from this one cause."""
    found: list[Problem] = []
    version = data.get("profile_version")  # missing, it is one of the current format's problems
    if version is not None and version != PROFILE_VERSION:
        found.append(("profile_version", f"{version!r} is not a format this docgen reads: it reads "
                                         f"{PROFILE_VERSION} (docs/PROFILES.md)"))
    kinds = data.get("record_kinds")
    for kind, fields in (kinds.items() if isinstance(kinds, dict) else ()):
        for key in (fields if isinstance(fields, dict) else ()):
            if key in _REPLACED:
                found.append((f"record_kinds.{kind}.{key}", _REPLACED[key]))
    return found


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("text",)) or "(top level)"


def _model(annotation: Any) -> type[BaseModel] | None:
    """The profile model an annotation stands for (`Period | None` -> Period), if any."""
    if get_origin(annotation) in (Union, types.UnionType):
        models = [m for m in map(_model, get_args(annotation)) if m is not None]
        return models[0] if len(models) == 1 else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _keys_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys a profile may have at `loc` (a mapping inside the profile), walking the models'
    fields, list items and mapping values; [] where the place is not a model. (`extends`, read
    before validation, is a top-level key too.)"""
    if not loc:
        return ["extends", *Profile.model_fields]
    annotation: Any = Profile
    for part in loc:
        model = _model(annotation)
        if model is not None:
            field = model.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]  # an item of a list, the value of a mapping
        else:
            return []
    model = _model(annotation)
    return list(model.model_fields) if model is not None else []


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    """Every bad key as (dotted path, what is wrong).

    pydantic reports a misspelt required key twice: the name typed as not permitted, the real
    name as missing. Here it is one problem, named as typed, with the key it most likely meant;
    the "missing" that the misspelling explains is dropped.
    """
    # a citation's own form is said once by `profile_sources.citation_problems`, not per union member
    errors = [err for err in exc.errors() if not (err["loc"][:1] == ("sources",) and len(err["loc"]) > 1)]
    missing = {err["loc"] for err in errors if err["type"] == "missing"}
    explained: set[tuple[Any, ...]] = set()
    problems = []
    for err in errors:
        loc = err["loc"]
        if err["type"] == "extra_forbidden":
            allowed = _keys_at(loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            if close:
                explained.add(loc[:-1] + (close[0],))
                problems.append((_where(loc), f"unknown key; did you mean '{close[0]}'?"))
            else:
                known = f" (allowed here: {', '.join(allowed)})" if allowed else ""
                problems.append((_where(loc), f"unknown key{known}"))
        elif err["type"] != "missing":
            problems.append((_where(loc), err["msg"]))
    problems += [(_where(loc), "required key is missing") for loc in sorted(missing - explained, key=str)]
    return problems


def _merge(base: dict, over: dict) -> dict:
    """Mappings merge key by key; anything else in `over` replaces the base value, and null in
    place of an inherited mapping drops it (a role another council names and this one does not)."""
    out = dict(base)
    for key, value in over.items():
        if value is None and isinstance(out.get(key), dict):
            del out[key]
        else:
            out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def profile_dirs(own: str | Path | None) -> tuple[Path, ...]:
    """Where profiles are searched: a council's own folder (DOCGEN_PROFILE_DIR), when it names
    one, before the built-in profiles, so a council adds or changes a profile as a data file."""
    return ((Path(own),) if own else ()) + (PROFILE_DIR,)


def _find(name: str, search_dirs: tuple[Path, ...], skip: tuple[Path, ...] = ()) -> Path | None:
    """The first `<name>.yaml` in search_dirs that is not in skip; None when there is none."""
    filename = f"{name}.yaml"
    if Path(filename).name != filename or filename.startswith("."):
        raise ProfileError(f"profile name '{name}' must be a plain name like 'knowsley'", "profile")
    for directory in search_dirs:
        path = directory / filename
        if path.is_file() and path.resolve() not in skip:
            return path
    return None


class _UniqueKeys(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping: plain YAML keeps the last
    silently, so a rule (or its citation) restated lower down would hide the one above it."""


def _mapping(loader: _UniqueKeys, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError("while reading a mapping", node.start_mark,
                                                    f"the key '{key}' is written twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _read(path: Path, search_dirs: tuple[Path, ...], chain: tuple[Path, ...] = ()) -> tuple[dict, list[Problem]]:
    """Raw profile data with its `extends:` chain resolved (a council restates only what differs),
    and what each file extending another fails to re-cite (`profile_sources.inherited_problems`).

    The profile extended is the first file of that name in search_dirs not already in the chain,
    so a council's own knowsley.yaml may extend the built-in knowsley.yaml.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as exc:  # one line, at the line it names (a key written twice, bad YAML)
        line = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        raise ProfileError(f"{path}: cannot read profile: {line}{exc.problem}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: a profile must be a mapping of keys")
    parent = data.pop("extends", None)
    if parent is None:
        return data, []
    chain += (path.resolve(),)
    base_path = _find(str(parent), search_dirs, skip=chain)
    if base_path is None:
        problem = "loop through" if _find(str(parent), search_dirs) else "no profile"
        raise ProfileError(f"{path}: extends: {problem} '{parent}'", "extends")
    base, problems = _read(base_path, search_dirs, chain)
    base.pop("policy_text", None)  # the text of the parent's policy, relative to the parent's file
    merged = _merge(base, data)
    if isinstance(base.get("sources"), dict) and isinstance(data.get("sources"), dict):
        # a citation is replaced whole: a section cited here never keeps the parent's quote
        merged["sources"] = {**base["sources"], **data["sources"]}
    if isinstance(merged.get("sources"), dict):  # a value dropped here takes its citation with it
        keys = list(profile_sources.rule_keys(merged))
        merged["sources"] = {key: text for key, text in merged["sources"].items()
                             if key in (data.get("sources") or {}) or profile_sources.covers(key, keys)}
    return merged, problems + profile_sources.inherited_problems(merged, data, str(parent))


def load_profile_file(path: Path, search_dirs: tuple[Path, ...] = (PROFILE_DIR,)) -> Profile:
    """Load and validate one profile file; ProfileError names the file and the bad key.

    `extends:` names a profile beside the file first, then in search_dirs: a built-in profile
    extends built-in ones, a council's own file its neighbours and then the built-in ones.
    """
    data, inherited = _read(path, tuple(dict.fromkeys((path.parent, *search_dirs))))
    problems = format_problems(data)
    if not problems:
        profile, problems = _validated(data, inherited, path)
        if profile is not None:
            return profile
    lines = "".join(f"\n  {where}: {what}" for where, what in problems)
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    raise ProfileError(f"{path}: {count}:{lines}", problems[0][0])


def _validated(data: dict, inherited: list[Problem], path: Path) -> tuple[Profile | None, list[Problem]]:
    """The profile in the current format, or what is wrong with it."""
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        # the citations are checked whole once the values themselves are sound; each one's own
        # form is said now, in the policy's terms rather than pydantic's (once per form it could take)
        return None, _problems(exc) + profile_sources.citation_problems(data)
    said = {where for where, _ in inherited}
    problems = inherited + [(where, what) for where, what in profile_sources.problems(data)
                            if where.removeprefix("sources.") not in said]  # said once, as inherited
    if not problems and profile.policy_text is not None:
        problems = _quotes_not_in_policy(profile, path.parent / profile.policy_text)
    return (None if problems else profile), problems


def _quotes_not_in_policy(profile: Profile, policy_path: Path) -> list[Problem]:
    """The citations whose quote the council's policy text (`policy_text:`) does not hold: a
    council that names its policy's file has every rule checked against its current words."""
    try:
        policy = policy_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [("policy_text", f"cannot read the policy's text {policy_path}: {exc}")]
    return profile_sources.unquoted(profile.sources, policy, policy_path.name)


@lru_cache(maxsize=16)
def load_profile(name: str, search_dirs: tuple[Path, ...] = (PROFILE_DIR,)) -> Profile:
    """Profile by name from the first of search_dirs holding `<name>.yaml` (`profile_dirs`).

    Built in: knowsley, stockport, southwark, haringey. A council's folder that does not exist
    is refused rather than passed over, so a mistyped path never quietly means our profile.
    """
    missing = [str(directory) for directory in search_dirs if not directory.is_dir()]
    if missing:
        raise ProfileError(f"profile folder {', '.join(missing)} does not exist", "profile_dir")
    path = _find(name, search_dirs)
    if path is None:
        known = sorted({p.stem for directory in search_dirs for p in directory.glob("*.yaml")})
        raise ProfileError(f"no policy profile '{name}'; known: {', '.join(known)}", "profile")
    return load_profile_file(path, search_dirs)


# --- group supervision (issue 14) ---
class GroupRule(_Strict):
    """Group supervision, always in addition to 1:1 (K, S §5, W §5/§8, H §1/§8): how often a group
    meets (`every`, None where the policy sets no frequency: K, S, L), when a group is overdue
    (H §1 "every six to eight weeks": due at 6 weeks, overdue after 8), the form its record is
    kept on (`workflows.group_forms`: W App C, or docgen's plain group record), and the roles that
    record and sign it off where the policy names them (W §8: Practice Co-ordinators record,
    Advanced Practitioners sign off); otherwise the facilitator does both. `session_minutes` is how long
    a group session lasts unless its organiser says otherwise (no policy sets one: docgen's labelled
    default in every profile)."""

    every: Period | None = None
    overdue_after: Period | None = None
    record_form: str = "group_plain"
    record_title: str = "Group supervision record"
    recorder_role: str | None = None
    signer_role: str | None = None
    session_minutes: int = Field(90, ge=1, le=8 * 60)
    # When a group record is sealed, each attendee's line manager is told of the advice given in it
    # (S §5: the line manager "notified of any advice given by the case holding practitioner")
    tell_line_managers: bool = False
    # what the policy calls the person who leads a group (H §1 "led by a trained Practice Lead");
    # a title, not a role: H §8 lets "other practitioners ... also facilitate sessions"
    facilitator_title: str = "Facilitator"

    _p = field_validator("every", "overdue_after", mode="before")(lambda cls, v: _period(v))

    @model_validator(mode="after")
    def _form_exists(self) -> "GroupRule":
        if self.record_form not in group_forms.FORMS:
            raise ValueError(f"record_form '{self.record_form}' is not one of docgen's group forms: "
                             f"{', '.join(sorted(group_forms.FORMS))}")
        if self.overdue_after is not None and self.every is None:
            raise ValueError("overdue_after needs a frequency ('every')")
        return self


# --- disagreement route, quality audits, consent (issue 14) ---
class DisagreementRoute(_Strict):
    """Where a supervisee's disagreement goes when it is not settled within the relationship
    (S §9 and S App C: the supervisor's manager and a three-way meeting; W §17: a three-way
    discussion with the supervisor's line manager, then HR; H §13: "discussion and resolution
    should take place with the supervisor's line manager", and no further step).
    K and L name no route: their profiles carry docgen's default, labelled in `sources`."""

    resolve_within: Period  # neither a new version nor countersigned by then: the line manager is told
    three_way_meeting: bool = True  # the line manager records the outcome of a three-way meeting
    # Either party may ask for the three-way meeting at once, without waiting for `resolve_within`
    # (S App C 8 "either supervisee or the supervisor may ... request a three way meeting";
    # W §17 "Either party may request this"): the record's page offers both a button
    either_may_request: bool = False
    hr: bool = False  # the line manager may pass it to HR (W §17 alone)

    _p = field_validator("resolve_within", mode="before")(lambda cls, v: _period(v))


class QualityAuditRule(_Strict):
    """How many signed records per supervisor a quality audit samples, over what period, and which
    records it draws from (K §11 dip sampling; S §8 at least one file per team leader a year;
    H §15 "once a year"; L §5.11 sampling for inspectors). `draws_from` names the kinds of record
    sampled: `individual` (one-to-one) and `group` records. H §12: "Individual supervision (none
    case related) will not be audited", so Haringey samples its group case work only."""

    per_supervisor: int = Field(1, ge=1, le=50)
    every: Period  # the period an audit covers, and how often one is due
    draws_from: list[Literal["individual", "group"]] = Field(["individual", "group"], min_length=1)

    _p = field_validator("every", mode="before")(lambda cls, v: _period(v))


class ConsentRule(_Strict):
    """Reading outside the line only with the supervisee's consent (W §10 "where the supervisee
    agrees"; H §11 "by mutual agreement"), and a manager's override of a refusal (H §11)."""

    outside_line: bool = False  # a reader without a standing right may ask the supervisee
    manager_override: bool = False  # H §11: "the manager must make a professional judgement"
    lasts: Period  # how long a consent given (or an override) lets the reader read
    link_expiry_days: int = Field(14, ge=1, le=90)

    _p = field_validator("lasts", mode="before")(lambda cls, v: _period(v))
