"""Monthly partitions of ``time_entries`` and ``audit_logs`` (migration 0007).

Each table is partitioned BY RANGE ("timestamp"): one partition per Bangkok month, named
``<table>_YYYY_MM``, from the 1st 00:00 to the next 1st 00:00 Asia/Bangkok, and a DEFAULT
partition ``<table>_default`` that takes any row no monthly partition covers, so no write is ever
refused for want of a partition. ``backoffice db maintain`` (scheduled in jobs.yml) creates the
partitions of the coming months and gives the months that reached the DEFAULT partition a
partition of their own, moving those rows there.

A month whose time entries are archived has its partition in the ``archive`` schema
(backoffice_lib/history/archive.py); maintain never creates a live partition for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import audit, bangkok, database, settings, spreadsheets

SCHEMA = "backoffice"
ARCHIVE_SCHEMA = "archive"
PARTITIONED_TABLES = ("time_entries", "audit_logs")
DEFAULT_MONTHS_AHEAD = 3


class PartitionError(ValueError):
    """A partition request a person can fix (unknown table, bad month)."""


@dataclasses.dataclass(frozen=True)
class Partition:
    schema: str
    name: str
    month: str | None  # None for the DEFAULT partition

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


# --- pure helpers ------------------------------------------------------------------------------


def partition_name(table: str, month: str) -> str:
    year, number = bangkok.parse_month(month)
    return f"{table}_{year:04d}_{number:02d}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def month_of_partition(table: str, name: str) -> str | None:
    """'time_entries_2026_01' -> '2026-01'; the DEFAULT partition (or anything else) -> None."""
    prefix = f"{table}_"
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    if len(rest) == 7 and rest[4] == "_" and rest[:4].isdigit() and rest[5:].isdigit():
        month = f"{rest[:4]}-{rest[5:]}"
        if bangkok.MONTH_PATTERN.match(month):
            return month
    return None


def compute_months(first: str, last: str) -> list[str]:
    """Every month key from ``first`` to ``last`` inclusive."""
    bangkok.parse_month(first)
    bangkok.parse_month(last)
    months, month = [], first
    while month <= last:
        months.append(month)
        _, last_day = bangkok.month_days(month)
        month = bangkok.month_key(last_day + dt.timedelta(days=1))
    return months


def compute_months_ahead(today: dt.date, months_ahead: int) -> list[str]:
    """This month and the ``months_ahead`` months after it."""
    this = bangkok.month_key(today)
    last = this
    for _ in range(months_ahead):
        _, last_day = bangkok.month_days(last)
        last = bangkok.month_key(last_day + dt.timedelta(days=1))
    return compute_months(this, last)


def _check_table(table: str) -> None:
    if table not in PARTITIONED_TABLES:
        raise PartitionError(f"{table} is not partitioned; choose one of {', '.join(PARTITIONED_TABLES)}")


def _bound(moment: dt.datetime) -> str:
    return "'" + moment.isoformat() + "'"


# --- data access -------------------------------------------------------------------------------


def load_partitions(conn: Connection, table: str, schema: str = SCHEMA) -> list[Partition]:
    """The partitions attached to ``schema.table``, monthly ones by month, DEFAULT last."""
    rows = conn.execute(
        sa.text(
            "SELECT n.nspname AS schema, c.relname AS name,"
            "       pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default"
            "  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            "  JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE i.inhparent = to_regclass(:parent)"
        ),
        {"parent": f"{schema}.{table}"},
    ).all()
    partitions = [
        Partition(r.schema, r.name, None if r.is_default else month_of_partition(table, r.name))
        for r in rows
    ]
    return sorted(partitions, key=lambda p: (p.month is None, p.month or "", p.name))


def load_archived_months(conn: Connection, table: str = "time_entries") -> list[str]:
    return [
        p.month for p in load_partitions(conn, table, ARCHIVE_SCHEMA) if p.month is not None
    ]


def load_default_months(conn: Connection, table: str) -> list[str]:
    """Months that have rows in the DEFAULT partition (normally none)."""
    _check_table(table)
    return list(
        conn.scalars(
            sa.text(
                "SELECT DISTINCT to_char(timestamp AT TIME ZONE 'Asia/Bangkok', 'YYYY-MM')"
                f" FROM {SCHEMA}.{default_partition_name(table)} ORDER BY 1"
            )
        )
    )


def _regclass(conn: Connection, qualified: str) -> bool:
    return conn.scalar(sa.text("SELECT to_regclass(:q) IS NOT NULL"), {"q": qualified})


def move_default_rows(conn: Connection, table: str, month: str, target: str) -> int:
    """Move the DEFAULT partition's rows of ``month`` into the detached table ``target``.

    The DEFAULT partition is detached first, so no row trigger fires (the rows were validated
    when they were written) and the partition can be re-attached without overlap. The caller
    attaches ``target`` and then calls ``reattach_default``.
    """
    start, end = bangkok.month_bounds(month)
    parent = f"{SCHEMA}.{table}"
    default = f"{SCHEMA}.{default_partition_name(table)}"
    conn.execute(sa.text(f"ALTER TABLE {parent} DETACH PARTITION {default}"))
    moved = conn.execute(
        sa.text(
            f"WITH moved AS (DELETE FROM {default} WHERE timestamp >= :start AND timestamp < :end"
            f" RETURNING *) INSERT INTO {target} SELECT * FROM moved"
        ),
        {"start": start, "end": end},
    )
    return moved.rowcount


def reattach_default(conn: Connection, table: str) -> None:
    conn.execute(
        sa.text(
            f"ALTER TABLE {SCHEMA}.{table} ATTACH PARTITION"
            f" {SCHEMA}.{default_partition_name(table)} DEFAULT"
        )
    )


def default_has_rows(conn: Connection, table: str, month: str) -> bool:
    start, end = bangkok.month_bounds(month)
    return bool(
        conn.scalar(
            sa.text(
                f"SELECT EXISTS (SELECT 1 FROM {SCHEMA}.{default_partition_name(table)}"
                " WHERE timestamp >= :start AND timestamp < :end)"
            ),
            {"start": start, "end": end},
        )
    )


def ensure_partition(conn: Connection, table: str, month: str) -> bool:
    """Give ``month`` its own live partition; True if one was created.

    Rows of that month waiting in the DEFAULT partition move into it. A month whose partition is
    archived gets none (its late rows stay in DEFAULT until the month is restored).
    """
    _check_table(table)
    name = partition_name(table, month)
    if _regclass(conn, f"{SCHEMA}.{name}") or _regclass(conn, f"{ARCHIVE_SCHEMA}.{name}"):
        return False
    start, end = bangkok.month_bounds(month)
    bounds = f"FOR VALUES FROM ({_bound(start)}) TO ({_bound(end)})"
    parent = f"{SCHEMA}.{table}"
    if not default_has_rows(conn, table, month):
        conn.execute(sa.text(f"CREATE TABLE {SCHEMA}.{name} PARTITION OF {parent} {bounds}"))
        return True
    conn.execute(
        sa.text(
            f"CREATE TABLE {SCHEMA}.{name}"
            f" (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
    )
    move_default_rows(conn, table, month, f"{SCHEMA}.{name}")
    conn.execute(sa.text(f"ALTER TABLE {parent} ATTACH PARTITION {SCHEMA}.{name} {bounds}"))
    reattach_default(conn, table)
    return True


def ensure_partitions(conn: Connection, table: str, first: str, last: str) -> list[str]:
    """Partitions for every month from ``first`` to ``last``; the names of those created."""
    return [
        partition_name(table, month)
        for month in compute_months(first, last)
        if ensure_partition(conn, table, month)
    ]


def run_maintain(
    conn: Connection,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
    *,
    user_email: str = "system:maintain",
    today: dt.date | None = None,
) -> dict[str, list[str]]:
    """Partitions for this month and ``months_ahead`` more, and for every month found in a
    DEFAULT partition, for both tables; audited when anything was created."""
    if months_ahead < 0 or months_ahead > 120:
        raise PartitionError(f"months ahead must be between 0 and 120, not {months_ahead}")
    ahead = compute_months_ahead(today or bangkok.today(), months_ahead)
    created: dict[str, list[str]] = {}
    for table in PARTITIONED_TABLES:
        months = sorted(set(ahead) | set(load_default_months(conn, table)))
        created[table] = [
            partition_name(table, month) for month in months if ensure_partition(conn, table, month)
        ]
    if any(created.values()):
        audit.record(
            conn, user_email, "CREATE_PARTITIONS", "partitions", None,
            details={"created": created, "months_ahead": months_ahead},
        )
    return created


def load_partition_overview(conn: Connection) -> list[dict]:
    """Every partition of both tables (live and archived) with PostgreSQL's row estimate."""
    rows = []
    for table in PARTITIONED_TABLES:
        for schema in (SCHEMA, ARCHIVE_SCHEMA):
            if not _regclass(conn, f"{schema}.{table}"):
                continue
            for p in load_partitions(conn, table, schema):
                estimate = conn.scalar(
                    sa.text("SELECT greatest(reltuples, 0)::bigint FROM pg_class"
                            " WHERE oid = to_regclass(:q)"),
                    {"q": p.qualified},
                )
                rows.append({"table": table, "schema": schema, "partition": p.name,
                             "month": p.month or "DEFAULT", "estimated_rows": estimate})
    return rows


def partitions_maintain_report(months_ahead: int = DEFAULT_MONTHS_AHEAD, output_dir: str = ""):
    """The scheduled job's notebook call: run ``maintain`` in one transaction and return (and
    write to ``output_dir``, when given, as partitions_<date>.csv) the partitions afterwards."""
    import pandas as pd  # only the notebook's table needs it

    user = settings.acting_user_from_env() or "system:maintain"
    with database.transaction() as conn:
        created = run_maintain(conn, int(months_ahead), user_email=user)
        overview = pd.DataFrame(load_partition_overview(conn))
    made = {name for names in created.values() for name in names}
    overview["created_now"] = overview["partition"].isin(made)
    if output_dir:
        target = Path(output_dir)
        target.mkdir(parents=True, exist_ok=True)
        spreadsheets.inert_frame(overview).to_csv(
            target / f"partitions_{bangkok.today().isoformat()}.csv", index=False)
    return overview
