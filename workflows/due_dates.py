"""When things fall due for a supervisee: the next supervision, the record of a session, the
rebooking of a cancelled session, and the review of their agreement.

The profile holds each role's frequency as phases counted from the start of employment (K: ASYE
weekly for six weeks, fortnightly to six months, then monthly). The agreed frequency in the
supervisee's signed agreement overrides the profile only when it is more frequent: the profile is
the policy's minimum, the agreement may promise more but never less. Where the policy leaves the
frequency to the agreement (a role `as_agreed`: S App C's students, W §5's other staff), the
agreement's frequency applies either way, and the profile's is docgen's default until one is signed.

Every period is added in docgen's one period arithmetic (`workflows.periods`, which
`Period.after` uses too); working days come from `workflows.working_days`. The organisation-wide
list of what is due, and its queries, are `workflows.due_list`.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple, Protocol

from dateutil.relativedelta import relativedelta

from workflows.periods import Months, Step, cheapest, step
from workflows.profiles import Period, Profile, Recurring, Role
from workflows.working_days import add_working_days

REMINDER_DAYS = 30  # docgen's choice: agreement and formal reviews show this many days ahead

State = str  # "upcoming" | "due" | "overdue"
STATES = ("overdue", "due", "upcoming")  # most urgent first


class Supervisee(Protocol):
    role: str
    employment_start: dt.date


class DueStatus(NamedTuple):
    """The next supervision: due on `due_on`, overdue from the day after `late_after`.

    `late_after` equals `due_on` unless the phase has an `overdue_after` (W: due monthly,
    overdue only after six weeks). `basis` says whether the profile or the agreement set it.
    """

    due_on: dt.date
    late_after: dt.date
    state: State
    basis: str
    last_session: dt.date | None


def due_state(today: dt.date, due: dt.date, late: dt.date) -> State:
    """Upcoming before `due`, due from it, overdue after `late`."""
    if today > late:
        return "overdue"
    return "due" if today >= due else "upcoming"


def review_state(review_on: dt.date, today: dt.date) -> State | None:
    """An agreement's review as a state: shown from REMINDER_DAYS before its date (upcoming), due
    on the day, overdue after it; None while it is further off."""
    if (review_on - today).days > REMINDER_DAYS:
        return None
    return due_state(today, review_on, review_on)


def reminder_state(on: dt.date, today: dt.date) -> State | None:
    """Something docgen keeps no record of being done (a formal review, a role's `also_due` item):
    shown from REMINDER_DAYS before its date until REMINDER_DAYS after, upcoming then due, and never
    called overdue; None outside that window."""
    window = dt.timedelta(days=REMINDER_DAYS)
    if not on - window <= today <= on + window:
        return None
    return "due" if today >= on else "upcoming"


def escalation_cutoff(profile: Profile, today: dt.date) -> dt.date | None:
    """Records due before this day and still unsigned go to the supervisor's line manager
    (`signoff.escalate_after_days` after their deadline); None where the profile escalates none."""
    if profile.signoff.escalate_after_days is None:
        return None
    return today - dt.timedelta(days=profile.signoff.escalate_after_days)


# --- supervision frequency -------------------------------------------------------------------

def _deadlines(every: Step, overdue_after: Step | None, last: dt.date) -> tuple[dt.date, dt.date]:
    due = last + every
    late = last + overdue_after if overdue_after is not None else due
    return due, max(due, late)


class RoleClock:
    """One role's frequency, ready to answer many times: periods turned into steps once, answers
    remembered.

    The due list and the report ask for thousands of deadlines in one call, nearly all for roles
    with a single phase and from dates already asked about (sessions bunch on working days), so
    each answer is kept. A clock lives for one call (`role_clocks`), which bounds what it keeps.
    """

    def __init__(self, role: Role) -> None:
        self.phases = tuple((p.every.step, p.overdue_after.step if p.overdue_after else None)
                            for p in role.frequency)
        self.untils = tuple(p.until.step for p in role.frequency if p.until is not None)
        self.reviews = tuple((period.text, period.step) for period in role.reviews)
        self.as_agreed = role.as_agreed
        self.also_due = tuple((r.key, r.label, recurrence(r), r.until.step if r.until else None,
                               r.first.step if r.first else None) for r in role.also_due)
        self._memo: dict[tuple[dt.date, dt.date] | dt.date, tuple[dt.date, dt.date]] = {}

    def deadlines(self, start: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
        """`profile_due` for this role; with one phase the employment start plays no part."""
        key = (start, last) if self.untils else last
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._work_out(start, last)
        return found

    def _work_out(self, start: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
        if not self.untils:
            return _deadlines(*self.phases[0], last)
        boundaries = [start + until for until in self.untils]  # where phase i ends and i + 1 begins
        in_force = next((i for i, boundary in enumerate(boundaries) if last < boundary), len(boundaries))
        due, late = _deadlines(*self.phases[in_force], last)
        for i, boundary in enumerate(boundaries):
            if last < boundary < due:
                new_due, new_late = _deadlines(*self.phases[i + 1], boundary)
                if new_due < due:
                    due, late = new_due, new_late
        return due, late


def role_clocks(profile: Profile) -> dict[str, RoleClock]:
    """A fresh clock for each of the profile's roles, for one call that works out many deadlines."""
    return {key: RoleClock(role) for key, role in profile.roles.items()}


def profile_due(role: Role, start: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """(due, late_after) by the profile alone, from a session (or starting point) on `last`.

    The phase in force on `last` sets the interval. When a later phase begins before that
    interval ends and would bring the date forward, it does (docgen's choice): a move to more
    frequent supervision takes effect from its first day, a move to less frequent waits for the
    next session.
    """
    return RoleClock(role).deadlines(start, last)


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "twelve": 12}
_UNITS = {"day": relativedelta(days=1), "week": relativedelta(weeks=1), "fortnight": relativedelta(weeks=2),
          "month": relativedelta(months=1)}
_N = r"(?P<n>\d{1,2}|" + "|".join(_NUMBERS) + ")"
_FREQUENCY_FORMS = [
    re.compile(r"(?P<unit>week|fortnight|month)ly"),
    re.compile(r"(?:once\s+)?(?:every|a|per|each)\s+(?P<unit>week|fortnight|month)"),
    re.compile(rf"(?:once\s+)?(?:every\s+)?{_N}\s+(?P<unit>day|week|fortnight|month)s?"),
    re.compile(rf"{_N}[\s-]?(?P<unit>week|month)ly"),
]
_HEDGES = re.compile(r"^(?:at\s+least|a\s+minimum\s+of|minimum(?:\s+of)?|no\s+less\s+than)\s+|[\s.;:,!]+$")


def parse_frequency(text: str | None) -> relativedelta | None:
    """The interval an agreement's free-text frequency names, or None when it is not a plain one.

    Understood: "weekly", "fortnightly", "monthly", "every 2 weeks", "once a month", "4-weekly",
    "every three weeks", "at least monthly". Anything else (several phases, "as needed", ranges
    such as "4-6 weeks") is ignored and the profile alone applies.
    """
    cleaned = re.sub(r"\s+", " ", (text or "").strip().lower())
    cleaned = _HEDGES.sub("", cleaned)
    for form in _FREQUENCY_FORMS:
        m = form.fullmatch(cleaned)
        if m:
            raw = m.groupdict().get("n") or "1"
            n = int(raw) if raw.isdigit() else _NUMBERS[raw]
            return _UNITS[m.group("unit")] * n if n > 0 else None
    return None


@lru_cache(maxsize=1024)
def agreed_step(text: str) -> Step | None:
    """An agreement's frequency as a step to add to a day (None: not a plain one; see parse_frequency)."""
    delta = parse_frequency(text)
    return cheapest(delta) if delta is not None else None


def _interval(value: Period | relativedelta | str | None) -> Step | None:
    if isinstance(value, Period):
        return value.step
    if isinstance(value, str):
        return agreed_step(value)
    return cheapest(value) if value is not None else None


def next_due(profile: Profile, person: Supervisee, last_session: dt.date | None,
             agreement_frequency: Period | relativedelta | str | None, today: dt.date, *,
             supervised_since: dt.date | None = None) -> DueStatus:
    """When the person's next supervision is due, and whether it is due or overdue today.

    Counted from the last held session; with none yet, from the later of employment start and
    `supervised_since` (the first supervision relationship), so the first session falls due one
    interval in. An agreed frequency wins only when it gives an earlier date; it then sets both
    the due date and the overdue date (the agreement names no period of grace).
    """
    start = person.employment_start
    since = last_session or max(start, supervised_since or start)
    due, late, basis = next_deadlines(RoleClock(profile.role(person.role)), start, since,
                                      _interval(agreement_frequency))
    return DueStatus(due, late, due_state(today, due, late), basis, last_session)


def next_deadlines(clock: RoleClock, start: dt.date, since: dt.date,
                   agreed: Step | None) -> tuple[dt.date, dt.date, str]:
    """(due, late_after, basis) counted from `since`; see `next_due`."""
    due, late = clock.deadlines(start, since)
    if agreed is not None:
        by_agreement = since + agreed
        if by_agreement < due or clock.as_agreed:
            return by_agreement, by_agreement, "agreement"
    return due, late, "profile"


# --- records, rebooking, agreements ----------------------------------------------------------

def record_due_date(profile: Profile, session_date: dt.date) -> dt.date | None:
    """When a session's record must be complete and signed: the profile's `record_days` after the
    session (K: "within 5 working days"), counted in working or calendar days as it says (S 13.1:
    "within 5 days"). None where the policy sets no deadline (W, H, L)."""
    if profile.record_days is None:
        return None
    if profile.record_day_kind == "calendar":
        return session_date + dt.timedelta(days=profile.record_days)
    return add_working_days(session_date, profile.record_days)


def signing_deadline(profile: Profile, due_date: dt.date | None, next_supervision: dt.date | None) -> dt.date | None:
    """When a record sent for sign-off is late. Its deadline (K §9: "completed within 5 working
    days ... signed by both"), except where the record is "formally agreed at the next
    supervision" (S 13.1): then the 5 days are for writing it, and agreeing it is due at the next
    session the record names (its deadline if it names none)."""
    if profile.signoff.record_agreed == "at_next_supervision" and next_supervision is not None:
        return max(next_supervision, due_date) if due_date is not None else next_supervision
    return due_date


class InMonths(NamedTuple):
    """Due by the end of each of these months every year, whenever the person started (W §18:
    "mid-way appraisals in September and end of year appraisal in March")."""

    months: tuple[int, ...]


Recurrence = Step | InMonths  # an `also_due` item's: every so often from the start, or in given months


def recurrence(item: Recurring) -> Recurrence:
    """When a role's `also_due` item recurs: its months each year, or its period as a step."""
    if item.every is not None:
        return item.every.step
    return InMonths(item.months or ())  # one or the other (`Recurring._one_schedule`)


def _month_ends(months: InMonths, since: dt.date) -> Iterator[dt.date]:
    """The last day of each of the months, in date order, from the first on or after `since`."""
    for year in itertools.count(since.year):
        for on in sorted(dt.date(year, month, 1) + relativedelta(day=31) for month in months.months):
            if on >= since:
                yield on


def _earliest_in_months(start: dt.date, first: Step | None) -> dt.date:
    """The first day an item due in given months may fall: `first` after the start, or the day
    after it (someone who starts on 30 September has no September appraisal)."""
    return start + first if first is not None else start + dt.timedelta(days=1)


def _first_occurrence(start: dt.date, first: Step | None) -> tuple[dt.date, int]:
    """Where a repeating item's count starts and its first number: `first` after the start, or one
    step after the start when the profile gives no `first` (S App C 7: "at, 6 months … and every
    year after this")."""
    return (start + first, 0) if first is not None else (start, 1)


def recurring_on(start: dt.date, every: Recurrence, until: Step | None, today: dt.date,
                 window: dt.timedelta, first: Step | None = None) -> dt.date | None:
    """The occurrence of something due every `every` from `start` (until `until` after it) that is
    nearest after `today - window`, if it falls within `window` of `today`; each occurrence is
    counted from the start, so monthly from 31 January stays at the month's end. With `first`, the
    first falls `first` after the start and the rest every `every` after that (S App C 7). Due in
    given months (`InMonths`), it is the end of the first of them from `today - window`, and from
    `first` after the start (W §18)."""
    if isinstance(every, InMonths):
        on = next(_month_ends(every, max(today - window, _earliest_in_months(start, first))))
        return on if on <= today + window and (until is None or on <= start + until) else None
    anchor, lowest = _first_occurrence(start, first)
    step_days = max(1, ((anchor + every) - anchor).days)
    n = max(lowest, (today - window - anchor).days // step_days)
    on = _nth(anchor, every, n)
    while on < today - window:
        n += 1
        on = _nth(anchor, every, n)
    if until is not None and on > start + until:
        return None
    return on if on <= today + window else None


def _nth(start: dt.date, every: Step, n: int) -> dt.date:
    return start + Months(every.n * n) if isinstance(every, Months) else start + every * n


def group_session_due(profile: Profile, frequency: str | None, since: dt.date) -> tuple[dt.date, dt.date] | None:
    """(due, late_after) of a group's next session, counted from its last (or its creation,
    `since`): the profile's group rule (H §1 "every six to eight weeks": due at six weeks, overdue
    after eight), else the group's own `frequency` (K, S and L set none); None with neither."""
    rule = profile.groups
    if rule.every is not None:
        due = rule.every.after(since)
        return due, rule.overdue_after.after(since) if rule.overdue_after is not None else due
    if frequency:
        due = since + step(frequency)
        return due, due
    return None


def rebook_deadline(profile: Profile, cancelled_on: dt.date) -> dt.date:
    """The last day to rebook a cancelled session (H: "within the next five working days")."""
    return add_working_days(cancelled_on, profile.cancelled_rebook_working_days)


def agreement_review_date(profile: Profile, started_on: dt.date) -> dt.date:
    """The review date a new agreement is written with: the profile's review period after it
    starts (K App A: reviewed annually)."""
    return profile.agreement_review.after(started_on)


def agreement_review_on(profile: Profile, started_on: dt.date, review_date: dt.date | None) -> dt.date:
    """When a signed agreement is due for review: the earlier of the date written on it (the
    people may have agreed an earlier one) and the profile's review period after it started."""
    on = agreement_review_date(profile, started_on)
    return min(review_date, on) if review_date else on


# --- a new starter's first year (`docgen profile check`) ------------------------------------

class DueOn(NamedTuple):
    """Something that falls due on a day: a supervision, a formal review, an agreement review, or
    one of the role's `also_due` items (by its label)."""

    on: dt.date
    what: str


def first_year(profile: Profile, role_key: str, start: dt.date) -> list[DueOn]:
    """What a person starting in `role_key` on `start` has due over their first year, by the
    profile alone, in date order: each supervision counted from the last, held on the day it falls
    due (so the phases show as the policy sets them); the formal reviews; the agreement's review
    (an agreement signed on the first day); and whatever else the role has due. An administrator
    reads from it what their profile asks of a newcomer before anyone is supervised under it."""
    role = profile.role(role_key)
    clock, end = RoleClock(role), start + Months(12)
    found: list[DueOn] = []
    since = start
    while (due := clock.deadlines(start, since)[0]) <= end:
        found.append(DueOn(due, "supervision"))
        since = due
    found += [DueOn(start + review.step, f"{review.text} review") for review in role.reviews]
    found.append(DueOn(agreement_review_date(profile, start), "agreement review"))
    for item in role.also_due:
        last = min(end, start + item.until.step) if item.until is not None else end
        found += [DueOn(on, item.label) for on in _occurrences(start, item, last)]
    return sorted(d for d in found if d.on <= end)


def _occurrences(start: dt.date, item: Recurring, last: dt.date) -> list[dt.date]:
    """Each day the role's `also_due` item falls due from `start` up to `last`."""
    every, first = recurrence(item), item.first.step if item.first is not None else None
    if isinstance(every, InMonths):
        days: Iterator[dt.date] = _month_ends(every, _earliest_in_months(start, first))
    else:
        anchor, n = _first_occurrence(start, first)
        days = (_nth(anchor, every, k) for k in itertools.count(n))
    return list(itertools.takewhile(lambda on: on <= last, days))
