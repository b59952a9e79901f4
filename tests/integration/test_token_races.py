"""Personal API tokens under concurrent use (issue 15), on SQLite and PostgreSQL: a token revoked by
its owner and an administrator at the same moment is revoked once (one audit entry, the others told
it was already revoked), and parallel requests with one token all get in while its last use is saved.

Each thread has its own unit of work or test client; a barrier releases them together.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Callable

from sqlalchemy import func, select

from kernel.errors import Conflict
from storage.models import Account, ApiToken, AuditEvent
from workflows import accounts
from workflows.access import Caller

THREADS = 10


def _at_once(threads: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(threads)
    answers: list[Any] = [None] * threads

    def run(n: int) -> None:
        barrier.wait()
        try:
            answers[n] = work(n)
        except BaseException as exc:  # noqa: BLE001 - sorted by the test
            answers[n] = exc

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers)
    return answers


def _token_of(app: Any, org: Any, who: str) -> int:
    with app.extensions["docgen"].sessions() as db:
        account_id = db.scalar(select(Account.id).where(Account.person_id == org.ids[who]))
        return db.scalar(select(ApiToken.id).where(ApiToken.account_id == account_id))


def test_an_owner_and_administrators_revoking_one_token_at_once_revoke_it_once(app: Any, org: Any) -> None:
    services = app.extensions["docgen"]
    token_id = _token_of(app, org, "worker")

    def revoke(n: int) -> str:
        with services.unit_of_work() as uow:
            who = "worker" if n % 2 else "admin"
            account = uow.session.scalar(select(Account).where(Account.person_id == org.ids[who]))
            try:
                accounts.revoke_token(uow, Caller(account=account), token_id)
            except Conflict as exc:
                assert exc.field == "token_id" and "already revoked" in exc.message
                return "already"
            return "revoked"

    answers = _at_once(THREADS, revoke)
    assert Counter(answers) == {"revoked": 1, "already": THREADS - 1}, answers
    with services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "token.revoke")) == 1
        assert db.get(ApiToken, token_id).revoked_at is not None


def test_parallel_requests_with_one_token_all_get_in_and_its_last_use_is_saved(app: Any, org: Any) -> None:
    def me(_n: int) -> int:
        with app.test_client() as client:
            return client.get("/api/v1/me", headers=org.auth("worker")).status_code

    assert _at_once(THREADS, me) == [200] * THREADS
    with app.extensions["docgen"].sessions() as db:
        assert db.get(ApiToken, _token_of(app, org, "worker")).last_used_at is not None
