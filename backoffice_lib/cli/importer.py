"""``backoffice import live``: the one-way import from the studio's live system (admins).

Exit codes: 0 the import finished (even with quarantined rows); 2 the source cannot be read or
is not the live system's shape, a dump is plain SQL or would create anything that runs code
(functions, extensions, triggers, roles...), or the user is refused (one line on stderr).
"""

from __future__ import annotations

import json
import sys

import click

EXIT_BAD_INPUT = 2


@click.group("import")
def import_group() -> None:
    """One-way import from the studio's live system, with a dry run and a quarantine."""


@import_group.command("live")
@click.option("--source", required=True, metavar="URL|FILE",
              help="the live database URL (read-only), or a custom-format dump of it (pg_dump -Fc;"
                   " plain SQL is refused)")
@click.option("--dry-run", is_flag=True,
              help="do all the work in a transaction that is rolled back; same report")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--user", "user", envvar="BACKOFFICE_USER",
              help="acting admin's e-mail (or BACKOFFICE_USER)")
def live(source: str, dry_run: bool, fmt: str, user: str | None) -> None:
    """Import the live schemas backoffice, public (customers, bookings) and pos.

    Per table: read, imported, updated, unchanged, quarantined, and the totals. Rows the
    workbench's rules refuse go to the quarantine (review: notebooks/history/import_review).
    """
    from .. import database
    from ..importer import service

    database.check_connection()
    try:
        report = service.import_live(source, user, dry_run=dry_run)
    except service.SourceUnreadable as exc:
        from .. import settings

        click.echo(f"error: {settings.mask_secrets(str(exc))}", err=True)  # --source may be a URL
        sys.exit(EXIT_BAD_INPUT)
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(service.format_report_text(report))
