"""Work sessions from time-clock entries: business-rules §3.1. Pure: no database here.

Shared by attendance (this work) and payroll. Rules:

- a person's entries are sorted by time (then by ``id`` when given, for a stable order);
- each ``clock_in`` pairs with the *next* entry if that entry is a ``clock_out`` no more than
  ``max_session_hours`` later (exactly ``max_session_hours`` still pairs);
- the session belongs, wholly, to the Bangkok date of its clock-in (``work_date``), even across
  midnight or a month end;
- a ``clock_in`` with no such ``clock_out`` gives a row with 0 seconds / 0 hours and the flag
  ``missing_clock_out``; a ``clock_out`` with no open ``clock_in`` gives a row with 0 hours and the
  flag ``orphan_clock_out`` (its ``work_date`` is the Bangkok date of the clock-out);
- durations are whole seconds (fractions dropped); ``hours`` is those seconds as hours rounded to
  2 decimals (money.round_hours) for reporting. Sum ``seconds`` (not ``hours``) for totals.

Callers that compute a month load entries from ``max_session_hours`` before the month start to
``max_session_hours`` after its end, then keep the sessions whose ``work_date`` is in the month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from ... import bangkok, money

DEFAULT_MAX_SESSION_HOURS = 16

MISSING_CLOCK_OUT = "missing_clock_out"
ORPHAN_CLOCK_OUT = "orphan_clock_out"

SESSION_COLUMNS = [
    "staff_id",
    "clock_in",
    "clock_out",
    "work_date",
    "seconds",
    "hours",
    "flag",
    "clock_in_id",
    "clock_out_id",
]


def empty_sessions() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in SESSION_COLUMNS})


def _aware(value) -> dt.datetime:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError("time entry timestamps must be timezone-aware")
    return stamp.tz_convert(bangkok.BANGKOK).to_pydatetime()


def compute_sessions(
    entries: pd.DataFrame, max_session_hours: int | Decimal | str = DEFAULT_MAX_SESSION_HOURS
) -> pd.DataFrame:
    """Pair clock-ins with clock-outs into sessions (one row per session or flagged entry).

    ``entries`` has columns ``staff_id``, ``action`` (clock_in | clock_out) and ``timestamp``
    (timezone-aware), optionally ``id``. The result has ``SESSION_COLUMNS``: ``clock_in`` /
    ``clock_out`` are aware Bangkok datetimes or None, ``work_date`` a ``datetime.date``,
    ``seconds`` an int, ``hours`` a Decimal with 2 decimals, ``flag`` None or one of
    ``missing_clock_out`` / ``orphan_clock_out``, ``clock_in_id`` / ``clock_out_id`` the entry ids
    (None without an ``id`` column). Rows are ordered by staff_id, then time.
    """
    if entries is None or len(entries) == 0:
        return empty_sessions()
    missing = {"staff_id", "action", "timestamp"} - set(entries.columns)
    if missing:
        raise ValueError(f"entries lack the columns {sorted(missing)}")
    limit = dt.timedelta(seconds=int(money.to_decimal(max_session_hours) * 3600))
    has_id = "id" in entries.columns

    records = []
    for row in entries.itertuples(index=False):
        action = row.action
        if action not in ("clock_in", "clock_out"):
            raise ValueError(f"unknown time entry action {action!r}")
        records.append(
            (
                row.staff_id,
                _aware(row.timestamp),
                row.id if has_id else None,
                action,
            )
        )
    # Sort by person, time, then id (None-safe) for a stable, reproducible order.
    records.sort(key=lambda r: (r[0], r[1], r[2] if r[2] is not None else 0))

    zero = money.round_hours(0)
    rows: list[tuple] = []
    open_in: tuple | None = None  # (staff_id, timestamp, id) of a clock_in awaiting its clock_out

    def close_missing() -> None:
        staff, stamp, entry_id = open_in
        rows.append(
            (
                staff,
                stamp,
                None,
                bangkok.bangkok_date(stamp),
                0,
                zero,
                MISSING_CLOCK_OUT,
                entry_id,
                None,
            )
        )

    for staff, stamp, entry_id, action in records:
        if open_in is not None and open_in[0] != staff:
            close_missing()
            open_in = None
        if action == "clock_in":
            if open_in is not None:
                close_missing()  # the next entry after a clock_in is not a clock_out
            open_in = (staff, stamp, entry_id)
            continue
        # a clock_out
        if open_in is not None and stamp - open_in[1] <= limit:
            seconds = int((stamp - open_in[1]).total_seconds())
            rows.append(
                (
                    staff,
                    open_in[1],
                    stamp,
                    bangkok.bangkok_date(open_in[1]),
                    seconds,
                    money.round_hours(money.hours_from_seconds(seconds)),
                    None,
                    open_in[2],
                    entry_id,
                )
            )
            open_in = None
            continue
        if open_in is not None:  # the clock_out comes too late to close it
            close_missing()
            open_in = None
        rows.append(
            (
                staff,
                None,
                stamp,
                bangkok.bangkok_date(stamp),
                0,
                zero,
                ORPHAN_CLOCK_OUT,
                None,
                entry_id,
            )
        )
    if open_in is not None:
        close_missing()

    columns = list(zip(*rows)) if rows else [()] * len(SESSION_COLUMNS)
    sessions = pd.DataFrame(
        {
            name: pd.Series(list(values), dtype=object)
            for name, values in zip(SESSION_COLUMNS, columns)
        }
    )
    sessions["seconds"] = sessions["seconds"].astype("int64")
    return sessions


# --- flagged sessions: what a person corrects, and the flags per person and kind ---------------


def _when(moment) -> str:
    return moment.astimezone(bangkok.BANGKOK).strftime("%Y-%m-%d %H:%M")


def compute_correctable_entries(flagged: pd.DataFrame) -> list[tuple]:
    """Per flagged session (``staff_name`` + the session columns): (label, entry id, suggested
    action add|delete, the entry's time, a hint), as the entry-correction form offers them."""
    found = []
    for row in flagged.itertuples(index=False):
        missing = row.flag == MISSING_CLOCK_OUT
        entry_id = row.clock_in_id if missing else row.clock_out_id
        moment = row.clock_in if missing else row.clock_out
        if entry_id is None or moment is None:
            continue
        label = f"{row.staff_name}: {row.flag.replace('_', ' ')} – {_when(moment)} (#{entry_id})"
        hint = (
            "add the clock-out this person forgot (set the time)"
            if missing
            else "delete this clock-out without a clock-in, or edit its time"
        )
        said = f"{row.staff_name}, {row.flag.replace('_', ' ')} at {_when(moment)}: {hint}."
        found.append((label, int(entry_id), "add" if missing else "delete", moment, said))
    return found


def compute_flag_groups(flagged: pd.DataFrame) -> pd.DataFrame:
    """Flagged sessions per person and kind: staff_id, staff_name, flag, count, first and last
    work_date; the most flags first."""
    columns = ["staff_id", "staff_name", "flag", "count", "first", "last"]
    if not len(flagged):
        return pd.DataFrame(columns=columns)
    groups = (
        flagged.groupby(["staff_id", "staff_name", "flag"], dropna=False)["work_date"]
        .agg(["count", "min", "max"])
        .reset_index()
        .rename(columns={"min": "first", "max": "last"})
    )
    groups["count"] = groups["count"].astype(int)
    return groups.sort_values(["count", "staff_name", "flag"], ascending=[False, True, True],
                              kind="stable").reset_index(drop=True)[columns]
