"""Single-use e-mailed links, one implementation for sign-off and consent: 32 random bytes, only
their SHA-256 kept, expiring, and spent once."""
from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest
from sqlalchemy import select

from kernel import clock
from kernel.errors import Forbidden, Gone, NotFound
from storage.models import Account, ConsentRequest
from workflows import consent, links
from workflows.access import Caller
from workflows.deployment import Work

NOW = dt.datetime(2026, 3, 2, 9)


@pytest.fixture(autouse=True)
def at_nine() -> Iterator[None]:
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


def _caller(uow: Work, person_id: int) -> Caller:
    account = uow.session.scalars(select(Account).where(Account.person_id == person_id)).one()
    return Caller(account=account, ip="192.0.2.7")


def test_a_link_is_random_hashed_and_expires() -> None:
    first, second = links.issue(14), links.issue(14)
    assert len(first.token) == 43 and first.token != second.token
    assert first.token_hash == links.token_hash(first.token) and first.token not in first.token_hash
    assert first.expires_at == NOW + dt.timedelta(days=14)
    assert links.url("https://docgen.example/", "sign", first.token) == f"https://docgen.example/sign/{first.token}"


def test_a_link_is_spent_once(uow: Work, team: dict[str, int]) -> None:
    link = links.issue(7)
    row = ConsentRequest(supervisee_id=team["worker"], reader_id=team["stranger"], reason="a risk to a child",
                         token_hash=link.token_hash, created_at=NOW, expires_at=link.expires_at)
    uow.session.add(row)
    uow.session.flush()
    assert links.find(uow.session, ConsentRequest, link.token, "consent") is row
    unanswered = [ConsentRequest.answered_at.is_(None)]
    assert links.spend(uow.session, ConsentRequest, row.id, unanswered, answered_at=NOW)
    assert not links.spend(uow.session, ConsentRequest, row.id, unanswered, answered_at=NOW)
    with pytest.raises(NotFound, match="this consent link is not recognised"):
        links.find(uow.session, ConsentRequest, "not-a-token", "consent")


def _asked(uow: Work, team: dict[str, int]) -> str:
    """The stranger has asked Alex's consent to read Alex's records: the token Alex was e-mailed."""
    link = links.issue(7)
    uow.session.add(ConsentRequest(supervisee_id=team["worker"], reader_id=team["stranger"], reason="a shared case",
                                   token_hash=link.token_hash, created_at=NOW, expires_at=link.expires_at))
    uow.commit()
    return link.token


def test_a_consent_link_is_answered_only_by_the_person_it_was_sent_to(uow: Work, team: dict[str, int]) -> None:
    token = _asked(uow, team)
    with pytest.raises(Forbidden, match="this link was sent to someone else"):
        consent.answer(uow, _caller(uow, team["manager"]), token, "granted")
    uow.rollback()
    assert consent.answer(uow, _caller(uow, team["worker"]), token, "refused").answer == "refused"


def test_an_answered_consent_link_is_gone(uow: Work, team: dict[str, int]) -> None:
    token = _asked(uow, team)
    consent.answer(uow, Caller(ip="198.51.100.4"), token, "granted")
    with pytest.raises(Gone, match="already been answered"):
        consent.answer(uow, Caller(ip="198.51.100.4"), token, "refused")


def test_an_expired_consent_link_is_gone(uow: Work, team: dict[str, int]) -> None:
    token = _asked(uow, team)
    clock.set_clock(lambda: NOW + dt.timedelta(days=7, seconds=1))
    with pytest.raises(Gone, match="expired"):
        consent.link_view(uow, token)
