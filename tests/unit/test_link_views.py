"""A sign-off link's first opening is logged once; later page views are counted, so the
certificate shows one "opened" row per signer, not one per view."""
from __future__ import annotations

from storage.models import Record
from tests.unit.test_signoff_use_cases import HOLDER, WORKER, _token, enqueued, sent  # noqa: F401 (fixtures)
from workflows import signoff
from workflows.deployment import Deployment, Work


def test_six_views_of_a_link_are_one_opening_counted_six_times_on_the_certificate(
        deployment: Deployment, uow: Work, sent: signoff.Progress) -> None:  # noqa: F811
    token = _token(deployment, WORKER)
    for _ in range(6):
        signoff.open_link(uow, HOLDER, token, on_form=True)
    record = uow.session.get(Record, sent.document.id)
    logged = [e.event for e in signoff.events(uow.session, record)]
    assert logged.count("opened") == 1 and logged.count("viewed") == 5
    rows = [row for row in signoff.certificate(uow.session, record)["events"] if row["event"] == "opened"]
    assert len(rows) == 1 and rows[0]["views"] == 6 and rows[0]["user_agent"] == HOLDER.user_agent


def test_the_certificate_page_says_how_often_the_signer_opened_the_link() -> None:
    from documents.certificate import _event
    opened = {"event": "opened", "who": "Alex Morgan", "at": "2026-11-30T10:00:00+00:00", "views": 6}
    assert _event(opened)["comment"] == "Opened 6 times."
    assert _event({**opened, "views": 1})["comment"] == ""
