"""``backoffice archive ...``: archive finalised time entries and expired packages, and restore them.

Exit codes: 0 success; 2 bad input or a refused archive or restore (one line on stderr, nothing
changed by the refused step).
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from .. import access, bangkok, database
from ..access import AccessDenied
from ..history import rules as history_rules
from ..history.queries import partitions
from ..history.service import archive as archival

EXIT_BAD_INPUT = 2

USER_OPTION = click.option(
    "--user", "user", envvar="BACKOFFICE_USER", help="acting user's e-mail (or BACKOFFICE_USER)"
)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _month(value: str, option: str) -> str:
    try:
        bangkok.parse_month(value)
    except bangkok.BadMonth:
        _fail(f"{option} must be a month like 2025-01 (YYYY-MM), not {value!r}")
    return value


def _date(value: str, option: str) -> dt.date:
    try:
        return bangkok.parse_date(value, option)
    except bangkok.BadDate as exc:
        _fail(str(exc))



# --- archive -----------------------------------------------------------------------------------


@click.group("archive")
def archive_group() -> None:
    """Archive finalised time entries and expired packages (and restore them)."""


def _each_month(months: list[str], step, what: str) -> int:
    """Run ``step(conn, month)`` in one transaction per month; stop at the first refusal."""
    total = 0
    for month in months:
        try:
            with database.transaction() as conn:
                count = step(conn, month)
        except (history_rules.ArchiveRefused, AccessDenied) as exc:
            _fail(str(exc))
        total += count
        click.echo(f"{month}: {count} {what}")
    return total


@archive_group.command("time-entries")
@click.option("--before", required=True, help="archive the finalised months before YYYY-MM")
@USER_OPTION
def archive_time_entries(before: str, user: str | None) -> None:
    """Move the time entries of finalised payroll months before --before to the archive."""
    _month(before, "--before")
    database.check_connection()
    access.require(user, "archive")
    with database.transaction() as conn:
        plan = archival.load_time_entry_plan(conn, before)
    if plan.refused:
        _fail(
            f"payroll not finalised for {', '.join(plan.refused)}: finalise those months or "
            "choose an earlier --before (nothing archived)"
        )
    if not plan.archive:
        click.echo(f"no live time entries before {before}")
        return
    total = _each_month(
        plan.archive, lambda conn, m: archival.run_archive_time_entries_month(conn, m, user),
        "time entries archived",
    )
    click.echo(f"archived {total} time entries of {len(plan.archive)} month(s)")


@archive_group.command("packages")
@click.option("--expired-before", "expired_before", required=True,
              help="archive packages that expired before YYYY-MM-DD")
@USER_OPTION
def archive_packages(expired_before: str, user: str | None) -> None:
    """Move expired packages with their usage to the archive, one transaction per month."""
    cutoff = _date(expired_before, "--expired-before")
    database.check_connection()
    access.require(user, "archive")
    with database.transaction() as conn:
        months = archival.load_expired_package_months(conn, cutoff)
    if not months:
        click.echo(f"no packages expired before {cutoff}")
        return
    total = _each_month(
        months,
        lambda conn, m: archival.run_archive_packages_month(conn, m, cutoff, user),
        "expired packages archived",
    )
    click.echo(f"archived {total} packages of {len(months)} month(s)")


@archive_group.group("restore")
def restore_group() -> None:
    """Bring archived months back to the live tables."""


def _restore_months(months: tuple[str, ...], all_months: bool, archived: list[str]) -> list[str]:
    if all_months:
        return archived
    if not months:
        _fail("name a --month YYYY-MM (repeatable) or --all")
    return [_month(m, "--month") for m in months]


@restore_group.command("time-entries")
@click.option("--month", "months", multiple=True, help="archived month YYYY-MM (repeatable)")
@click.option("--all", "all_months", is_flag=True, help="every archived month")
@USER_OPTION
def restore_time_entries(months, all_months, user) -> None:
    """Move archived time entries back to backoffice.time_entries."""
    database.check_connection()
    access.require(user, "archive")
    with database.transaction() as conn:
        archived = partitions.load_archived_months(conn)
    chosen = _restore_months(months, all_months, archived)
    total = _each_month(
        chosen, lambda conn, m: archival.run_restore_time_entries_month(conn, m, user),
        "time entries restored",
    )
    click.echo(f"restored {total} time entries of {len(chosen)} month(s)")


@restore_group.command("packages")
@click.option("--month", "months", multiple=True,
              help="expiration month YYYY-MM of archived packages (repeatable)")
@click.option("--all", "all_months", is_flag=True, help="every archived month")
@USER_OPTION
def restore_packages(months, all_months, user) -> None:
    """Move archived packages (with usage and alerts) back to the live tables."""
    database.check_connection()
    access.require(user, "archive")
    with database.transaction() as conn:
        archived = archival.load_archived_package_months(conn)
    chosen = _restore_months(months, all_months, archived)
    total = _each_month(
        chosen, lambda conn, m: archival.run_restore_packages_month(conn, m, user),
        "packages restored",
    )
    click.echo(f"restored {total} packages of {len(chosen)} month(s)")


@archive_group.command("status")
@USER_OPTION
def archive_status(user: str | None) -> None:
    """Archived months and what the live tables hold (admins)."""
    access.require(user, "archive")
    with database.transaction() as conn:
        for line in archival.load_status_lines(conn):
            click.echo(line)
