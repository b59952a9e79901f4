"""`docgen profile check FILE`: a council's profile as docgen reads it, before anyone uses it.

It needs no database and no deployment: an administrator runs it on the file they are writing.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from kernel import clock
from workflows import due_dates, profile_confirmations, profile_sources
from workflows.profiles import PROFILE_DIR, load_profile_file


@click.group("profile")
def profile_group() -> None:
    """Policy profiles: check a council's own profile before anyone is supervised under it."""


@profile_group.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The new starter's first day, YYYY-MM-DD (default: today).")
def check_command(file: Path, start: dt.datetime | None) -> None:
    """Print every problem of FILE (exit 2), or every rule with its source and a new starter's first year.

    FILE may extend a profile beside it or a built-in one. Its problems are the lines `docgen init`
    would stop on; once it loads, each rule is printed with the policy's words (or docgen's
    default and why), then what each supervised role has due over its first year.
    """
    profile = load_profile_file(file, (PROFILE_DIR,))  # a ProfileError is one line a problem, exit 2
    click.echo(f"{file}: profile '{profile.name}' for {profile.council} (format {profile.profile_version}) loads.")
    click.echo("Rules and where each comes from:")
    for key, source in profile.sources.items():
        click.echo(f"  {key}: {profile_confirmations.value_text(profile, key)}")
        if isinstance(source, profile_sources.Citation):
            click.echo(f"      {source.section}: \"{source.quote}\"")
        else:
            click.echo(f"      {source}")
    first_day = start.date() if start else clock.today()
    click.echo(f"Due over the first year of someone starting on {first_day:%-d %B %Y}:")
    for key, role in profile.roles.items():
        due = due_dates.first_year(profile, key, first_day)
        click.echo(f"  {role.label} ({key}):")
        for item in due:
            click.echo(f"    {item.on:%a %-d %b %Y}  {item.what}")
