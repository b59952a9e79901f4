"""`docgen sar export`: the operator writes a person's subject access export (UK GDPR Art. 15;
issue 25 item 1) from the server's command line, for the request HR recorded on its page.

The zip is built in this process (a command-line run holds up no web request) by
`workflows.subject_access.export_by_operator`, which builds it as the worker does for HR's page
(both through `subject_access._build`), and written to a file, not filed. The command records
nothing new but the audit of the export: with no open request for the person it refuses in one
line (exit code 2, as every DomainError), so an export always answers a request whose deadline is
known and whose withheld mentions were decided on the page.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from documents.pdf import ConversionError
from kernel.errors import InvalidInput
from workflows import subject_access


@click.group("sar")
def sar_group() -> None:
    """Subject access requests (UK GDPR Article 15)."""


@sar_group.command("export")
@click.option("--person", "email", required=True, help="The e-mail address of the person who asked.")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="Where to write the zip (default: its own name, in this folder).")
@with_appcontext
def export_command(email: str, out: Path | None) -> None:
    """Write the export for a person's open subject access request to a zip, mentions withheld on
    the request's page left out; audited as an export from the CLI.

    The file is opened before the export is built, so a folder that is missing or read-only, or an
    --out that names a folder, is refused in one line with nothing exported or audited."""
    target = _target(out)
    handle = _opened_beside(target or Path.cwd() / "export.zip")
    partial = Path(handle.name)
    try:
        try:
            with unit_of_work() as uow:
                made = subject_access.export_by_operator(uow, email)
        except ConversionError as exc:
            _fail(f"LibreOffice could not make a PDF for the export, so nothing was exported: {exc}")
        target = target or Path.cwd() / made.filename
        try:
            with handle:
                handle.write(made.data)
            partial.replace(target)  # written beside the target and renamed: a failed write leaves no half zip
        except OSError as exc:
            _fail(f"the export was built but could not be written to {target}: {exc.strerror or exc}")
    finally:
        handle.close()
        partial.unlink(missing_ok=True)
    click.echo(f"Subject access export of {made.person_name} (request received on {made.received_on:%-d %B %Y}, "
               f"due {made.deadline:%-d %B %Y}) written to {target}")
    for missing in made.manifest.get("not_enclosed", []):
        click.echo(f"Warning: not enclosed: {_described(missing)}", err=True)


def _target(out: Path | None) -> Path | None:
    """--out as a file path, refused (one line, exit 2) when it names a folder."""
    if out is None:
        return None
    if out.name in ("", ".", "..") or out.is_dir():
        raise InvalidInput(f"--out {out} is a folder: give the zip's file name, like {out / 'export.zip'}", "out")
    return out


def _opened_beside(target: Path) -> BinaryIO:
    """A new file beside `target`, open for writing (readable by its owner only)."""
    try:
        return tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".part",
                                           delete=False)
    except OSError as exc:
        raise InvalidInput(f"cannot write in {target.parent}: {exc.strerror or exc}", "out") from None


def _fail(message: str) -> NoReturn:
    click.echo(f"docgen: {message}", err=True)
    sys.exit(1)


def _described(missing: Any) -> str:
    """A manifest's not_enclosed item ({"number", "kind", "date", "reason"}) as words."""
    if isinstance(missing, dict):
        return (f"{missing.get('kind', 'document')} {missing.get('number', '')} of {missing.get('date', '')}: "
                f"{missing.get('reason', '')}")
    return str(missing)
