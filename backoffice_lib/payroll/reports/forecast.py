"""The forecast's tables as the CLI prints them (``payroll forecast``): the pay table of
``payroll compute`` with the worked and planned hours, the weeks, and the accuracy."""

from __future__ import annotations

from ..rules.forecast import FORECAST_HOUR_COLUMNS, WEEK_COLUMNS, ForecastResult
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
