"""``flask --app portal tokens ...``: personal access tokens for set-up scripts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal import work
from portal.db import db, utcnow
from portal.domain import DomainError
from portal.services import api_tokens
from portal.services.accounts import user_by_email

tokens_cli = AppGroup("tokens", help="Personal access tokens for the JSON API (/api/v1).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use it.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--days", type=int, default=api_tokens.DEFAULT_DAYS, show_default=True, help="How long it lasts.")
def tokens_create(email: str, name: str, scope: str, days: int) -> None:
    """Make a token for the account EMAIL and print it (once: only its hash is kept)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    try:
        _, secret = api_tokens.create_token(user, user, name=name, scope=scope, days=days)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    work.commit_and_deliver()
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email")
def tokens_list(email: str) -> None:
    """The tokens of the account EMAIL: prefix, name, scope, state."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    now = utcnow()
    for token in api_tokens.tokens_of(user):
        click.echo(f"{token.prefix}…  {token.name}  {token.scope}  {token.state(now)}")
