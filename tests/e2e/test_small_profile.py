"""A council's administrator starts from a small profile: only the keys docs/PROFILES.md marks
required, in a profile folder of their own. `docgen profile check` reads it back with its sources
and a newcomer's first year, `docgen init --demo` runs on it though it has none of Knowsley's
roles, the supervisor's due list shows the demo team, and the policy page shows the blocks the
profile left out as docgen's labelled defaults."""
from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from kernel.config import from_env
from workflows import demo, profile_sources
from workflows.profiles import OPTIONAL_KEYS

DOCGEN = [sys.executable, "-m", "docgen.main"]
HTML = {"Accept": "text/html"}

# Written from docs/PROFILES.md alone: every key it marks required, and nothing else.
EASTVALE = """\
name: eastvale
profile_version: 2
council: Eastvale Council
policy_ref: E
agreement_review: 12 months
planning_horizon: 3 months
signoff:
  record_signers: [supervisee, supervisor]
retention:
  hr_forward_after: 3 months
  keep_for: 6 years
roles:
  practitioner:
    label: Practitioner
    record_kind: supervision
    frequency: [{every: 4 weeks}]
  newly_qualified:
    label: Newly qualified social worker
    record_kind: supervision
    frequency: [{every: 1 week, until: 6 weeks}, {every: 2 weeks}]
record_kinds:
  supervision:
    title: Supervision record
    form: practitioner
    areas:
      - {key: casework, title: Casework}
sources:
  agreement_review: {section: "E 4", quote: "The agreement is reviewed every year."}
  planning_horizon: "default: docgen — E sets no planning horizon"
  signoff: {section: "E 8", quote: "Both sign the record."}
  retention: {section: "E 12", quote: "Records go to HR three months after a leaver leaves and are kept six years."}
  roles.practitioner: {section: "E 5", quote: "Practitioners are supervised every four weeks."}
  roles.newly_qualified: {section: "E 6", quote: "Newly qualified social workers are supervised weekly for six weeks."}
  record_kinds: {section: "E App A", quote: "The record covers casework."}
"""


def _environment(tmp_path: Path) -> dict[str, str]:
    """docgen's embedded default on an instance of its own, with Eastvale's profile folder. The demo's
    replayed documents wait in the embedded queue as a new deployment's do (tests/demo_instance.py):
    the in-process queue would convert and seal each of them while `init` runs, which nothing here
    looks at, and which was about half of the demo's time."""
    folder = tmp_path / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / "eastvale.yaml").write_text(EASTVALE)
    return {**{k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")},
            "DOCGEN_INSTANCE_PATH": str(tmp_path / "instance"),
            "DOCGEN_PROFILE_DIR": str(folder), "DOCGEN_PROFILE": "eastvale"}


def _docgen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(DOCGEN + list(args), env=env, capture_output=True, text=True, timeout=300)


def test_profile_check_prints_each_rule_with_its_source_and_a_newcomers_first_year(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    checked = _docgen(env, "profile", "check", str(tmp_path / "profiles" / "eastvale.yaml"), "--start", "2027-01-04")
    assert checked.returncode == 0, checked.stderr
    out = checked.stdout
    assert "roles.practitioner: " in out and '      E 5: "Practitioners are supervised every four weeks."' in out
    assert "      default: docgen — the profile names no route for a disagreement" in out  # left out: docgen's
    weekly_then_fortnightly = re.findall(r"Mon (\d+ \w+) 2027  supervision",
                                         out[out.index("(newly_qualified):"):])[:8]
    assert weekly_then_fortnightly == ["11 Jan", "18 Jan", "25 Jan", "1 Feb", "8 Feb", "15 Feb", "1 Mar", "15 Mar"]
    assert "Tue 4 Jan 2028  agreement review" in out


def test_the_demo_runs_on_a_small_profile_and_its_due_list_shows_the_team(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    made = _docgen(env, "init", "--demo")
    assert made.returncode == 0, made.stderr
    assert "Demo: Team Manager: no such role in profile 'eastvale'; given 'Practitioner' instead" in made.stdout
    assert "Personal Advisor: no such role" in made.stdout
    assert "ASYE" not in made.stdout.split("Demo sign-ins")[0]  # the ASYE is the newly qualified role

    from docgen.app import create_app

    app = create_app(from_env({k: v for k, v in env.items() if k.startswith("DOCGEN_")}))
    try:
        due = _page(_signed_in(app, "manager"), "/supervision")
        policy = _page(_signed_in(app, "admin"), "/admin/policy")
    finally:
        app.extensions["docgen"].engine.dispose()
    for name in ("Alex Morgan", "Jordan Lee", "Chris Evans"):
        assert f"{name} Practitioner " in due
    assert "Priya Patel Newly qualified social worker " in due  # the ASYE, found by the role's label
    taylor = due[due.index("Taylor Green Practitioner"):]
    assert taylor.split()[3] == "Overdue" and "Rebook due by" in taylor  # the demo's year, on E's frequency
    for block in OPTIONAL_KEYS.values():  # the blocks the profile left out, as docgen's labelled defaults
        why = profile_sources.reason(block.label)
        assert f"docgen default Why: {why[:1].upper()}{why[1:]}" in policy


def _signed_in(app: Any, who: str) -> Any:
    client = app.test_client()
    page = client.get("/sign-in", headers=HTML).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    answer = client.post("/sign-in", headers=HTML, data={"csrf_token": token.group(1),
                                                         "email": f"{who}@demo.example.org",
                                                         "password": demo.DEMO_PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _page(client: Any, path: str) -> str:
    page = client.get(path, headers=HTML, follow_redirects=True)
    assert page.status_code == 200, path
    page_html = page.get_data(as_text=True)
    main = page_html[page_html.index("<main"):page_html.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))
