"""Two administrators confirming the same default at once make one confirmation and one audit
entry (issue 17), on SQLite and PostgreSQL. A barrier releases the threads together."""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from storage.models import Account, AuditEvent, ProfileConfirmation
from workflows import profile_confirmations
from workflows.access import Caller

THREADS = 6


def test_parallel_confirmations_of_one_default_are_recorded_once(app: Any, org: Any) -> None:
    deployment = app.extensions["docgen"]
    [default] = profile_confirmations.to_confirm(deployment.profile)  # Knowsley: retention
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def confirm() -> None:
        try:
            barrier.wait(60)  # before any transaction: SQLite's begins holding the write lock
            with deployment.unit_of_work() as uow:
                account = uow.session.scalar(select(Account).where(Account.person_id == org.ids["admin"]))
                profile_confirmations.confirm(uow, Caller(account=account), default.key, default.fingerprint,
                                              decided=True)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not failures, failures
    with deployment.sessions() as db:
        assert db.scalar(select(func.count()).select_from(ProfileConfirmation)) == 1
        assert db.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "profile_default_confirmed")) == 1
        assert profile_confirmations.unconfirmed(db, deployment.profile) == []
