"""Shifts and weekly patterns: creation, generation from patterns, and the attendance report.

The overlap rule (no two shifts of one person overlapping on a date; touching is fine) is enforced
by the database's exclusion constraint ``ex_staff_schedules_no_overlap`` for every writer; the
library checks first to say which shift clashes, and inserts each shift in a savepoint so that a
clash found only by the database (a concurrent writer) is skipped and reported, not fatal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit, bangkok
from ..queries import schedules as queries
from ..queries import timeclock as timeclock_queries
from ..queries.refusals import DatabaseRefused
from ..rules import attendance, sessions
from . import timeclock
from .people import resolve_staff

AREA = "schedules"
TEMPLATE = "weekly_template"


class ScheduleError(ValueError):
    """A schedule change a person can fix (overlap, times in the wrong order, unknown person)."""


@dataclasses.dataclass
class GenerationReport:
    created: pd.DataFrame
    skipped: pd.DataFrame

    def summary(self) -> str:
        """"created 3 shifts, skipped 1 overlapping"; identical shifts that already exist are
        counted apart ("created 0 shifts, 66 already exist, skipped 0 overlapping")."""
        existing = self.existing_count()
        overlapping = len(self.skipped) - existing
        return (
            f"created {len(self.created)} shifts, "
            + (f"{existing} already exist, " if existing else "")
            + f"skipped {overlapping} overlapping"
        )

    def existing_count(self) -> int:
        """Skipped shifts that already exist as they are (the same person, date and times)."""
        if self.skipped.empty:
            return 0
        return int(sum(attendance.is_already_existing(r) for r in self.skipped["reason"]))


# --- loading -----------------------------------------------------------------------------------


def load_shifts(conn: Connection, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    return queries.load_shifts(conn, date_from, date_to)


def load_patterns(conn: Connection, *, active_staff_only: bool = True) -> pd.DataFrame:
    return queries.load_patterns(conn, active_staff_only=active_staff_only)


# --- writing -----------------------------------------------------------------------------------


def _check_times(start: dt.time, end: dt.time) -> None:
    if end <= start:
        raise ScheduleError(
            f"a shift ends after it starts ({start:%H:%M}-{end:%H:%M}); no overnight shifts"
        )


def _insert_shift(conn: Connection, values: dict) -> Any:
    """Insert (in a savepoint); an overlap found by the database becomes a ScheduleError."""
    try:
        return queries.save_new_shift(conn, values)
    except DatabaseRefused as exc:
        raise ScheduleError(str(exc)) from exc


def create_shift(
    conn: Connection,
    user_email: str,
    staff_ref: Any,
    schedule_date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    *,
    location: str | None = None,
    notes: str | None = None,
) -> Any:
    """One shift; refused with the clashing shift named if it overlaps another of that person."""
    access.check(conn, user_email, AREA, admin=True)
    person = resolve_staff(conn, staff_ref)
    _check_times(start_time, end_time)
    clash = queries.load_clash(conn, person["id"], schedule_date, start_time, end_time)
    if clash is not None:
        raise ScheduleError(
            f"{person['staff_name']} already has the shift {clash.start_time:%H:%M}-"
            f"{clash.end_time:%H:%M} on {schedule_date}"
        )
    values = {
        "staff_id": person["id"],
        "schedule_date": schedule_date,
        "start_time": start_time,
        "end_time": end_time,
        "location": location,
        "notes": notes,
        "created_by": user_email,
    }
    shift_id = _insert_shift(conn, values)
    audit.record(conn, user_email, "CREATE", "staff_schedules", shift_id, after=values)
    return shift_id


def create_shifts(conn: Connection, user_email: str, shifts: pd.DataFrame) -> GenerationReport:
    """Bulk creation (staff_id, schedule_date, start_time, end_time[, location, notes]): each
    overlapping shift is skipped and reported, the others are created (**fix**: bulk creation
    ignored the overlap rule)."""
    access.check(conn, user_email, AREA, admin=True)
    rows = [dict(r._asdict()) for r in shifts.itertuples(index=False)]
    for row in rows:
        _check_times(row["start_time"], row["end_time"])
        row.setdefault("location", None)
        row.setdefault("notes", None)
        row["created_by"] = user_email
    report = _save_planned(conn, rows)
    audit.record(
        conn,
        user_email,
        "BULK_CREATE",
        "staff_schedules",
        details={
            "created_ids": list(report.created["id"]),
            "skipped": report.skipped.to_dict("records"),
        },
    )
    return report


def _save_planned(conn: Connection, rows: list[dict]) -> GenerationReport:
    created, skipped = [], []
    for row in rows:
        values = {
            k: row.get(k)
            for k in (
                "staff_id",
                "schedule_date",
                "start_time",
                "end_time",
                "location",
                "notes",
                "created_by",
            )
        }
        clash = queries.load_clash(
            conn,
            values["staff_id"],
            values["schedule_date"],
            values["start_time"],
            values["end_time"],
        )
        if clash is not None:
            skipped.append(
                {
                    **values,
                    "reason": attendance.compute_skip_reason(
                        values["start_time"], values["end_time"], (clash.start_time, clash.end_time)
                    ),
                }
            )
            continue
        try:
            created.append({**values, "id": _insert_shift(conn, values)})
        except ScheduleError as exc:
            skipped.append({**values, "reason": str(exc)})
    columns = [
        "staff_id",
        "schedule_date",
        "start_time",
        "end_time",
        "location",
        "notes",
        "created_by",
    ]
    return GenerationReport(
        pd.DataFrame(created, columns=["id", *columns]),
        pd.DataFrame(skipped, columns=[*columns, "reason"]),
    )


def create_weekly_pattern(
    conn: Connection,
    user_email: str,
    staff_ref: Any,
    day_of_week: int,
    start_time: dt.time,
    end_time: dt.time,
    *,
    location: str | None = None,
) -> Any:
    access.check(conn, user_email, AREA, admin=True)
    person = resolve_staff(conn, staff_ref)
    if day_of_week not in range(7):
        raise ScheduleError("day_of_week is 0 (Sunday) to 6 (Saturday)")
    _check_times(start_time, end_time)
    values = {
        "staff_id": person["id"],
        "day_of_week": day_of_week,
        "start_time": start_time,
        "end_time": end_time,
        "location": location,
        "is_active": True,
    }
    pattern_id = queries.save_new_pattern(conn, values)
    audit.record(conn, user_email, "CREATE", "staff_weekly_schedules", pattern_id, after=values)
    return pattern_id


def set_pattern_active(conn: Connection, user_email: str, pattern_id: Any, active: bool) -> None:
    access.check(conn, user_email, AREA, admin=True)
    before = queries.load_pattern_active(conn, pattern_id)
    if before is None:
        raise ScheduleError(f"no weekly pattern {pattern_id}")
    queries.save_pattern_active(conn, pattern_id, active)
    audit.record(
        conn,
        user_email,
        "UPDATE",
        "staff_weekly_schedules",
        pattern_id,
        before={"is_active": before},
        after={"is_active": active},
    )


def _plan_generation(conn: Connection, date_from: dt.date, date_to: dt.date):
    """(planned, skipped) shifts of the active weekly patterns for the dates (nothing saved)."""
    if date_to < date_from:
        raise ScheduleError("--to is before --from")
    if (date_to - date_from).days > 366:
        raise ScheduleError("generate at most one year at a time")
    patterns = load_patterns(conn)
    existing = load_shifts(conn, date_from, date_to)
    return attendance.compute_generated_shifts(patterns, existing, date_from, date_to)


def run_generate_schedules(
    conn: Connection, user_email: str, date_from: dt.date, date_to: dt.date
) -> GenerationReport:
    """Create each date's shifts from the active weekly patterns of that weekday
    (``created_by = 'weekly_template'``), skipping and reporting the ones that would overlap."""
    access.check(conn, user_email, AREA, admin=True)
    planned, skipped = _plan_generation(conn, date_from, date_to)
    rows = [dict(r, created_by=TEMPLATE, notes=None) for r in planned.to_dict("records")]
    report = _save_planned(conn, rows)
    if len(skipped):
        earlier = skipped.drop(columns=["pattern_id"]).assign(created_by=TEMPLATE, notes=None)
        report.skipped = pd.concat(
            [earlier[report.skipped.columns], report.skipped], ignore_index=True
        )
    audit.record(
        conn,
        user_email,
        "GENERATE",
        "staff_schedules",
        details={
            "from": date_from,
            "to": date_to,
            "created": len(report.created),
            "created_ids": list(report.created["id"]),
            "skipped": report.skipped.to_dict("records"),
        },
    )
    return report


def _shift_row(conn: Connection, shift_id: Any, *, lock: bool = False) -> dict:
    row = queries.load_shift(conn, shift_id, lock=lock)
    if row is None:
        raise ScheduleError(f"no shift {shift_id}")
    return row


def update_shift(
    conn: Connection,
    user_email: str,
    shift_id: Any,
    *,
    schedule_date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    location: str | None = None,
    notes: str | None = None,
) -> dict:
    """Move or resize a shift; refused with the clashing shift named if it would overlap."""
    access.check(conn, user_email, AREA, admin=True)
    before = _shift_row(conn, shift_id, lock=True)
    _check_times(start_time, end_time)
    clash = queries.load_clash(conn, before["staff_id"], schedule_date, start_time, end_time,
                               other_than=before["id"])
    if clash is not None:
        raise ScheduleError(
            f"{before['staff_name']} already has the shift {clash.start_time:%H:%M}-"
            f"{clash.end_time:%H:%M} on {schedule_date}"
        )
    values = {
        "schedule_date": schedule_date,
        "start_time": start_time,
        "end_time": end_time,
        "location": location,
        "notes": notes,
    }
    try:
        queries.save_shift(conn, before["id"], values)
    except DatabaseRefused as exc:
        raise ScheduleError(str(exc)) from exc
    keys = ("staff_id", *values)
    audit.record(
        conn,
        user_email,
        "UPDATE",
        "staff_schedules",
        before["id"],
        before={k: before[k] for k in keys},
        after={"staff_id": before["staff_id"], **values},
    )
    return {**before, **values}


def delete_shift(conn: Connection, user_email: str, shift_id: Any) -> dict:
    access.check(conn, user_email, AREA, admin=True)
    before = _shift_row(conn, shift_id, lock=True)
    queries.delete_shift(conn, before["id"])
    audit.record(
        conn,
        user_email,
        "DELETE",
        "staff_schedules",
        before["id"],
        before={k: v for k, v in before.items() if k != "id"},
    )
    return before


def preview_generate_schedules(
    conn: Connection, user_email: str, date_from: dt.date, date_to: dt.date
) -> GenerationReport:
    """What ``run_generate_schedules`` would create and skip (with the reason), saving nothing."""
    access.check(conn, user_email, AREA, admin=True)
    planned, skipped = _plan_generation(conn, date_from, date_to)
    names = queries.load_staff_names(conn)
    created = planned.drop(columns=["pattern_id"]).assign(created_by=TEMPLATE, notes=None)
    skipped = skipped.drop(columns=["pattern_id"]).assign(created_by=TEMPLATE, notes=None)
    for frame in (created, skipped):
        frame.insert(1, "staff_name", frame["staff_id"].map(names).astype(object))
    return GenerationReport(created, skipped)


# --- the attendance report -------------------------------------------------------------------


def load_attendance(
    conn: Connection, date_from: dt.date, date_to: dt.date, *, as_of: dt.datetime | None = None
) -> pd.DataFrame:
    """Attendance rows (attendance.ATTENDANCE_COLUMNS + staff_name) for shifts and sessions dated
    ``date_from``..``date_to``; ``as_of`` defaults to now (shifts to come are ``upcoming``)."""
    as_of = as_of or bangkok.now()
    limits = timeclock.load_timeclock_settings(conn)
    window = dt.timedelta(hours=limits["max_session_hours"])
    entries = timeclock_queries.load_entries(
        conn, bangkok.at(date_from) - window, bangkok.at(date_to + dt.timedelta(days=1)) + window
    )
    worked = sessions.compute_sessions(entries, limits["max_session_hours"])
    in_range = worked["work_date"].map(lambda d: date_from - dt.timedelta(days=1) <= d <= date_to)
    shifts = load_shifts(conn, date_from, date_to)
    result = attendance.compute_attendance(
        shifts,
        worked[in_range.astype(bool)] if len(worked) else worked,
        as_of=as_of,
        max_session_hours=limits["max_session_hours"],
    )
    result = result[result["work_date"].map(lambda d: date_from <= d <= date_to).astype(bool)]
    names = queries.load_staff_names(conn)
    result.insert(1, "staff_name", result["staff_id"].map(names).astype(object))
    return result.reset_index(drop=True)
