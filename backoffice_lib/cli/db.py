"""``backoffice db ...``: the selected database, its schema, partitions, backups and restores.

Exit codes: 0 success; 2 bad input, a refused restore or a failed backup (one line on stderr,
nothing changed by the refused step).
"""

from __future__ import annotations

import sys

import click

from .. import database
from ..history import rules as history_rules
from ..history.service import backup
from ..history.service import partitions as partitions_service
from .params import WholeNumber

USER_OPTION = click.option("--user", envvar="BACKOFFICE_USER",
                           help="acting admin's e-mail (or BACKOFFICE_USER)")

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    from .. import settings

    click.echo(f"error: {settings.mask_secrets(message)}", err=True)
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


@db.command("schema-dump")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="File to write (default docs/schema.sql of this checkout).")
def schema_dump_command(out: str | None) -> None:
    """Write the schema at head (pg_dump --schema-only of a scratch database) to docs/schema.sql."""
    from pathlib import Path

    from ..history.reports import schema_dump

    try:
        text = schema_dump.run_schema_dump()
    except schema_dump.SchemaDumpError as exc:
        _fail(str(exc))
    path = schema_dump.save_schema_file(text, Path(out) if out else schema_dump.SCHEMA_FILE)
    click.echo(f"wrote {path} ({len(text.splitlines())} lines, the schema at head)")


@db.command("maintain")
@click.option("--months-ahead", type=WholeNumber(0, 36, "months ahead"), default=history_rules.DEFAULT_MONTHS_AHEAD,
              show_default=True,
              help="create partitions for this month and this many months after it (0-36)")
@USER_OPTION
def maintain(months_ahead: int, user: str | None) -> None:
    """Create the monthly partitions of time_entries and audit_logs ahead (admins; scheduled)."""
    from .. import access

    access.require(user, "db", admin=True)
    try:
        with database.transaction() as conn:
            created = partitions_service.run_maintain(conn, months_ahead)
    except history_rules.PartitionError as exc:
        _fail(str(exc))
    for table, names in created.items():
        click.echo(f"{table}: " + (", ".join(names) if names else "partitions already in place"))


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="file to write (default <data dir>/backups/backoffice-<UTC>-<id>.dump)")
@USER_OPTION
def backup_command(file: str | None, out: str | None, user: str | None) -> None:
    """Write the whole database (pg_dump custom format, owner-only) and verify it (admins).

    The backup is restored into a scratch database and every table's rows and md5 compared with
    the database at the moment of the dump; the result is kept next to it (FILE.json). With
    BACKOFFICE_BACKUP_DIR set, a verified backup is copied there too. Exit 2 when it fails.
    """
    from ..history.service import verified_backup

    if file and out and file != out:
        _fail("give the file once: FILE or --out FILE")
    try:
        record = verified_backup.run_verified_backup(user, out or file)
    except backup.BackupError as exc:
        _fail(str(exc))
    click.echo(f"backup of {record['database']} written to {record['path']}"
               f" ({record['size']:,} bytes)")
    click.echo(f"verified: {record['tables_compared']} tables, {record['rows_compared']:,} rows"
               " equal after a restore into a scratch database")
    for copied in record["copied_to"]:
        click.echo(f"copied to {copied}")


@db.command("backups")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@USER_OPTION
def backups_command(fmt: str, user: str | None) -> None:
    """List the backups, newest first, with their verification (admins)."""
    import json

    from .. import access
    from ..history.service import verified_backup
    from .params import json_default

    access.require(user, backup.AREA, admin=True)
    listed = verified_backup.load_backups()
    if fmt == "json":
        click.echo(json.dumps(listed, default=json_default, indent=1))
        return
    if not listed:
        click.echo(f"no backups in {backup.backups_dir()}")
        return
    click.echo(verified_backup.compute_backups_table(listed))


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="really replace the database's contents (without it: say what would go)")
@USER_OPTION
def restore_command(file: str, force: bool, user: str | None) -> None:
    """Replace the database's contents by the backup in FILE (admins, --force; a backup first).

    Without --force it only says what the restore would replace. With it, the current contents
    are first saved to <data dir>/backups/before-restore-*.dump, the backup is replayed in one
    transaction, and the restore is audited afterwards.
    """
    try:
        done = backup.run_guarded_restore(file, user, force=force)
    except backup.BackupError as exc:
        _fail(str(exc))
    click.echo(f"replaced in {done['database']}: {backup.compute_contents_line(done['replaced'])}")
    click.echo(f"backup of what was replaced: {done['backup']}")
    click.echo(f"{done['database']} restored from {done['source']}: "
               f"{backup.compute_contents_line(done['restored'])}")


@db.command("roles")
@click.option("--user", envvar="BACKOFFICE_USER", help="acting admin's e-mail (or BACKOFFICE_USER)")
@click.option("--login", is_flag=True,
              help="make them LOGIN roles with a new random password each, printed once")
@click.option("--prefix", default="backoffice", show_default=True, help="role names: PREFIX_kiosk...")
def roles_command(user: str | None, login: bool, prefix: str) -> None:
    """Create the dashboards, scheduler, kiosk and analyst PostgreSQL roles and grants (admins)."""
    import sqlalchemy as sa

    from .. import access
    from ..workbench import db_roles

    try:
        db_roles.role_names(prefix)
    except db_roles.RolesError as exc:
        _fail(str(exc))
    access.require(user, db_roles.AREA, admin=True)
    try:
        with database.transaction() as conn:
            results = db_roles.run_create_roles(conn, user, prefix=prefix, login=login)
    except db_roles.RolesError as exc:
        _fail(str(exc))
    except sa.exc.ProgrammingError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        _fail(f"cannot create the roles as {database.masked_url()}: {reason} (needs CREATEROLE)")
    for result in results:
        state = "created" if result.created else "exists"
        kind = "LOGIN, new password" if result.login else "NOLOGIN (GRANT it to a login role)"
        click.echo(f"role {result.role}: {state}, {result.grants} grants, {kind}")
    for result in results:
        if result.password:
            click.echo(f"password {result.role} {result.password}")
