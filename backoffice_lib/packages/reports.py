"""The packages domain's files and notebook reports: the day's package alert list (CSV and
Excel) and coach earnings (CSV). Writers keep customers' names as data, never formulas
(``spreadsheets``); folders are private (they hold customers' contacts and pay)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from .. import bangkok, settings, spreadsheets
from .rules import (
    ALERT_LIST_COLUMNS,
    EARNINGS_COLUMNS,
    alert_list_frame,
    earnings_frame,
    totals_frame,
)
from .service import alerts as alert_service
from .service import coaching as coaching_service
from .service import delivery as alert_delivery


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
    """The scheduled notebook's one call: raise the day's alerts in one transaction, send each
    to its customer (e-mail, LINE: once per package, level and channel), write the files, and
    return the list to show, with what reached each customer (``reached``)."""
    from .. import database

    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else (
        as_of if isinstance(as_of, dt.date) else bangkok.today()
    )
    output_dir = output_dir or settings.data_dir() / "reports" / "package_alerts"
    actor = settings.acting_user_from_env() or alert_service.SYSTEM_ACTOR  # the scheduler's user
    with database.transaction() as conn:
        result = alert_service.run_package_alerts(conn, day, actor=actor)
    # each alert to its customer by e-mail and LINE, once per package, level and channel
    delivered = alert_delivery.deliver_package_alerts(
        day, None if actor == alert_service.SYSTEM_ACTOR else actor)
    alerts = alert_delivery.load_alerts_reached(day)
    files = write_alert_files(alerts, output_dir, day)
    frame = alert_list_frame(alerts)
    frame.attrs["files"] = {k: str(v) for k, v in files.items() if k != "count"}
    frame.attrs["new"] = len(result["new"])
    frame.attrs["delivery"] = delivered.counts()
    return frame


def write_earnings_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    """The earnings rows as CSV (EARNINGS_COLUMNS); customers' names are data, never formulas."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EARNINGS_COLUMNS)
        for row in rows:
            writer.writerow(spreadsheets.inert_row(
                "" if row[c] is None else row[c] for c in EARNINGS_COLUMNS))
    return Path(path)


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
    coach_code = coaching_service.require_visible_coach(email, coach)
    with database.transaction() as conn:
        result = coaching_service.run_coach_earnings(conn, email, first, last, coach_code)
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
