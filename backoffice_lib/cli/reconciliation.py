"""`backoffice reconcile` (business-rules §7): a partner's or coach's file against the POS.

Exit codes: 0 the session completed; 2 bad input (one line on stderr) or a refused file (the
session is stored as ``failed`` and the JSON/text result still printed on stdout).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import access
from ..reconciliation import service
from ..reconciliation.rules import parsing
from .params import EXIT_BAD_INPUT, date_option, fail, json_default

USER_OPTION = click.option(
    "--user", "user", envvar="BACKOFFICE_USER", help="acting user's e-mail (or BACKOFFICE_USER)"
)


@click.command("reconcile")
@click.option("--type", "rec_type", required=True, help="restaurant or coaching_<coach>")
@click.option("--file", "file_path", required=True, type=click.Path(dir_okay=False),
              help="CSV or .xlsx, at most 10 MB")
@click.option("--from", "date_from", default=None, help="period start YYYY-MM-DD (default: file)")
@click.option("--to", "date_to", default=None, help="period end YYYY-MM-DD (default: file)")
@click.option("--date-window", default=0, type=click.IntRange(0, 31), show_default=True,
              help="match POS rows up to N days apart")
@click.option("--columns", "columns", default=None,
              help="map the file's headers: date=<header>,amount=<header>,... (remembered for "
                   "the type)")
@USER_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def reconcile(rec_type, file_path, date_from, date_to, date_window, columns, user, fmt) -> None:
    """Reconcile a partner's or coach's file against the point of sale.

    Exit 0 when the session completed, 2 when the file was refused (session failed).
    """
    start, end = date_option(date_from, "--from"), date_option(date_to, "--to")
    mapping = None
    if columns is not None:
        try:
            mapping = parsing.parse_column_mapping(columns)
        except ValueError as exc:
            fail(str(exc))
    access.require(user, "reconciliation")
    if not Path(file_path).is_file():
        fail(f"no such file: {file_path}")
    try:
        result = service.reconcile_file(user, rec_type, file_path, date_from=start, date_to=end,
                                        date_window=date_window, columns=mapping)
    except (service.ReconciliationError, parsing.FileRefused) as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps({k: result[k] for k in service.RESULT_KEYS},
                              default=json_default, ensure_ascii=False))
    else:
        click.echo(f"session {result['session_id']}: {result['status']}")
        if result["error"]:
            click.echo(f"error: {result['error']}")
        else:
            click.echo(
                f"{result['matched_items']} of {result['total_invoice_items']} file rows matched "
                f"({result['match_rate']}%) against {result['total_pos_records']} POS records; "
                f"variance {result['variance_amount']} THB"
            )
        for line in result["row_errors"]:
            click.echo(line)
    if result["status"] != "completed":
        sys.exit(EXIT_BAD_INPUT)


