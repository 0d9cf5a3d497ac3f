"""The analysts' frames, pure (issue 27): rows in, tidy typed DataFrames out. No database here.

Types of every frame (pinned by tests/explore): ids and counts ``Int64``, names and codes
``string``, times ``datetime64[ns, Asia/Bangkok]``, dates ``datetime64[ns]`` (midnight), hours
``float64``, flags ``boolean``, money ``Decimal`` (object columns; floats only at the plotting
edge, ``compute_*`` summaries below say when they turn money into float for a figure).
Attendance and sessions come from the same rules as every dashboard (``staff.rules.sessions``,
``staff.rules.attendance``), not a second implementation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from .. import bangkok
from ..staff.rules import attendance as attendance_rules
from ..staff.rules import sessions as session_rules

TZ = "Asia/Bangkok"
TIME = f"datetime64[ns, {TZ}]"
DATE = "datetime64[ns]"
MAX_DAYS = 3 * 366  # a period longer than this is a typo more often than a question
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

ATTENDANCE_DTYPES = {
    "staff_id": "Int64", "staff_name": "string", "work_date": DATE, "weekday": "string",
    "shift_id": "string", "shift_start": TIME, "shift_end": TIME, "clock_in": TIME,
    "clock_out": TIME, "status": "string", "minutes_late": "Int64", "left_early": "boolean",
    "minutes_early": "Int64", "planned_hours": "float64", "worked_hours": "float64",
    "session_flag": "string",
}
SESSION_DTYPES = {
    "staff_id": "Int64", "staff_name": "string", "work_date": DATE, "clock_in": TIME,
    "clock_out": TIME, "hours": "float64", "flag": "string",
}
AUDIT_DTYPES = {
    "changed_at": TIME, "source": "string", "change_id": "string", "user_email": "string",
    "action": "string", "resource_type": "string", "resource_id": "string", "field": "string",
    "before": "string", "after": "string",
}
PACKAGE_USAGE_DTYPES = {
    "package_id": "string", "customer_id": "string", "customer_name": "string",
    "package_type": "string", "package_kind": "string", "package_hours": "float64",
    "purchase_date": DATE, "first_use_date": DATE, "expiration_date": DATE,
    "usage_id": "string", "used_date": DATE, "used_hours": "float64", "employee_name": "string",
    "booking_id": "string",
}
SALES_DTYPES = {
    "sale_id": "Int64", "receipt_number": "string", "sale_date": DATE, "sale_time": TIME,
    "customer_id": "string", "customer_name": "string", "product_name": "string",
    "product_category": "string", "sku_number": "string", "item_cnt": "object",
    "item_price_incl_vat": "object", "is_voided": "boolean",
}


class ExploreError(ValueError):
    """A parameter an analyst can fix; the message says how."""


# --- parameters ---------------------------------------------------------------------------------


def parse_day(value: dt.date | str, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return bangkok.bangkok_date(value) if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ExploreError(f"{what} must be a date such as 2026-01-31, not {value!r}") from None


def compute_period(start: dt.date | str, end: dt.date | str) -> tuple[dt.date, dt.date]:
    """``start``..``end`` (both included) as dates; refused when reversed or over three years."""
    first, last = parse_day(start, "start"), parse_day(end, "end")
    if last < first:
        raise ExploreError(f"end {last} is before start {first}")
    if (last - first).days > MAX_DAYS:
        raise ExploreError(f"{first}..{last} is longer than three years: ask for less at a time")
    return first, last


def compute_period_times(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period's Bangkok midnights: ``start <= t < end``."""
    return bangkok.at(first), bangkok.at(last + dt.timedelta(days=1))


def compute_staff_filter(staff) -> tuple[list[int] | None, list[str] | None]:
    """``None`` (everyone), an id, a name, or a list of them -> (ids, names)."""
    if staff is None:
        return None, None
    values = [staff] if isinstance(staff, (int, str)) else list(staff)
    ids = [int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]
    names = [v for v in values if isinstance(v, str)]
    if len(ids) + len(names) != len(values):
        raise ExploreError("staff must be None, a staff id, a name, or a list of them")
    return ids, names


# --- types --------------------------------------------------------------------------------------


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_NAT = np.iinfo(np.int64).min


def _times(values: Iterable) -> pd.Series:
    """Aware datetimes (or None) as Bangkok times, exact to the microsecond: counted from the
    epoch in Python (pandas' parsing of 100,000 aware objects costs ~10x more)."""
    micros = np.array(
        [_NAT if v is None or v is pd.NaT else (v - _EPOCH) // _MICROSECOND for v in values],
        dtype=np.int64)
    stamps = np.where(micros == _NAT, _NAT, micros * 1000).view("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(stamps).tz_localize("UTC").tz_convert(TZ)).astype(TIME)


def _dates(values: Iterable) -> pd.Series:
    days = np.array([np.datetime64("NaT") if v is None or v is pd.NaT else v for v in values],
                    dtype="datetime64[D]")
    return pd.Series(days).astype(DATE)


def _floats(values: Iterable) -> pd.Series:
    return pd.Series([None if v is None else float(v) for v in values], dtype="float64")


def compute_typed(columns: dict[str, list], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame of exactly ``dtypes``' columns, in that order and of those types."""
    frame = {}
    for name, dtype in dtypes.items():
        values = columns.get(name, [])
        if dtype == TIME:
            frame[name] = _times(values)
        elif dtype == DATE:
            frame[name] = _dates(values)
        elif dtype == "float64":
            frame[name] = _floats(values)
        elif dtype == "object":
            frame[name] = pd.Series(list(values), dtype=object)
        else:
            frame[name] = pd.Series(list(values), dtype=object).astype(dtype)
    return pd.DataFrame(frame)


# --- attendance and sessions -------------------------------------------------------------------


def _split_attendance_rows(rows: Sequence[tuple]) -> tuple[pd.DataFrame, pd.DataFrame, dict, int]:
    shifts, entries, names = [], [], {}
    max_hours = 16
    for kind, row_id, staff_id, name, day, start, end, stamp, action, hours in rows:
        names[staff_id] = name
        max_hours = hours
        if kind == "shift":
            shifts.append((row_id, staff_id, day, start, end))
        else:
            entries.append((int(row_id), staff_id, action, stamp))
    shift_frame = pd.DataFrame(shifts, columns=["id", "staff_id", "schedule_date", "start_time",
                                                "end_time"])
    entry_frame = pd.DataFrame(entries, columns=["id", "staff_id", "action", "timestamp"])
    return shift_frame, entry_frame, names, max_hours


def _in_period(days: pd.Series, first: dt.date, last: dt.date) -> pd.Series:
    return days.map(lambda d: first <= d <= last).astype(bool)


def compute_sessions_frame(rows: Sequence[tuple], first: dt.date, last: dt.date) -> pd.DataFrame:
    """One row per work session (clock-in to clock-out, flagged when a punch is missing) whose
    work date is in ``first``..``last``."""
    _, entries, names, max_hours = _split_attendance_rows(rows)
    worked = session_rules.compute_sessions(entries, max_hours)
    if len(worked):
        worked = worked[_in_period(worked["work_date"], first, last)]
    return compute_typed({
        "staff_id": list(worked["staff_id"]),
        "staff_name": [names.get(s) for s in worked["staff_id"]],
        "work_date": list(worked["work_date"]),
        "clock_in": list(worked["clock_in"]),
        "clock_out": list(worked["clock_out"]),
        "hours": list(worked["hours"]),
        "flag": list(worked["flag"]),
    }, SESSION_DTYPES)


def compute_attendance_frame(
    rows: Sequence[tuple], first: dt.date, last: dt.date, as_of: dt.datetime
) -> pd.DataFrame:
    """One row per shift (planned, worked, late minutes, status) and per unscheduled session,
    dated ``first``..``last``; shifts still to come at ``as_of`` are ``upcoming``."""
    shifts, entries, names, max_hours = _split_attendance_rows(rows)
    worked = session_rules.compute_sessions(entries, max_hours)
    if len(worked):
        worked = worked[_in_period(worked["work_date"], first - dt.timedelta(days=1), last)]
    result = attendance_rules.compute_attendance(shifts, worked, as_of=as_of,
                                                 max_session_hours=max_hours)
    if len(result):
        result = result[_in_period(result["work_date"], first, last)]
    planned = [
        None if start is None else (end - start).total_seconds() / 3600
        for start, end in zip(result["shift_start"], result["shift_end"])
    ]
    return compute_typed({
        "staff_id": list(result["staff_id"]),
        "staff_name": [names.get(s) for s in result["staff_id"]],
        "work_date": list(result["work_date"]),
        "weekday": [WEEKDAYS[d.weekday()] for d in result["work_date"]],
        "shift_id": [None if s is None else str(s) for s in result["shift_id"]],
        "shift_start": list(result["shift_start"]),
        "shift_end": list(result["shift_end"]),
        "clock_in": list(result["clock_in"]),
        "clock_out": list(result["clock_out"]),
        "status": list(result["status"]),
        "minutes_late": list(result["minutes_late"]),
        "left_early": list(result["left_early"]),
        "minutes_early": list(result["minutes_early"]),
        "planned_hours": planned,
        "worked_hours": list(result["hours"]),
        "session_flag": list(result["session_flag"]),
    }, ATTENDANCE_DTYPES)


# --- audit --------------------------------------------------------------------------------------


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flatten(value, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}} -> {"a.b": 1}; lists stay whole (as JSON text later)."""
    if isinstance(value, dict):
        flat: dict[str, object] = {}
        for key, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: value} if prefix else {}


def compute_change_fields(details) -> list[tuple[str | None, object, object]]:
    """(field, before, after) of one audit row's details: ``before``/``after`` flattened and
    paired by field; any other detail (a reason, a name) as a field with only ``after``."""
    details = details if isinstance(details, dict) else {}
    before = _flatten(details.get("before") or {})
    after = _flatten(details.get("after") or {})
    other = _flatten({k: v for k, v in details.items() if k not in ("before", "after")})
    fields = [(f, before.get(f), after.get(f)) for f in dict.fromkeys([*before, *after])]
    fields += [(f, None, v) for f, v in other.items() if v is not None]
    return fields or [(None, None, None)]


def compute_audit_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """One row per change and field (a change without fields: one row, field empty), oldest
    first; values as text (JSON for lists), pay values of pay resources "(hidden)"."""
    columns: dict[str, list] = {name: [] for name in AUDIT_DTYPES}
    for source, change_id, changed_at, user, action, resource_type, resource_id, details in rows:
        if isinstance(details, str):
            details = json.loads(details)
        for field, before, after in compute_change_fields(details):
            for name, value in (("changed_at", changed_at), ("source", source),
                                ("change_id", change_id), ("user_email", user),
                                ("action", action), ("resource_type", resource_type),
                                ("resource_id", resource_id), ("field", field),
                                ("before", _text(before)), ("after", _text(after))):
                columns[name].append(value)
    return compute_typed(columns, AUDIT_DTYPES)


# --- packages and sales --------------------------------------------------------------------------


def compute_package_usage_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """One row per use of each package bought in the period (a package never used: one row
    with no usage)."""
    names = list(PACKAGE_USAGE_DTYPES)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    return compute_typed(columns, PACKAGE_USAGE_DTYPES)


def compute_sales_frame(rows: Sequence[tuple]) -> pd.DataFrame:
    """One row per point-of-sale line; quantities and amounts stay ``Decimal``."""
    names = list(SALES_DTYPES)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    columns["item_cnt"] = [None if v is None else Decimal(v) for v in columns["item_cnt"]]
    columns["item_price_incl_vat"] = [None if v is None else Decimal(v)
                                      for v in columns["item_price_incl_vat"]]
    return compute_typed(columns, SALES_DTYPES)


# --- the starter notebooks' summaries -------------------------------------------------------------


def compute_lateness_by_weekday_hour(attendance: pd.DataFrame) -> pd.DataFrame:
    """Mean minutes late per weekday (rows, Monday first) and planned start hour (columns), over
    the shifts someone came to (on time counts as 0)."""
    came = attendance[attendance["status"].isin([attendance_rules.ON_TIME,
                                                 attendance_rules.LATE])]
    table = (
        pd.DataFrame({
            "weekday": came["weekday"].astype(object),
            "hour": came["shift_start"].dt.hour.astype("int64"),
            "minutes_late": came["minutes_late"].astype("float64"),
        })
        .pivot_table(index="weekday", columns="hour", values="minutes_late", aggfunc="mean")
    )
    return table.reindex([d for d in WEEKDAYS if d in table.index])


def compute_lateness_by_weekday(attendance: pd.DataFrame) -> pd.DataFrame:
    """Per weekday: shifts, late shifts, share late (%), mean minutes late of the late ones."""
    shifts = attendance[attendance["shift_id"].notna()]
    rows = []
    for day in WEEKDAYS:
        of_day = shifts[shifts["weekday"] == day]
        late = of_day[of_day["status"] == attendance_rules.LATE]
        rows.append({
            "weekday": day,
            "shifts": len(of_day),
            "late": len(late),
            "late_pct": round(100 * len(late) / len(of_day), 1) if len(of_day) else 0.0,
            "mean_minutes_late": float(late["minutes_late"].mean()) if len(late) else 0.0,
        })
    return pd.DataFrame(rows)


PIN_ACTIONS = ("pin_changed", "RESET_PIN", "UNLOCK", "locked", "unlocked")


def compute_pay_and_pin_changes(audit: pd.DataFrame) -> pd.DataFrame:
    """The audit rows about pay rates (``staff_compensation``), the PIN settings of the time
    clock (``payroll_settings`` keys ``pin_*``) and people's PINs (reset, changed, locked,
    unlocked), with ``about`` naming which."""
    resource = audit["resource_type"].fillna("")
    key = audit["resource_id"].fillna("")
    is_pay = resource == "staff_compensation"
    is_pin_setting = (resource == "payroll_settings") & key.str.startswith("pin")
    is_pin = (resource == "staff") & audit["action"].fillna("").isin(PIN_ACTIONS)
    picked = audit[is_pay | is_pin_setting | is_pin].copy()
    picked.insert(1, "about", pd.Series(
        ["pay rate" if r == "staff_compensation" else "PIN setting"
         if r == "payroll_settings" else "PIN" for r in picked["resource_type"].fillna("")],
        index=picked.index, dtype="string"))
    return picked.reset_index(drop=True)


def compute_changes_per_person(changes: pd.DataFrame) -> pd.DataFrame:
    """Who changed what: distinct changes per user and subject."""
    if changes.empty:
        return pd.DataFrame({"user_email": pd.Series(dtype="string"),
                             "about": pd.Series(dtype="string"),
                             "changes": pd.Series(dtype="Int64")})
    return (changes.groupby(["user_email", "about"])["change_id"].nunique()
            .rename("changes").astype("Int64").reset_index())


def compute_package_cohorts(usage: pd.DataFrame) -> pd.DataFrame:
    """Per package: bought -> first use -> last use -> expiry, hours used, and its purchase
    month (the cohort). ``days_to_first_use`` is empty for a package never used."""
    grouped = usage.groupby("package_id", sort=False)
    packages = pd.DataFrame({
        "package_type": grouped["package_type"].first(),
        "purchase_date": grouped["purchase_date"].first(),
        "first_use": grouped["used_date"].min(),
        "last_use": grouped["used_date"].max(),
        "expiration_date": grouped["expiration_date"].first(),
        "used_hours": grouped["used_hours"].sum(min_count=1).fillna(0.0),
        "package_hours": grouped["package_hours"].first(),
    }).reset_index()
    packages["cohort"] = packages["purchase_date"].dt.strftime("%Y-%m").astype("string")
    packages["days_to_first_use"] = (
        (packages["first_use"] - packages["purchase_date"]).dt.days.astype("Int64"))
    packages["days_used_over"] = (
        (packages["last_use"] - packages["first_use"]).dt.days.astype("Int64"))
    packages["stage"] = [
        "never used" if pd.isna(first) else
        "used up" if hours is not None and not pd.isna(hours) and used >= hours else
        "abandoned" if not pd.isna(expiry) and expiry < pd.Timestamp(bangkok.today()) else
        "in use"
        for first, used, hours, expiry in zip(packages["first_use"], packages["used_hours"],
                                              packages["package_hours"],
                                              packages["expiration_date"])
    ]
    packages["stage"] = packages["stage"].astype("string")
    return packages


def compute_cohort_summary(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Packages per purchase month and stage (rows: cohort, columns: stage)."""
    return (cohorts.pivot_table(index="cohort", columns="stage", values="package_id",
                                aggfunc="count", fill_value=0)
            .astype("int64"))


def compute_sales_against_staffing(sales: pd.DataFrame, attendance: pd.DataFrame) -> pd.DataFrame:
    """Per hour of the day: sales lines and amount (baht, float for the figure) per day on
    average, and the mean number of people on shift in that hour (planned shifts)."""
    days = max(sales["sale_date"].nunique(), 1)
    sold = sales.assign(hour=sales["sale_time"].dt.hour,
                        amount=[float(v or 0) for v in sales["item_price_incl_vat"]])
    per_hour = sold.groupby("hour").agg(lines=("sale_id", "count"), amount=("amount", "sum"))
    shifts = attendance[attendance["shift_start"].notna()]
    shift_days = max(shifts["work_date"].nunique(), 1)
    staffed = {hour: 0 for hour in range(24)}
    for start, end in zip(shifts["shift_start"], shifts["shift_end"]):
        for hour in range(start.hour, end.hour + (1 if end.minute else 0)):
            staffed[hour % 24] += 1
    table = pd.DataFrame({"hour": range(24)})
    table["sales_lines_per_day"] = table["hour"].map(per_hour["lines"]).fillna(0) / days
    table["sales_amount_per_day"] = table["hour"].map(per_hour["amount"]).fillna(0.0) / days
    table["staff_on_shift"] = table["hour"].map(staffed) / shift_days
    table["amount_per_person"] = [
        a / s if s else 0.0 for a, s in zip(table["sales_amount_per_day"], table["staff_on_shift"])
    ]
    return table[(table["sales_lines_per_day"] > 0) | (table["staff_on_shift"] > 0)].reset_index(
        drop=True)
