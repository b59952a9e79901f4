"""`docgen generate` and `docgen verify`: draft a team's records as Word files; check a sealed PDF.

Each command imports its use case when it runs, so `docgen verify --help` answers without loading
the workflows (and with them every library of the deployment).
"""
from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask.cli import with_appcontext

from docgen.cli.work import checking_unit_of_work, unit_of_work

if TYPE_CHECKING:
    from storage.models import Person


def _progress(label: str, members: list[Person]) -> Iterator[Person]:
    with click.progressbar(members, label=label, show_pos=True) as bar:
        yield from bar


@click.command("generate")
@click.option("--team", "team_name", required=True, help="Team name.")
@click.option("--date", "session_date", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Session date, YYYY-MM-DD.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def generate_command(team_name: str, session_date: dt.datetime, out_dir: Path) -> None:
    """Draft a pre-filled record for every supervisee in a team and write the Word files."""
    from workflows import drafting

    def write(drafts: list[drafting.Draft]) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for draft in drafts:  # written only once every draft was made: all or nothing
            (out_dir / draft.filename).write_bytes(draft.docx)

    with unit_of_work() as uow:
        drafts = drafting.draft_team(uow, team_name, session_date.date(), write, _progress)
    click.echo(f"{len(drafts)} draft record(s) written to {out_dir}")


@click.command("verify")
@click.argument("pdf", type=click.File("rb"))
def verify_command(pdf: Any) -> None:
    """Say whether a PDF is a genuine, unaltered docgen record (exit 0), altered or not ours (exit 1)."""
    from workflows import pipeline

    with checking_unit_of_work() as uow:
        verdict = pipeline.verify(uow, pdf.read())
    if verdict.status == "genuine":
        known = verdict.details.get("record") or {}
        signed = "; ".join(f"{s['name']} {s['at']}" for s in known.get("signatures", []))
        earlier = "; an earlier copy: a renewed copy is filed" if "superseded_at" in known else ""
        click.echo(f"genuine and unaltered: {verdict.record_id} (signed by {signed or verdict.signed_by}){earlier}")
        return
    click.echo(f"{verdict.status.replace('_', ' ')}: {verdict.details.get('reason', '')}".rstrip(": "))
    sys.exit(1)
