"""`docgen user add`: the operator gives a person (new or existing) a sign-in at the server."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from workflows import accounts


@click.group("user")
def user_group() -> None:
    """Manage sign-ins."""


@user_group.command("add")
@click.option("--email", required=True)
@click.option("--name", help="Create the person too, with this name.")
@click.option("--role", "job_role", default="social_worker", show_default=True, help="Profile role for a new person.")
@click.option("--grant", multiple=True, help="Granted role: hr, auditor, admin, senior_manager.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--token", is_flag=True, help="Also print an API bearer token (shown once).")
@with_appcontext
def user_add(email: str, name: str | None, job_role: str, grant: tuple[str, ...], password: str,
             token: bool) -> None:
    """Give a person (new or existing) a sign-in."""
    with unit_of_work() as uow:
        made = accounts.enrol(uow, email, password, list(grant), name=name, role=job_role, token=token)
    click.echo(f"Account created for {made.person.email} ({', '.join(made.account.roles) or 'staff'})")
    if made.token:
        click.echo(f"API token: {made.token}")
