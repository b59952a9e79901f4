"""`docgen backup` and `docgen restore`: a deployment with sealed records, backed up and restored into
an empty one (a new database and a new store) on SQLite and on PostgreSQL, gives back every sealed
PDF genuine and the audit chain intact; the backup holds the documents only as ciphertext and
no key; a restore into anything but an empty, keyed deployment is refused in one line.

Sign-off runs as people do it (a real SMTP server, the e-mailed link, LibreOffice and the seal),
with tasks inline.
"""
from __future__ import annotations

import base64
import io
import json
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from kernel.config import Config
from documents import seal
from docgen.main import cli
from storage import filing
from storage.models import DocumentVersion
from storage.table_dump import row_counts
from tests.conftest import _pg_database
from tests.e2e.test_signoff import WORKER, _draft, _send, _sign
from tests.mailbox import Mailbox, sign_link_for
from tests.sealing import mailing_and_sealing
from workflows import pipeline

pytestmark = pytest.mark.libreoffice
SUPERVISEES = (("worker", WORKER, "Alex Morgan", "2026-11-02"), ("asye", "asye@knowsley.example.org",
                                                                  "Priya Patel", "2026-11-03"))


@pytest.fixture
def config(config: Config, smtp_server: Mailbox) -> Config:
    return mailing_and_sealing(config, smtp_server.port)


@pytest.fixture
def empty_database(config: Config, tmp_path: Path) -> Iterator[str]:
    """A new database of the same kind as the app's, never migrated."""
    if config.resolved_database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    yield from _pg_database()


def docgen(app: Any, *args: str) -> Any:
    """The `docgen` command, run against `app` as the operator runs it (errors as one line)."""
    return app.test_cli_runner().invoke(cli, list(args))


def sealed_records(client: Any, org: Any, mailbox: Mailbox) -> list[int]:
    """Records the supervisee agreed by the e-mailed link and the supervisor countersigned."""
    ids = []
    for who, address, name, day in SUPERVISEES:
        record_id = _draft(client, org, day) if who == "worker" else _draft_for(client, org, who, day)
        _send(client, org, record_id)
        assert _sign(client, sign_link_for(mailbox, address), "agree", name).status_code == 200
        signed = client.post(f"/api/v1/records/{record_id}/countersign", json={"comment": ""},
                             headers=org.auth("manager"))
        assert signed.status_code == 200 and signed.json["status"] == "signed", signed.json
        ids.append(record_id)
    return ids


def _draft_for(client: Any, org: Any, who: str, day: str) -> int:
    created = client.post("/api/v1/records", json={"supervisee_id": org.ids[who], "session_date": day},
                          headers=org.auth("manager"))
    edited = client.patch(f"/api/v1/records/{created.json['id']}", headers={**org.auth("manager"),
                                                                           "If-Match": created.headers["ETag"]},
                          json={"welfare": {"discussion": "Caseload reviewed; no concerns."}})
    assert edited.status_code == 200, edited.json
    return created.json["id"]


def final_pdfs(app: Any) -> dict[int, bytes]:
    """Each sealed PDF by its record, read from the store and checked against its row's SHA-256."""
    deployment = app.extensions["docgen"]
    with deployment.sessions() as db:
        rows = db.scalars(select(DocumentVersion).where(DocumentVersion.kind == "final_pdf")).all()
        return {row.record_id: filing.read_document(db, deployment.store, row) for row in rows}


def operator_config(original: Config, database_url: str, instance: Path) -> Config:
    """The restored deployment's settings: the operator gives it the storage keys (from wherever
    they keep them: here the old key file) and the organisation's PKCS#12 and passphrase."""
    keys = json.loads((original.instance_path / "storage-keyring.json").read_text())["keys"]
    p12, pass_file = seal.certificate_paths(original)
    return replace(original, instance_path=instance, database_url=database_url,
                   storage_key=",".join(entry["key"] for entry in keys),
                   org_p12=str(p12), org_p12_passphrase=pass_file.read_text().strip())


def test_a_restored_deployment_verifies_every_sealed_pdf_and_its_audit_chain(
        app: Any, client: Any, org: Any, mailbox: Mailbox, config: Config, empty_database: str,
        tmp_path: Path) -> None:
    from docgen.app import create_app

    record_ids = sealed_records(client, org, mailbox)
    originals = final_pdfs(app)
    assert sorted(originals) == sorted(record_ids)
    backup = tmp_path / "backup"

    made = docgen(app, "backup", str(backup))

    assert made.exit_code == 0, made.output
    restored_app = create_app(operator_config(config, empty_database, tmp_path / "restored"))
    try:
        restored = docgen(restored_app, "restore", str(backup))
        assert restored.exit_code == 0, restored.output

        pdfs = final_pdfs(restored_app)
        assert pdfs == originals
        with restored_app.extensions["docgen"].unit_of_work() as uow:
            verdicts = {record_id: pipeline.verify(uow, pdf) for record_id, pdf in pdfs.items()}
        assert {v.status for v in verdicts.values()} == {"genuine"}
        assert {v.record_id for v in verdicts.values()} == {f"R-{i:06d}" for i in record_ids}
        chain = docgen(restored_app, "audit", "verify")
        assert chain.exit_code == 0, chain.output
        print(f"\n{restored_app.extensions['docgen'].engine.dialect.name}: {len(pdfs)} sealed PDFs restored and "
              f"verified genuine; {restored.output.strip()}; {chain.output.strip()}")
    finally:
        restored_app.extensions["docgen"].engine.dispose()


def test_the_backup_holds_documents_only_as_ciphertext_and_no_key(
        app: Any, client: Any, org: Any, mailbox: Mailbox, config: Config, tmp_path: Path) -> None:
    sealed_records(client, org, mailbox)
    backup = tmp_path / "backup"

    assert docgen(app, "backup", str(backup)).exit_code == 0

    files = [p for p in backup.rglob("*") if p.is_file()]
    objects = [p for p in files if p.relative_to(backup).parts[0] == "objects"]
    assert len(objects) == len(final_pdfs(app)) * 3  # per record: its DOCX, review PDF and sealed PDF
    assert all(not p.read_bytes().startswith((b"%PDF", b"PK\x03\x04")) for p in objects)
    keys = json.loads((config.instance_path / "storage-keyring.json").read_text())["keys"]
    secrets = [entry["key"].encode() for entry in keys] + [base64.b64decode(entry["key"]) for entry in keys]
    assert not any(secret in p.read_bytes() for p in files for secret in secrets)
    assert all(p.stat().st_mode & 0o077 == 0 for p in files)


def test_a_restore_into_a_deployment_that_is_not_empty_is_refused_in_one_line(
        app: Any, org: Any, tmp_path: Path) -> None:
    backup = tmp_path / "backup"
    assert docgen(app, "backup", str(backup)).exit_code == 0

    refused = docgen(app, "restore", str(backup))

    assert refused.exit_code == 2
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docgen: the target database is not empty (") and \
        lines[0].endswith("restore into a new, empty one")


def test_a_restore_without_the_storage_keys_is_refused_before_anything_is_written(
        app: Any, org: Any, config: Config, empty_database: str, tmp_path: Path) -> None:
    from docgen.app import create_app

    backup = tmp_path / "backup"
    assert docgen(app, "backup", str(backup)).exit_code == 0
    keyless = replace(operator_config(config, empty_database, tmp_path / "restored"), storage_key=None)
    restored_app = create_app(keyless)
    try:
        refused = docgen(restored_app, "restore", str(backup))

        assert refused.exit_code == 2
        assert "are not configured: give the deployment's keys in DOCGEN_STORAGE_KEY" in refused.output
        assert not (tmp_path / "restored" / "documents" / "objects").exists() or \
            not any((tmp_path / "restored" / "documents" / "objects").iterdir())
    finally:
        restored_app.extensions["docgen"].engine.dispose()


def test_backing_up_into_a_folder_that_is_not_empty_is_refused(app: Any, org: Any, tmp_path: Path) -> None:
    target = tmp_path / "backup"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")

    refused = docgen(app, "backup", str(target))

    assert refused.exit_code == 2
    assert f"docgen: {target} already exists: back up into a new or empty folder" in refused.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_a_backup_as_one_tar_file_restores_the_same_rows(app: Any, org: Any, config: Config, empty_database: str,
                                                         tmp_path: Path) -> None:
    from docgen.app import create_app

    archive = tmp_path / "docgen-backup.tar"
    made = docgen(app, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert archive.stat().st_mode & 0o077 == 0
    restored_app = create_app(operator_config(config, empty_database, tmp_path / "restored"))
    try:
        restored = docgen(restored_app, "restore", str(archive))

        assert restored.exit_code == 0, restored.output
        with tarfile.open(archive) as members:
            manifest = json.load(members.extractfile("./manifest.json"))  # type: ignore[arg-type]
        with restored_app.extensions["docgen"].engine.connect() as conn:
            counts = row_counts(conn)
        expected = {**manifest["database"]["rows"], "audit_event": manifest["database"]["rows"]["audit_event"] + 1}
        assert counts == expected  # plus the restore's own audit entry
        assert docgen(restored_app, "audit", "verify").exit_code == 0
    finally:
        restored_app.extensions["docgen"].engine.dispose()


def test_a_tar_file_reaching_outside_its_folder_is_refused(app: Any, tmp_path: Path) -> None:
    archive = tmp_path / "hostile.tar"
    with tarfile.open(archive, "w") as members:
        payload = b"owned"
        member = tarfile.TarInfo("../escaped.txt")
        member.size = len(payload)
        members.addfile(member, io.BytesIO(payload))

    refused = docgen(app, "restore", str(archive))

    assert refused.exit_code == 2
    assert f"docgen: {archive} is not a readable backup tar file" in refused.output
    assert not (Path(tempfile.gettempdir()) / "escaped.txt").exists()  # where extraction would have put it
