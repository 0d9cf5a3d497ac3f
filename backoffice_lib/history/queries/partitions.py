"""Monthly partitions of ``time_entries`` and ``audit_logs`` (migration 0007): read and created.

Each table is partitioned BY RANGE ("timestamp"): one partition per Bangkok month, named
``<table>_YYYY_MM``, from the 1st 00:00 to the next 1st 00:00 Asia/Bangkok, and a DEFAULT
partition ``<table>_default`` that takes any row no monthly partition covers, so no write is ever
refused for want of a partition. ``ensure_partition`` gives a month its partition, moving the rows
of that month out of the DEFAULT partition. A month whose time entries are archived has its
partition in the ``archive`` schema (``service/archive.py``); no live partition is created for it.
SQL and DDL on the caller's connection; never commits.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ... import bangkok
from ..rules import (
    ARCHIVE_SCHEMA,
    PARTITIONED_TABLES,
    SCHEMA,
    Partition,
    check_table,
    compute_months,
    default_partition_name,
    month_of_partition,
    partition_name,
)


def _bound(moment: dt.datetime) -> str:
    return "'" + moment.isoformat() + "'"


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
    check_table(table)
    return list(
        conn.scalars(
            sa.text(
                "SELECT DISTINCT to_char(timestamp AT TIME ZONE 'Asia/Bangkok', 'YYYY-MM')"
                f" FROM {SCHEMA}.{default_partition_name(table)} ORDER BY 1"
            )
        )
    )


def load_relation_exists(conn: Connection, qualified: str) -> bool:
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
    check_table(table)
    name = partition_name(table, month)
    if load_relation_exists(conn, f"{SCHEMA}.{name}") or load_relation_exists(conn, f"{ARCHIVE_SCHEMA}.{name}"):
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


def load_partition_overview(conn: Connection) -> list[dict]:
    """Every partition of both tables (live and archived) with PostgreSQL's row estimate."""
    rows = []
    for table in PARTITIONED_TABLES:
        for schema in (SCHEMA, ARCHIVE_SCHEMA):
            if not load_relation_exists(conn, f"{schema}.{table}"):
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
