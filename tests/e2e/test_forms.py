"""Every form kind, as each council would use it: the fields written through the API are found on
the edit page, in the Word file (downloaded, edited, uploaded back) and in the sealed PDF, and on
each of them only the form's own fields and signature cells (`workflows.forms`).

A real SMTP server takes the sign-off links and LibreOffice makes the PDFs, as in production.
"""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass, replace
from typing import Any

import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from kernel.config import Config
from documents.render import DEFAULT_TEMPLATE_DIR
from storage.models import Organisation
from tests.etags import read_then_change
from tests.mailbox import Mailbox, sign_link_for
from tests.sealing import mailing_and_sealing
from tests.word_editing import cell_of, open_docx, retype, save, table_of
from workflows import accounts, people
from workflows.forms import AGREEMENTS, FORMS, Form
from workflows.profiles import load_profile

pytestmark = pytest.mark.libreoffice
SESSION = dt.date(2026, 11, 2)
EMAIL = {"supervisee": "supervisee@council.example.org", "supervisor": "supervisor@council.example.org"}
KNOWSLEY_ONLY = ("decisions", "review_date")  # K's text before App A; no other council's form has them


@dataclass(frozen=True)
class Case:
    """A council's form: the profile, the supervisee's role, and the record kind asked for (None:
    the role's own)."""

    profile: str
    role: str
    kind: str | None
    expected_kind: str

    def __str__(self) -> str:
        return f"{self.profile}-{self.expected_kind}"


CASES = [
    Case("knowsley", "social_worker", None, "practitioner"),  # K App B
    Case("knowsley", "team_manager", None, "team_manager"),  # K App C
    Case("knowsley", "service_manager", None, "service_manager"),  # K App D
    Case("stockport", "social_worker", None, "line_management"),  # S App A
    Case("stockport", "asye", None, "reflective"),  # S App B, for ASYEs and students
    Case("stockport", "student", None, "reflective"),
    Case("southwark", "social_worker", "casework", "casework"),  # W App E beside the 1:1 record
    Case("haringey", "social_worker", None, "practitioner"),  # H §10: the supervisor alone finalises
    Case("lancashire", "social_worker", None, "supervision"),  # L §3.2's four functions
]


@pytest.fixture(params=CASES, ids=str)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture
def config(config: Config, smtp_server: Mailbox, case: Case) -> Config:
    return replace(mailing_and_sealing(config, smtp_server.port), profile=case.profile)


@dataclass(frozen=True)
class Council:
    ids: dict[str, int]
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def council(app: Any, case: Case) -> Council:
    """A supervisor and their supervisee in the role the case names, under the case's profile."""
    profile = load_profile(case.profile)
    with app.extensions["docgen"].sessions.begin() as db:
        org = Organisation(name=profile.council, profile=case.profile)
        db.add(org)
        db.flush()
        team = people.create_team(db, org, "Team A", "Children's Social Care")
        ids, tokens = {}, {}
        for who, name, role in (("supervisor", "Sam Whitfield", "team_manager"),
                                ("supervisee", "Alex Morgan", case.role)):
            person = people.create_person(db, org, profile, {
                "name": name, "email": EMAIL[who], "role": role, "team_id": team.id,
                "line_manager_id": ids.get("supervisor"), "employment_start": dt.date(2024, 1, 8)})
            ids[who] = person.id
            tokens[who] = accounts.issue_api_token(db, accounts.create_account(db, person, "correct-horse-battery", []),
                                                   "test")
        people.create_relationship(db, ids["supervisee"], ids["supervisor"], dt.date(2024, 1, 8))
    return Council(ids, tokens)


def _value(index: int) -> str:
    """A value no form prints by itself, found whole in every rendering (no space to wrap at)."""
    return f"Written{index:02d}z"


def _written(form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """A patch filling in every field of the form, and each field's text as the form prints it."""
    patch: dict[str, Any] = {}
    printed: dict[str, str] = {}
    for index, field in enumerate(form.fields):
        if field.type == "date":
            day = SESSION + dt.timedelta(days=28 + index)
            patch[field.key], printed[field.key] = day.isoformat(), f"{day:%-d %B %Y}"
        elif field.type == "yes_no":
            patch.setdefault("previous", {})["happy"], printed[field.key] = "No", "No"
        elif field.key == "previous_comments":
            patch.setdefault("previous", {})["comments"] = printed[field.key] = _value(index)
        else:
            patch[field.key] = printed[field.key] = _value(index)
    if form.has("welfare"):
        patch["welfare"] = {"discussion": "Welfare88z"}
    return patch, printed


def _patch(client: Any, council: Council, record_id: int, body: dict[str, Any]) -> Any:
    url = f"/api/v1/records/{record_id}"
    return client.patch(url, json=body, headers=read_then_change(client, url, council.auth("supervisor")))


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text with runs of white space as one space, as a reader scans it."""
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def _page_text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_every_field_of_the_form_is_on_the_page_in_word_and_in_the_sealed_pdf(
        client: Any, council: Council, case: Case, mailbox: Mailbox) -> None:
    profile = load_profile(case.profile)
    created = client.post("/api/v1/records", json={
        "supervisee_id": council.ids["supervisee"], "session_date": SESSION.isoformat(),
        **({"kind": case.kind} if case.kind else {})}, headers=council.auth("supervisor"))
    assert created.status_code == 201, created.json
    record_id = created.json["id"]
    assert created.json["kind"] == case.expected_kind
    kind = profile.record_kinds[case.expected_kind]
    form = kind.definition

    # The API takes every field of the form, and refuses what the form does not have, naming it.
    patch, printed = _written(form)
    if form.has("areas"):
        patch["areas"] = [{"key": a.key, "discussion": f"Area{n:02d}z"} for n, a in enumerate(kind.areas)] + [
            {"title": "Caseload pressure", "discussion": "Added88area"}]
    written = _patch(client, council, record_id, patch)
    assert written.status_code == 200, written.json
    for name in [key for key in KNOWSLEY_ONLY if not form.field(key)] + ([] if form.has("welfare") else ["welfare"]):
        value = {"discussion": "x"} if name == "welfare" else "2027-01-04" if name == "review_date" else "x"
        refused = _patch(client, council, record_id, {name: value})
        assert refused.status_code == 422 and refused.json["error"]["field"] == name, refused.json
    if not form.has("areas"):
        refused = _patch(client, council, record_id, {"areas": [{"title": "Caseload pressure"}]})
        assert refused.status_code == 422 and refused.json["error"]["field"] == "areas", refused.json
        assert "has no areas" in refused.json["error"]["message"]
    assert (case.profile == "knowsley") == all(form.field(k) for k in KNOWSLEY_ONLY)  # no K-only field elsewhere

    # The edit page: a box for each field of the form, labelled as the form is, holding its value.
    page = client.get(f"/records/{record_id}/edit", headers=council.auth("supervisor"))
    assert page.status_code == 200
    raw = page.get_data(as_text=True)
    shown = _page_text(raw)
    assert [f.label for f in form.fields if f.label.strip() not in shown] == []
    assert [f.key for f in form.fields if f.type in ("text", "line") and printed[f.key] not in raw] == []
    assert ("Decisions made and rationale" in shown) == bool(form.field("decisions"))
    assert ("Add the area" in shown) == form.has("areas")

    # Word: each field's cell holds its value; the signature block has a cell for each signer only.
    docx = client.get(f"/api/v1/records/{record_id}/docx", headers=council.auth("supervisor"))
    document = open_docx(docx.data)
    for field in form.fields:
        assert cell_of(document, f"dg_f_{field.key}").text.strip() == printed[field.key], field.key
    signatures = table_of(document, "dg_tbl_signatures")
    assert [row.cells[0].text for row in signatures.rows[1:]] == [
        who.capitalize() for who in profile.signoff.record_signers]
    if form.has("areas"):
        areas = [row.cells[0].text for row in table_of(document, "dg_tbl_areas").rows[1:]]
        assert areas == [a.title for a in kind.areas] + ["Caseload pressure"]

    # ...edited in Word and uploaded back: the change is in the record.
    edited = form.fields[-1] if form.fields[-1].type not in ("date", "yes_no") else next(
        f for f in reversed(form.fields) if f.type in ("text", "line"))
    retype(cell_of(document, f"dg_f_{edited.key}"), "Retyped77z")
    url = f"/api/v1/records/{record_id}/docx"
    uploaded = client.put(url, data=save(document), content_type="application/octet-stream",
                          headers=read_then_change(client, f"/api/v1/records/{record_id}", council.auth("supervisor")))
    assert uploaded.status_code == 200, uploaded.json
    assert uploaded.json["warnings"] == []
    printed[edited.key] = "Retyped77z"
    sections = uploaded.json["record"]["sections"]
    assert sections.get(edited.key, sections.get("previous", {}).get("comments")) == "Retyped77z"

    # Sign-off: each signer the profile names signs from their e-mailed link, which shows the fields.
    sent = client.post(f"/api/v1/records/{record_id}/send", headers=council.auth("supervisor"))
    assert sent.status_code == 200, sent.json
    for who in profile.signoff.record_signers:
        token = sign_link_for(mailbox, EMAIL[who])
        link_page = _page_text(client.get(f"/sign/{token}").get_data(as_text=True))
        assert [key for key in printed if printed[key] not in link_page] == []
        assert ("Decisions made and rationale" in link_page) == bool(form.field("decisions"))
        signed = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": (
            "Alex Morgan" if who == "supervisee" else "Sam Whitfield")})
        assert signed.status_code == 200, signed.json
    assert signed.json["status"] == "signed"

    # The sealed PDF prints every label and value of the form, and no field of another form.
    pdf = _pdf_text(client.get(f"/api/v1/records/{record_id}/pdf", headers=council.auth("supervisee")).data)
    assert [key for key in printed if printed[key] not in pdf] == []
    assert [f.label for f in form.fields if re.sub(r"\s+", " ", f.label.strip()) not in pdf] == []
    assert ("Decisions made and rationale" in pdf) == bool(form.field("decisions"))
    if form.has("areas"):
        assert "Caseload pressure" in pdf and "Added88area" in pdf
    if form.has("welfare"):
        assert "Welfare88z" in pdf


@pytest.mark.parametrize("case", [CASES[0], CASES[3]], ids=str, indirect=True)
def test_the_councils_agreement_form_is_the_same_on_its_page_in_word_and_in_the_sealed_pdf(
        client: Any, council: Council, case: Case, mailbox: Mailbox) -> None:
    """K App A for Knowsley; S App C for Stockport, with its PDR dates, named complaints manager and
    clauses (rearranging a cancelled meeting, preparing, the three-way meeting)."""
    form = load_profile(case.profile).agreement
    created = client.post("/api/v1/agreements", json={"supervisee_id": council.ids["supervisee"],
                                                      "started_on": SESSION.isoformat()},
                          headers=council.auth("supervisor"))
    assert created.status_code == 201, created.json
    url = f"/api/v1/agreements/{created.json['id']}"
    written = {f.key: _value(n) for n, f in enumerate(form.fields) if f.type != "date"}
    changed = client.patch(url, json=written, headers=read_then_change(client, url, council.auth("supervisor")))
    assert changed.status_code == 200, changed.json
    other = "pdr_date" if case.profile == "knowsley" else "supervisee_expectations"  # the other council's field
    refused = client.patch(url, json={other: "x"}, headers=read_then_change(client, url, council.auth("supervisor")))
    assert refused.status_code == 422 and refused.json["error"]["field"] == other

    page = client.get(f"/agreements/{created.json['id']}", headers=council.auth("supervisor")).get_data(as_text=True)
    assert [f.label for f in form.fields if f.label not in _page_text(page)] == []
    assert [key for key, value in written.items() if value not in page] == []

    document = open_docx(client.get(f"{url}/docx", headers=council.auth("supervisor")).data)
    for key, value in written.items():
        assert cell_of(document, f"dg_f_agreement_{key}").text.strip() == value, key
    retype(cell_of(document, f"dg_f_agreement_{form.text_keys[-1]}"), "Retyped77z")
    uploaded = client.put(f"{url}/docx", data=save(document), content_type="application/octet-stream",
                          headers=read_then_change(client, url, council.auth("supervisor")))
    assert uploaded.status_code == 200 and uploaded.json["fields"][form.text_keys[-1]] == "Retyped77z"
    written[form.text_keys[-1]] = "Retyped77z"

    assert client.post(f"{url}/send", headers=council.auth("supervisor")).status_code == 200
    for who in load_profile(case.profile).signoff.agreement_signers:
        token = sign_link_for(mailbox, EMAIL[who])
        assert [v for v in written.values() if v not in client.get(f"/sign/{token}").get_data(as_text=True)] == []
        signed = client.post(f"/api/v1/sign/{token}", json={"decision": "agree", "confirm_name": (
            "Alex Morgan" if who == "supervisee" else "Sam Whitfield")})
        assert signed.status_code == 200, signed.json
    pdf = _pdf_text(client.get(f"{url}/pdf", headers=council.auth("supervisee")).data)
    assert [v for v in written.values() if v not in pdf] == []
    assert [f.label for f in form.fields if f.label not in pdf] == []
    assert [c[:60] for c in form.clauses if c[:60] not in pdf] == []
    assert ("three way meeting" in pdf) == (case.profile == "stockport")


@pytest.mark.parametrize("case", [CASES[0], CASES[4], CASES[6]], ids=str, indirect=True)
def test_the_edit_page_saves_the_forms_own_fields_and_refuses_an_area_where_the_form_has_none(
        client: Any, council: Council, case: Case) -> None:
    """The page's one form posts every field of the record's form (the boxes a browser shows), and
    saves them as the API would; adding an area to a form without areas is refused, saying so."""
    created = client.post("/api/v1/records", json={
        "supervisee_id": council.ids["supervisee"], "session_date": SESSION.isoformat(),
        **({"kind": case.kind} if case.kind else {})}, headers=council.auth("supervisor"))
    record_id = created.json["id"]
    form = load_profile(case.profile).record_kinds[case.expected_kind].definition
    signed_in = _browser_post(client, "/sign-in", {"email": EMAIL["supervisor"], "password": "correct-horse-battery"})
    assert signed_in.status_code == 302
    typed: dict[str, Any] = {}
    for n, field in enumerate(form.fields):
        day = SESSION + dt.timedelta(days=30 + n)
        typed[field.key] = ([str(day.day), str(day.month), str(day.year)] if field.type == "date"
                            else "Yes" if field.type == "yes_no" else _value(n))
    edit = f"/records/{record_id}/edit"
    saved = _browser_post(client, edit, {"step": "save", **typed})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    record = client.get(f"/api/v1/records/{record_id}", headers=council.auth("supervisor")).json
    for n, field in enumerate(form.fields):
        stored = (record[field.key] if field.type == "date" else record["sections"]["previous"]["happy"]
                  if field.type == "yes_no" else record["sections"].get(field.key,
                                                                        record["sections"].get("previous", {}).get("comments")))
        assert stored == ((SESSION + dt.timedelta(days=30 + n)).isoformat() if field.type == "date"
                          else typed[field.key]), field.key

    added = _browser_post(client, edit, {"step": "add-area", **typed, "new_area_title": "Caseload pressure"})
    if form.has("areas"):
        assert added.status_code == 302
        areas = client.get(f"/api/v1/records/{record_id}", headers=council.auth("supervisor")).json["sections"]["areas"]
        assert areas[-1]["title"] == "Caseload pressure"
    else:
        assert added.status_code == 400
        assert "has no areas" in _page_text(added.get_data(as_text=True))


def _browser_post(client: Any, url: str, data: dict[str, Any]) -> Any:
    """Submit the form on `url` as a browser does: with its CSRF token and hidden revision."""
    page = client.get(url, headers={"Accept": "text/html"}).get_data(as_text=True)
    hidden = dict(re.findall(r'name="((?:[\w-]+-)?(?:csrf_token|revision))" type="hidden" value="([^"]*)"', page))
    return client.post(url, data={**hidden, **data}, headers={"Accept": "text/html"})


@pytest.mark.parametrize("definition", list(FORMS.values()) + list(AGREEMENTS.values()), ids=lambda d: d.key)
def test_each_word_template_has_a_cell_for_every_field_of_its_form_and_no_other(definition: Any) -> None:
    """The built .docx matches its definition: a template not rebuilt after a form changed fails here."""
    document = open_docx((DEFAULT_TEMPLATE_DIR / definition.template).read_bytes())
    names = {start.get(qn("w:name")) for start in document.element.body.iter(qn("w:bookmarkStart"))}
    cells = {name.removeprefix("dg_f_") for name in names if name.startswith("dg_f_")
             and not name.startswith("dg_f_signature_") and name != "dg_f_welfare_actions"}
    if isinstance(definition, Form):
        expected = {f.key for f in (*definition.details, *definition.fields)} | (
            {"welfare_discussion"} if definition.has("welfare") else set())
        assert ("dg_tbl_areas" in names) == definition.has("areas")
    else:
        expected = {"supervisee_name", "supervisor_name", *(f"agreement_{f.key}" for f in definition.fields)}
    assert cells == expected
