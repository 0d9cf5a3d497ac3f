"""Coach earnings (business-rules §5) from the ``coach_earnings`` view.

The view holds the rules (one row per confirmed coaching booking; rate type from the linked
Coaching package, else ``Individual, 1 PAX`` / ``Individual, 2 PAX``; gross = hours × rate;
discount_deduction = package discount ÷ package hours × hours; a missing rate is an error row).
This module reads it for a period, keeps a coach to their own rows, and totals per coach.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import access, audit, bangkok, settings, spreadsheets
from ..money import ZERO
from .rules import compute_coach_totals, compute_visible_coach

AREA = "coaching"

EARNINGS_COLUMNS = [
    "booking_id",
    "booking_date",
    "start_time",
    "coach_code",
    "customer_name",
    "number_of_people",
    "hours",
    "package_id",
    "rate_type",
    "rate",
    "gross_amount",
    "discount_deduction",
    "coach_earnings",
    "error",
]
TOTAL_COLUMNS = [
    "coach_code",
    "bookings",
    "hours",
    "gross_amount",
    "discount_deduction",
    "coach_earnings",
    "error_rows",
]


# --- pure ---------------------------------------------------------------------------------------


def earnings_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in EARNINGS_COLUMNS} for r in rows],
                        columns=EARNINGS_COLUMNS)


def totals_frame(totals: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(totals, columns=TOTAL_COLUMNS)


# --- data access --------------------------------------------------------------------------------


def load_coach_earnings(
    conn: Connection, date_from: dt.date, date_to: dt.date, coach_code: str | None = None
) -> list[dict[str, Any]]:
    """The view's rows of a period (both dates included), optionally of one coach."""
    query = """
        SELECT booking_id, booking_date, start_time, coach_code, customer_name, number_of_people,
               hours, package_id, rate_type, rate, gross_amount, discount_deduction,
               coach_earnings, error
          FROM backoffice.coach_earnings
         WHERE booking_date BETWEEN :f AND :t
    """
    params: dict[str, Any] = {"f": date_from, "t": date_to}
    if coach_code:
        query += " AND coach_code = :c"
        params["c"] = coach_code.upper()
    query += " ORDER BY booking_date, start_time NULLS LAST, coach_code, booking_id"
    return [dict(r) for r in conn.execute(sa.text(query), params).mappings()]


# --- service ------------------------------------------------------------------------------------


def run_coach_earnings(
    conn: Connection,
    user_email: str | None,
    date_from: dt.date,
    date_to: dt.date,
    coach: str | None = None,
) -> dict[str, Any]:
    """The earnings the user may see for a period: rows, per-coach totals and error rows.

    A coach sees only their own rows (allowed_users.coach_code); asking for another coach is
    refused and the refusal audited. The read itself is audited as VIEW.
    """
    if date_to < date_from:
        raise ValueError(f"the period ends ({date_to}) before it starts ({date_from})")
    user = access.check(conn, user_email, AREA, admin=False)
    coach_code, refusal = compute_visible_coach(user, coach)
    if refusal:
        audit.record(conn, user.email, "ACCESS_DENIED", AREA, coach, details={"reason": refusal})
        raise access.AccessDenied(f"access refused: {refusal}")
    rows = load_coach_earnings(conn, date_from, date_to, coach_code)
    audit.record(
        conn, user.email, "VIEW", "coach_earnings", coach_code or "all",
        details={"from": date_from, "to": date_to, "rows": len(rows)},
    )
    return {
        "coach_code": coach_code,
        "rows": rows,
        "totals": compute_coach_totals(rows),
        "errors": [r for r in rows if r.get("error")],
    }


def require_visible_coach(user_email: str | None, coach: str | None, engine=None) -> str | None:
    """For entry points: the coach filter the user may use, checked in a transaction of its own
    so that a refusal's audit row is kept (as ``access.require``)."""
    from .. import database

    refusal: access.AccessDenied | None = None
    with database.transaction(engine) as conn:
        try:
            user = access.check(conn, user_email, AREA, admin=False)
            coach_code, reason = compute_visible_coach(user, coach)
            if reason:
                audit.record(conn, user.email, "ACCESS_DENIED", AREA, coach,
                             details={"reason": reason})
                refusal = access.AccessDenied(f"access refused: {reason}")
            else:
                return coach_code
        except access.AccessDenied as denied:
            refusal = denied
    raise refusal


def coach_earnings_report(
    coach: str | None, month: str | None, user_email: str | None = None,
    output_dir: str | None = None,
) -> dict:
    """The coach earnings notebook's call: one month (empty: last month) as DataFrames, for the
    signed-in user; with ``output_dir``, the rows are also written there as CSV."""
    from .. import database, session_user

    month = month or bangkok.previous_month(bangkok.month_key(bangkok.today()))
    first, last = bangkok.month_days(month)
    email = user_email or session_user.signed_in_user()
    coach_code = require_visible_coach(email, coach)
    with database.transaction() as conn:
        result = run_coach_earnings(conn, email, first, last, coach_code)
    report = {
        "month": month,
        "coach_code": result["coach_code"],
        "earnings": earnings_frame(result["rows"]),
        "totals": totals_frame(result["totals"]),
        "errors": earnings_frame(result["errors"]),
    }
    if output_dir:
        folder = settings.private_dir(output_dir, narrow_existing=False)
        name = f"coach_earnings_{result['coach_code'] or 'all'}_{month}.csv"
        report["file"] = str(write_earnings_csv(result["rows"], folder / name))
    return report


def write_earnings_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """The earnings rows as CSV (EARNINGS_COLUMNS); customers' names are data, never formulas."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EARNINGS_COLUMNS)
        for row in rows:
            writer.writerow(spreadsheets.inert_row(
                "" if row[c] is None else row[c] for c in EARNINGS_COLUMNS))
    return Path(path)


def coach_earnings_total(totals: list[dict[str, Any]]) -> Decimal:
    return sum((t["coach_earnings"] for t in totals), ZERO)
