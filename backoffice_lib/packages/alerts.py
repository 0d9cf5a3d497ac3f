"""Package monitoring alerts (business-rules §4, "Monitoring").

Three levels, judged on a Bangkok date ``as_of``:

- ``expiring_soon``: an active or unlimited package whose expiration date is within
  ``package_expiry_warning_days`` (payroll_settings; default 7, a row saying 0 means "only on the
  expiry day itself") from as_of, both ends included;
- ``low_balance``: an active package with remaining ≤ 1 h or ≤ 10 % of its hours (a depleted
  package is no longer "low");
- ``not_activated``: bought at least 30 days before as_of and never used.

Each alert is raised once per package and level: ``package_alerts`` remembers it (unique key), so
tomorrow's run does not raise it again. The day's alert list is the alerts raised on that date,
with the customer's contact details, and re-running a day gives the same list.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from .. import audit, bangkok, settings, spreadsheets
from ..models.core import PayrollSetting
from ..models.packages import PackageAlert
from ..money import round_hours
from .rules import (  # noqa: F401 - the rules, re-exported for callers
    LOW_BALANCE_HOURS,
    LOW_BALANCE_SHARE,
    NOT_ACTIVATED_DAYS,
    compute_alerts,
    is_low_balance,
)

PACKAGE_ALERTS = PackageAlert.__table__
PAYROLL_SETTINGS = PayrollSetting.__table__

WARNING_DAYS_KEY = "package_expiry_warning_days"
DEFAULT_WARNING_DAYS = 7
SYSTEM_ACTOR = "system:package-alerts"

ALERT_LIST_COLUMNS = [
    "raised_on",
    "alert_level",
    "message",
    "package_id",
    "customer_name",
    "contact_number",
    "email",
    "package_type_name",
    "package_category",
    "purchase_date",
    "first_use_date",
    "expiration_date",
    "total_hours",
    "used_hours",
    "remaining_hours",
]


# --- data access --------------------------------------------------------------------------------

FLAGGED_SQL = """
WITH usage_totals AS (
  SELECT package_id, sum(used_hours) AS used_hours
    FROM backoffice.package_usage
   GROUP BY package_id
), status AS (
  SELECT p.id AS package_id, p.customer_id, p.customer_name, pt.name AS package_type_name,
         pt.type::text AS package_category, p.purchase_date, p.first_use_date,
         p.expiration_date, pt.hours AS total_hours, coalesce(u.used_hours, 0) AS used_hours,
         CASE WHEN pt.hours IS NOT NULL
              THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END AS remaining_hours,
         backoffice.package_status(p.first_use_date, p.expiration_date, pt.hours,
                                   u.used_hours, CAST(:as_of AS date)) AS package_status
    FROM backoffice.packages p
    JOIN backoffice.package_types pt ON pt.id = p.package_type_id
    LEFT JOIN usage_totals u ON u.package_id = p.id
)
SELECT s.*, s.expiration_date - CAST(:as_of AS date) AS days_until_expiry,
       c.contact_number, c.email
  FROM status s
  LEFT JOIN public.customers c ON c.id = s.customer_id
 WHERE (s.package_status IN ('active', 'unlimited')
        AND s.expiration_date BETWEEN CAST(:as_of AS date)
                                  AND CAST(:as_of AS date) + CAST(:horizon AS integer))
    OR (s.package_status = 'active'
        AND s.remaining_hours <= greatest(CAST(:low_hours AS numeric),
                                          s.total_hours * CAST(:low_share AS numeric)))
    OR (s.package_status = 'not_activated'
        AND s.purchase_date <= CAST(:as_of AS date) - CAST(:inactive_days AS integer))
 ORDER BY s.expiration_date NULLS LAST, s.purchase_date, s.package_id
"""


def load_expiry_warning_days(conn: Connection) -> int:
    """``package_expiry_warning_days`` from payroll_settings; no row means 7, '0' means 0."""
    value = conn.scalar(
        sa.select(PAYROLL_SETTINGS.c.setting_value).where(
            PAYROLL_SETTINGS.c.setting_key == WARNING_DAYS_KEY
        )
    )
    if value is None:
        return DEFAULT_WARNING_DAYS
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{WARNING_DAYS_KEY} must be a whole number of days, not {value!r}") from None
    if days < 0:
        raise ValueError(f"{WARNING_DAYS_KEY} cannot be negative ({days})")
    return days


def load_flagged_packages(
    conn: Connection, as_of: dt.date, horizon_days: int
) -> list[dict[str, Any]]:
    """Packages that may need attention on ``as_of``: expiring within ``horizon_days``, low
    balance, or unused for 30+ days; with status, balances and contact details. One query."""
    rows = conn.execute(
        sa.text(FLAGGED_SQL),
        {
            "as_of": as_of,
            "horizon": horizon_days,
            "low_hours": LOW_BALANCE_HOURS,
            "low_share": LOW_BALANCE_SHARE,
            "inactive_days": NOT_ACTIVATED_DAYS,
        },
    ).mappings()
    return [dict(r) for r in rows]


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    """Alert details as JSON values: dates ISO, Decimals as exact text."""
    return {
        k: v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v
        for k, v in details.items()
    }


def save_alerts(conn: Connection, alerts: list[dict[str, Any]], raised_on: dt.date) -> list[dict]:
    """Insert the alerts not raised before (per package and level); return the new ones."""
    if not alerts:
        return []
    rows = [
        {
            "package_id": a["package_id"],
            "alert_level": a["alert_level"],
            "message": a["message"],
            "details": _plain(a["details"]),
            "raised_on": raised_on,
        }
        for a in alerts
    ]
    statement = (
        pg_insert(PACKAGE_ALERTS)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["package_id", "alert_level"])
        .returning(PACKAGE_ALERTS.c.package_id, PACKAGE_ALERTS.c.alert_level)
    )
    return [dict(r) for r in conn.execute(statement).mappings()]


def load_alert_list(conn: Connection, raised_on: dt.date) -> list[dict[str, Any]]:
    """The alerts raised on one date, with the package's balance and the customer's contacts."""
    rows = conn.execute(
        sa.text(
            """
            SELECT a.raised_on, a.alert_level, a.message, a.package_id, p.customer_name,
                   c.contact_number, c.email, pt.name AS package_type_name,
                   pt.type::text AS package_category, p.purchase_date, p.first_use_date,
                   p.expiration_date, pt.hours AS total_hours,
                   coalesce(u.used_hours, 0) AS used_hours,
                   CASE WHEN pt.hours IS NOT NULL
                        THEN greatest(0, pt.hours - coalesce(u.used_hours, 0)) END
                     AS remaining_hours
              FROM backoffice.package_alerts a
              JOIN backoffice.packages p ON p.id = a.package_id
              JOIN backoffice.package_types pt ON pt.id = p.package_type_id
              LEFT JOIN public.customers c ON c.id = p.customer_id
              LEFT JOIN LATERAL (
                SELECT sum(x.used_hours) AS used_hours FROM backoffice.package_usage x
                 WHERE x.package_id = p.id
              ) u ON true
             WHERE a.raised_on = :d
             ORDER BY a.alert_level, p.customer_name, a.package_id
            """
        ),
        {"d": raised_on},
    ).mappings()
    return [dict(r) for r in rows]


# --- service ------------------------------------------------------------------------------------


def run_package_alerts(
    conn: Connection, as_of: dt.date | None = None, *, actor: str = SYSTEM_ACTOR
) -> dict[str, Any]:
    """Raise the day's new alerts (once per package and level), audit, and return the day's list.

    A scheduled job: ``actor`` is recorded in the audit trail. Never commits.
    """
    as_of = as_of or bangkok.today()
    warning_days = load_expiry_warning_days(conn)
    flagged = load_flagged_packages(conn, as_of, warning_days)
    new = save_alerts(conn, compute_alerts(flagged, as_of, warning_days), as_of)
    if new:
        counts: dict[str, int] = {}
        for a in new:
            counts[a["alert_level"]] = counts.get(a["alert_level"], 0) + 1
        audit.record(
            conn, actor, "RAISE_ALERTS", "package_alerts", as_of.isoformat(),
            details={"as_of": as_of, "warning_days": warning_days, "raised": counts},
        )
    return {"as_of": as_of, "warning_days": warning_days, "new": new,
            "alerts": load_alert_list(conn, as_of)}


def alert_list_frame(alerts: list[dict[str, Any]]) -> pd.DataFrame:
    """The alert list as a DataFrame for people: hours with 2 decimals (Decimal), ids as text."""
    rows = []
    for a in alerts:
        row = {c: a.get(c) for c in ALERT_LIST_COLUMNS}
        row["package_id"] = str(row["package_id"])
        for c in ("total_hours", "used_hours", "remaining_hours"):
            if row[c] is not None:
                row[c] = round_hours(row[c])
        rows.append(row)
    return pd.DataFrame(rows, columns=ALERT_LIST_COLUMNS)


def write_alert_files(alerts: list[dict[str, Any]], output_dir: str | Path, as_of: dt.date) -> dict:
    """Write the day's alert list as CSV and Excel into ``output_dir``; return both paths."""
    folder = settings.private_dir(output_dir, narrow_existing=False)  # customers' contacts
    frame = alert_list_frame(alerts)
    csv_path = folder / f"package_alerts_{as_of.isoformat()}.csv"
    xlsx_path = folder / f"package_alerts_{as_of.isoformat()}.xlsx"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ALERT_LIST_COLUMNS)
        for record in frame.itertuples(index=False):  # names typed at the front desk: data only
            writer.writerow(spreadsheets.inert_row(
                "" if v is None or v is pd.NaT else v for v in record))
    with pd.ExcelWriter(xlsx_path, engine="openpyxl") as excel:
        spreadsheets.workbook_frame(frame).to_excel(excel, index=False, sheet_name="alerts")
        spreadsheets.make_workbook_inert(excel.book)
    return {"csv": csv_path, "xlsx": xlsx_path, "count": len(frame)}


def package_alerts_report(as_of: str | dt.date | None, output_dir: str | Path) -> pd.DataFrame:
    """The scheduled notebook's one call: raise the day's alerts in one transaction, write the
    files, and return the list to show."""
    from .. import database, settings

    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else (
        as_of if isinstance(as_of, dt.date) else bangkok.today()
    )
    output_dir = output_dir or settings.data_dir() / "reports" / "package_alerts"
    actor = settings.acting_user_from_env() or SYSTEM_ACTOR  # the scheduler's user, if set
    with database.transaction() as conn:
        result = run_package_alerts(conn, day, actor=actor)
    files = write_alert_files(result["alerts"], output_dir, day)
    frame = alert_list_frame(result["alerts"])
    frame.attrs["files"] = {k: str(v) for k, v in files.items() if k != "count"}
    frame.attrs["new"] = len(result["new"])
    return frame
