"""`docgen token create|revoke`: the operator at the server gives a person who already has a sign-in
a personal API token, or revokes one by its name (the same tokens as the person's own page)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from docgen.cli.work import unit_of_work
from workflows import accounts


@click.group("token")
def token_group() -> None:
    """Personal API tokens of people who have a sign-in."""


@token_group.command("create")
@click.option("--email", required=True, help="The person's e-mail address (they need a sign-in).")
@click.option("--name", required=True, help="What the token is for, e.g. 'HR system sync'.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="Days until it stops working (default: it does not expire).")
@with_appcontext
def token_create(email: str, name: str, expires_in_days: int | None) -> None:
    """Make a personal API token and print it once: only its hash is kept."""
    with unit_of_work() as uow:
        issued = accounts.issue_token_for(uow, email, name, expires_in_days)
        expiry = issued.row.expires_at.date().isoformat() if issued.row.expires_at else "never"
        click.echo(f"Token '{issued.row.label}' for {email.strip().lower()} (expires: {expiry}); shown once:")
        click.echo(issued.secret)


@token_group.command("revoke")
@click.option("--email", required=True, help="The person's e-mail address.")
@click.option("--name", required=True, help="The name of their token.")
@with_appcontext
def token_revoke(email: str, name: str) -> None:
    """Revoke a person's token by its name: it stops working at once."""
    with unit_of_work() as uow:
        row = accounts.revoke_token_named(uow, email, name)
        click.echo(f"Token '{row.label}' of {email.strip().lower()} revoked")
