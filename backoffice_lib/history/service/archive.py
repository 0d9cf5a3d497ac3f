"""Archival of processed history (schema document, "Performance Optimization" §3).

- **Time entries** of a *finalised* payroll month move to ``archive.time_entries``: the month's
  partition is detached from ``backoffice.time_entries`` and attached to the archive table, so
  no row is rewritten, ids and values stay exactly as they were, and the move takes
  milliseconds. A month without a finalised payroll run is refused. Restoring reverses it.
- **Expired packages** (expiration date before the cut-off and before today) move with their
  usage to ``archive.packages`` / ``archive.package_usage``; their ``package_alerts`` rows are
  kept as JSON in ``archive.packages.alerts`` and come back on restore.

Each month is one transaction (the CLI opens one per month) and is audited with
``audit.record``. The views ``archive.time_entries_all``, ``archive.packages_all`` and
``archive.package_usage_all`` show live ∪ archived rows, so the figures of an archived period can
still be computed: payroll reads ``archive.time_entries_all``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from ... import access, audit, bangkok
from ..queries import archive, partitions
from ..rules import (
    ARCHIVE_SCHEMA,
    SCHEMA,
    ArchiveRefused,
    MonthPlan,
    compute_time_entry_plan,
    partition_name,
)

# --- time entries ------------------------------------------------------------------------------


def load_time_entry_plan(conn: Connection, before: str) -> MonthPlan:
    return compute_time_entry_plan(
        archive.load_live_entry_months(conn, before), archive.load_finalised_months(conn), before
    )


def run_archive_time_entries_month(conn: Connection, month: str, user_email: str | None) -> int:
    """Archive one finalised payroll month's time entries; returns the number of rows moved."""
    bangkok.parse_month(month)
    who = access.check(conn, user_email, "archive")
    finalised = archive.load_finalised_run(conn, month)
    if finalised is None:
        raise ArchiveRefused(
            f"payroll for {month} is not finalised: finalise it before archiving its time entries"
        )
    name = partition_name("time_entries", month)
    if partitions.load_relation_exists(conn, f"{ARCHIVE_SCHEMA}.{name}"):
        raise ArchiveRefused(f"the time entries of {month} are already archived")
    # Rows of the month still in the DEFAULT partition join the month's partition first.
    partitions.ensure_partition(conn, "time_entries", month)
    rows = archive.count_rows(conn, f"{SCHEMA}.{name}")
    archive.save_partition_archived(conn, month)
    audit.record(
        conn, who.email, "ARCHIVE", "time_entries", month,
        details={"month": month, "rows": rows, "payroll_run": finalised,
                 "partition": f"{ARCHIVE_SCHEMA}.{name}"},
    )
    return rows


def run_restore_time_entries_month(conn: Connection, month: str, user_email: str | None) -> int:
    """Bring an archived month's time entries back to the live table; returns the row count."""
    bangkok.parse_month(month)
    who = access.check(conn, user_email, "archive")
    name = partition_name("time_entries", month)
    if not partitions.load_relation_exists(conn, f"{ARCHIVE_SCHEMA}.{name}"):
        raise ArchiveRefused(f"the time entries of {month} are not archived")
    # Entries written for that month while it was archived waited in DEFAULT: they join it.
    late = archive.save_partition_restored(conn, month)
    rows = archive.count_rows(conn, f"{SCHEMA}.{name}")
    audit.record(
        conn, who.email, "RESTORE", "time_entries", month,
        details={"month": month, "rows": rows, "joined_from_default": late},
    )
    return rows


# --- packages ----------------------------------------------------------------------------------


def load_expired_package_months(
    conn: Connection, expired_before: dt.date, today: dt.date | None = None
) -> list[str]:
    """Expiration months of live packages expired before ``expired_before`` (and before today)."""
    return archive.load_expired_package_months(conn, expired_before, today)


def run_archive_packages_month(
    conn: Connection,
    month: str,
    expired_before: dt.date,
    user_email: str | None,
    *,
    today: dt.date | None = None,
) -> int:
    """Archive the packages that expired in ``month`` (before the cut-off and today), with their
    usage and alerts; returns the number of packages moved."""
    bangkok.month_days(month)
    who = access.check(conn, user_email, "archive")
    ids = archive.load_expired_package_ids(conn, month, expired_before, today or bangkok.today())
    if not ids:
        return 0
    blocking = archive.load_other_references(conn, ids)
    if blocking:
        raise ArchiveRefused(
            f"packages of {month} are referenced by {', '.join(blocking)}: they cannot be archived"
        )
    usage = archive.save_packages_archived(conn, ids, who.email)
    audit.record(
        conn, who.email, "ARCHIVE", "packages", month,
        details={"month": month, "expired_before": expired_before, "packages": len(ids),
                 "usage_rows": usage, "package_ids": ids},
    )
    return len(ids)


def load_archived_package_months(conn: Connection) -> list[str]:
    return archive.load_archived_package_months(conn)


def run_restore_packages_month(conn: Connection, month: str, user_email: str | None) -> int:
    """Bring the archived packages that expired in ``month`` back, with usage and alerts."""
    bangkok.month_days(month)
    who = access.check(conn, user_email, "archive")
    ids = archive.load_archived_package_ids(conn, month)
    if not ids:
        raise ArchiveRefused(f"no archived packages expired in {month}")
    usage = archive.save_packages_restored(conn, ids)
    audit.record(
        conn, who.email, "RESTORE", "packages", month,
        details={"month": month, "packages": len(ids), "usage_rows": usage, "package_ids": ids},
    )
    return len(ids)


def load_status_lines(conn: Connection) -> list[str]:
    """What is archived and what stays live, one line each, for ``backoffice archive status``."""
    lines = []
    for month in partitions.load_archived_months(conn):
        name = partition_name("time_entries", month)
        lines.append(f"time entries {month}: {archive.count_rows(conn, f'{ARCHIVE_SCHEMA}.{name}')}"
                     " archived")
    live = [p.month for p in partitions.load_partitions(conn, "time_entries") if p.month]
    if live:
        lines.append(f"time entries live partitions: {live[0]} .. {live[-1]} ({len(live)})")
    for month in archive.load_archived_package_months(conn):
        lines.append(f"packages expired in {month}: {archive.count_archived_packages(conn, month)}"
                     " archived")
    return lines or ["nothing archived"]
