"""`docgen backup` and `docgen restore`: the whole deployment into a folder, and back into an empty one.

Attached to the `docgen` group in `docgen.main`; each parses its argument, calls one use case
(`workflows.backup`) and prints what it did. A refused restore (a target that is not empty, keys
not configured) is a DomainError, printed by the group as one line with exit code 2.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from workflows import backup


@click.command("backup")
@click.argument("target", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Back up the database, the encrypted documents, the audit heads and their timestamp tokens into TARGET, a new or
    empty folder, or a new file named *.tar. Storage keys are named, never copied: keep them apart
    from the backup."""
    with unit_of_work() as uow:
        manifest = backup.back_up(uow, target)
    copied = "encrypted files copied" if manifest.objects_copied else "listed; the bucket keeps them"
    head = f"audit head entry {manifest.head.entry_id}" if manifest.head else "no audit head yet"
    click.echo(f"Backed up to {target}: {sum(manifest.rows.values())} rows in {len(manifest.rows)} tables, "
               f"{manifest.objects} documents ({copied}), {head}; needs storage key(s) {', '.join(manifest.key_ids)}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore the backup in SOURCE (a folder or a *.tar file) into this deployment, which must be empty (a new database and
    store) and configured with the backup's storage keys and organisation certificate."""
    with unit_of_work() as uow:
        restored = backup.restore(uow, source)
    click.echo(f"Restored from {source}: {sum(restored.rows.values())} rows, {restored.objects} documents "
               f"(each opened and matching its SHA-256), {restored.heads} audit heads, {restored.tokens} timestamp tokens; "
               "run `docgen audit verify` to check the chain")
