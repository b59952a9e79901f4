"""A malformed number or date typed into any page, or put in its query string, is the person's
mistake: a 4xx saying which field, never a 500. And a page refuses a bad value with the message its
API twin gives, because both read it through the same input model (`workflows.inputs`)."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.test_web_pages import HTML, post, sign_in, text

# Every name a page's form or query string reads a number, a date or an id from, each given "abc".
MALFORMED = {name: "abc" for name in (
    "supervisee_id", "supervisor_id", "team_id", "person_id", "facilitator_id", "member_ids", "recorder_id",
    "signer_id", "line_manager_id", "revision", "page", "per_page", "from", "to", "today", "minutes", "seed",
    "per_supervisor", "day", "time", "session_date", "meeting_on", "leave_date", "starts_on", "employment_start",
    "period_start", "period_end", "expires", "attendance-abc", "scope", "outcome", "answer", "decision")}
SKIPPED = ("/api/", "/assets/", "/static/", "/sign-in", "/sign-out")


def _page_rules(app: Any) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules()
            if not rule.rule.startswith(SKIPPED) and rule.endpoint != "static"]


def _url(rule: Any, number: int) -> str:
    """The rule's URL with every path argument filled: ids with `number`, the rest with a word."""
    def fill(match: re.Match[str]) -> str:
        converter = match["converter"] or ""
        if converter == "int":
            return str(number)
        if converter.startswith("any"):
            return converter[4:-1].split(",")[0].strip()
        return "abc"
    return re.sub(r"<(?:(?P<converter>[^:>]+):)?(?P<name>\w+)>", fill, rule.rule)


@pytest.mark.parametrize("who", ["manager", "admin", "hr"])
def test_every_page_answers_a_malformed_number_or_date_with_a_4xx_not_a_500(app: Any, client: Any, org: Any,
                                                                             who: str) -> None:
    assert sign_in(client, who).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False  # then every form is posted straight, with every box mistyped
    served: list[str] = []
    for rule in _page_rules(app):
        url = _url(rule, org.ids["worker"])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                answer = client.get(url, query_string=MALFORMED, headers=HTML)
            else:
                answer = client.open(url, method=method, data=MALFORMED, headers=HTML)
            if answer.status_code >= 500:
                served.append(f"{method} {rule.rule}: {answer.status_code}")
    assert served == []


def test_consent_asked_with_a_supervisee_id_that_is_not_a_number_names_the_field_on_both_edges(
        client: Any, org: Any) -> None:
    sign_in(client, "manager")
    page = post(client, "/consent-requests", {"supervisee_id": "abc", "reason": "A complaint"})
    api = client.post("/api/v1/consent-requests", json={"supervisee_id": "abc", "reason": "A complaint"},
                      headers=org.auth("manager"))
    assert api.status_code == 422 and api.json["error"] == {
        "code": api.json["error"]["code"], "message": "supervisee_id must be a whole number", "field": "supervisee_id"}
    assert page.status_code == 422 and "supervisee_id must be a whole number" in text(page)


def test_a_quality_audit_sample_too_large_is_refused_in_the_same_words_on_the_page_and_the_api(
        client: Any, org: Any) -> None:
    sign_in(client, "auditor")
    page = post(client, "/quality-audits", {"team_id": str(org.team.id), "per_supervisor": "51"})
    api = client.post("/api/v1/quality-audits", json={"team_id": org.team.id, "per_supervisor": 51},
                      headers=org.auth("auditor"))
    assert api.status_code == 422 and api.json["error"]["field"] == "per_supervisor"
    assert api.json["error"]["message"] == "per_supervisor must be between 1 and 50"
    assert page.status_code == 422 and "Records per supervisor must be between 1 and 50" in text(page)


@pytest.mark.parametrize("who,url,field", [
    ("manager", "/groups/attendance?from=abc", "from"),
    ("manager", "/groups/attendance?from=2026-01-01&to=2026-13-01", "to"),
    ("admin", "/admin/people?page=abc", "page"),
])
def test_a_page_reads_its_query_string_through_a_model_and_names_a_malformed_parameter(
        client: Any, org: Any, who: str, url: str, field: str) -> None:
    sign_in(client, who)
    answer = client.get(url, headers=HTML)
    assert answer.status_code == 422 and f"{field} must be" in text(answer), text(answer)


def test_a_supervision_relationship_started_on_the_page_is_read_through_the_apis_model(client: Any,
                                                                                        org: Any) -> None:
    sign_in(client, "admin")
    page = post(client, "/admin/relationships", {"supervisee_id": "abc", "supervisor_id": str(org.ids["head"]),
                                                 "starts_on": ["1", "4", "2026"]})
    api = client.post("/api/v1/relationships", json={"supervisee_id": "abc", "supervisor_id": org.ids["head"],
                                                     "starts_on": "2026-04-01"}, headers=org.auth("admin"))
    assert api.status_code == 422 and api.json["error"]["message"] == "supervisee_id must be a whole number"
    assert page.status_code == 400 and "Supervisee must be a whole number" in text(page)
