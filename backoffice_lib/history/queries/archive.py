"""The archive's SQL (schema document, "Performance Optimization" §3): a month's time-entry
partition moved between ``backoffice`` and ``archive`` (DDL: no row rewritten), expired packages
copied with their usage and alerts, and what is archived. On the caller's connection; never
commits (each month is one transaction of the service)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import bangkok
from ...models.payroll import PayrollRun
from ..rules import ARCHIVE_SCHEMA, SCHEMA, compute_package_months, partition_name
from . import partitions

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


def load_finalised_run(conn: Connection, month: str):
    """The id of the month's finalised payroll run (locked), or None."""
    return conn.scalar(
        sa.select(RUNS.c.id).where(RUNS.c.month == month, RUNS.c.status == "finalised")
        .with_for_update()
    )


def count_rows(conn: Connection, qualified: str) -> int:
    return conn.scalar(sa.text(f"SELECT count(*) FROM {qualified}"))


def _bounds_sql(month: str) -> str:
    start, end = bangkok.month_bounds(month)
    return f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"


def save_partition_archived(conn: Connection, month: str) -> None:
    """Move the month's live partition into ``archive.time_entries``."""
    name = partition_name("time_entries", month)
    conn.execute(sa.text(f"ALTER TABLE {SCHEMA}.time_entries DETACH PARTITION {SCHEMA}.{name}"))
    conn.execute(sa.text(f"ALTER TABLE {SCHEMA}.{name} SET SCHEMA {ARCHIVE_SCHEMA}"))
    conn.execute(
        sa.text(
            f"ALTER TABLE {ARCHIVE_SCHEMA}.time_entries ATTACH PARTITION"
            f" {ARCHIVE_SCHEMA}.{name} {_bounds_sql(month)}"
        )
    )


def save_partition_restored(conn: Connection, month: str) -> int:
    """Move the month's archived partition back to ``backoffice.time_entries``; the rows written
    for that month meanwhile (waiting in DEFAULT) join it. Returns how many joined."""
    name = partition_name("time_entries", month)
    conn.execute(
        sa.text(f"ALTER TABLE {ARCHIVE_SCHEMA}.time_entries DETACH PARTITION {ARCHIVE_SCHEMA}.{name}")
    )
    conn.execute(sa.text(f"ALTER TABLE {ARCHIVE_SCHEMA}.{name} SET SCHEMA {SCHEMA}"))
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
    return late


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


def load_other_references(conn: Connection, ids: list) -> list[str]:
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


def load_expired_package_ids(conn: Connection, month: str, expired_before: dt.date,
                             today: dt.date) -> list:
    """Ids of the live packages that expired in ``month``, before the cut-off and today (locked)."""
    first, last = bangkok.month_days(month)
    return list(
        conn.scalars(
            sa.text(
                f"SELECT p.id FROM {SCHEMA}.packages p"
                f" WHERE {_expired_filter()}"
                "   AND p.expiration_date BETWEEN :first AND :last"
                " ORDER BY p.id FOR UPDATE"
            ),
            {"cutoff": expired_before, "today": today, "first": first, "last": last},
        )
    )


def save_packages_archived(conn: Connection, ids: list, who: str) -> int:
    """Copy packages (their alerts as JSON) and usage to the archive, then delete them live;
    returns the usage rows moved."""
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
        {"ids": ids, "who": who},
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
    return usage


def load_archived_package_months(conn: Connection) -> list[str]:
    return compute_package_months(
        conn.scalars(sa.text(f"SELECT DISTINCT expiration_date FROM {ARCHIVE_SCHEMA}.packages"))
    )


def load_archived_package_ids(conn: Connection, month: str) -> list:
    """Ids of the archived packages that expired in ``month`` (locked)."""
    first, last = bangkok.month_days(month)
    return list(
        conn.scalars(
            sa.text(
                f"SELECT id FROM {ARCHIVE_SCHEMA}.packages"
                " WHERE expiration_date BETWEEN :first AND :last ORDER BY id FOR UPDATE"
            ),
            {"first": first, "last": last},
        )
    )


def save_packages_restored(conn: Connection, ids: list) -> int:
    """Bring archived packages back with usage (in date order: validate_package_usage() checks
    each row as it did then) and alerts; returns the usage rows restored."""
    package_columns = ", ".join(PACKAGE_COLUMNS)
    usage_columns = ", ".join(USAGE_COLUMNS)
    conn.execute(
        sa.text(
            f"INSERT INTO {SCHEMA}.packages ({package_columns}) SELECT {package_columns}"
            f" FROM {ARCHIVE_SCHEMA}.packages WHERE id = ANY(:ids)"
        ),
        {"ids": ids},
    )
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
    return usage


def count_archived_packages(conn: Connection, month: str) -> int:
    first, last = bangkok.month_days(month)
    return conn.scalar(
        sa.text(
            f"SELECT count(*) FROM {ARCHIVE_SCHEMA}.packages"
            " WHERE expiration_date BETWEEN :first AND :last"
        ),
        {"first": first, "last": last},
    )
