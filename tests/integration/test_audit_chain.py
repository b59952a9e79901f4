"""`docgen audit verify`: an intact log passes; an edited or deleted row is found and named, and so
is the chain's tail deleted, against the head recorded outside the database after each commit (a
file beside the local store; an Object Lock bucket on S3, through moto's server)."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import replace
from typing import Any, Iterator

import boto3
import pytest
from sqlalchemy import func, select, text

from kernel.config import Config
from storage.audit_head import HEAD_FILE_NAME, Head, ObjectLockHeads
from storage.models import AuditEvent
from docgen.cli.storage import audit_group
from storage import audit

REGION = "eu-west-2"


def write_log(app: Any, entries: int = 5) -> list[int]:
    with app.extensions["docgen"].sessions.begin() as db:
        return [audit.record(db, "record.read", object_type="record", object_id=n, ip="127.0.0.1",
                             detail={"basis": "supervisor"}).id for n in range(entries)]


def verify(app: Any) -> Any:
    return app.test_cli_runner().invoke(audit_group, ["verify"])


def execute(app: Any, sql: str, **params: Any) -> None:
    with app.extensions["docgen"].engine.begin() as conn:
        conn.execute(text(sql), params)


def test_an_intact_log_passes(app: Any) -> None:
    write_log(app)

    result = verify(app)

    assert result.exit_code == 0
    assert result.output.strip() == ("audit log intact: 5 entries; the latest head recorded outside "
                                    "the database (entry 5) is in it")


def test_an_edited_entry_fails_and_is_named(app: Any) -> None:
    ids = write_log(app)
    execute(app, "UPDATE audit_event SET reason = 'nothing to see' WHERE id = :id", id=ids[2])

    result = verify(app)

    assert result.exit_code == 1
    assert f"audit log broken at entry {ids[2]}: its content does not match its hash" in result.output


def test_an_edited_entry_with_a_recomputed_hash_breaks_the_next_link(app: Any) -> None:
    ids = write_log(app)
    with app.extensions["docgen"].sessions.begin() as db:
        event = db.get_one(AuditEvent, ids[1])
        event.object_id = "999"
        event.hash = audit._digest(event.prev_hash, event)

    result = verify(app)

    assert result.exit_code == 1
    assert f"audit log broken at entry {ids[2]}: does not link to the entry before it" in result.output


def test_a_deleted_entry_is_detected_at_the_entry_after_it(app: Any) -> None:
    ids = write_log(app)
    execute(app, "DELETE FROM audit_event WHERE id = :id", id=ids[3])

    result = verify(app)

    assert result.exit_code == 1
    assert f"audit log broken at entry {ids[4]}: does not link to the entry before it" in result.output
    with app.extensions["docgen"].sessions() as db:
        assert db.scalar(select(AuditEvent.id).where(AuditEvent.id == ids[3])) is None


# --- The head recorded outside the database --------------------------------------------------


@pytest.fixture
def s3_client(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)


@pytest.fixture(params=["local", "s3-object-lock"])
def deployed(request: pytest.FixtureRequest, config: Config, warm_converter: Any) -> Iterator[Any]:
    """An app whose store is the local one, or an Object Lock bucket named in its storage URL (so
    the composition root chooses where heads go, as in production)."""
    from docgen.app import create_app

    if request.param != "local":
        endpoint = request.getfixturevalue("s3_endpoint")
        client = request.getfixturevalue("s3_client")
        bucket = f"docgen-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION},
                             ObjectLockEnabledForBucket=True)
        config = replace(config, storage_url=f"s3://{bucket}?endpoint_url={endpoint}&region={REGION}")
    app = create_app(config)
    yield app
    app.extensions["docgen"].engine.dispose()


def heads_of(app: Any) -> Any:
    with app.extensions["docgen"].sessions() as db:
        return audit.head_log(db)


def test_each_commit_that_appends_records_the_chain_head_outside_the_database(deployed: Any) -> None:
    first = write_log(deployed, 2)
    second = write_log(deployed, 3)

    heads = heads_of(deployed)
    with deployed.extensions["docgen"].sessions() as db:
        hashes = dict(db.execute(select(AuditEvent.id, AuditEvent.hash)).all())
    assert sorted(heads.recorded()) == [Head(first[-1], hashes[first[-1]]), Head(second[-1], hashes[second[-1]])]
    assert heads.latest() == Head(second[-1], hashes[second[-1]])
    on_s3 = deployed.extensions["docgen"].store.name == "s3"
    assert heads.where.startswith("s3://") if on_s3 else heads.where.endswith(HEAD_FILE_NAME)


def test_a_rolled_back_append_records_no_head(deployed: Any) -> None:
    write_log(deployed, 2)
    with deployed.extensions["docgen"].sessions() as db:
        audit.record(db, "record.read", object_type="record", object_id=9)
        db.rollback()

    assert len(heads_of(deployed).recorded()) == 1
    assert verify(deployed).exit_code == 0


def test_deleting_the_last_entries_is_reported_as_entries_missing(deployed: Any) -> None:
    ids = write_log(deployed, 8)
    execute(deployed, "DELETE FROM audit_event WHERE id > :id", id=ids[4])

    result = verify(deployed)

    assert result.exit_code == 1
    assert result.output.strip() == (f"audit log truncated: 3 entries missing after entry {ids[4]} "
                                     f"(the latest recorded head is entry {ids[7]})")


def test_a_deleted_tail_written_over_by_new_entries_is_reported(deployed: Any) -> None:
    ids = write_log(deployed, 6)
    execute(deployed, "DELETE FROM audit_event WHERE id > :id", id=ids[2])
    # A new tail that links and hashes correctly, reusing the ids (as SQLite does after a delete).
    with deployed.extensions["docgen"].sessions.begin() as db:
        prev = db.scalar(select(AuditEvent.hash).where(AuditEvent.id == ids[2]))
        for entry_id in ids[3:]:
            forged = AuditEvent(id=entry_id, at=dt.datetime(2026, 1, 5, 9), action="record.read", object_type="record",
                                object_id="1", reason="", ip="", detail={}, prev_hash=prev)
            forged.hash = prev = audit._digest(prev, forged)
            db.add(forged)

    result = verify(deployed)

    assert result.exit_code == 1
    assert result.output.strip() == (f"audit log truncated: entry {ids[5]} does not match the head recorded "
                                     "for it: the log's tail was removed and written again")


def test_an_emptied_log_is_reported_from_its_start(deployed: Any) -> None:
    ids = write_log(deployed, 4)
    execute(deployed, "DELETE FROM audit_event")

    result = verify(deployed)

    assert result.exit_code == 1
    assert f"{ids[3]} entries missing after the start of the log" in result.output


@pytest.mark.parametrize("deployed", ["s3-object-lock"], indirect=True)
def test_a_delete_marker_on_the_latest_head_object_hides_nothing(deployed: Any, request: pytest.FixtureRequest) -> None:
    client = request.getfixturevalue("s3_client")
    store = deployed.extensions["docgen"].store
    ids = write_log(deployed, 5)
    latest_key = ObjectLockHeads(store, 1)._key(heads_of(deployed).latest())
    client.delete_object(Bucket=store.bucket, Key=latest_key)  # allowed by Object Lock: adds a marker
    execute(deployed, "DELETE FROM audit_event WHERE id > :id", id=ids[1])

    result = verify(deployed)

    assert result.exit_code == 1
    assert f"3 entries missing after entry {ids[1]}" in result.output


def test_the_head_log_file_sits_beside_the_local_store_and_is_only_appended_to(app: Any) -> None:
    ids = write_log(app, 3)
    path = app.extensions["docgen"].store.root / HEAD_FILE_NAME
    with app.extensions["docgen"].sessions() as db:
        last_hash = db.scalar(select(AuditEvent.hash).where(AuditEvent.id == ids[-1]))

    assert path.read_text() == f"{ids[-1]} {last_hash}\n"
    assert path.stat().st_mode & 0o777 == 0o600


def test_heads_of_concurrent_commits_leave_the_chain_verifiable(deployed: Any) -> None:
    threads, commits = 10, 4
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def append(n: int) -> None:
        try:
            barrier.wait()
            for i in range(commits):
                with deployed.extensions["docgen"].sessions.begin() as db:
                    audit.record(db, "record.read", object_type="record", object_id=n * 100 + i)
        except BaseException as exc:  # collected: an exception in a thread would be lost
            failures.append(exc)

    workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    with deployed.extensions["docgen"].sessions() as db:
        entries = db.scalar(select(func.count()).select_from(AuditEvent))
        last = db.scalar(select(func.max(AuditEvent.id)))
    heads = heads_of(deployed)
    assert entries == threads * commits and len(heads.recorded()) == threads * commits
    assert heads.latest().entry_id == last
    result = verify(deployed)
    assert result.exit_code == 0, result.output
    print(f"\n{deployed.extensions['docgen'].engine.dialect.name}+{deployed.extensions['docgen'].store.name}: "
          f"{threads} threads x {commits} commits, {entries} entries and heads written, verified")
