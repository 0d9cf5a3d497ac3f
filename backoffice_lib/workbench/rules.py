"""Pure rules of the workbench's overview: the months offered, the KPI cards and the daily series.

Plain values in, plain values out: no database, no widgets. ``service`` loads the month's rows
with ``queries`` and calls these; ``overview_dashboard`` renders what they return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import bangkok, money

MONTHS_OFFERED = 12


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    note: str = ""


def compute_month_options(today: dt.date, count: int = MONTHS_OFFERED) -> list[str]:
    """This month and the ``count - 1`` before it, newest first."""
    months = [bangkok.month_key(today)]
    while len(months) < count:
        months.append(bangkok.previous_month(months[-1]))
    return months


def format_baht(value: Decimal | None) -> str:
    return "–" if value is None else f"฿{money.round_money(value):,.2f}"


def format_hours(value: Decimal | None) -> str:
    return "–" if value is None else f"{money.round_hours(value):,.2f} h"


def compute_payroll_kpi(month: str, run: Mapping[str, Any] | None, available: bool) -> Kpi:
    if not available:
        return Kpi("Payroll cost", "–", "payroll runs are not recorded in this database yet")
    if run is None:
        note = f"no payroll run for {month} yet (jobs run it on the 1st of the next month)"
        return Kpi("Payroll cost", "–", note)
    status = "finalised" if run["status"] == "finalised" else "draft, not final"
    return Kpi(
        "Payroll cost",
        format_baht(run["total_pay"]),
        f"{run['people']} people, run of {run['created_at']:%d %b %Y} ({status})",
    )


def compute_package_kpis(sales: Sequence[Mapping[str, Any]], usage_hours: Decimal) -> list[Kpi]:
    sold = sum(int(row["packages"]) for row in sales)
    hours = sum((row["hours"] or Decimal(0) for row in sales), Decimal(0))
    by_type = ", ".join(f"{row['packages']} {row['type_name']}" for row in sales[:3]) or "none"
    if len(sales) > 3:
        by_type += f", {len(sales) - 3} more types"
    return [
        Kpi("Packages sold", str(sold), f"{format_hours(hours)} sold: {by_type}"),
        Kpi("Package hours used", format_hours(usage_hours), "hours recorded against packages"),
    ]


def compute_reconciliation_kpi(
    sessions: Sequence[Mapping[str, Any]], unresolved: int, available: bool
) -> Kpi:
    if not available:
        return Kpi("Reconciliation", "–", "not recorded in this database yet")
    if not sessions:
        return Kpi("Reconciliation", "none", "no reconciliation covers this month yet")
    done = sum(1 for s in sessions if s["status"] == "completed")
    failed = sum(1 for s in sessions if s["status"] == "failed")
    rates = [s["match_rate"] for s in sessions if s["match_rate"] is not None]
    rate = f", best match rate {max(rates):.2f} %" if rates else ""
    note = f"{done} completed, {failed} failed{rate}; {unresolved} item(s) unresolved"
    value = "all clear" if unresolved == 0 and failed == 0 and done else f"{unresolved} open"
    return Kpi("Reconciliation", value, note)


def compute_chart_end(last: dt.date, today: dt.date) -> dt.date:
    """The last day a month's chart draws: the month's last day, or today in the current month
    (the days still to come are not drawn as zero)."""
    return min(last, today)


def compute_daily_series(
    first: dt.date, last: dt.date, rows: Sequence[Mapping[str, Any]], key: str
) -> tuple[list[str], list[Decimal]]:
    """Every day from ``first`` to ``last`` with its value (0 when none): x labels and Decimals."""
    by_day = {row["day"]: row[key] for row in rows}
    days, values = [], []
    day = first
    while day <= last:
        days.append(day.isoformat())
        values.append(by_day.get(day) or Decimal(0))
        day += dt.timedelta(days=1)
    return days, values


def compute_overview(month: str, today: dt.date, loaded: Mapping[str, Any]) -> dict[str, Any]:
    """The month's KPI cards and daily series (to today in the current month) from its rows."""
    first, last = bangkok.month_days(month)
    usage, pos = loaded["usage"], loaded["pos"]
    usage_total = sum((row["hours"] for row in usage), Decimal(0))
    pos_total = sum((row["amount"] or Decimal(0) for row in pos), Decimal(0))
    kpis = [
        compute_payroll_kpi(month, loaded["run"], loaded["payroll_available"]),
        *compute_package_kpis(loaded["sales"], usage_total),
        Kpi("Studio sales (POS)", format_baht(pos_total), "incl. VAT, voided receipts excluded"),
        compute_reconciliation_kpi(loaded["sessions"], loaded["unresolved"],
                                   loaded["reconciliation_available"]),
    ]
    end = compute_chart_end(last, today)
    days, usage_hours = compute_daily_series(first, end, usage, "hours")
    _, pos_amounts = compute_daily_series(first, end, pos, "amount")
    return {
        "month": month,
        "kpis": kpis,
        "days": days,
        "usage_hours": usage_hours,
        "pos_amounts": pos_amounts,
    }
