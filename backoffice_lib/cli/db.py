"""``backoffice db ...``: the selected database, its schema, partitions, backups and restores.

Exit codes: 0 success; 2 bad input, a refused restore or a failed backup (one line on stderr,
nothing changed by the refused step).
"""

from __future__ import annotations

import sys

import click

from .. import database
from ..history import backup, partitions

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group()
def db() -> None:
    """The database in use (BACKOFFICE_DATABASE_URL, else the embedded PostgreSQL)."""


@db.command()
def upgrade() -> None:
    """Create or upgrade the schema of the selected database."""
    from .. import migrate

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


@db.command("maintain")
@click.option("--months-ahead", type=int, default=partitions.DEFAULT_MONTHS_AHEAD, show_default=True,
              help="create partitions for this month and this many months after it")
def maintain(months_ahead: int) -> None:
    """Create the monthly partitions of time_entries and audit_logs ahead (scheduled job)."""
    database.check_connection()
    try:
        with database.transaction() as conn:
            created = partitions.run_maintain(conn, months_ahead)
    except partitions.PartitionError as exc:
        _fail(str(exc))
    for table, names in created.items():
        click.echo(f"{table}: " + (", ".join(names) if names else "partitions already in place"))


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file: str) -> None:
    """Write the whole database to FILE (pg_dump custom format)."""
    try:
        target = backup.run_backup(file)
    except backup.BackupError as exc:
        _fail(str(exc))
    click.echo(f"backup of {database.masked_url()} written to {target}")


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
def restore_command(file: str) -> None:
    """Replace the database's contents by the backup in FILE (one transaction)."""
    try:
        source = backup.run_restore(file)
    except backup.BackupError as exc:
        _fail(str(exc))
    click.echo(f"{database.masked_url()} restored from {source}")
