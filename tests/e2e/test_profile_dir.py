"""A council's own profile folder (DOCGEN_PROFILE_DIR) reaches the running app; the documented
example profile works as written, its quotes found in its policy's text; the policy page shows
each rule's source with the policy's words and asks an administrator to confirm docgen's
defaults, as `docgen init` does."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kernel.config import Config, from_env
from storage.models import AuditEvent
from tests.e2e.test_web_pages import HTML, csrf, sign_in, text
from tests.unit.test_profiles import EXAMPLE_DIR
from workflows.due_dates import next_due, record_due_date


def _app(tmp_path: Path, sqlite_url: str, profile_dir: Path, profile: str = "northshire") -> Any:
    from docgen.app import create_app

    environment = {"DOCGEN_PROFILE": profile, "DOCGEN_PROFILE_DIR": str(profile_dir)}
    config: Config = from_env(environment, env="test", instance_path=tmp_path / "instance", database_url=sqlite_url,
                              secret_key="test-secret-" + "x" * 32, tasks_url="memory")
    return create_app(config)


class _Staff:
    def __init__(self, role: str, start: dt.date) -> None:
        self.role, self.employment_start = role, start


def test_the_documented_example_profile_runs_the_app_with_its_own_due_dates_and_form(tmp_path: Path,
                                                                                      sqlite_url: str) -> None:
    app = _app(tmp_path, sqlite_url, EXAMPLE_DIR)
    try:
        profile = app.extensions["docgen"].profile
        assert app.test_client().get("/health").json == {"status": "ok", "profile": "northshire"}
        start = dt.date(2026, 1, 5)  # a Monday
        asye = _Staff("asye", start)
        # N §6 as the example writes it: weekly for four weeks, fortnightly to six months, then every four weeks
        assert next_due(profile, asye, start + dt.timedelta(days=27), None, start).due_on == dt.date(2026, 2, 8)
        assert next_due(profile, asye, start + dt.timedelta(days=28), None, start).due_on == dt.date(2026, 2, 16)
        assert next_due(profile, asye, dt.date(2026, 7, 5), None, start).due_on == dt.date(2026, 8, 2)
        # N §5: family workers as agreed, every six weeks until the agreement says
        worker = _Staff("family_worker", start)
        assert next_due(profile, worker, dt.date(2026, 3, 2), None, start).due_on == dt.date(2026, 4, 13)
        assert next_due(profile, worker, dt.date(2026, 3, 2), "every 8 weeks", start).due_on == dt.date(2026, 4, 27)
        # N §8: ten working days (Good Friday and Easter Monday 2026 are bank holidays)
        assert record_due_date(profile, dt.date(2026, 3, 30)) == dt.date(2026, 4, 15)
        kind = profile.record_kinds[profile.roles["social_worker"].record_kind]
        assert [a.title for a in kind.areas] == ["Wellbeing", "Casework (case numbers only)",
                                                 "Learning and development"]
        assert profile.source("retention") == "N §12"
    finally:
        app.extensions["docgen"].engine.dispose()


def _init(tmp_path: Path, profile: str, profile_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")},
           "DOCGEN_INSTANCE_PATH": str(tmp_path / "instance"), "DOCGEN_PROFILE": profile}
    if profile_dir is not None:
        env["DOCGEN_PROFILE_DIR"] = str(profile_dir)
    return subprocess.run([sys.executable, "-m", "docgen.main", "init"], env=env, capture_output=True, text=True,
                          timeout=180)


def test_cli_lists_a_bad_profiles_keys_in_readable_lines_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "northshire.yaml").write_text(
        (EXAMPLE_DIR / "northshire.yaml").read_text().replace("signoff:\n", "signoff:\n  link_expiry_dayz: 7\n", 1)
        + "record_dayz: 4\n")

    run = _init(tmp_path, "northshire", tmp_path / "profiles")

    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [
        f"docgen: {tmp_path / 'profiles' / 'northshire.yaml'}: 2 problems:",
        "  signoff.link_expiry_dayz: unknown key; did you mean 'link_expiry_days'?",
        "  record_dayz: unknown key; did you mean 'record_days'?",
    ]


def test_the_example_with_a_rule_left_uncited_is_refused_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    example = (EXAMPLE_DIR / "northshire.yaml").read_text()
    [cited] = [line for line in example.splitlines(keepends=True) if line.startswith("  retention: ")]
    (tmp_path / "profiles" / "northshire.yaml").write_text(example.replace(cited, ""))

    run = _init(tmp_path, "northshire", tmp_path / "profiles")

    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines()[1:] == [
        "  retention.hr_forward_after: no source: cite the policy's section (e.g. 'K §9') in `sources`, "
        "or 'default: docgen — <why>'",
        "  retention.keep_for: no source: cite the policy's section (e.g. 'K §9') in `sources`, "
        "or 'default: docgen — <why>'",
    ]


def test_a_quote_the_councils_policy_text_no_longer_holds_is_one_line_at_start(tmp_path: Path) -> None:
    """N §12 revised from six years to seven: the profile still quotes six, so docgen refuses to
    start, naming the key whose quote the council's policy no longer holds."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "northshire.yaml").write_text((EXAMPLE_DIR / "northshire.yaml").read_text())
    policy = (EXAMPLE_DIR / "northshire-policy.txt").read_text()
    assert "kept for six years after that" in policy
    (tmp_path / "profiles" / "northshire-policy.txt").write_text(
        policy.replace("kept for six years after that", "kept for seven years after that"))

    run = _init(tmp_path, "northshire", tmp_path / "profiles")

    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == [
        f"docgen: {tmp_path / 'profiles' / 'northshire.yaml'}: 1 problem:",
        "  sources.retention: quote not found in northshire-policy.txt: 'their supervision records are sent to "
        "Human Resources three months after they leave, and are kept for six years after that'",
    ]


def test_docgen_init_warns_of_a_default_the_council_must_confirm(tmp_path: Path) -> None:
    run = _init(tmp_path, "haringey")

    assert run.returncode == 0, run.stderr
    assert ("Warning: the council has not confirmed docgen's default for retention (hr forward after 6 months; "
            "keep for 7 years): default: docgen, for the council to confirm — S 12.4's periods") in run.stdout


def test_policy_page_shows_each_rules_source_and_marks_defaults(client: Any, org: Any) -> None:
    sign_in(client, "admin")

    page = text(client.get("/admin/policy", headers=HTML))

    assert ('data-source="record_days">Source: K §9: <q data-quote="record_days">Records should be completed '
            'within 5 working days.</q></span>') in page  # the policy's own words beside the rule
    tagged = '"><strong class="govuk-tag govuk-tag--yellow">docgen default</strong>'
    assert f'data-source="roles.family_first_case_manager{tagged}' not in page  # K §6 names them
    assert f'data-source="roles.team_manager{tagged}' in page  # K §6 sets managers no frequency
    assert "Family First Case Manager" in page


def test_administrator_confirms_the_retention_default_once_and_the_audit_log_says_so(client: Any, org: Any,
                                                                                     db: Any) -> None:
    sign_in(client, "admin")
    page = text(client.get("/admin/policy", headers=HTML))
    assert 'data-unconfirmed="retention"' in page and "Check and confirm retention for the council" in page
    check = text(client.get("/admin/policy/confirm?key=retention", headers=HTML))
    fingerprint = check.split('name="fingerprint" value="')[1].split('"')[0]

    done = client.post("/admin/policy/confirm", headers=HTML, follow_redirects=True,
                       data={"csrf_token": csrf(client, "/admin/policy"), "key": "retention",
                             "fingerprint": fingerprint, "decided": "yes"})
    again = client.post("/admin/policy/confirm", headers=HTML, follow_redirects=True,
                        data={"csrf_token": csrf(client, "/admin/policy"), "key": "retention",
                              "fingerprint": fingerprint, "decided": "yes"})

    assert "Confirmed for the council: retention (hr forward after 6 months; keep for 7 years)" in text(done)
    assert 'data-unconfirmed="retention"' not in text(again)
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "profile_default_confirmed")).all()
    assert (event.actor_id, event.object_id, event.detail["key"]) == (org.ids["admin"], "knowsley", "retention")


def test_confirming_a_default_the_page_did_not_show_is_refused_naming_the_field(client: Any, org: Any) -> None:
    sign_in(client, "admin")

    refused = client.post("/admin/policy/confirm", headers=HTML, follow_redirects=True,
                          data={"csrf_token": csrf(client, "/admin/policy"), "key": "retention",
                                "fingerprint": "0" * 64, "decided": "yes"})

    assert ("Not confirmed: the profile&#39;s &#39;retention&#39; has changed since the page was shown"
            in text(refused))
    assert 'data-unconfirmed="retention"' in text(refused)
