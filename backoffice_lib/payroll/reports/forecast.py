"""The forecast's tables as the CLI prints them (``payroll forecast``): the pay table of
``payroll compute`` with the worked and planned hours, the weeks, and the accuracy."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from ..rules.forecast import FORECAST_HOUR_COLUMNS, WEEK_COLUMNS, ForecastResult
from ..rules.summary import thb
from .outputs import compute_pay_table, table_columns


def forecast_columns(result: ForecastResult) -> list[str]:
    """``payroll compute``'s columns in their order, then hours_worked, hours_planned."""
    return table_columns(result.payroll) + FORECAST_HOUR_COLUMNS


def compute_forecast_table(result: ForecastResult) -> list[dict]:
    """One row per person of the forecast run, as ``payroll compute`` prints them plus the
    hours worked before the as-of date and planned from it (2 decimals)."""
    hours = {
        code: (worked, planned) for code, worked, planned in zip(
            result.lines["staff_id"], result.lines["hours_worked"], result.lines["hours_planned"])
    }
    rows = compute_pay_table(result.payroll)
    for row in rows:
        worked, planned = hours[row["staff_id"]]
        row["hours_worked"] = f"{worked:.2f}"
        row["hours_planned"] = f"{planned:.2f}"
    return rows


def compute_forecast_week_table(result: ForecastResult) -> list[dict]:
    """``--weeks``: WEEK_COLUMNS, dates in ISO, hours and money with 2 decimals."""
    rows = []
    for week in result.weeks.to_dict("records"):
        rows.append({
            name: (week[name].isoformat() if name in ("week_start", "week_end")
                   else str(week[name]) if name == "staff_id" else f"{week[name]:.2f}")
            for name in WEEK_COLUMNS
        })
    return rows


def keep_forecast_report(as_of: str = "", output_dir: str = "", user: str | None = None):
    """The daily job's call (notebooks/payroll/payroll_forecast.ipynb): keep the forecast of the
    months that can be forecast on ``as_of`` (YYYY-MM-DD; empty: today), as the signed-in user
    (BACKOFFICE_USER), in one transaction; return (and write to ``output_dir`` as
    payroll_forecast_<date>.csv) one line per month kept."""
    import pandas as pd

    from ... import access, bangkok, database, session_user, spreadsheets, values
    from ..service.forecast import keep_forecasts

    day = values.parse_business_date(as_of, "as_of") if as_of else bangkok.today()
    who = user or session_user.signed_in_user()
    access.require(who, "payroll")
    with database.transaction() as conn:
        kept = pd.DataFrame(keep_forecasts(conn, who, day),
                            columns=["month", "as_of", "people", "total_pay", "service_charge",
                                     "blocking_errors", "flags"])
    if output_dir:
        target = Path(output_dir)
        target.mkdir(parents=True, exist_ok=True)
        spreadsheets.inert_frame(kept).to_csv(
            target / f"payroll_forecast_{day.isoformat()}.csv", index=False)
    return kept


def compute_accuracy_table(rows) -> list[dict]:
    """``--accuracy``: ACCURACY_COLUMNS, money and % with 2 decimals, empty when unknown."""
    return [{name: ("" if value is None else value if name in ("staff_id", "staff_name")
                    else f"{value:.2f}") for name, value in row.items()}
            for row in rows.to_dict("records")]


def render_forecast(summary, month: str) -> str:
    """HTML of ``service.forecast.load_forecast_summary``: the month being worked so far, the
    plan, the forecast and last month's actual, per component (the payroll dashboard and the
    overview show it)."""
    if summary is None:
        return ("<h4>Forecast</h4><p class='payroll-forecast'><i>A forecast is made for the "
                f"month being worked; {html.escape(month)} is over or has not begun.</i></p>")
    source = summary.service_charge_source
    table = summary.rows.assign(**{
        name: [thb(v) for v in summary.rows[name]]
        for name in ("so_far", "plan", "forecast", "last_month", "change")})
    table.columns = ["Component", f"So far (to {summary.as_of - dt.timedelta(days=1):%d %b})",
                     "Planned from today", "Forecast", f"Last month ({summary.last_month})",
                     "Change"]
    return (
        f"<h4>Forecast of {html.escape(summary.month)} as of {summary.as_of:%d %b %Y}</h4>"
        "<div class='payroll-forecast'>"
        + table.to_html(index=False, escape=True, border=0, classes="payroll-table")
        + f"<p class='bo-hint'>Last month: {html.escape(summary.last_month_source)}. "
        f"{html.escape(source[:1].upper() + source[1:])}.</p></div>"
    )
