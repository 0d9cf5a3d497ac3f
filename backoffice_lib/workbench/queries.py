"""The workbench overview's SQL: one month's payroll run, package sales and usage, POS sales and
reconciliation sessions. A table that is not there yet reads as "not available", never an error.
Each function takes the caller's connection and never commits."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def table_exists(conn: Connection, schema: str, table: str) -> bool:
    return bool(
        conn.scalar(sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": f"{schema}.{table}"})
    )


def load_payroll_run(conn: Connection, month: str) -> tuple[dict | None, bool]:
    """The month's finalised payroll run, else its latest draft; and whether runs are recorded."""
    if not table_exists(conn, "backoffice", "payroll_runs"):
        return None, False
    row = conn.execute(
        sa.text(
            "SELECT status, total_pay, people, created_at FROM backoffice.payroll_runs"
            " WHERE month = :month"
            " ORDER BY (status = 'finalised') DESC, created_at DESC LIMIT 1"
        ),
        {"month": month},
    ).first()
    return (dict(row._mapping) if row else None), True


def load_package_sales(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    """Packages bought in the period per type: count and hours."""
    rows = conn.execute(
        sa.text(
            "SELECT coalesce(t.display_name, t.name) AS type_name, count(*) AS packages,"
            " sum(t.hours) AS hours"
            " FROM backoffice.packages p JOIN backoffice.package_types t ON t.id = p.package_type_id"
            " WHERE p.purchase_date BETWEEN :first AND :last"
            " GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        {"first": first, "last": last},
    )
    return [dict(r._mapping) for r in rows]


def load_daily_usage(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    rows = conn.execute(
        sa.text(
            "SELECT used_date AS day, sum(used_hours) AS hours FROM backoffice.package_usage"
            " WHERE used_date BETWEEN :first AND :last GROUP BY 1 ORDER BY 1"
        ),
        {"first": first, "last": last},
    )
    return [dict(r._mapping) for r in rows]


def load_daily_pos_sales(conn: Connection, first: dt.date, last: dt.date) -> list[dict]:
    if not table_exists(conn, "pos", "sales"):
        return []
    rows = conn.execute(
        sa.text(
            "SELECT sale_date AS day, sum(item_price_incl_vat) AS amount FROM pos.sales"
            " WHERE sale_date BETWEEN :first AND :last AND NOT coalesce(is_voided, false)"
            " GROUP BY 1 ORDER BY 1"
        ),
        {"first": first, "last": last},
    )
    return [dict(r._mapping) for r in rows]


def load_reconciliation(conn: Connection, first: dt.date, last: dt.date) -> tuple[list, int, bool]:
    """Sessions whose date range overlaps the period, their unresolved items, and whether
    reconciliation is recorded at all."""
    if not table_exists(conn, "backoffice", "reconciliation_sessions"):
        return [], 0, False
    sessions = [
        dict(r._mapping)
        for r in conn.execute(
            sa.text(
                "SELECT id, status, match_rate FROM backoffice.reconciliation_sessions"
                " WHERE date_range_start <= :last AND date_range_end >= :first"
            ),
            {"first": first, "last": last},
        )
    ]
    unresolved = 0
    if sessions:
        unresolved = conn.scalar(
            sa.text(
                "SELECT count(*) FROM backoffice.reconciliation_items"
                " WHERE status = 'unresolved' AND item_type <> 'matched'"
                " AND session_id = ANY(:ids)"
            ),
            {"ids": [s["id"] for s in sessions]},
        )
    return sessions, int(unresolved or 0), True


def load_latest_data_day(conn: Connection, today: dt.date) -> dt.date | None:
    """The latest day up to ``today`` with package usage or POS sales (None when there is none)."""
    return conn.scalar(
        sa.text(
            "SELECT greatest((SELECT max(used_date) FROM backoffice.package_usage"
            "                  WHERE used_date <= CAST(:today AS date)),"
            "                (SELECT max(sale_date) FROM pos.sales"
            "                  WHERE sale_date <= CAST(:today AS date)))"
        ),
        {"today": today},
    )
