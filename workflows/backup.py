"""Backing a deployment up and restoring it into an empty one (`docgen backup`, `docgen restore`).

The format and the copying are storage's (`storage.backup`); what this adds is what a backup must
not hold and a restore must find in place: the storage keys and the organisation's sealing key.
A backup names them (key ids, the certificate's SHA-256) and never holds them, so a stolen backup
opens no document and seals nothing; the operator gives the keys to the restored deployment in its
configuration, and the restore refuses to start until they are the ones the backup needs.
"""
from __future__ import annotations

from pathlib import Path

from kernel.config import Config
from documents import seal
from storage import audit
from storage.audit_head import HeadLog
from storage.backends import open_keyring
from storage.backup import Manifest, Restored, restore_backup, unpacked, write_backup
from kernel.errors import Conflict
from workflows.deployment import Work


def back_up(uow: Work, target: Path) -> Manifest:
    """Write a backup of the whole deployment into `target` (a new or empty folder, or a new
    `*.tar` file); audited."""
    config = uow.deployment.config
    manifest = write_backup(uow.deployment.engine, uow.store, _heads(uow), target,
                            key_ids=open_keyring(config.instance_path, config.storage_key).ids,
                            organisation_certificate_sha256=_certificate_sha256(config))
    audit.record(uow.session, "deployment.backup", object_type="deployment",
                 detail={"target": str(target), "rows": sum(manifest.rows.values()), "objects": manifest.objects,
                         "head": manifest.head.entry_id if manifest.head else None})
    uow.commit()
    return manifest


def restore(uow: Work, source: Path) -> Restored:
    """Restore the backup in `source` (a folder or a tar file) into this deployment, which must be
    empty; audited in the restored log (its first entry after the backup's last)."""
    with unpacked(source) as folder:
        return _restore(uow, folder)


def _restore(uow: Work, source: Path) -> Restored:
    manifest = Manifest.read(source)
    config = uow.deployment.config
    missing = [key_id for key_id in manifest.key_ids
               if key_id not in open_keyring(config.instance_path, config.storage_key).ids]
    if missing:
        raise Conflict(f"storage key(s) {', '.join(missing)} are not configured: give the deployment's keys "
                       "in DOCGEN_STORAGE_KEY (a backup never holds them)", "storage_key")
    expected = manifest.organisation_certificate_sha256
    if expected is not None and _certificate_sha256(config) != expected:
        raise Conflict(f"the organisation certificate (SHA-256 {expected}) is not in place: put its PKCS#12 "
                       "at DOCGEN_ORG_P12 with DOCGEN_ORG_P12_PASSPHRASE (a backup never holds it)", "org_p12")
    restored = restore_backup(uow.deployment.engine, uow.store, _heads(uow), source, manifest)
    audit.record(uow.session, "deployment.restore", object_type="deployment",
                 detail={"source": str(source), "rows": sum(restored.rows.values()), "objects": restored.objects})
    uow.commit()
    return restored


def _heads(uow: Work) -> HeadLog:
    heads = audit.head_log(uow.session)
    if heads is None:
        raise RuntimeError("no audit head log is wired into this deployment's sessions")
    return heads


def _certificate_sha256(config: Config) -> str | None:
    """The organisation certificate's SHA-256, or None where there is none (or it cannot be opened)."""
    try:
        return seal.organisation_signer(config).signing_cert.sha256.hex()
    except seal.SealError:
        return None
