"""The monthly payroll, pure (the pay rules): business-rules §3.1–3.2. No database here.

``compute_payroll(inputs)`` takes plain values and DataFrames (``PayrollInputs``, filled by
``queries.load_payroll_inputs``) and returns a ``PayrollResult``: one pay line per person of the run,
the sessions, days and weeks behind every figure, review flags and blocking errors (as data).

Decisions (business-rules is silent):

- Durations are whole seconds; hours are reported rounded to 2 decimals, but pay is computed from
  the exact seconds (``seconds × rate ÷ 3600``) and then rounded, half up, per component.
- Sessions are paired here with the §3.1 rule (a ``clock_in`` pairs with the *next* entry of the
  person when it is a ``clock_out`` at most ``max_session_hours`` later). The result equals
  ``backoffice_lib.staff.rules.sessions.compute_sessions`` (a test checks it) but runs
  vectorised, so a month of 10,000 people computes in seconds.
- Review flags are listed for the month's own dates; the days before the 1st that complete the
  first week count for its overtime only.
- The applied compensation row's ``min_hours_for_allowance`` decides a working day (null: 6).
- A salary row that starts mid-month and is in force on the last day applies to the whole month,
  unless it is the person's first compensation row ever: a joiner is pro-rated from that day
  (§3.2, **fix**); ``PayrollInputs.first_compensation`` says which row is first (default: the
  earliest row given).
- With ``PayrollInputs.statutory`` the lines also get net pay (``statutory.compute_net_pay``):
  social security, withholding tax, net pay and employer cost, with the figures behind them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from ... import bangkok, money
from .statutory import NET_DETAIL_COLUMNS, NET_MONEY_TOTALS, StatutoryInputs, compute_net_pay

DEFAULT_SETTINGS = {
    "max_session_hours": "16",
    "weekly_ot_threshold_hours": "48",
    "daily_allowance_thb": "100",
}
DEFAULT_MIN_HOURS_FOR_ALLOWANCE = 6

MISSING_CLOCK_OUT = "missing_clock_out"
ORPHAN_CLOCK_OUT = "orphan_clock_out"
DAY_UNDER_3H = "day_under_3h"
DAY_OVER_9H = "day_over_9h"
SESSION_UNDER_1H = "session_under_1h"
SESSION_OVER_8H = "session_over_8h"

#: The CLI contract: columns of ``backoffice payroll compute``, in this order.
PAY_COLUMNS = [
    "staff_id",
    "staff_name",
    "compensation_type",
    "working_days",
    "total_hours",
    "overtime_hours",
    "holiday_hours",
    "base_pay",
    "daily_allowance",
    "overtime_pay",
    "holiday_pay",
    "service_charge",
    "total_pay",
]
HOUR_COLUMNS = ["total_hours", "overtime_hours", "holiday_hours"]
MONEY_COLUMNS = [
    "base_pay",
    "daily_allowance",
    "overtime_pay",
    "holiday_pay",
    "service_charge",
    "total_pay",
]
COMPONENTS = ["base_pay", "daily_allowance", "overtime_pay", "holiday_pay", "service_charge"]

_US = 1_000_000
_DAY_US = 86_400 * _US
_BANGKOK_OFFSET_US = 7 * 3600 * _US
_EPOCH = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------- inputs


@dataclass
class PayrollInputs:
    """Everything a month's payroll reads. Frames use the database's column names.

    staff: id, staff_id, staff_name, is_active
    compensation: id, staff_id (→ staff.id), compensation_type, base_salary, hourly_rate,
        ot_rate_per_hour, holiday_rate_per_hour, is_service_charge_eligible,
        min_hours_for_allowance, effective_from, effective_to (rows overlapping the month)
    entries: id, staff_id, action, timestamp (aware) or timestamp_us (epoch microseconds), from
        ``entries_window`` of the month
    holidays: active public holiday dates
    settings: payroll_settings key → value (text, as stored)
    service_charge_pool: monthly_service_charge.total_amount, None when there is no row
    first_compensation: staff.id → the date of the person's first compensation row ever
        (joiners are pro-rated); None: the earliest row in ``compensation``
    statutory: rates and people for net pay (``statutory.StatutoryInputs``); None: gross only
    """

    month: str
    staff: pd.DataFrame
    compensation: pd.DataFrame
    entries: pd.DataFrame
    holidays: set[dt.date] = field(default_factory=set)
    settings: dict[str, str] = field(default_factory=dict)
    service_charge_pool: Decimal | None = None
    first_compensation: dict[int, dt.date] | None = None
    statutory: StatutoryInputs | None = None


def setting_value(settings: dict[str, str], key: str) -> Decimal:
    """A payroll setting as Decimal: a missing (or blank) row is the default; '0' means 0."""
    raw = settings.get(key)
    if raw is None or str(raw).strip() == "":
        raw = DEFAULT_SETTINGS[key]
    return Decimal(str(raw).strip())


def first_week_start(month: str) -> dt.date:
    """The Sunday on or before the 1st: the first day of the first week paid in ``month``."""
    first, _ = bangkok.month_days(month)
    return first - dt.timedelta(days=(first.weekday() + 1) % 7)


def entries_window(month: str, max_session_hours) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the entries a month's run loads.

    From ``max_session_hours`` before the Sunday on/before the 1st (so the first session of that
    Sunday is not taken for an orphan) to ``max_session_hours`` after the month end (so sessions of
    the last evening close).
    """
    limit = dt.timedelta(hours=float(money.to_decimal(max_session_hours)))
    _, end = bangkok.month_bounds(month)
    return bangkok.at(first_week_start(month)) - limit, end + limit


# --------------------------------------------------------------------------- sessions


def _day_number(day: dt.date) -> int:
    return (day - _EPOCH).days


def _date_of(number: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(number))


def _epoch_us(values) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(values), utc=True)
    return stamps.dt.as_unit("us").astype("int64").to_numpy()


def entry_times_us(entries: pd.DataFrame) -> np.ndarray:
    """Entry times as epoch microseconds: the ``timestamp_us`` column, else ``timestamp``."""
    if "timestamp_us" in entries.columns:
        return entries["timestamp_us"].to_numpy(dtype="int64")
    return _epoch_us(entries["timestamp"])


def pair_sessions(entries: pd.DataFrame, max_session_hours) -> pd.DataFrame:
    """§3.1 pairing, vectorised. One row per session or flagged entry.

    Columns: staff (staff.id), clock_in_us, clock_out_us (epoch microseconds, -1 when absent),
    day (Bangkok day number of the clock-in, or of an orphan clock-out), seconds (whole),
    flag (None | missing_clock_out | orphan_clock_out), clock_in_id, clock_out_id (-1 absent).
    """
    columns = ["staff", "clock_in_us", "clock_out_us", "day", "seconds", "flag",
               "clock_in_id", "clock_out_id"]
    if entries is None or len(entries) == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).assign(
            flag=pd.Series(dtype=object)
        )
    actions = entries["action"].to_numpy()
    bad = ~np.isin(actions, ["clock_in", "clock_out"])
    if bad.any():
        raise ValueError(f"unknown time entry action {actions[bad][0]!r}")
    staff = entries["staff_id"].to_numpy(dtype="int64")
    stamp = entry_times_us(entries)
    ids = (
        entries["id"].to_numpy(dtype="int64") if "id" in entries.columns
        else np.zeros(len(entries), dtype="int64")
    )
    order = np.lexsort((ids, stamp, staff))
    staff, stamp, ids = staff[order], stamp[order], ids[order]
    is_in = actions[order] == "clock_in"
    limit_us = int(money.to_decimal(max_session_hours) * 3600 * _US)

    n = len(staff)
    nxt = np.arange(1, n + 1)
    nxt[-1] = n - 1
    pairs = (
        is_in
        & (np.arange(n) < n - 1)
        & (staff[nxt] == staff)
        & ~is_in[nxt]
        & (stamp[nxt] - stamp <= limit_us)
    )
    paired_out = np.zeros(n, dtype=bool)
    paired_out[nxt[pairs]] = True
    missing = is_in & ~pairs
    orphan = ~is_in & ~paired_out

    def day_of(us: np.ndarray) -> np.ndarray:
        return (us + _BANGKOK_OFFSET_US) // _DAY_US

    i = np.flatnonzero(pairs)
    j = i + 1
    m = np.flatnonzero(missing)
    o = np.flatnonzero(orphan)
    none = np.full
    frame = pd.DataFrame(
        {
            "staff": np.concatenate([staff[i], staff[m], staff[o]]),
            "clock_in_us": np.concatenate([stamp[i], stamp[m], none(len(o), -1)]),
            "clock_out_us": np.concatenate([stamp[j], none(len(m), -1), stamp[o]]),
            "day": np.concatenate([day_of(stamp[i]), day_of(stamp[m]), day_of(stamp[o])]),
            "seconds": np.concatenate(
                [(stamp[j] - stamp[i]) // _US, np.zeros(len(m) + len(o), dtype="int64")]
            ),
            "flag": pd.Series(
                [None] * len(i) + [MISSING_CLOCK_OUT] * len(m) + [ORPHAN_CLOCK_OUT] * len(o),
                dtype=object,
            ),
            "clock_in_id": np.concatenate([ids[i], ids[m], none(len(o), -1)]),
            "clock_out_id": np.concatenate([ids[j], none(len(m), -1), ids[o]]),
        }
    )
    sort_time = np.where(frame["clock_in_us"] >= 0, frame["clock_in_us"], frame["clock_out_us"])
    frame = frame.iloc[np.lexsort((sort_time, frame["staff"].to_numpy()))].reset_index(drop=True)
    return frame


# --------------------------------------------------------------------------- result


@dataclass
class PayrollResult:
    """A computed month. ``lines`` has PAY_COLUMNS plus ``staff`` (staff.id) and the rates used."""

    month: str
    lines: pd.DataFrame
    flags: pd.DataFrame
    errors: pd.DataFrame
    service_charge: dict
    totals: dict
    settings: dict
    checksum: str
    raw_sessions: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    raw_days: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    raw_weeks: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def has_blocking_errors(self) -> bool:
        return len(self.errors) > 0

    @property
    def has_net_pay(self) -> bool:
        """Whether the lines carry social security, withholding tax and net pay."""
        return "net_pay" in self.lines.columns

    # The explanations are built on first use: the pay table alone does not need them.
    @functools.cached_property
    def sessions(self) -> pd.DataFrame:
        """One row per session (or flagged entry) with Bangkok times, date, hours, week."""
        return _readable_sessions(self.raw_sessions)

    @functools.cached_property
    def days(self) -> pd.DataFrame:
        return _readable_days(self.raw_days)

    @functools.cached_property
    def weeks(self) -> pd.DataFrame:
        return _readable_weeks(self.raw_weeks)


def _applied_compensation(rows: list[dict], first: dt.date, last: dt.date,
                          first_ever: dt.date | None = None):
    """The row in force on the last day, else the latest row in force earlier in the month.

    Returns (row, prorate_days or None). A row in force on the last day is pro-rated only when it
    is the person's first row ever and starts after the 1st (a joiner, §3.2 **fix**).
    """
    overlapping = [
        r for r in rows
        if r["effective_from"] <= last and (r["effective_to"] is None or r["effective_to"] >= first)
    ]
    for r in overlapping:
        if r["effective_to"] is None or r["effective_to"] >= last:
            if r["effective_from"] > first and r["effective_from"] == first_ever:
                return r, (last - r["effective_from"]).days + 1
            return r, None
    if not overlapping:
        return None, None
    row = max(overlapping, key=lambda r: (r["effective_to"], r["effective_from"]))
    days = (row["effective_to"] - max(row["effective_from"], first)).days + 1
    return row, days


def _prorate_reason(row: dict | None, prorate_days: int | None, last: dt.date) -> str | None:
    """Why a salary is pro-rated: 'joined' (first row starts mid-month) or 'left'."""
    if row is None or prorate_days is None:
        return None
    return "joined" if row["effective_to"] is None or row["effective_to"] >= last else "left"


def _dec(value, default: str = "0") -> Decimal:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return Decimal(default)
    return money.to_decimal(value)


@dataclass(frozen=True)
class MonthCalendar:
    """The month's days as Bangkok dates and as day numbers (days since 1970-01-01)."""

    month: str
    first: dt.date
    last: dt.date
    first_n: int
    last_n: int
    week_start_n: int  # the Sunday on or before the 1st: the first week paid in the month

    @property
    def days_in_month(self) -> int:
        return (self.last - self.first).days + 1


def compute_calendar(month: str) -> MonthCalendar:
    first, last = bangkok.month_days(month)
    return MonthCalendar(month, first, last, _day_number(first), _day_number(last),
                         _day_number(first_week_start(month)))


def compute_month_sessions(entries: pd.DataFrame, calendar: MonthCalendar,
                           max_session_hours: Decimal, holidays: set[dt.date]) -> pd.DataFrame:
    """The sessions from the first week's Sunday to the month's last day, each with whether it
    is in the month, on a public holiday, and the Saturday its week ends on (day numbers)."""
    sessions = pair_sessions(entries, max_session_hours)
    sessions = sessions[(sessions["day"] >= calendar.week_start_n)
                        & (sessions["day"] <= calendar.last_n)]
    sessions = sessions.reset_index(drop=True)
    holiday_numbers = np.array(sorted(_day_number(d) for d in holidays), dtype="int64")
    sessions["in_month"] = sessions["day"] >= calendar.first_n
    sessions["holiday"] = np.isin(sessions["day"].to_numpy(), holiday_numbers)
    dow = (sessions["day"] + 4) % 7  # day 0 (1970-01-01) was a Thursday; Sunday = 0
    sessions["week_end"] = sessions["day"] + (6 - dow)
    return sessions


def compute_days(sessions: pd.DataFrame) -> pd.DataFrame:
    """Seconds and sessions per person and date."""
    return (
        sessions.groupby(["staff", "day"], sort=True)
        .agg(seconds=("seconds", "sum"), sessions=("seconds", "size"),
             holiday=("holiday", "first"), in_month=("in_month", "first"))
        .reset_index()
    )


def compute_weeks(sessions: pd.DataFrame, calendar: MonthCalendar,
                  weekly_ot_threshold_hours: Decimal) -> pd.DataFrame:
    """Weeks ending (Saturday) in the month, judged on all their days; holiday hours excluded
    from the regular hours; overtime seconds beyond the weekly threshold."""
    paid_weeks = sessions[(sessions["week_end"] >= calendar.first_n)
                          & (sessions["week_end"] <= calendar.last_n)]
    weeks = (
        paid_weeks.assign(regular=np.where(paid_weeks["holiday"], 0, paid_weeks["seconds"]))
        .groupby(["staff", "week_end"], sort=True)
        .agg(seconds=("seconds", "sum"), regular_seconds=("regular", "sum"))
        .reset_index()
    )
    threshold_seconds = weekly_ot_threshold_hours * 3600
    weeks["ot_seconds"] = [
        max(Decimal(0), Decimal(int(s)) - threshold_seconds) for s in weeks["regular_seconds"]
    ]
    return weeks


def compute_applied_compensation(
    compensation: pd.DataFrame, calendar: MonthCalendar,
    first_compensation: dict[int, dt.date] | None,
) -> dict[int, tuple[dict | None, int | None]]:
    """Per staff.id: the compensation row applied to the month and its pro-rated days (§3.2)."""
    by_staff: dict[int, list[dict]] = {}
    for row in compensation.to_dict("records"):
        by_staff.setdefault(int(row["staff_id"]), []).append(row)
    first_rows = first_compensation or {}
    return {
        sid: _applied_compensation(
            rows, calendar.first, calendar.last,
            first_rows.get(sid) or min(r["effective_from"] for r in rows),
        )
        for sid, rows in by_staff.items()
    }


def compute_overtime_by_person(weeks: pd.DataFrame) -> dict[int, Decimal]:
    """Overtime seconds per staff.id, summed over the weeks paid in the month."""
    overtime: dict[int, Decimal] = {}
    for sid, ot in zip(weeks["staff"], weeks["ot_seconds"]):
        overtime[int(sid)] = overtime.get(int(sid), Decimal(0)) + ot
    return overtime


def compute_people_in_run(staff: pd.DataFrame, applied: dict, month_sessions: pd.DataFrame,
                          overtime: dict[int, Decimal]) -> set[int]:
    """Who is paid: active people with compensation in force, anyone with sessions in the
    month, anyone with overtime in a week ending in it (known staff only)."""
    active = {int(s) for s in staff.index[staff["is_active"].fillna(False).astype(bool)]}
    in_run = {sid for sid, (row, _) in applied.items() if row is not None and sid in active}
    in_run |= {int(s) for s in month_sessions["staff"].unique()}
    in_run |= {sid for sid, ot in overtime.items() if ot > 0}
    return {sid for sid in in_run if sid in staff.index}


def compute_min_hours_for_allowance(applied: dict) -> dict[int, int]:
    """Per staff.id: the hours that make a working day (the applied row's, null: 6)."""
    minimum = {}
    for sid, (row, _) in applied.items():
        value = row.get("min_hours_for_allowance") if row is not None else None
        minimum[sid] = (
            DEFAULT_MIN_HOURS_FOR_ALLOWANCE if value is None or pd.isna(value) else int(value)
        )
    return minimum


def compute_working_days(month_days: pd.DataFrame, min_hours: dict[int, int]) -> dict[int, int]:
    """Per staff.id: the month's days with at least the person's minimum hours."""
    minimum = (
        month_days["staff"].map(min_hours).fillna(DEFAULT_MIN_HOURS_FOR_ALLOWANCE)
        .to_numpy(dtype="int64") * 3600
    )
    return (
        month_days.assign(working=month_days["seconds"].to_numpy() >= minimum)
        .groupby("staff")["working"].sum().to_dict()
    )


def compute_service_charge_shares(pool: Decimal | None, in_run: set[int],
                                  applied: dict) -> dict:
    """The pool shared equally by the eligible people of the run, rounded down to the satang;
    the remainder stays undistributed (§3.2)."""
    total = money.round_money(pool or 0)
    eligible = frozenset(
        sid for sid in in_run
        if applied.get(sid, (None, None))[0] is not None
        and bool(applied[sid][0].get("is_service_charge_eligible"))
    )
    share = money.round_money_down(total / len(eligible)) if eligible else money.ZERO
    return {"pool": total, "eligible": eligible, "share": share,
            "undistributed": total - share * len(eligible)}


@dataclass(frozen=True)
class PersonMonth:
    """One person's figures of the month, the inputs of their pay line."""

    sid: int
    person: dict
    row: dict | None
    prorate_days: int | None
    seconds: int
    holiday_seconds: int
    overtime_seconds: Decimal
    min_hours: int
    working_days: int


def compute_pay_line(p: PersonMonth, calendar: MonthCalendar, allowance_rate: Decimal,
                     shares: dict) -> dict:
    """One person's pay line (§3.2): hours, pay components and total; blocking without a
    compensation row in force."""
    person, row = p.person, p.row
    line = {
        "staff": p.sid,
        "staff_id": person["staff_id"] if isinstance(person["staff_id"], str) else str(p.sid),
        "staff_name": person["staff_name"],
        "is_active": bool(person["is_active"]),
        "compensation_id": None,
        "compensation_type": "",
        "base_salary": None,
        "hourly_rate": None,
        "ot_rate_per_hour": None,
        "holiday_rate_per_hour": None,
        "is_service_charge_eligible": False,
        "min_hours_for_allowance": p.min_hours,
        "prorate_days": p.prorate_days,
        "prorate_reason": _prorate_reason(row, p.prorate_days, calendar.last),
        "days_in_month": calendar.days_in_month,
        "working_days": p.working_days,
        "total_seconds": p.seconds,
        "overtime_seconds": p.overtime_seconds,
        "holiday_seconds": p.holiday_seconds,
        "total_hours": money.round_hours(money.hours_from_seconds(p.seconds)),
        "overtime_hours": money.round_hours(p.overtime_seconds / 3600),
        "holiday_hours": money.round_hours(money.hours_from_seconds(p.holiday_seconds)),
        "blocking": row is None,
    }
    if row is None:
        for name in COMPONENTS + ["total_pay"]:
            line[name] = money.ZERO
        return line
    comp_type = row.get("compensation_type") or "salary"
    base_salary = _dec(row.get("base_salary"))
    hourly_rate = _dec(row.get("hourly_rate"))
    ot_rate = _dec(row.get("ot_rate_per_hour"))
    holiday_rate = _dec(row.get("holiday_rate_per_hour"))
    if comp_type == "salary":
        if p.prorate_days is None:
            base_pay = money.round_money(base_salary)
        else:
            base_pay = money.round_money(base_salary * p.prorate_days / calendar.days_in_month)
        allowance = money.round_money(p.working_days * allowance_rate)
    else:
        base_pay = money.round_money(Decimal(p.seconds) * hourly_rate / 3600)
        allowance = money.ZERO
    eligible = p.sid in shares["eligible"]
    line.update(
        compensation_id=row.get("id"),
        compensation_type=comp_type,
        base_salary=base_salary,
        hourly_rate=hourly_rate,
        ot_rate_per_hour=ot_rate,
        holiday_rate_per_hour=holiday_rate,
        is_service_charge_eligible=eligible,
        base_pay=base_pay,
        daily_allowance=allowance,
        overtime_pay=money.round_money(p.overtime_seconds * ot_rate / 3600),
        holiday_pay=money.round_money(Decimal(p.holiday_seconds) * holiday_rate / 3600),
        service_charge=shares["share"] if eligible else money.ZERO,
    )
    line["total_pay"] = sum((line[c] for c in COMPONENTS), money.ZERO)
    return line


def compute_blocking_error(line: dict, month: str) -> dict:
    """The blocking error of a line without compensation in force."""
    return {
        "staff": line["staff"],
        "staff_id": line["staff_id"],
        "staff_name": line["staff_name"],
        "error": "no_compensation",
        "message": (
            f"{line['staff_name']} ({line['staff_id']}) has sessions in {month} "
            "but no staff_compensation row in force in the month"
        ),
    }


LINE_COLUMNS = ["staff"] + PAY_COLUMNS + [
    "is_active", "compensation_id", "base_salary", "hourly_rate", "ot_rate_per_hour",
    "holiday_rate_per_hour", "is_service_charge_eligible", "min_hours_for_allowance",
    "prorate_days", "prorate_reason", "days_in_month", "total_seconds", "overtime_seconds",
    "holiday_seconds", "blocking",
]


def compute_lines_frame(lines: list[dict]) -> pd.DataFrame:
    """The pay lines as a frame sorted by employee ID; whole numbers stay int or None."""
    frame = pd.DataFrame(lines, columns=LINE_COLUMNS)
    for name in ("compensation_id", "prorate_days"):  # whole numbers or None, never NaN
        frame[name] = pd.Series(
            [None if v is None or pd.isna(v) else int(v) for v in frame[name]],
            dtype=object,
        )
    if len(frame):
        frame = frame.sort_values(["staff_id", "staff"], kind="stable")
    return frame.reset_index(drop=True)


def compute_pay_lines(inputs: PayrollInputs, calendar: MonthCalendar, settings: dict,
                      sessions: pd.DataFrame, days: pd.DataFrame, weeks: pd.DataFrame,
                      staff: pd.DataFrame) -> tuple[list[dict], list[dict], dict]:
    """Everyone's pay line of the month, the blocking errors and the service-charge shares."""
    month_sessions = sessions[sessions["in_month"]]
    applied = compute_applied_compensation(inputs.compensation, calendar,
                                           inputs.first_compensation)
    overtime = compute_overtime_by_person(weeks)
    in_run = compute_people_in_run(staff, applied, month_sessions, overtime)
    total_seconds = month_sessions.groupby("staff")["seconds"].sum().to_dict()
    holiday_seconds = (
        month_sessions[month_sessions["holiday"]].groupby("staff")["seconds"].sum().to_dict()
    )
    min_hours = compute_min_hours_for_allowance(applied)
    working_days = compute_working_days(days[days["in_month"]], min_hours)
    shares = compute_service_charge_shares(inputs.service_charge_pool, in_run, applied)
    people = {int(r["id"]): r for r in staff.to_dict("records")}
    lines, errors = [], []
    for sid in sorted(in_run):
        row, prorate_days = applied.get(sid, (None, None))
        person = PersonMonth(
            sid=sid, person=people[sid], row=row, prorate_days=prorate_days,
            seconds=int(total_seconds.get(sid, 0)),
            holiday_seconds=int(holiday_seconds.get(sid, 0)),
            overtime_seconds=overtime.get(sid, Decimal(0)),
            min_hours=min_hours.get(sid, DEFAULT_MIN_HOURS_FOR_ALLOWANCE),
            working_days=int(working_days.get(sid, 0)),
        )
        line = compute_pay_line(person, calendar, settings["daily_allowance_thb"], shares)
        if line["blocking"]:
            errors.append(compute_blocking_error(line, inputs.month))
        lines.append(line)
    return lines, errors, shares


def compute_payroll(inputs: PayrollInputs) -> PayrollResult:
    """The month's payroll (§3.2) from its inputs; no I/O."""
    calendar = compute_calendar(inputs.month)
    settings = {key: setting_value(inputs.settings, key) for key in DEFAULT_SETTINGS}
    sessions = compute_month_sessions(inputs.entries, calendar, settings["max_session_hours"],
                                      inputs.holidays)
    days = compute_days(sessions)
    weeks = compute_weeks(sessions, calendar, settings["weekly_ot_threshold_hours"])
    staff = inputs.staff.reindex(columns=["id", "staff_id", "staff_name", "is_active"])
    staff = staff.set_index("id", drop=False)
    lines, errors, shares = compute_pay_lines(inputs, calendar, settings, sessions, days, weeks,
                                              staff)
    lines_frame = compute_lines_frame(lines)
    flags = compute_review_flags(sessions[sessions["in_month"]], days[days["in_month"]], staff)
    totals = {name: sum(lines_frame[name], money.ZERO) for name in COMPONENTS + ["total_pay"]}
    totals["people"] = len(lines_frame)
    if inputs.statutory is not None:
        lines_frame = _with_net_pay(lines_frame, inputs, calendar.last)
        totals.update({name: sum(lines_frame[name], money.ZERO) for name in NET_MONEY_TOTALS})
    eligible = len(shares["eligible"])
    service_charge = {
        "pool": shares["pool"],
        "eligible": eligible,
        "share": shares["share"],
        "distributed": shares["share"] * eligible,
        "undistributed": shares["undistributed"],
    }
    return PayrollResult(
        month=inputs.month,
        lines=lines_frame,
        raw_sessions=sessions,
        raw_days=days,
        raw_weeks=weeks,
        flags=flags,
        errors=pd.DataFrame(errors, columns=["staff", "staff_id", "staff_name", "error", "message"]),
        service_charge=service_charge,
        totals=totals,
        settings={key: str(value) for key, value in settings.items()},
        checksum=compute_checksum(inputs),
    )


def _with_net_pay(lines: pd.DataFrame, inputs: PayrollInputs, last: dt.date) -> pd.DataFrame:
    """The lines with the net-pay columns (statutory-payroll.md) appended."""
    needed = ["staff", *COMPONENTS, "total_pay"]
    records = [dict(zip(needed, values))
               for values in zip(*(lines[name].tolist() for name in needed))]
    rows = compute_net_pay(records, inputs.statutory, inputs.settings, last,
                           inputs.first_compensation)
    table = np.empty((len(rows), len(NET_DETAIL_COLUMNS)), dtype=object)
    if rows:  # every value is a scalar (Decimal, bool, int): one object block, filled at once
        table[:] = [[row[name] for name in NET_DETAIL_COLUMNS] for row in rows]
    extra = pd.DataFrame(table, columns=NET_DETAIL_COLUMNS, index=lines.index)
    return pd.concat([lines, extra], axis=1)


def _hours_of(seconds) -> list[Decimal]:
    """Hours (2 decimals) of many durations; each distinct value is converted once."""
    values = np.asarray(seconds, dtype="int64")
    unique, inverse = np.unique(values, return_inverse=True)
    converted = [money.round_hours(money.hours_from_seconds(int(v))) for v in unique]
    return [converted[i] for i in inverse.ravel()]


def _ot_hours(values) -> list[Decimal]:
    cache: dict[Decimal, Decimal] = {}
    out = []
    for v in values:
        if v not in cache:
            cache[v] = money.round_hours(v / 3600)
        out.append(cache[v])
    return out


def _dates_of(numbers) -> list[dt.date]:
    values = np.asarray(numbers, dtype="int64")
    unique, inverse = np.unique(values, return_inverse=True)
    converted = [_date_of(v) for v in unique]
    return [converted[i] for i in inverse.ravel()]


def _bangkok_time(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(us) / _US, tz=bangkok.BANGKOK)


def compute_review_flags(sessions: pd.DataFrame, days: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """§3.1 review flags per person and day (dates of the month only)."""
    codes = {
        int(i): (c if isinstance(c, str) else str(i), n)
        for i, c, n in zip(staff.index, staff["staff_id"], staff["staff_name"])
    }
    parts = []
    flag = sessions["flag"].to_numpy(dtype=object)
    seconds = sessions["seconds"].to_numpy()
    has_flag = np.array([isinstance(f, str) for f in flag], dtype=bool)
    for mask, name in (
        (has_flag, None),
        (~has_flag & (seconds < 3600), SESSION_UNDER_1H),
        (~has_flag & (seconds > 8 * 3600), SESSION_OVER_8H),
    ):
        chosen = sessions[mask]
        if chosen.empty:
            continue
        if name is None:
            names = list(chosen["flag"])
            stamps = np.where(chosen["flag"] == MISSING_CLOCK_OUT, chosen["clock_in_us"],
                              chosen["clock_out_us"])
            details = [f"{n.replace('_', ' ')} at {_bangkok_time(t):%H:%M}"
                       for n, t in zip(names, stamps)]
        else:
            names = [name] * len(chosen)
            details = [f"session of {h} h" for h in _hours_of(chosen["seconds"])]
        parts.append(pd.DataFrame({"staff": chosen["staff"].to_numpy(),
                                   "day": chosen["day"].to_numpy(), "flag": names,
                                   "detail": details}))
    day_seconds = days["seconds"].to_numpy()
    for mask, name in (
        ((day_seconds > 0) & (day_seconds < 3 * 3600), DAY_UNDER_3H),
        (day_seconds > 9 * 3600, DAY_OVER_9H),
    ):
        chosen = days[mask]
        if chosen.empty:
            continue
        parts.append(pd.DataFrame({"staff": chosen["staff"].to_numpy(),
                                   "day": chosen["day"].to_numpy(), "flag": name,
                                   "detail": [f"day of {h} h"
                                              for h in _hours_of(chosen["seconds"])]}))
    columns = ["staff", "staff_id", "staff_name", "work_date", "flag", "detail"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows["staff"].isin(list(codes))]
    rows = rows.sort_values(["staff", "day", "flag"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "staff": rows["staff"].astype("int64"),
            "staff_id": [codes[int(x)][0] for x in rows["staff"]],
            "staff_name": [codes[int(x)][1] for x in rows["staff"]],
            "work_date": pd.Series(_dates_of(rows["day"]), dtype=object),
            "flag": rows["flag"].astype(object),
            "detail": rows["detail"].astype(object),
        }
    )


def _stamps(values: pd.Series) -> pd.Series:
    """Epoch microseconds (-1: none) as aware Bangkok timestamps (NaT when absent)."""
    us = values.to_numpy(dtype="int64")
    stamps = pd.Series(pd.to_datetime(np.where(us < 0, 0, us), unit="us", utc=True))
    return stamps.dt.tz_convert(bangkok.BANGKOK).where(us >= 0)


def _readable_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    """Sessions for people: Bangkok datetimes, dates, hours; the grain of every explanation."""
    return pd.DataFrame(
        {
            "staff": sessions["staff"].astype("int64"),
            "work_date": pd.Series(_dates_of(sessions["day"]), dtype=object),
            "clock_in": _stamps(sessions["clock_in_us"]),
            "clock_out": _stamps(sessions["clock_out_us"]),
            "seconds": sessions["seconds"].astype("int64"),
            "hours": pd.Series(_hours_of(sessions["seconds"]), dtype=object),
            "flag": pd.Series([f if isinstance(f, str) else None for f in sessions["flag"]],
                              dtype=object),
            "holiday": sessions["holiday"].astype(bool),
            "in_month": sessions["in_month"].astype(bool),
            "week_end": pd.Series(_dates_of(sessions["week_end"]), dtype=object),
            "clock_in_id": pd.Series(
                [None if v < 0 else int(v) for v in sessions["clock_in_id"]], dtype=object),
            "clock_out_id": pd.Series(
                [None if v < 0 else int(v) for v in sessions["clock_out_id"]], dtype=object),
        }
    )


def _readable_days(days: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff": days["staff"].astype("int64"),
            "work_date": pd.Series(_dates_of(days["day"]), dtype=object),
            "sessions": days["sessions"].astype("int64"),
            "seconds": days["seconds"].astype("int64"),
            "hours": pd.Series(_hours_of(days["seconds"]), dtype=object),
            "holiday": days["holiday"].astype(bool),
            "in_month": days["in_month"].astype(bool),
        }
    )


def _readable_weeks(weeks: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "staff": weeks["staff"].astype("int64"),
            "week_start": pd.Series(_dates_of(weeks["week_end"] - 6), dtype=object),
            "week_end": pd.Series(_dates_of(weeks["week_end"]), dtype=object),
            "hours": pd.Series(_hours_of(weeks["seconds"]), dtype=object),
            "regular_hours": pd.Series(_hours_of(weeks["regular_seconds"]), dtype=object),
            "overtime_hours": pd.Series(_ot_hours(weeks["ot_seconds"]), dtype=object),
        }
    )


# --------------------------------------------------------------------------- checksum


def _canonical(value):
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return pd.Timestamp(value).tz_convert("UTC").isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _frame_records(frame: pd.DataFrame, columns: list[str], key: list[str]) -> list:
    if frame is None or len(frame) == 0:
        return []
    present = [c for c in columns if c in frame.columns]
    rows = [list(r) for r in zip(*(frame[c].astype(object).astype(str).tolist()
                                   for c in present))]
    index = [present.index(k) for k in key if k in present]
    return sorted(rows, key=lambda r: tuple(r[i] for i in index))


def _entries_digest(entries: pd.DataFrame | None) -> str:
    """sha256 of the entries (id, staff, action, time), in a canonical order; vectorised."""
    digest = hashlib.sha256()
    if entries is None or len(entries) == 0:
        return digest.hexdigest()
    staff = entries["staff_id"].to_numpy(dtype="int64")
    stamp = entry_times_us(entries)
    ids = (
        entries["id"].to_numpy(dtype="int64") if "id" in entries.columns
        else np.zeros(len(entries), dtype="int64")
    )
    clock_in = (entries["action"].to_numpy() == "clock_in").astype("int64")
    order = np.lexsort((ids, stamp, staff))
    table = np.stack([staff[order], stamp[order], ids[order], clock_in[order]], axis=1)
    digest.update(np.ascontiguousarray(table).astype("<i8").tobytes())
    return digest.hexdigest()


def compute_checksum(inputs: PayrollInputs) -> str:
    """sha256 of everything the month's payroll reads: same data, same checksum."""
    payload = {
        "month": inputs.month,
        "staff": _frame_records(inputs.staff, ["id", "staff_id", "staff_name", "is_active"],
                                ["id"]),
        "compensation": _frame_records(
            inputs.compensation,
            ["id", "staff_id", "compensation_type", "base_salary", "hourly_rate",
             "ot_rate_per_hour", "holiday_rate_per_hour", "is_service_charge_eligible",
             "min_hours_for_allowance", "effective_from", "effective_to"],
            ["id"],
        ),
        "entries": _entries_digest(inputs.entries),
        "holidays": sorted(d.isoformat() for d in inputs.holidays),
        "settings": {k: str(v) for k, v in sorted(inputs.settings.items())},
        "service_charge_pool": _canonical(inputs.service_charge_pool),
    }
    if inputs.first_compensation:
        payload["first_compensation"] = {str(k): v.isoformat() for k, v in
                                         sorted(inputs.first_compensation.items())}
    if inputs.statutory is not None:
        payload["statutory"] = {
            "rates": sorted([r.rate_key, str(r.value), r.effective_from.isoformat(),
                             str(r.threshold)] for r in inputs.statutory.rate_rows),
            "people": [[k, p.sso_insured, str(p.joined_on), str(p.declared_allowances)]
                       for k, p in sorted(inputs.statutory.people.items())],
        }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- explanations


def explain_person(result: PayrollResult, staff: int) -> dict[str, pd.DataFrame | dict]:
    """Everything behind one person's pay: their line, sessions, days, weeks and flags."""
    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["staff"] == staff].reset_index(drop=True)

    lines = pick(result.lines)
    return {
        "line": lines.iloc[0].to_dict() if len(lines) else {},
        "sessions": pick(result.sessions),
        "days": pick(result.days),
        "weeks": pick(result.weeks),
        "flags": pick(result.flags),
    }
