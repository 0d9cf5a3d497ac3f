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

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import access, audit, bangkok
from ...models.payroll import PayrollRun
from ..queries import partitions
from ..rules import (
    ARCHIVE_SCHEMA,
    SCHEMA,
    ArchiveRefused,
    MonthPlan,
    compute_package_months,
    compute_time_entry_plan,
    partition_name,
)

RUNS = PayrollRun.__table__
PACKAGE_COLUMNS = (
    "id", "customer_name", "package_type_id", "purchase_date", "first_use_date",
    "expiration_date", "employee_name", "stable_hash_id", "customer_id", "created_at",
    "discount_amount",
)
USAGE_COLUMNS = (
    "id", "package_id", "employee_name", "used_hours", "used_date", "customer_signature_path",
    "created_at", "updated_at", "booking_id",
)
# Tables whose rows go with an archived package (package_alerts is kept as JSON).
PACKAGE_CHILDREN = {"package_usage", "package_alerts"}


# --- time entries ------------------------------------------------------------------------------


def load_finalised_months(conn: Connection) -> set[str]:
    return set(conn.scalars(sa.select(RUNS.c.month).where(RUNS.c.status == "finalised")))


def load_live_entry_months(conn: Connection, before: str) -> list[str]:
    """Months before ``before`` with live time entries (their partition or the DEFAULT one)."""
    months = set()
    for partition in partitions.load_partitions(conn, "time_entries"):
        if (
            partition.month is not None
            and partition.month < before
            and conn.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {partition.qualified})"))
        ):
            months.add(partition.month)
    months.update(m for m in partitions.load_default_months(conn, "time_entries") if m < before)
    return sorted(months)


def load_time_entry_plan(conn: Connection, before: str) -> MonthPlan:
    return compute_time_entry_plan(
        load_live_entry_months(conn, before), load_finalised_months(conn), before
    )


def _count(conn: Connection, qualified: str) -> int:
    return conn.scalar(sa.text(f"SELECT count(*) FROM {qualified}"))


def _bounds_sql(month: str) -> str:
    start, end = bangkok.month_bounds(month)
    return f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"


def run_archive_time_entries_month(conn: Connection, month: str, user_email: str | None) -> int:
    """Archive one finalised payroll month's time entries; returns the number of rows moved."""
    bangkok.parse_month(month)
    who = access.check(conn, user_email, "archive")
    finalised = conn.scalar(
        sa.select(RUNS.c.id).where(RUNS.c.month == month, RUNS.c.status == "finalised")
        .with_for_update()
    )
    if finalised is None:
        raise ArchiveRefused(
            f"payroll for {month} is not finalised: finalise it before archiving its time entries"
        )
    name = partition_name("time_entries", month)
    if partitions.load_relation_exists(conn, f"{ARCHIVE_SCHEMA}.{name}"):
        raise ArchiveRefused(f"the time entries of {month} are already archived")
    # Rows of the month still in the DEFAULT partition join the month's partition first.
    partitions.ensure_partition(conn, "time_entries", month)
    rows = _count(conn, f"{SCHEMA}.{name}")
    conn.execute(sa.text(f"ALTER TABLE {SCHEMA}.time_entries DETACH PARTITION {SCHEMA}.{name}"))
    conn.execute(sa.text(f"ALTER TABLE {SCHEMA}.{name} SET SCHEMA {ARCHIVE_SCHEMA}"))
    conn.execute(
        sa.text(
            f"ALTER TABLE {ARCHIVE_SCHEMA}.time_entries ATTACH PARTITION"
            f" {ARCHIVE_SCHEMA}.{name} {_bounds_sql(month)}"
        )
    )
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
    conn.execute(
        sa.text(f"ALTER TABLE {ARCHIVE_SCHEMA}.time_entries DETACH PARTITION {ARCHIVE_SCHEMA}.{name}")
    )
    conn.execute(sa.text(f"ALTER TABLE {ARCHIVE_SCHEMA}.{name} SET SCHEMA {SCHEMA}"))
    # Entries written for that month while it was archived waited in DEFAULT: they join it.
    late = 0
    if partitions.default_has_rows(conn, "time_entries", month):
        late = partitions.move_default_rows(conn, "time_entries", month, f"{SCHEMA}.{name}")
    conn.execute(
        sa.text(
            f"ALTER TABLE {SCHEMA}.time_entries ATTACH PARTITION {SCHEMA}.{name}"
            f" {_bounds_sql(month)}"
        )
    )
    if late:
        partitions.reattach_default(conn, "time_entries")
    rows = _count(conn, f"{SCHEMA}.{name}")
    audit.record(
        conn, who.email, "RESTORE", "time_entries", month,
        details={"month": month, "rows": rows, "joined_from_default": late},
    )
    return rows


# --- packages ----------------------------------------------------------------------------------


def _expired_filter() -> str:
    return "p.expiration_date < :cutoff AND p.expiration_date < :today"


def load_expired_package_months(
    conn: Connection, expired_before: dt.date, today: dt.date | None = None
) -> list[str]:
    """Expiration months of live packages expired before ``expired_before`` (and before today)."""
    dates = conn.scalars(
        sa.text(
            f"SELECT DISTINCT p.expiration_date FROM {SCHEMA}.packages p"
            f" WHERE {_expired_filter()}"
        ),
        {"cutoff": expired_before, "today": today or bangkok.today()},
    )
    return compute_package_months(dates)


def _other_references(conn: Connection, ids: list) -> list[str]:
    """Rows of other tables that point at these packages (they would block the move)."""
    keys = conn.execute(
        sa.text(
            "SELECT c.conrelid::regclass::text AS source, a.attname AS column"
            "  FROM pg_constraint c JOIN pg_attribute a"
            "    ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = to_regclass(:t)"
            "   AND c.conrelid::regclass::text NOT IN ("
            + ", ".join(f"'{SCHEMA}.{child}'" for child in sorted(PACKAGE_CHILDREN))
            + ")"
        ),
        {"t": f"{SCHEMA}.packages"},
    ).all()
    found = []
    for key in keys:
        if conn.scalar(
            sa.text(f'SELECT EXISTS (SELECT 1 FROM {key.source} WHERE "{key.column}" = ANY(:ids))'),
            {"ids": ids},
        ):
            found.append(f"{key.source}.{key.column}")
    return found


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
    first, last = bangkok.month_days(month)
    who = access.check(conn, user_email, "archive")
    params = {"cutoff": expired_before, "today": today or bangkok.today(), "first": first,
              "last": last}
    ids = list(
        conn.scalars(
            sa.text(
                f"SELECT p.id FROM {SCHEMA}.packages p"
                f" WHERE {_expired_filter()}"
                "   AND p.expiration_date BETWEEN :first AND :last"
                " ORDER BY p.id FOR UPDATE"
            ),
            params,
        )
    )
    if not ids:
        return 0
    blocking = _other_references(conn, ids)
    if blocking:
        raise ArchiveRefused(
            f"packages of {month} are referenced by {', '.join(blocking)}: they cannot be archived"
        )
    has_alerts = partitions.load_relation_exists(conn, f"{SCHEMA}.package_alerts")
    alerts = (
        f"coalesce((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.id) FROM {SCHEMA}.package_alerts a"
        " WHERE a.package_id = p.id), '[]'::jsonb)"
        if has_alerts else "'[]'::jsonb"
    )
    package_columns = ", ".join(PACKAGE_COLUMNS)
    usage_columns = ", ".join(USAGE_COLUMNS)
    conn.execute(
        sa.text(
            f"INSERT INTO {ARCHIVE_SCHEMA}.packages ({package_columns}, alerts, archived_by)"
            f" SELECT {', '.join('p.' + c for c in PACKAGE_COLUMNS)}, {alerts}, :who"
            f" FROM {SCHEMA}.packages p WHERE p.id = ANY(:ids)"
        ),
        {"ids": ids, "who": who.email},
    )
    usage = conn.execute(
        sa.text(
            f"INSERT INTO {ARCHIVE_SCHEMA}.package_usage ({usage_columns})"
            f" SELECT {usage_columns} FROM {SCHEMA}.package_usage WHERE package_id = ANY(:ids)"
        ),
        {"ids": ids},
    ).rowcount
    conn.execute(
        sa.text(f"DELETE FROM {SCHEMA}.package_usage WHERE package_id = ANY(:ids)"), {"ids": ids}
    )
    if has_alerts:
        conn.execute(
            sa.text(f"DELETE FROM {SCHEMA}.package_alerts WHERE package_id = ANY(:ids)"),
            {"ids": ids},
        )
    conn.execute(sa.text(f"DELETE FROM {SCHEMA}.packages WHERE id = ANY(:ids)"), {"ids": ids})
    audit.record(
        conn, who.email, "ARCHIVE", "packages", month,
        details={"month": month, "expired_before": expired_before, "packages": len(ids),
                 "usage_rows": usage, "package_ids": ids},
    )
    return len(ids)


def load_archived_package_months(conn: Connection) -> list[str]:
    return compute_package_months(
        conn.scalars(sa.text(f"SELECT DISTINCT expiration_date FROM {ARCHIVE_SCHEMA}.packages"))
    )


def run_restore_packages_month(conn: Connection, month: str, user_email: str | None) -> int:
    """Bring the archived packages that expired in ``month`` back, with usage and alerts."""
    first, last = bangkok.month_days(month)
    who = access.check(conn, user_email, "archive")
    ids = list(
        conn.scalars(
            sa.text(
                f"SELECT id FROM {ARCHIVE_SCHEMA}.packages"
                " WHERE expiration_date BETWEEN :first AND :last ORDER BY id FOR UPDATE"
            ),
            {"first": first, "last": last},
        )
    )
    if not ids:
        raise ArchiveRefused(f"no archived packages expired in {month}")
    package_columns = ", ".join(PACKAGE_COLUMNS)
    usage_columns = ", ".join(USAGE_COLUMNS)
    conn.execute(
        sa.text(
            f"INSERT INTO {SCHEMA}.packages ({package_columns}) SELECT {package_columns}"
            f" FROM {ARCHIVE_SCHEMA}.packages WHERE id = ANY(:ids)"
        ),
        {"ids": ids},
    )
    # Usage goes back in date order; validate_package_usage() checks each row as it did then.
    usage = conn.execute(
        sa.text(
            f"INSERT INTO {SCHEMA}.package_usage ({usage_columns}) SELECT {usage_columns}"
            f" FROM {ARCHIVE_SCHEMA}.package_usage WHERE package_id = ANY(:ids)"
            " ORDER BY used_date, created_at, id"
        ),
        {"ids": ids},
    ).rowcount
    if partitions.load_relation_exists(conn, f"{SCHEMA}.package_alerts"):
        conn.execute(
            sa.text(
                f"INSERT INTO {SCHEMA}.package_alerts SELECT alert.*"
                f" FROM {ARCHIVE_SCHEMA}.packages p,"
                f" jsonb_populate_recordset(NULL::{SCHEMA}.package_alerts, p.alerts) alert"
                " WHERE p.id = ANY(:ids)"
            ),
            {"ids": ids},
        )
    conn.execute(
        sa.text(f"DELETE FROM {ARCHIVE_SCHEMA}.packages WHERE id = ANY(:ids)"), {"ids": ids}
    )  # usage rows go with them (ON DELETE CASCADE)
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
        lines.append(f"time entries {month}: {_count(conn, f'{ARCHIVE_SCHEMA}.{name}')} archived")
    live = [p.month for p in partitions.load_partitions(conn, "time_entries") if p.month]
    if live:
        lines.append(f"time entries live partitions: {live[0]} .. {live[-1]} ({len(live)})")
    for month in load_archived_package_months(conn):
        first, last = bangkok.month_days(month)
        count = conn.scalar(
            sa.text(
                f"SELECT count(*) FROM {ARCHIVE_SCHEMA}.packages"
                " WHERE expiration_date BETWEEN :first AND :last"
            ),
            {"first": first, "last": last},
        )
        lines.append(f"packages expired in {month}: {count} archived")
    return lines or ["nothing archived"]
