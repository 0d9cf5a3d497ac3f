"""``backoffice db ...``: the selected database and its schema."""

from __future__ import annotations

import click

from .. import database, migrate


def register(cli: click.Group) -> None:
    cli.add_command(db)


@click.group()
def db() -> None:
    """The database in use (BACKOFFICE_DATABASE_URL, else the embedded PostgreSQL)."""


@db.command()
def upgrade() -> None:
    """Create or upgrade the schema of the selected database."""
    database.check_connection()
    migrate.upgrade()
    click.echo(f"schema up to date in {database.masked_url()}")


@db.command()
def url() -> None:
    """Print the URL in use (password masked), starting the embedded server if needed."""
    database.check_connection()
    click.echo(database.masked_url())


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL of this data dir."""
    click.echo(database.stop_embedded_server())
