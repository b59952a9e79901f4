"""A small demo organisation so a first run has people to supervise and sign in as."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import clock
from storage.errors import NotFound
from storage.models import Organisation, Person
from workflows import accounts, people
from workflows.profiles import Profile

DEMO_PASSWORD = "supervision-demo-2026"

# (key, name, role, job title, line manager key, granted roles, months employed)
STAFF = [
    ("head", "Dana Okafor", "head_of_service", "Head of Service", None, ["senior_manager"], 60),
    ("manager", "Sam Whitfield", "team_manager", "Team Manager", "head", [], 36),
    ("worker", "Alex Morgan", "social_worker", "Social Worker", "manager", [], 24),
    ("asye", "Priya Patel", "asye", "ASYE Social Worker", "manager", [], 1),
    ("hr", "Harriet Reid", "hr_officer", "HR Officer", None, ["hr"], 48),
    ("auditor", "Omar Aziz", "quality_auditor", "Quality Assurance Auditor", None, ["auditor"], 48),
    ("admin", "Ada Admin", "administrator", "System Administrator", None, ["admin"], 48),
]


def seed_demo(db: Session, org: Organisation, profile: Profile) -> list[tuple[str, str, str]]:
    """Create the demo team and people if absent; returns (name, e-mail, roles) to print."""
    try:
        team = people.team_by_name(db, "Children in Need 1")
    except NotFound:
        team = people.create_team(db, org, "Children in Need 1", "Children's Social Care")
    made: dict[str, Person] = {}
    logins = []
    today = clock.today()
    for key, name, role, title, manager, roles, months in STAFF:
        email = f"{key}@demo.example.org"
        person = db.scalar(select(Person).where(Person.email == email))
        if person is None:
            person = people.create_person(db, org, profile, {
                "name": name, "email": email, "role": role, "job_title": title,
                "team_id": team.id if key in ("manager", "worker", "asye") else None,
                "line_manager_id": made[manager].id if manager else None,
                "employment_start": today - dt.timedelta(days=30 * months)})
            accounts.create_account(db, person, DEMO_PASSWORD, roles)
        made[key] = person
        logins.append((name, email, ", ".join(roles) or "staff"))
    for supervisee, supervisor in (("worker", "manager"), ("asye", "manager"), ("manager", "head")):
        if not people.list_relationships(db, supervisee_id=made[supervisee].id)[1]:
            people.create_relationship(db, made[supervisee].id, made[supervisor].id,
                                       made[supervisee].employment_start)
    return logins
