"""Schedules and attendance, the pure rules of business-rules §2. No database here.

- ``compute_generated_shifts``: which shifts a weekly-pattern generation creates, and which it
  skips (and why) because they would overlap a shift of the same person on the same date.
- ``compute_attendance``: per scheduled shift, on time / late (minutes) / left early / no show,
  and the sessions that overlap no shift (unscheduled work).
- The attendance explorer's period (``compute_period``: at most ``MAX_DAYS`` days), status
  filter, order, pages and per-day counts.

Decisions where §2 is silent (also in docs/managers.md, "Staff and time clock"):
- Lateness comes from the first session overlapping the shift; leaving early from the *last*
  one, so a break (clock out for lunch, clock in again) is not "left early".
- Late and early minutes are whole minutes, rounded down; "at most 5 minutes" is inclusive.
- A session without a clock-out overlaps a shift when its clock-in is before the shift end on the
  shift's date; whether the person left early is then unknown (``left_early`` None). A session
  still open at ``as_of`` (within ``max_session_hours``) is ``in_progress`` and counts as lasting
  until ``as_of``.
- A shift that has not started at ``as_of`` and has no session yet is ``upcoming``, not a no-show.
- Orphan clock-outs (no clock-in) neither attend a shift nor count as unscheduled work; they are
  review flags of the sessions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from ... import bangkok, money

GRACE_MINUTES = 5

ON_TIME = "on_time"
LATE = "late"
NO_SHOW = "no_show"
UPCOMING = "upcoming"
UNSCHEDULED = "unscheduled"

ATTENDANCE_COLUMNS = [
    "staff_id",
    "work_date",
    "shift_id",
    "shift_start",
    "shift_end",
    "clock_in",
    "clock_out",
    "status",
    "minutes_late",
    "left_early",
    "minutes_early",
    "session_flag",
    "hours",
]
SUMMARY_COLUMNS = [
    "staff_id",
    "shifts",
    "on_time",
    "late",
    "no_show",
    "left_early",
    "minutes_late",
    "unscheduled_sessions",
    "unscheduled_hours",
    "punctuality_pct",
]


def day_of_week(day: dt.date) -> int:
    """0 = Sunday ... 6 = Saturday, as staff_weekly_schedules.day_of_week."""
    return (day.weekday() + 1) % 7


def _overlaps(start_a, end_a, start_b, end_b) -> bool:
    """Half-open intervals [start, end): touching intervals do not overlap."""
    return start_a < end_b and start_b < end_a


# --- schedule generation ---------------------------------------------------------------------


ALREADY_EXISTS = "already exists"


def compute_skip_reason(start: dt.time, end: dt.time, clash: tuple[dt.time, dt.time]) -> str:
    """Why a planned shift is skipped: the same shift already exists (the same times), or it
    overlaps a different shift of that person, named."""
    if (start, end) == tuple(clash):
        return f"the shift {start:%H:%M}-{end:%H:%M} {ALREADY_EXISTS}"
    return f"overlaps the shift {clash[0]:%H:%M}-{clash[1]:%H:%M}"


def is_already_existing(reason: str) -> bool:
    return str(reason).endswith(ALREADY_EXISTS)


def compute_generated_shifts(
    patterns: pd.DataFrame, existing: pd.DataFrame, date_from: dt.date, date_to: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shifts to create from active weekly patterns for each date, and the ones skipped.

    ``patterns``: id, staff_id, day_of_week, start_time, end_time, location, is_active.
    ``existing``: staff_id, schedule_date, start_time, end_time (shifts already in the range).
    Returns (planned, skipped): planned has staff_id, schedule_date, start_time, end_time,
    location, pattern_id; skipped has the same plus ``reason``.
    """
    if date_to < date_from:
        raise ValueError("the range ends before it starts")
    taken: dict[tuple, list[tuple[dt.time, dt.time]]] = {}
    for row in existing.itertuples(index=False):
        taken.setdefault((row.staff_id, row.schedule_date), []).append(
            (row.start_time, row.end_time)
        )
    by_day: dict[int, list] = {}
    active = (
        patterns[patterns["is_active"].fillna(True).astype(bool)] if len(patterns) else patterns
    )
    ordered = (
        active.sort_values(["staff_id", "day_of_week", "start_time"]) if len(active) else active
    )
    for row in ordered.itertuples(index=False):
        by_day.setdefault(int(row.day_of_week), []).append(row)

    planned, skipped = [], []
    day = date_from
    while day <= date_to:
        for row in by_day.get(day_of_week(day), []):
            shift = {
                "staff_id": row.staff_id,
                "schedule_date": day,
                "start_time": row.start_time,
                "end_time": row.end_time,
                "location": row.location,
                "pattern_id": row.id,
            }
            others = taken.setdefault((row.staff_id, day), [])
            clash = next(
                ((s, e) for s, e in others if _overlaps(row.start_time, row.end_time, s, e)), None
            )
            if clash is not None:
                skipped.append(
                    {**shift, "reason": compute_skip_reason(row.start_time, row.end_time, clash)}
                )
                continue
            others.append((row.start_time, row.end_time))
            planned.append(shift)
        day += dt.timedelta(days=1)
    columns = ["staff_id", "schedule_date", "start_time", "end_time", "location", "pattern_id"]
    return (
        pd.DataFrame(planned, columns=columns),
        pd.DataFrame(skipped, columns=[*columns, "reason"]),
    )


# --- attendance ------------------------------------------------------------------------------


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds()) // 60


def compute_attendance(
    shifts: pd.DataFrame,
    sessions: pd.DataFrame,
    *,
    as_of: dt.datetime | None = None,
    grace_minutes: int = GRACE_MINUTES,
    max_session_hours: int = 16,
) -> pd.DataFrame:
    """One row per shift (on_time | late | no_show | upcoming) and per unscheduled session.

    ``shifts``: id, staff_id, schedule_date, start_time, end_time (Bangkok wall-clock times).
    ``sessions``: the output of ``sessions.compute_sessions``.
    ``as_of``: the current time for shifts still to come and sessions still open (None: all past).
    """
    grace = dt.timedelta(minutes=grace_minutes)
    open_limit = dt.timedelta(hours=max_session_hours)
    candidates: dict[tuple, list[int]] = {}
    session_rows = []
    for index, row in enumerate(sessions.itertuples(index=False)):
        if row.clock_in is None:  # an orphan clock-out attends nothing
            continue
        session_rows.append(row)
        candidates.setdefault((row.staff_id, row.work_date), []).append(len(session_rows) - 1)
    used = [False] * len(session_rows)

    def flag_of(session) -> str | None:
        if session.flag is None:
            return None
        if (
            as_of is not None
            and session.clock_out is None
            and as_of - session.clock_in < open_limit
        ):
            return "in_progress"
        return session.flag

    rows = []
    for shift in shifts.itertuples(index=False):
        start = bangkok.at(shift.schedule_date, shift.start_time)
        end = bangkok.at(shift.schedule_date, shift.end_time)
        overlapping = []
        for day in (shift.schedule_date - dt.timedelta(days=1), shift.schedule_date):
            for i in candidates.get((shift.staff_id, day), []):
                session = session_rows[i]
                if session.clock_out is not None:
                    hit = _overlaps(session.clock_in, session.clock_out, start, end)
                elif flag_of(session) == "in_progress":  # still open: it has lasted until as_of
                    hit = _overlaps(session.clock_in, as_of, start, end)
                else:
                    hit = session.work_date == shift.schedule_date and session.clock_in < end
                if hit:
                    overlapping.append(i)
                    used[i] = True
        base = {
            "staff_id": shift.staff_id,
            "work_date": shift.schedule_date,
            "shift_id": shift.id,
            "shift_start": start,
            "shift_end": end,
        }
        if not overlapping:
            status = UPCOMING if as_of is not None and start > as_of else NO_SHOW
            rows.append(
                {
                    **base,
                    "clock_in": None,
                    "clock_out": None,
                    "status": status,
                    "minutes_late": None,
                    "left_early": None,
                    "minutes_early": None,
                    "session_flag": None,
                    "hours": money.round_hours(0),
                }
            )
            continue
        overlapping.sort(key=lambda i: session_rows[i].clock_in)
        first, last = session_rows[overlapping[0]], session_rows[overlapping[-1]]
        late_by = first.clock_in - start
        status = LATE if late_by > grace else ON_TIME
        left_early, minutes_early = None, None
        if last.clock_out is not None:
            early_by = end - last.clock_out
            left_early = early_by > grace
            minutes_early = _minutes(early_by) if left_early else 0
        seconds = sum(int(session_rows[i].seconds) for i in overlapping)
        rows.append(
            {
                **base,
                "clock_in": first.clock_in,
                "clock_out": last.clock_out,
                "status": status,
                "minutes_late": _minutes(late_by) if status == LATE else 0,
                "left_early": left_early,
                "minutes_early": minutes_early,
                "session_flag": next(
                    (flag_of(session_rows[i]) for i in overlapping if session_rows[i].flag), None
                ),
                "hours": money.round_hours(money.hours_from_seconds(seconds)),
            }
        )

    for i, session in enumerate(session_rows):
        if used[i]:
            continue
        rows.append(
            {
                "staff_id": session.staff_id,
                "work_date": session.work_date,
                "shift_id": None,
                "shift_start": None,
                "shift_end": None,
                "clock_in": session.clock_in,
                "clock_out": session.clock_out,
                "status": UNSCHEDULED,
                "minutes_late": None,
                "left_early": None,
                "minutes_early": None,
                "session_flag": flag_of(session),
                "hours": session.hours,
            }
        )
    rows.sort(key=lambda r: (r["work_date"], str(r["staff_id"]), r["shift_start"] or r["clock_in"]))
    return pd.DataFrame(
        {c: pd.Series([r[c] for r in rows], dtype=object) for c in ATTENDANCE_COLUMNS}
    )


def compute_attendance_summary(attendance: pd.DataFrame) -> pd.DataFrame:
    """Per person: shifts, on time, late, no-shows, left early, minutes late, unscheduled work.

    ``punctuality_pct`` = on-time shifts ÷ attended shifts × 100 (2 decimals; None without any).
    Upcoming shifts are not counted.
    """
    totals: dict = {}
    for row in attendance.itertuples(index=False):
        t = totals.setdefault(
            row.staff_id,
            {
                "staff_id": row.staff_id,
                "shifts": 0,
                "on_time": 0,
                "late": 0,
                "no_show": 0,
                "left_early": 0,
                "minutes_late": 0,
                "unscheduled_sessions": 0,
                "unscheduled_hours": money.round_hours(0),
            },
        )
        if row.status == UPCOMING:
            continue
        if row.status == UNSCHEDULED:
            t["unscheduled_sessions"] += 1
            t["unscheduled_hours"] += row.hours
            continue
        t["shifts"] += 1
        t[row.status] += 1
        if row.left_early:
            t["left_early"] += 1
        if row.status == LATE:
            t["minutes_late"] += int(row.minutes_late)
    for t in totals.values():
        attended = t["on_time"] + t["late"]
        t["punctuality_pct"] = (
            money.round_hours(Decimal(t["on_time"] * 100) / Decimal(attended)) if attended else None
        )
    ordered = sorted(totals.values(), key=lambda t: str(t["staff_id"]))
    return pd.DataFrame(
        {c: pd.Series([t[c] for t in ordered], dtype=object) for c in SUMMARY_COLUMNS}
    )


# --- the attendance explorer: a checked period, filters, order, pages, per-day counts ----------

MAX_DAYS = 366
MAX_PAGE_SIZE = 500
STATUSES = {
    "any": "",
    "on time": ON_TIME,
    "late": LATE,
    "left early": "left_early",
    "no show": NO_SHOW,
    "unscheduled": UNSCHEDULED,
}


def compute_period(
    start: dt.date | None, end: dt.date | None, *, max_days: int = MAX_DAYS
) -> tuple[dt.date, dt.date]:
    """A checked period: both dates set, in order, at most ``max_days`` days (inclusive)."""
    if start is None or end is None:
        raise ValueError("choose both a From and a To date")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    days = (end - start).days + 1
    if days > max_days:
        raise ValueError(
            f"the period is {days} days; choose at most {max_days} days "
            f"(for example {end - dt.timedelta(days=max_days - 1)} to {end})"
        )
    return start, end


def compute_filtered(rows: pd.DataFrame, status: str = "") -> pd.DataFrame:
    """Rows of one status ("" all); ``left_early`` keeps the shifts left early (any lateness)."""
    if not status:
        return rows
    if status == "left_early":
        keep = rows["left_early"].map(lambda v: v is True)
    else:
        keep = rows["status"] == status
    return rows[keep.astype(bool)]


def compute_newest_first(rows: pd.DataFrame) -> pd.DataFrame:
    """Newest shift (or session) first: by date, then start time, descending."""
    if not len(rows):
        return rows
    start = [s if s is not None else c for s, c in zip(rows["shift_start"], rows["clock_in"])]
    order = sorted(range(len(rows)), key=lambda i: (rows["work_date"].iloc[i], start[i]))
    return rows.iloc[list(reversed(order))].reset_index(drop=True)


def compute_page(rows: pd.DataFrame, page: int, page_size: int) -> tuple[pd.DataFrame, int, int]:
    """(the rows of ``page``, page clamped to what exists, number of pages); pages count from 1."""
    size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    pages = max(1, -(-len(rows) // size))
    page = min(max(int(page), 1), pages)
    return rows.iloc[(page - 1) * size : page * size], page, pages


def compute_daily_counts(rows: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Late and no-show shifts per day, every day of the period (zeros included)."""
    counts = {start + dt.timedelta(days=i): [0, 0] for i in range((end - start).days + 1)}
    for day, status in zip(rows["work_date"], rows["status"]):
        if day in counts and status in (LATE, NO_SHOW):
            counts[day][0 if status == LATE else 1] += 1
    return pd.DataFrame(
        [(day, late, no_show) for day, (late, no_show) in counts.items()],
        columns=["day", "late", "no_show"],
    )
