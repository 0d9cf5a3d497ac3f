"""The payroll forecast: a month's pay from what was worked and what is planned (admins).

``load_forecast`` reads the month's real inputs, the scheduled shifts and the earlier
service-charge pools, and hands them to ``rules.forecast.compute_forecast``, which runs the one
payroll engine (``compute_payroll``) on them. A forecast is a read of payroll: audited as a
payroll view in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit, bangkok, money, values
from .. import queries
from ..rules import compute_payroll, first_week_start, setting_value
from ..rules.forecast import (
    PLAN_COST_COLUMNS,
    POOLS_AVERAGED,
    SUMMARY_COMPONENTS,
    ForecastResult,
    check_as_of,
    compute_accuracy_dates,
    compute_as_of_range,
    compute_changed_shifts,
    compute_clamped_as_of,
    compute_forecast,
    compute_forecast_accuracy,
    compute_forecast_summary,
    compute_inputs_of_people,
    compute_kept_rows,
    compute_months_to_keep,
    compute_week_costs,
)


def compute_month_forecast(conn: Connection, month: values.Month | str,
                           as_of: dt.date) -> ForecastResult:
    """Load and compute the forecast (no access check, no audit: the callers below do both)."""
    month = values.month_key(month)
    check_as_of(month, as_of)
    _, last = bangkok.month_days(month)
    inputs = queries.load_payroll_inputs(conn, month)
    shifts = queries.load_planned_shifts(conn, max(as_of, first_week_start(month)), last)
    pools = ({} if inputs.service_charge_pool is not None
             else queries.load_earlier_pools(conn, month, POOLS_AVERAGED))
    return compute_forecast(inputs, shifts, as_of, pools)


def load_forecast(conn: Connection, month: values.Month | str, as_of: dt.date | None,
                  user: str | None, *, via: str = "payroll forecast") -> ForecastResult:
    """The forecast of ``month`` as of ``as_of`` (default: today in Bangkok); admins only,
    audited as a payroll view (``via`` says from where)."""
    who = access.check(conn, user, "payroll")
    month = values.month_key(month)
    as_of = as_of or bangkok.today()
    result = compute_month_forecast(conn, month, as_of)
    audit.record(conn, who.email, "VIEW", "payroll_forecast", month,
                 details={"via": via, "as_of": as_of.isoformat(),
                          "people": len(result.lines),
                          "total_pay": str(result.totals["total_pay"])})
    return result


def keep_forecasts(conn: Connection, user: str | None,
                   as_of: dt.date | None = None) -> list[dict]:
    """The daily job: the forecast of each month that can be forecast on ``as_of`` (default
    today) kept, one row per person (``payroll_forecasts``, replacing that day's); audited."""
    who = access.check(conn, user, "payroll")
    as_of = as_of or bangkok.today()
    kept = []
    for month in compute_months_to_keep(as_of):
        result = compute_month_forecast(conn, month, as_of)
        rows = compute_kept_rows(result)
        queries.save_kept_forecast(conn, month, as_of, rows)
        summary = {"month": month, "as_of": as_of.isoformat(), "people": len(rows),
                   "total_pay": str(result.totals["total_pay"]),
                   "service_charge": result.service_charge_source,
                   "blocking_errors": len(result.errors), "flags": len(result.flags)}
        audit.record(conn, who.email, "PAYROLL_FORECAST_KEEP", "payroll_forecasts", month,
                     details=summary)
        kept.append(summary)
    return kept


class MonthNotPaid(ValueError):
    """A month whose accuracy is asked before it has ended."""


@dataclass
class ForecastAccuracy:
    """A month's pay against its forecasts of the 1st and the 15th (``rows``: per person and
    TOTAL, ``rules.forecast.ACCURACY_COLUMNS``); ``notes`` say where each side comes from."""

    month: str
    rows: pd.DataFrame
    notes: list[str]


def _paid_lines(conn: Connection, month: str) -> tuple[dict[str, tuple[str, Decimal]], str]:
    run = queries.load_finalised_run(conn, month)
    if run is not None:
        lines = run["lines"]
        source = f"paid: finalised run #{run['id']} of {month}"
    else:
        from ..rules.diff import snapshot_lines

        lines = snapshot_lines(compute_payroll(queries.load_payroll_inputs(conn, month)))
        source = f"paid: {month} is not finalised; its payroll computed now stands for it"
    return ({line["staff_id"]: (line["staff_name"], money.to_decimal(line["total_pay"]))
             for line in lines}, source)


def _forecast_made_on(conn: Connection, month: str, day: dt.date) -> tuple[dict, str]:
    kept = queries.load_kept_forecast(conn, month, day)
    if kept is not None:
        return kept, f"forecast of {day.isoformat()}: kept that day"
    result = compute_month_forecast(conn, month, day)
    return ({code: total for code, total in zip(result.lines["staff_id"],
                                                 result.lines["total_pay"])},
            (f"forecast of {day.isoformat()}: not kept that day, made now from the entries "
             "before it and the shifts planned from it"))


def load_forecast_accuracy(conn: Connection, month: values.Month | str,
                           user: str | None) -> ForecastAccuracy:
    """What ``month`` paid (its finalised run) against the forecasts made on its 1st and 15th,
    per person and in total (admins; audited as a payroll view). Refused before the month
    has ended."""
    who = access.check(conn, user, "payroll")
    month = values.month_key(month)
    _, last = bangkok.month_days(month)
    if last >= bangkok.today():
        raise MonthNotPaid(f"{month} has not ended: its accuracy is known once it is paid")
    paid, paid_source = _paid_lines(conn, month)
    first_day, fifteenth_day = compute_accuracy_dates(month)
    first, first_source = _forecast_made_on(conn, month, first_day)
    fifteenth, fifteenth_source = _forecast_made_on(conn, month, fifteenth_day)
    rows = compute_forecast_accuracy(paid, first, fifteenth)
    audit.record(conn, who.email, "VIEW", "payroll_forecast", month,
                 details={"via": "payroll forecast --accuracy", "people": len(rows) - 1})
    return ForecastAccuracy(month, rows, [paid_source, first_source, fifteenth_source])


def load_plan_cost(conn: Connection, user: str | None, date_from: dt.date, date_to: dt.date,
                   add: pd.DataFrame | None = None, remove: set | None = None,
                   today: dt.date | None = None) -> pd.DataFrame:
    """What the plan of the weeks touching ``date_from``..``date_to`` costs, per person and
    week, as it stands and with a change (``add``: shifts not saved yet, SHIFT_COLUMNS with
    staff_id = staff.id; ``remove``: ids of saved shifts taken out): the forecast of the month
    each week is paid in (as of today, moved into its range) computed twice by the engine.

    Columns: PLAN_COST_COLUMNS of the change, then ``added_cost`` (its premiums − the plan's
    as it stands). Admins only (payroll figures); nothing saved, nothing audited."""
    access.check(conn, user, "payroll")
    today = today or bangkok.today()
    first = date_from - dt.timedelta(days=(date_from.weekday() + 1) % 7)
    last = date_to + dt.timedelta(days=(5 - date_to.weekday()) % 7)  # the Saturday
    months = sorted({bangkok.month_key(first + dt.timedelta(days=d))
                     for d in range(6, (last - first).days + 1, 7)})
    parts = []
    for month in months:
        as_of = compute_clamped_as_of(month, today)
        _, month_last = bangkok.month_days(month)
        inputs = queries.load_payroll_inputs(conn, month, net_pay=False)  # premiums only
        shifts = queries.load_planned_shifts(conn, max(as_of, first_week_start(month)),
                                             month_last)
        pools = ({} if inputs.service_charge_pool is not None
                 else queries.load_earlier_pools(conn, month, POOLS_AVERAGED))
        if add is not None or remove:  # a change: its people only
            people = ({int(s) for s in add["staff_id"]} if add is not None else set()) | {
                int(s) for s, i in zip(shifts["staff_id"], shifts["id"]) if i in (remove or ())}
            inputs = compute_inputs_of_people(inputs, people)
            shifts = shifts[shifts["staff_id"].isin(list(people))].reset_index(drop=True)
        before = compute_week_costs(compute_forecast(inputs, shifts, as_of, pools))
        after = before if add is None and not remove else compute_week_costs(compute_forecast(
            inputs, compute_changed_shifts(
                shifts, add, remove, setting_value(inputs.settings, "max_session_hours")),
            as_of, pools))
        merged = after.merge(before[["staff", "week_start", "cost"]], how="left",
                             on=["staff", "week_start"], suffixes=("", "_before"))
        merged["added_cost"] = [
            cost - (old if isinstance(old, Decimal) else money.ZERO)
            for cost, old in zip(merged["cost"], merged["cost_before"])]
        parts.append(merged.drop(columns=["cost_before"]))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=[*PLAN_COST_COLUMNS, "added_cost"])
    in_range = [first <= w <= last for w in table["week_start"]]
    return table[in_range].reset_index(drop=True)


@dataclass
class ForecastSummary:
    """The month being worked at a glance (``rows``: SUMMARY_COLUMNS per component)."""

    month: str
    as_of: dt.date
    rows: pd.DataFrame
    last_month: str
    last_month_source: str
    service_charge_source: str


def load_forecast_summary(conn: Connection, month: values.Month | str, user: str | None,
                          today: dt.date | None = None) -> ForecastSummary | None:
    """This month so far, the plan and the forecast total beside last month's actual, per
    component (the payroll dashboard and the overview); None when ``month`` cannot be
    forecast today (it is over, or its first week has not begun). Admins; nothing saved."""
    access.check(conn, user, "payroll")
    month = values.month_key(month)
    today = today or bangkok.today()
    first, last = compute_as_of_range(month)
    if not first <= today <= last:
        return None
    inputs = queries.load_payroll_inputs(conn, month)
    shifts = queries.load_planned_shifts(conn, max(today, first_week_start(month)),
                                         bangkok.month_days(month)[1])
    pools = ({} if inputs.service_charge_pool is not None
             else queries.load_earlier_pools(conn, month, POOLS_AVERAGED))
    forecast = compute_forecast(inputs, shifts, today, pools)
    so_far = compute_forecast(inputs, shifts.iloc[0:0], today, pools)
    previous = bangkok.previous_month(month)
    run = queries.load_finalised_run(conn, previous)
    if run is not None:
        last_totals = {k: money.to_decimal(v) for k, v in run["totals"].items()
                       if k in SUMMARY_COMPONENTS}
        source = f"{previous} as paid (finalised run #{run['id']})"
    else:
        last_totals = compute_payroll(queries.load_payroll_inputs(conn, previous,
                                                                  net_pay=False)).totals
        source = f"{previous} computed now (not finalised)"
    rows = compute_forecast_summary(so_far.totals, forecast.totals, last_totals)
    return ForecastSummary(month, today, rows, previous, source, forecast.service_charge_source)
