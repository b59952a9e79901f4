"""Who sees the supervision records is printed on each council's agreement in its own policy's
words (issue 23, item 4): Knowsley's "limited to the supervisee, supervisor, and relevant line
managers" (K §9) was printed on every council's, contradicting S 12.2, W §10 and H §11."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from documents.render import DEFAULT_TEMPLATE_DIR, render_docx
from storage.models import Agreement, Organisation, Person
from workflows.agreements import agreement_context
from workflows.profiles import load_profile

KNOWSLEY = "Access should be limited to the supervisee, supervisor, and relevant line managers."


def _agreement_text(council: str) -> str:
    """The agreement's paragraphs as the Word file prints them for the council's profile."""
    profile = load_profile(council)
    agreement = Agreement(id=7, supervisee=Person(name="Alex Morgan", job_title="Social worker"),
                          supervisor=Person(name="Sam Whitfield", job_title="Team leader"),
                          started_on=dt.date(2026, 9, 1), review_date=dt.date(2027, 9, 1), fields={})
    context = agreement_context(profile, Organisation(name=profile.council), agreement)
    document = Document(io.BytesIO(render_docx(DEFAULT_TEMPLATE_DIR / profile.agreement_template, context)))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def test_knowsleys_agreement_limits_access_to_the_line_in_its_own_words() -> None:
    assert KNOWSLEY in _agreement_text("knowsley")


@pytest.mark.parametrize("council,own_words", [
    ("stockport", "shared with senior leaders. They are also available to inspectors"),  # S 12.2
    ("southwark", "anyone outside line management only where the supervisee agrees"),  # W §10
    ("haringey", "shared to address an identified risk or by mutual agreement"),  # H §11
    ("lancashire", "Inspectors (Ofsted) may review a sample"),  # docgen's default, L §5.11
])
def test_another_councils_agreement_carries_its_own_access_line_not_knowsleys(council: str, own_words: str) -> None:
    text = _agreement_text(council)

    assert own_words in text
    assert "relevant line managers" not in text
