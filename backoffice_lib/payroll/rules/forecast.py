"""The payroll forecast, pure: a month's pay before it is worked, by the one payroll engine.

The **forecast of month M as of date D** is ``compute_payroll`` of M on

- the real entries of the sessions that start before D (a session started on D−1 that closes
  after midnight is kept whole; entries that would start a session on or after D are ignored),
- plus, for every scheduled shift dated D or later in the days the month's run reads (the first
  week's Sunday to the month's last day: the dates of M and the weeks paid in M), a clock-in at
  the shift's start and a clock-out at its end, as if it were worked exactly as planned.

Nothing here computes pay: the synthetic entries go through ``compute_payroll`` like real ones,
so with no shift planned from D the forecast *is* the payroll of the entries before D, and a
month worked exactly as planned pays what its forecast said, to the satang.

Decisions (the spec is silent or leaves a choice):

- The service charge is the month's pool when entered; otherwise the mean of the pools of the
  three latest earlier months that have one (rounded half up to the satang; 0 when there is
  none). ``payroll compute`` of a month without a pool pays no service charge: the first
  identity holds when the month's pool is entered.
- ``hours_planned`` is the planned seconds in the month rounded to 2 decimals;
  ``hours_worked`` is ``total_hours − hours_planned``, so the two add up to compute's total
  hours exactly (each is within 0.01 of its own rounding).
- A planned shift on a date of M on which the person has no compensation row in force (a
  leaver whose row ends before it) is kept in the forecast (it would be paid at the leaver's
  row if worked, §3.2) and flagged ``planned_after_compensation_end``: it is not paid silently.
- A person with planned shifts but no compensation row for the month is the engine's blocking
  error, worded for the plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from ... import bangkok, money
from . import (
    PayrollInputs,
    PayrollResult,
    compute_calendar,
    compute_payroll,
    entry_times_us,
    first_week_start,
    pair_sessions,
    setting_value,
)

PLANNED_AFTER_COMPENSATION_END = "planned_after_compensation_end"
#: After ``payroll compute``'s columns, in this order.
FORECAST_HOUR_COLUMNS = ["hours_worked", "hours_planned"]
#: ``payroll forecast --weeks``: one row per person and week paid in the month.
WEEK_COLUMNS = ["staff_id", "week_start", "week_end", "hours_worked", "hours_planned",
                "ot_hours", "ot_pay", "holiday_hours_planned"]
FLAG_COLUMNS = ["staff", "staff_id", "staff_name", "schedule_date", "start_time", "end_time",
                "flag", "detail"]
SHIFT_COLUMNS = ["staff_id", "schedule_date", "start_time", "end_time"]
POOLS_AVERAGED = 3

_US = 1_000_000
_DAY_US = 86_400 * _US
_BANGKOK_OFFSET_US = 7 * 3600 * _US
_EPOCH = dt.date(1970, 1, 1)


class ForecastRefused(ValueError):
    """An as-of date outside the days that make the month's payroll."""


@dataclass
class ForecastResult:
    """A month's forecast as of a date: the engine's result and the split worked / planned.

    lines: the payroll's lines plus ``hours_worked`` and ``hours_planned``
    weeks: WEEK_COLUMNS plus ``staff`` (staff.id), one row per person and week paid in the month
    flags: planned shifts the person has no compensation row for (FLAG_COLUMNS)
    """

    month: str
    as_of: dt.date
    payroll: PayrollResult
    lines: pd.DataFrame
    weeks: pd.DataFrame
    flags: pd.DataFrame
    service_charge_pool: Decimal
    service_charge_source: str

    @property
    def errors(self) -> pd.DataFrame:
        return self.payroll.errors

    @property
    def has_blocking_errors(self) -> bool:
        return self.payroll.has_blocking_errors

    @property
    def totals(self) -> dict:
        return self.payroll.totals


# --------------------------------------------------------------------------- the as-of date


def compute_as_of_range(month: str) -> tuple[dt.date, dt.date]:
    """The as-of dates a forecast of ``month`` accepts: from the first day of the first week
    that touches the month (the Sunday on or before the 1st) to the last day of the last week
    paid in it (the last Saturday on or before the month's last day)."""
    _, last = bangkok.month_days(month)
    last_saturday = last - dt.timedelta(days=(last.weekday() + 2) % 7)
    return first_week_start(month), last_saturday


def check_as_of(month: str, as_of: dt.date) -> dt.date:
    """``as_of`` when it is in ``compute_as_of_range(month)``, else ForecastRefused."""
    first, last = compute_as_of_range(month)
    if not first <= as_of <= last:
        raise ForecastRefused(
            f"a forecast of {month} is made as of {first.isoformat()} (the first day of its "
            f"first week) to {last.isoformat()} (the last day of the last week paid in it), "
            f"not {as_of.isoformat()}"
        )
    return as_of


# --------------------------------------------------------------------------- the service charge


def compute_service_charge_estimate(month: str, pool: Decimal | None,
                                    earlier_pools: dict[str, Decimal]) -> tuple[Decimal, str]:
    """The pool the forecast shares and the one line that says where it comes from."""
    if pool is not None:
        amount = money.round_money(pool)
        return amount, f"service charge: {month} pool as entered, {amount:.2f} THB"
    months = sorted((m for m in earlier_pools if m < month), reverse=True)[:POOLS_AVERAGED]
    if not months:
        return money.ZERO, (f"service charge: no {month} pool and no earlier pool, "
                            "0.00 THB forecast")
    amount = money.round_money(sum((money.to_decimal(earlier_pools[m]) for m in months),
                                   money.ZERO) / len(months))
    return amount, (f"service charge: no {month} pool yet; mean of the pools of "
                    f"{', '.join(sorted(months))}, {amount:.2f} THB")


# --------------------------------------------------------------------------- the entries


def _day_numbers(dates) -> np.ndarray:
    return np.array([(d - _EPOCH).days for d in dates], dtype="int64")


def _seconds_of(times) -> np.ndarray:
    return np.array([t.hour * 3600 + t.minute * 60 + t.second for t in times], dtype="int64")


def compute_as_of_us(as_of: dt.date) -> int:
    """Bangkok midnight at the start of ``as_of``, in epoch microseconds."""
    return (as_of - _EPOCH).days * _DAY_US - _BANGKOK_OFFSET_US


def _no_entries() -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series(dtype="int64"), "staff_id": pd.Series(dtype="int64"),
                         "action": pd.Series(dtype=object),
                         "timestamp_us": pd.Series(dtype="int64")})


def compute_entries_before(entries: pd.DataFrame, as_of: dt.date,
                           max_session_hours) -> pd.DataFrame:
    """The entries of the sessions (§3.1 pairing) that start before ``as_of``: a session whose
    clock-in is before Bangkok midnight of ``as_of`` is kept whole; an orphan clock-out counts
    at its own time. Columns: id, staff_id, action, timestamp_us."""
    if entries is None or len(entries) == 0:
        return _no_entries()
    stamp = entry_times_us(entries)
    staff = entries["staff_id"].to_numpy(dtype="int64")
    ids = (entries["id"].to_numpy(dtype="int64") if "id" in entries.columns
           else np.zeros(len(entries), dtype="int64"))
    order = np.lexsort((ids, stamp, staff))
    ordered = pd.DataFrame({"id": ids[order], "staff_id": staff[order],
                            "action": entries["action"].to_numpy()[order],
                            "timestamp_us": stamp[order]})
    # Paired by position in that order: the same pairs as the engine's, ties broken alike.
    sessions = pair_sessions(ordered.assign(id=np.arange(len(ordered))), max_session_hours)
    starts = np.where(sessions["clock_in_us"] >= 0, sessions["clock_in_us"],
                      sessions["clock_out_us"])
    kept = sessions[starts < compute_as_of_us(as_of)]
    positions = np.concatenate([kept["clock_in_id"].to_numpy(), kept["clock_out_id"].to_numpy()])
    positions = np.sort(positions[positions >= 0])
    return ordered.iloc[positions].reset_index(drop=True)


def compute_planned_shifts(shifts: pd.DataFrame, month: str, as_of: dt.date) -> pd.DataFrame:
    """The shifts the forecast plans: dated ``as_of`` or later, from the first week's Sunday to
    the month's last day (SHIFT_COLUMNS)."""
    _, last = bangkok.month_days(month)
    start = max(as_of, first_week_start(month))
    if shifts is None or len(shifts) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SHIFT_COLUMNS})
    dates = shifts["schedule_date"]
    chosen = shifts[(dates >= start) & (dates <= last)]
    return chosen.reindex(columns=SHIFT_COLUMNS).reset_index(drop=True)


def compute_planned_entries(planned: pd.DataFrame) -> pd.DataFrame:
    """A clock-in at each planned shift's start and a clock-out at its end (ids below zero:
    no real entry)."""
    n = len(planned)
    if n == 0:
        return _no_entries()
    midnight = _day_numbers(planned["schedule_date"]) * _DAY_US - _BANGKOK_OFFSET_US
    clock_in = midnight + _seconds_of(planned["start_time"]) * _US
    clock_out = midnight + _seconds_of(planned["end_time"]) * _US
    staff = planned["staff_id"].to_numpy(dtype="int64")
    return pd.DataFrame({
        "id": -np.arange(2, 2 * n + 2, dtype="int64"),
        "staff_id": np.concatenate([staff, staff]),
        "action": pd.Series(["clock_in"] * n + ["clock_out"] * n, dtype=object),
        "timestamp_us": np.concatenate([clock_in, clock_out]),
    })


# --------------------------------------------------------------------------- the forecast


def compose_forecast_inputs(inputs: PayrollInputs, planned: pd.DataFrame, as_of: dt.date,
                            service_charge_pool: Decimal) -> PayrollInputs:
    """The month's inputs with the entries before ``as_of`` plus the planned ones."""
    max_hours = setting_value(inputs.settings, "max_session_hours")
    entries = pd.concat([compute_entries_before(inputs.entries, as_of, max_hours),
                         compute_planned_entries(planned)], ignore_index=True)
    return dataclasses.replace(inputs, entries=entries, service_charge_pool=service_charge_pool)


def compute_forecast(inputs: PayrollInputs, shifts: pd.DataFrame, as_of: dt.date,
                     earlier_pools: dict[str, Decimal] | None = None) -> ForecastResult:
    """The forecast of ``inputs.month`` as of ``as_of`` (see the module), by ``compute_payroll``.

    ``inputs``: the month's real inputs (``queries.load_payroll_inputs``); ``shifts``: the
    scheduled shifts (SHIFT_COLUMNS, staff_id = staff.id) of the days the run reads;
    ``earlier_pools``: month → pool of earlier months (for a month without its own pool)."""
    month = inputs.month
    check_as_of(month, as_of)
    pool, source = compute_service_charge_estimate(month, inputs.service_charge_pool,
                                                   earlier_pools or {})
    planned = compute_planned_shifts(shifts, month, as_of)
    result = compute_payroll(compose_forecast_inputs(inputs, planned, as_of, pool))
    as_of_n = (as_of - _EPOCH).days
    result.errors = compute_forecast_errors(result, planned, month)
    return ForecastResult(
        month=month, as_of=as_of, payroll=result,
        lines=compute_forecast_lines(result, as_of_n),
        weeks=compute_forecast_weeks(result, as_of_n),
        flags=compute_forecast_flags(inputs, planned, month),
        service_charge_pool=pool, service_charge_source=source,
    )


def compute_forecast_lines(result: PayrollResult, as_of_n: int) -> pd.DataFrame:
    """The pay lines with hours_worked and hours_planned (see the module)."""
    sessions = result.raw_sessions
    in_month = sessions[sessions["in_month"] & (sessions["day"] >= as_of_n)]
    planned = in_month.groupby("staff")["seconds"].sum().to_dict()
    lines = result.lines.copy()
    hours_planned = [money.round_hours(money.hours_from_seconds(int(planned.get(int(s), 0))))
                     for s in lines["staff"]]
    lines["hours_worked"] = pd.Series(
        [total - p for total, p in zip(lines["total_hours"], hours_planned)], dtype=object,
        index=lines.index)
    lines["hours_planned"] = pd.Series(hours_planned, dtype=object, index=lines.index)
    return lines


def compute_forecast_weeks(result: PayrollResult, as_of_n: int) -> pd.DataFrame:
    """One row per person and week paid in the month in which they have hours."""
    sessions = result.raw_sessions
    calendar = compute_calendar(result.month)
    paid = sessions[(sessions["week_end"] >= calendar.first_n)
                    & (sessions["week_end"] <= calendar.last_n)]
    is_planned = paid["day"].to_numpy() >= as_of_n
    seconds = paid["seconds"].to_numpy()
    weeks = (
        paid.assign(planned=np.where(is_planned, seconds, 0),
                    holiday_planned=np.where(is_planned & paid["holiday"].to_numpy(), seconds, 0))
        .groupby(["staff", "week_end"], sort=True)
        .agg(seconds=("seconds", "sum"), planned=("planned", "sum"),
             holiday_planned=("holiday_planned", "sum"))
        .reset_index()
    )
    weeks = weeks[weeks["seconds"] > 0]
    ot = {(int(s), int(w)): o for s, w, o in zip(result.raw_weeks["staff"],
                                                   result.raw_weeks["week_end"],
                                                   result.raw_weeks["ot_seconds"])}
    lines = result.lines
    codes = dict(zip(lines["staff"].astype(int), lines["staff_id"]))
    rates = dict(zip(lines["staff"].astype(int), lines["ot_rate_per_hour"]))
    rows = []
    for sid, week_end, total, planned, holiday in zip(
            weeks["staff"], weeks["week_end"], weeks["seconds"], weeks["planned"],
            weeks["holiday_planned"]):
        sid, end = int(sid), _EPOCH + dt.timedelta(days=int(week_end))
        ot_seconds = ot.get((sid, int(week_end)), Decimal(0))
        rate = rates.get(sid)
        hours_planned = money.round_hours(money.hours_from_seconds(int(planned)))
        rows.append({
            "staff": sid,
            "staff_id": codes.get(sid, str(sid)),
            "week_start": end - dt.timedelta(days=6),
            "week_end": end,
            "hours_worked": money.round_hours(money.hours_from_seconds(int(total)))
            - hours_planned,
            "hours_planned": hours_planned,
            "ot_hours": money.round_hours(ot_seconds / 3600),
            "ot_pay": money.round_money(ot_seconds * (money.to_decimal(rate) if rate is not None
                                                      else money.ZERO) / 3600),
            "holiday_hours_planned": money.round_hours(money.hours_from_seconds(int(holiday))),
        })
    frame = pd.DataFrame(rows, columns=["staff", *WEEK_COLUMNS])
    return frame.sort_values(["staff_id", "week_end"], kind="stable").reset_index(drop=True)


def compute_forecast_errors(result: PayrollResult, planned: pd.DataFrame,
                            month: str) -> pd.DataFrame:
    """The engine's blocking errors, worded for the plan when the person has planned shifts."""
    errors = result.errors.copy()
    with_plan = {int(s) for s in planned["staff_id"]} if len(planned) else set()
    errors["message"] = [
        (f"{name} ({code}) has planned shifts in {month} but no pay rate (staff_compensation "
         "row) in force in the month") if int(sid) in with_plan else message
        for sid, code, name, message in zip(errors["staff"], errors["staff_id"],
                                            errors["staff_name"], errors["message"])
    ]
    return errors


def compute_forecast_flags(inputs: PayrollInputs, planned: pd.DataFrame,
                           month: str) -> pd.DataFrame:
    """Planned shifts on dates of the month when the person's compensation rows (they have
    some) are not in force: a leaver's shifts after their last day, flagged, not paid
    silently."""
    first, last = bangkok.month_days(month)
    rows_by_staff: dict[int, list[tuple]] = {}
    for row in inputs.compensation.to_dict("records"):
        rows_by_staff.setdefault(int(row["staff_id"]), []).append(
            (row["effective_from"], row["effective_to"]))
    people = {int(r["id"]): r for r in inputs.staff.to_dict("records")}
    flags = []
    for shift in planned.to_dict("records"):
        sid, day = int(shift["staff_id"]), shift["schedule_date"]
        rows = rows_by_staff.get(sid)
        if not rows or not first <= day <= last:
            continue
        if any(frm <= day and (to is None or to >= day) for frm, to in rows):
            continue
        ended = max((to for _, to in rows if to is not None and to < day), default=None)
        person = people.get(sid, {"staff_id": str(sid), "staff_name": str(sid)})
        flags.append({
            "staff": sid, "staff_id": person["staff_id"], "staff_name": person["staff_name"],
            "schedule_date": day, "start_time": shift["start_time"],
            "end_time": shift["end_time"], "flag": PLANNED_AFTER_COMPENSATION_END,
            "detail": (f"{person['staff_name']} ({person['staff_id']}) has a shift planned on "
                       f"{day.isoformat()} {shift['start_time']:%H:%M}-"
                       f"{shift['end_time']:%H:%M} but no pay rate in force that day"
                       + (f" (compensation ended {ended.isoformat()})" if ended else "")),
        })
    return pd.DataFrame(flags, columns=FLAG_COLUMNS)


# --------------------------------------------------------------------------- kept and accuracy

KEPT_MONEY_COLUMNS = ["base_pay", "daily_allowance", "overtime_pay", "holiday_pay",
                      "service_charge", "total_pay"]
ACCURACY_COLUMNS = ["staff_id", "staff_name", "paid", "forecast_1st", "error_1st",
                    "error_1st_pct", "forecast_15th", "error_15th", "error_15th_pct"]


def compute_months_to_keep(as_of: dt.date) -> list[str]:
    """The months a forecast as of ``as_of`` can be made for: its own month (up to its last
    paid Saturday) and the next (from the Sunday of the week of its 1st)."""
    month = bangkok.month_key(as_of)
    _, last = bangkok.month_days(month)
    following = bangkok.month_key(last + dt.timedelta(days=1))
    return [m for m in (month, following)
            if compute_as_of_range(m)[0] <= as_of <= compute_as_of_range(m)[1]]


def compute_kept_rows(result: ForecastResult) -> list[dict]:
    """The rows kept of a forecast: one per person of its run (payroll_forecasts' columns)."""
    rows = []
    for line in result.lines.to_dict("records"):
        row = {"month": result.month, "forecast_date": result.as_of,
               "staff_id": int(line["staff"]), "hours_worked": line["hours_worked"],
               "hours_planned": line["hours_planned"]}
        row.update({name: line[name] for name in KEPT_MONEY_COLUMNS})
        row["net_pay"] = line.get("net_pay")
        row["employer_cost"] = line.get("employer_cost")
        rows.append(row)
    return rows


def compute_accuracy_dates(month: str) -> tuple[dt.date, dt.date]:
    """The forecasts a month's accuracy is judged on: made on its 1st and on its 15th."""
    first, _ = bangkok.month_days(month)
    return first, first.replace(day=15)


def _error(forecast: Decimal | None, paid: Decimal) -> tuple[Decimal | None, Decimal | None]:
    if forecast is None:
        return None, None
    error = forecast - paid
    percent = money.round_money(error * 100 / paid) if paid else None
    return error, percent


def compute_forecast_accuracy(paid: dict[str, tuple[str, Decimal]],
                              first: dict[str, Decimal] | None,
                              fifteenth: dict[str, Decimal] | None) -> pd.DataFrame:
    """Per person (employee ID) and in total: what was paid, what was forecast on the 1st and on
    the 15th, the error (forecast − paid) and the error in % of what was paid (2 decimals;
    None when nothing was paid or no forecast is known). A person forecast but not paid, or
    paid but not forecast, counts as 0 on the side they are missing from."""
    codes = sorted(set(paid) | set(first or {}) | set(fifteenth or {}))
    rows = []
    for code in codes:
        name, amount = paid.get(code, ("", money.ZERO))
        row = {"staff_id": code, "staff_name": name, "paid": amount}
        for label, forecast in (("1st", first), ("15th", fifteenth)):
            value = None if forecast is None else forecast.get(code, money.ZERO)
            row[f"forecast_{label}"] = value
            row[f"error_{label}"], row[f"error_{label}_pct"] = _error(value, amount)
        rows.append(row)
    total = {"staff_id": "TOTAL", "staff_name": "",
             "paid": sum((r["paid"] for r in rows), money.ZERO)}
    for label, forecast in (("1st", first), ("15th", fifteenth)):
        value = (None if forecast is None
                 else sum((r[f"forecast_{label}"] for r in rows), money.ZERO))
        total[f"forecast_{label}"] = value
        total[f"error_{label}"], total[f"error_{label}_pct"] = _error(value, total["paid"])
    rows.append(total)
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


# --------------------------------------------------------------------------- a plan's cost

PLAN_COST_COLUMNS = ["staff", "week_start", "hours", "hours_planned", "ot_hours", "ot_pay",
                     "holiday_hours_planned", "holiday_pay", "cost"]


def compute_clamped_as_of(month: str, today: dt.date) -> dt.date:
    """``today`` moved into the month's as-of range (a plan of a later month is all planned; of
    a past month, planned from its last paid Saturday)."""
    first, last = compute_as_of_range(month)
    return min(max(today, first), last)


class PlanRefused(ValueError):
    """A change whose cost cannot be told: it overlaps a shift, or is longer than a session."""


def _seconds(time: dt.time) -> int:
    return time.hour * 3600 + time.minute * 60 + time.second


def compute_changed_shifts(shifts: pd.DataFrame, add: pd.DataFrame | None,
                           remove: set | None, max_session_hours=None) -> pd.DataFrame:
    """The shifts with ``remove`` (shift ids) taken out and ``add`` (SHIFT_COLUMNS) put in.

    PlanRefused when an added shift overlaps another of the person that day (it could not be
    saved, §2) or lasts longer than ``max_session_hours`` (§3.1 would not pair it: 0 hours)."""
    kept = shifts[~shifts["id"].isin(list(remove or ()))] if len(shifts) else shifts
    kept = kept.reindex(columns=SHIFT_COLUMNS)
    if add is None or len(add) == 0:
        return kept.reset_index(drop=True)
    add = add.reindex(columns=SHIFT_COLUMNS)
    limit = None if max_session_hours is None else money.to_decimal(max_session_hours) * 3600
    taken: dict[tuple, list[tuple[int, int]]] = {}
    for row in kept.to_dict("records"):
        taken.setdefault((int(row["staff_id"]), row["schedule_date"]), []).append(
            (_seconds(row["start_time"]), _seconds(row["end_time"])))
    for row in add.to_dict("records"):
        start, end = _seconds(row["start_time"]), _seconds(row["end_time"])
        if limit is not None and end - start > limit:
            raise PlanRefused(f"a shift of {(end - start) / 3600:.2f} h is longer than the "
                              f"{money.to_decimal(max_session_hours):g} h a session may last")
        key = (int(row["staff_id"]), row["schedule_date"])
        if any(start < other_end and other_start < end for other_start, other_end
               in taken.get(key, [])):
            raise PlanRefused(f"the shift {row['start_time']:%H:%M}-{row['end_time']:%H:%M} on "
                              f"{row['schedule_date']} overlaps another of the same person")
        taken.setdefault(key, []).append((start, end))
    return pd.concat([kept, add], ignore_index=True)


def compute_inputs_of_people(inputs: PayrollInputs, people: set[int]) -> PayrollInputs:
    """The month's inputs narrowed to ``people`` (staff.id): a person's overtime and holiday pay
    depend on their own hours and rates only, so a change's cost is computed on its people."""
    def of(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        return frame[frame[column].isin(list(people))].reset_index(drop=True)

    return dataclasses.replace(inputs, staff=of(inputs.staff, "id"),
                               compensation=of(inputs.compensation, "staff_id"),
                               entries=of(inputs.entries, "staff_id"))


def compute_week_costs(result: ForecastResult) -> pd.DataFrame:
    """Per person and week paid in the forecast's month: the hours (worked and planned), the
    overtime and its pay, the planned holiday hours and their premium, and the cost of the two
    premiums (PLAN_COST_COLUMNS)."""
    weeks = result.weeks
    rates = dict(zip(result.lines["staff"].astype(int), result.lines["holiday_rate_per_hour"]))
    rows = []
    for week in weeks.to_dict("records"):
        rate = rates.get(int(week["staff"]))
        holiday_pay = money.round_money(week["holiday_hours_planned"]
                                        * (money.to_decimal(rate) if rate is not None
                                           else money.ZERO))
        rows.append({
            "staff": int(week["staff"]), "week_start": week["week_start"],
            "hours": week["hours_worked"] + week["hours_planned"],
            "hours_planned": week["hours_planned"], "ot_hours": week["ot_hours"],
            "ot_pay": week["ot_pay"], "holiday_hours_planned": week["holiday_hours_planned"],
            "holiday_pay": holiday_pay, "cost": week["ot_pay"] + holiday_pay,
        })
    return pd.DataFrame(rows, columns=PLAN_COST_COLUMNS)


# --------------------------------------------------------------------------- the month at a glance

SUMMARY_COLUMNS = ["component", "so_far", "plan", "forecast", "last_month", "change"]
SUMMARY_COMPONENTS = ["base_pay", "daily_allowance", "overtime_pay", "holiday_pay",
                      "service_charge", "total_pay"]
SUMMARY_LABELS = {"base_pay": "Base pay", "daily_allowance": "Daily allowance",
                  "overtime_pay": "Overtime premium", "holiday_pay": "Holiday premium",
                  "service_charge": "Service charge", "total_pay": "Total pay"}


def compute_forecast_summary(so_far: dict, forecast: dict, last_month: dict) -> pd.DataFrame:
    """Per pay component and in total: the month so far (worked before the as-of date, nothing
    planned), the plan (what the planned shifts add), the forecast (the two together, by the
    engine) and last month's actual, with the change from last month to the forecast."""
    rows = []
    for name in SUMMARY_COMPONENTS:
        done, total = money.to_decimal(so_far[name]), money.to_decimal(forecast[name])
        last = money.to_decimal(last_month.get(name, 0))
        rows.append({"component": SUMMARY_LABELS[name], "so_far": done, "plan": total - done,
                     "forecast": total, "last_month": last, "change": total - last})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
