"""The workbench overview's reads, for an admin: each checks access in the caller's transaction
(``access.check``, area ``overview``), reads with ``queries`` and computes with ``rules``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from .. import access, bangkok
from . import queries
from .rules import compute_overview

AREA = "overview"


def load_overview(
    conn: Connection, user_email: str, month: str, today: dt.date | None = None
) -> dict[str, Any]:
    """Everything the overview shows for ``month`` (read-only): KPI cards and the daily series,
    up to ``today`` (default: today in Bangkok) in the current month."""
    access.check(conn, user_email, AREA, admin=True)
    first, last = bangkok.month_days(month)
    run, payroll_available = queries.load_payroll_run(conn, month)
    sessions, unresolved, reconciliation_available = queries.load_reconciliation(conn, first, last)
    loaded = {
        "run": run,
        "payroll_available": payroll_available,
        "sales": queries.load_package_sales(conn, first, last),
        "usage": queries.load_daily_usage(conn, first, last),
        "pos": queries.load_daily_pos_sales(conn, first, last),
        "sessions": sessions,
        "unresolved": unresolved,
        "reconciliation_available": reconciliation_available,
    }
    return compute_overview(month, today or bangkok.today(), loaded)


def load_latest_data_month(conn: Connection, user_email: str) -> str | None:
    """The latest month with package usage or POS sales up to today (None when there is none)."""
    access.check(conn, user_email, AREA, admin=True)
    latest = queries.load_latest_data_day(conn, bangkok.today())
    return bangkok.month_key(latest) if latest else None


def load_backup_status(conn: Connection, user_email: str, now: dt.datetime | None = None):
    """The age of the last verified backup (the data dir's backups and BACKOFFICE_BACKUP_DIR),
    a warning after 26 hours (``history.rules.compute_backup_status``)."""
    from ..history import rules as history_rules
    from ..history.service import verified_backup

    access.check(conn, user_email, AREA, admin=True)
    return history_rules.compute_backup_status(verified_backup.load_last_verified_at(),
                                               now or bangkok.now())
