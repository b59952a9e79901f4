"""A demo team with a year behind it, so a first run shows what a month with docgen looks like.

The people are made as an administrator would make them; their year is then replayed through the
use cases a supervisor, a supervisee and HR call (start a record, edit it, send it, agree by the
e-mailed link, countersign, plan and cancel a session, set a leaving date), each at the date it
would have happened: docgen's clock is moved for the replay, never the rows written afterwards.
So the dashboard, the history, the due list and the compliance report are docgen's own answers
about a believable team: signed records with actions carried forward, an ASYE in weekly then
fortnightly supervision, an agreement due for review, a record awaiting the supervisee, a
disagreement, a cancelled session to rebook, someone overdue and a leaver.

A year of e-mail is history, not news: the replay's messages stay in the outbox marked as not
sent, no delivery of them is queued, and none is dated after the replay, so starting docgen does
not e-mail the demo's addresses.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kernel import clock
from kernel.errors import NotFound
from storage.models import Account, Organisation, OutboxMessage, Person
from workflows import (accounts, agreements, notifications, organisation, people, pipeline, planning, records,
                       retention, signoff)
from workflows.access import Caller
from workflows.deployment import Work
from workflows.inputs.signoff import Decide
from workflows.profiles import Profile

DEMO_PASSWORD = "supervision-demo-2026"
TEAM = "Children in Need 1"
HISTORY_NOT_SENT = "demo history: replayed at set-up, never e-mailed"
_LINK = re.compile(r"/sign/([A-Za-z0-9_-]{20,})")
_AT_WORK = dt.time(10, 0)

# Printed after the sign-ins: where a newcomer sees the replayed year first (sign in as, page, what).
WHERE_TO_LOOK = (
    ("manager", "/supervision", "Sam's supervisees: a record waiting for Jordan, Chris's disagreement, "
                                "Taylor overdue with a cancelled session to rebook"),
    ("worker", "/my-records", "Alex's year of signed records and the actions carried between them"),
    ("head", "/reports/compliance", "the compliance report for the organisation"),
    ("hr", "/hr/leavers", "Morgan Blake, who left last month, and when their records go to HR"),
)

# (key, name, job title, line manager key, granted roles, days employed, in the team); their role in
# the profile is found by what they do (`DOES`)
STAFF = [
    ("head", "Dana Okafor", "Head of Service", None, ["senior_manager"], 5 * 365, False),
    ("manager", "Sam Whitfield", "Team Manager", "head", [], 3 * 365, True),
    ("worker", "Alex Morgan", "Social Worker", "manager", [], 2 * 365, True),
    ("jordan", "Jordan Lee", "Senior Social Worker", "manager", [], 4 * 365, True),
    ("chris", "Chris Evans", "Social Worker", "manager", [], 3 * 365, True),
    ("asye", "Priya Patel", "ASYE Social Worker", "manager", [], 150, True),
    ("taylor", "Taylor Green", "Personal Advisor", "manager", [], 380, True),
    ("morgan", "Morgan Blake", "Family Support Worker", "manager", [], 6 * 365, True),
    ("hr", "Harriet Reid", "HR Officer", None, ["hr"], 4 * 365, False),
    ("auditor", "Omar Aziz", "Quality Assurance Auditor", None, ["auditor"], 4 * 365, False),
    ("admin", "Ada Admin", "System Administrator", None, ["admin"], 4 * 365, False),
]


@dataclass(frozen=True)
class Does:
    """What a demo person does, so any council's profile can name their role: the role keys docgen's
    profiles use for it (Knowsley's first, so its demo is as written above), the words a council's
    own label would use, and, where the profile has no such role, whose role they take instead."""

    keys: tuple[str, ...]
    label: str  # a regular expression matched against the profile's role labels
    staff: bool = False  # a role outside supervision
    instead: str | None = None  # the demo person whose role stands in (None: the first role)


_PRACTITIONER = Does(("social_worker",), r"^(?!.*(asye|nqsw|newly|student)).*(social worker|practitioner)")
DOES = {
    "head": Does(("head_of_service", "senior_manager", "service_manager"), r"head|senior manager|service manager",
                 instead="manager"),
    "manager": Does(("team_manager",), r"team (manager|leader)", instead="head"),
    "worker": _PRACTITIONER, "jordan": _PRACTITIONER, "chris": _PRACTITIONER,
    "asye": Does(("asye",), r"asye|nqsw|newly qualified", instead="worker"),
    "taylor": Does(("personal_advisor",), r"personal advis", instead="worker"),
    "morgan": Does(("family_support_worker", "practitioner"), r"family (support )?worker|support worker|"
                   r"not social work", instead="worker"),
    "hr": Does(("hr_officer",), r"\bhr\b|human resources", staff=True, instead="head"),
    "auditor": Does(("quality_auditor",), r"audit|quality", staff=True, instead="head"),
    "admin": Does(("administrator",), r"admin", staff=True, instead="head"),
}


class RoleMap(NamedTuple):
    """Each demo person's role in the profile, and a line for each one it could not match by what
    they do (they took another's role instead)."""

    roles: dict[str, str]
    unmapped: list[str]


def map_roles(profile: Profile) -> RoleMap:
    """The demo's people in the profile's roles, by what they do, so `docgen init --demo` runs on
    any council's profile: by role key, then by label, then as the person named in `Does.instead`
    (one outside supervision takes any role outside supervision first)."""
    roles: dict[str, str] = {}
    unmapped: list[str] = []
    titles = {key: title for key, _, title, *_ in STAFF}
    for key, does in sorted(DOES.items(), key=lambda item: item[1].instead is not None):  # fallbacks last
        pool = profile.staff_roles if does.staff else profile.roles
        found_key = next((k for k in does.keys if k in pool), None) or next(
            (role for role, found in pool.items() if re.search(does.label, found.label, re.IGNORECASE)), None)
        if found_key is None:
            found_key = _instead(profile, does, roles)
            unmapped.append(f"{titles[key]}: no such role in profile '{profile.name}'; given "
                            f"'{profile.label(found_key)}' instead")
        roles[key] = found_key
    return RoleMap(roles, unmapped)


def _instead(profile: Profile, does: Does, mapped: dict[str, str]) -> str:
    if does.staff and profile.staff_roles:
        return next(iter(profile.staff_roles))
    if does.instead in mapped:
        return mapped[does.instead]
    return next(iter(profile.roles))


SUPERVISION = {"manager": "head", "worker": "manager", "jordan": "manager", "chris": "manager", "asye": "manager",
               "taylor": "manager", "morgan": "manager"}
# When each long-serving supervisee's current agreement was signed: Taylor's comes up for its
# annual review in a fortnight (the ASYE's was signed in their first week).
AGREED_DAYS_AGO = {"manager": 200, "worker": 300, "jordan": 250, "chris": 180, "taylor": 350, "morgan": 320}

WELFARE = ("Busy month with two new allocations; managing, and taking the flexi owed.",
           "Feeling settled; sleeping better since the duty rota changed.",
           "A difficult home visit last week; talked it through and agreed a debrief with the team.",
           "Annual leave booked for half term; caseload cover agreed with the team.")
ACTIONS = (("Complete the parenting assessment and share it with the family", "end of month"),
           ("Book the safeguarding refresher course", "next supervision"),
           ("Update the chronology on the two CIN cases transferred in", "two weeks"),
           ("Shadow a Child Protection conference chaired by the IRO", "within six weeks"),
           ("Write the case summary for the legal planning meeting", "Friday"))


@dataclass
class _Member:
    key: str
    person: Person
    account: Account

    @property
    def caller(self) -> Caller:
        return Caller(account=self.account, ip="127.0.0.1", user_agent="docgen demo")


def seed_demo(db: Session, org: Organisation, profile: Profile) -> tuple[list[tuple[str, str, str]], dict[str, _Member]]:
    """Create the demo team, people and sign-ins if absent: the (name, e-mail, roles) to print,
    and the people made now (none on a second run, so their year is replayed only once)."""
    try:
        team = people.team_by_name(db, TEAM)
    except NotFound:
        team = people.create_team(db, org, TEAM, "Children's Social Care")
    team_members: dict[str, _Member] = {}
    ids: dict[str, int] = {}
    logins = []
    today = clock.today()
    in_profile = map_roles(profile).roles
    for key, name, title, manager, roles, days, in_team in STAFF:
        email = f"{key}@demo.example.org"
        person = db.scalar(select(Person).where(Person.email == email))
        if person is None:
            person = people.create_person(db, org, profile, {
                "name": name, "email": email, "role": in_profile[key], "job_title": title,
                "team_id": team.id if in_team else None, "line_manager_id": ids[manager] if manager else None,
                "employment_start": today - dt.timedelta(days=days)})
            team_members[key] = _Member(key, person, accounts.create_account(db, person, DEMO_PASSWORD, roles))
        ids[key] = person.id
        logins.append((name, email, ", ".join(roles) or "staff"))
    if team_members:
        for supervisee, supervisor in SUPERVISION.items():
            people.create_relationship(db, ids[supervisee], ids[supervisor],
                                       team_members[supervisee].person.employment_start)
    return logins, team_members


def establish(uow: Work) -> organisation.Established:
    """The organisation (`workflows.organisation.establish`) with the demo team; on the first run
    the team's year is replayed. Safe to run twice: what exists is kept."""
    established = organisation.establish(uow)
    logins, made = seed_demo(uow.session, established.organisation, uow.deployment.profile)
    uow.commit()
    if made:
        replay_year(uow, made)
    return organisation.Established(established.organisation, logins)


def replay_year(uow: Work, team: dict[str, _Member]) -> None:
    """Replay the team's last twelve months through the use cases, each at its own date."""
    now = clock.now()
    try:
        with _no_mail_delivered(uow):
            _Year(uow, team, now).replay()
    finally:
        clock.set_clock(None)
    _history_not_sent(uow)


@contextmanager
def _no_mail_delivered(uow: Work) -> Iterator[None]:
    """The replay's e-mails are written to the outbox, where the replay reads its sign-off links,
    but no delivery of them is queued (issue 27: a new demo left 101 invented e-mails queued to
    send): everything else the use cases hand the queue, such as sealing the PDFs, is queued."""
    deployment = uow.deployment
    enqueue = deployment.enqueue

    def all_but_mail(task: str, *args: object) -> None:
        if task != "deliver_email":
            enqueue(task, *args)

    deployment.enqueue = all_but_mail
    try:
        yield
    finally:
        deployment.enqueue = enqueue


class _Year:
    """The replay: one supervisor's year with each supervisee, in date order per supervisee."""

    def __init__(self, uow: Work, team: dict[str, _Member], now: dt.datetime) -> None:
        self.uow, self.team, self.now, self.today = uow, team, now, clock.uk(now).date()

    @contextmanager
    def _on(self, day: dt.date, at: dt.time = _AT_WORK) -> Iterator[None]:
        """Run what follows as if it were `day` at `at`, the clock ticking a millisecond a reading so
        events keep their order; never later than the moment the replay began (issue 27: some of
        the history was dated later today)."""
        start, ticks = min(dt.datetime.combine(day, at), self.now - dt.timedelta(minutes=1)), itertools.count()
        clock.set_clock(lambda: start + dt.timedelta(milliseconds=next(ticks)))
        yield

    def replay(self) -> None:
        for key, days_ago in AGREED_DAYS_AGO.items():
            self._agreement(key, _weekday(self.today - dt.timedelta(days=days_ago)))
        self._agreement("asye", _weekday(self.team["asye"].person.employment_start + dt.timedelta(days=3)))

        year, recent = _monthly(self.today, 12), _monthly(self.today, 5)
        self._signed_history("worker", year)  # a full year, actions carried forward and completed
        self._signed_history("manager", recent)
        self._signed_history("jordan", recent[:-1])
        self._awaiting_supervisee("jordan", _weekday_before(self.today - dt.timedelta(days=5)))
        self._signed_history("chris", recent[:-1])
        self._disagreement("chris", _weekday_before(self.today - dt.timedelta(days=8)))
        self._signed_history("asye", _asye_sessions(self.team["asye"].person.employment_start, self.today))
        self._signed_history("taylor", [d for d in recent if d < self.today - dt.timedelta(days=50)])  # overdue
        self._cancelled_session("taylor")
        leaving = _weekday(self.today - dt.timedelta(days=40))
        self._signed_history("morgan", [d for d in recent if d < leaving])
        self._leaver("morgan", leaving)
        with self._on(self.today, dt.time(2, 0)):
            retention.run(self.uow, self.today)  # the nightly run: Morgan's records are frozen

    # --- agreements ---------------------------------------------------------------------------

    def _agreement(self, key: str, started_on: dt.date) -> None:
        supervisee, supervisor = self.team[key], self.team[SUPERVISION[key]]
        with self._on(started_on):
            made = agreements.start_agreement(self.uow, supervisor.caller, supervisee.person.id, started_on)
        self._sign("agreement", made["id"], supervisee, supervisor, started_on)

    # --- records ------------------------------------------------------------------------------

    def _signed_history(self, key: str, sessions: list[dt.date]) -> None:
        started = self.team[key].person.employment_start
        for n, day in enumerate(d for d in sessions if d > started):
            record_id = self._written(key, day, n)
            self._sign("record", record_id, self.team[key], self.team[SUPERVISION[key]], day)

    def _written(self, key: str, day: dt.date, n: int) -> int:
        """The supervisor writes the session up the next working day: welfare, one area, the
        progress on what was carried forward (every third session completes the oldest action),
        and a new action every other session."""
        supervisor = self.team[SUPERVISION[key]]
        with self._on(_weekday(day + dt.timedelta(days=1))):
            record = records.start_record(self.uow, supervisor.caller, self.team[key].person.id, day)
            carried = [entry for entry in records.record_json(self.uow.session, record)["actions"]]
            patch: dict = {"welfare": {"discussion": WELFARE[n % len(WELFARE)]},
                           "previous": {"happy": "Yes", "comments": ""} if n else {"happy": "", "comments": ""},
                           "next_supervision": _next_session(day),
                           "actions": [{"id": entry["id"], "progress": f"Progress discussed on {day:%-d %B}.",
                                        "completed": i == 0 and n % 3 == 2}
                                       for i, entry in enumerate(carried)]}
            areas = record.sections["areas"]
            if areas:
                patch["areas"] = [{**area, "discussion": "Discussed; no concerns."} if i == 0 else area
                                  for i, area in enumerate(areas)]
            if n % 2 == 0:
                text, due = ACTIONS[(n // 2) % len(ACTIONS)]
                patch["actions"].append({"section": "summary", "text": text, "owner": self.team[key].person.name,
                                         "due": due})
            asked = records.asked_by(records.form_of(self.uow.deployment.profile, record))  # any council's form
            records.update(self.uow, supervisor.caller, record.id,
                           {name: value for name, value in patch.items() if name in asked}, record.revision)
            return record.id

    def _awaiting_supervisee(self, key: str, day: dt.date) -> None:
        record_id = self._written(key, day, 0)
        with self._on(_weekday(day + dt.timedelta(days=1)), dt.time(15, 0)):
            pipeline.send_for_signoff(self.uow, self.team[SUPERVISION[key]].caller, "record", record_id)

    def _disagreement(self, key: str, day: dt.date) -> None:
        supervisee = self.team[key]
        record_id = self._written(key, day, 1)
        sent_on = _weekday(day + dt.timedelta(days=1))
        with self._on(sent_on, dt.time(15, 0)):
            pipeline.send_for_signoff(self.uow, self.team[SUPERVISION[key]].caller, "record", record_id)
        with self._on(_weekday(sent_on + dt.timedelta(days=1))):
            signoff.decide(self.uow, supervisee.caller, self._link(supervisee), Decide(
                decision="disagree", confirm_name=supervisee.person.name,
                comment="The welfare section does not say that my caseload was agreed to drop to 18; please add it."))

    def _sign(self, kind: str, document_id: int, supervisee: _Member, supervisor: _Member, day: dt.date) -> None:
        """Sent the day after the session, agreed by link the day after that, then countersigned."""
        sent_on = _weekday(day + dt.timedelta(days=1))
        with self._on(sent_on, dt.time(15, 0)):
            pipeline.send_for_signoff(self.uow, supervisor.caller, kind, document_id)
        agreed_on = _weekday(sent_on + dt.timedelta(days=1))
        with self._on(agreed_on):
            signoff.decide(self.uow, supervisee.caller, self._link(supervisee),
                           Decide(decision="agree", confirm_name=supervisee.person.name))
        with self._on(agreed_on, dt.time(16, 30)):
            signoff.countersign(self.uow, supervisor.caller, kind, document_id)

    def _link(self, signer: _Member) -> str:
        """The token in the newest e-mail to `signer`, as they would click it."""
        db = self.uow.session
        message = db.scalar(select(OutboxMessage).where(OutboxMessage.to_address == signer.person.email)
                            .order_by(OutboxMessage.id.desc()).limit(1))
        match = _LINK.search(notifications.letter_for(db, message).text) if message else None
        if match is None:
            raise RuntimeError(f"the demo found no sign-off link e-mailed to {signer.person.email}")
        return match.group(1)

    # --- planning and leaving -----------------------------------------------------------------

    def _cancelled_session(self, key: str) -> None:
        """A session planned for tomorrow, cancelled by the supervisor on the last working day: to rebook."""
        supervisor = self.team[SUPERVISION[key]]
        yesterday = _weekday_before(self.today - dt.timedelta(days=1))
        with self._on(yesterday - dt.timedelta(days=7)):
            planned = planning.arrange_session(
                self.uow, supervisor.caller, self.team[key].person.id,
                dt.datetime.combine(_weekday(self.today + dt.timedelta(days=1)), dt.time(14, 0)),
                location="Meeting room 2")
        with self._on(yesterday):
            planning.cancel_session(self.uow, supervisor.caller, planned.session.id)

    def _leaver(self, key: str, leaving: dt.date) -> None:
        """HR sets the leaving date a fortnight ahead of it; that night's retention run freezes the
        records, as it would have on the day."""
        person = self.team[key].person
        with self._on(leaving - dt.timedelta(days=14)):
            organisation.change_person(self.uow, self.team["hr"].caller, person.id, {"leave_date": leaving},
                                       person.revision)
        with self._on(leaving, dt.time(20, 0)):  # UTC: that evening in the UK, summer time or not
            retention.run(self.uow, leaving)


def _history_not_sent(uow: Work) -> None:
    uow.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                        .values(attempts=notifications.MAX_ATTEMPTS, last_error=HISTORY_NOT_SENT, sealed_body=None))
    uow.commit()


def _weekday(day: dt.date) -> dt.date:
    """`day`, or the Monday after it when it falls at a weekend."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _weekday_before(day: dt.date) -> dt.date:
    """`day`, or the Friday before it when it falls at a weekend."""
    return day - dt.timedelta(days=day.weekday() - 4 if day.weekday() >= 5 else 0)


def _monthly(today: dt.date, months: int) -> list[dt.date]:
    """A session around the 9th of each of the last `months` months (this one included), oldest
    first, held at least a week ago."""
    days = []
    for back in range(months - 1, -1, -1):
        month_index = today.year * 12 + today.month - 1 - back
        days.append(_weekday(dt.date(month_index // 12, month_index % 12 + 1, 9)))
    return [d for d in days if d <= today - dt.timedelta(days=7)]


def _asye_sessions(started: dt.date, today: dt.date) -> list[dt.date]:
    """Weekly for the first six weeks, then fortnightly (K §6), up to a week ago."""
    first = _weekday(started + dt.timedelta(days=4))
    days = [first + dt.timedelta(weeks=w) for w in range(6)]
    while days[-1] + dt.timedelta(weeks=2) <= today - dt.timedelta(days=7):
        days.append(days[-1] + dt.timedelta(weeks=2))
    return [d for d in days if d <= today - dt.timedelta(days=7)]


def _next_session(day: dt.date) -> dt.date:
    return _weekday(day + dt.timedelta(days=28))
