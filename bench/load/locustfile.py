"""The load scenarios' users, run headless by `bench/load/run.py` (one class per scenario).

Each reads what the seed made from the JSON file named by DOCGEN_BENCH_DATA: sign-off link tokens
and names, supervisors' e-mail addresses and their supervisees' record ids, the head of service's
API token and the teams to bulk start. Every request goes to the host locust is given (nginx in
front of gunicorn, so all users share one client address, as behind a council's proxy).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from typing import Any

from locust import HttpUser, between, constant, task
from locust.exception import StopUser

DATA: dict[str, Any] = json.loads(open(os.environ["DOCGEN_BENCH_DATA"]).read())
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|type="hidden" name="csrf_token" value="([^"]+)"')
PASSWORD = DATA["password"]
_next = itertools.count()
_lock = threading.Lock()


def _take(key: str) -> Any:
    """The next unused item of a list in the data (each user its own link or supervisor)."""
    with _lock:
        n = next(_next)
    items = DATA[key]
    return items[n % len(items)]


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    return (match.group(1) or match.group(2)) if match else ""


class SignLinkUser(HttpUser):
    """A supervisee at 9 a.m.: opens the e-mailed link, reads the record, downloads the review PDF,
    agrees and confirms with their name; once."""

    wait_time = constant(0)

    @task
    def decide(self) -> None:
        link = _take("links")
        page = self.client.get(f"/sign/{link['token']}", name="link page")
        self.client.get(f"/sign/{link['token']}/pdf", name="review PDF")
        self.client.post(f"/sign/{link['token']}", name="decision",
                         data={"csrf_token": _csrf(page.text), "decision": "agree", "comment": "",
                               "confirm_name": link["name"]})
        raise StopUser()


class LinkPageUser(HttpUser):
    """The baseline: one person opening link pages one after another, nothing else running."""

    wait_time = constant(0)

    @task
    def open_each(self) -> None:
        for link in DATA["links"][:DATA.get("baseline_links", 10)]:
            self.client.get(f"/sign/{link['token']}", name="link page")
        raise StopUser()


class SupervisorUser(HttpUser):
    """A supervisor browsing: the dashboard, one of their supervisees' records, the compliance report."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.me = _take("supervisors")
        self.client.headers["X-Forwarded-For"] = f"10.1.0.{self.me['team'] % 250 + 1}"  # their own office
        form = self.client.get("/sign-in", name="sign-in page")
        self.client.post("/sign-in", name="sign in", data={
            "csrf_token": _csrf(form.text), "email": self.me["email"], "password": PASSWORD})

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/supervision", name="dashboard")

    @task(3)
    def record(self) -> None:
        self.client.get(f"/records/{random.choice(self.me['records'])}", name="record")

    @task(1)
    def report(self) -> None:
        self.client.get("/reports/compliance", name="compliance report")


class BulkStartUser(HttpUser):
    """The soak's service manager: starts a team's records for a new date now and then, and
    follows the progress until it is done."""

    wait_time = constant(5)

    @task
    def start_team(self) -> None:
        headers = {"Authorization": f"Bearer {DATA['head_token']}"}
        with _lock:
            day = DATA["soak_dates"].pop()
        started = self.client.post("/api/v1/bulk-starts", name="bulk start", headers=headers,
                                   json={"team_id": random.choice(DATA["teams"]), "session_date": day})
        if started.status_code != 202:
            return
        deadline = time.monotonic() + 120
        while not started.json()["finished"] and time.monotonic() < deadline:
            time.sleep(1)
            started = self.client.get(f"/api/v1/bulk-starts/{started.json()['id']}", name="bulk progress",
                                      headers=headers)
