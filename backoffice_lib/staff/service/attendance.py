"""Attendance reads (business-rules §2): the explorer's period for one person or everyone, and
the sessions flagged for review (a missing or orphan clock-out) of the staff dashboard.

``load_explorer_*`` check the attendance area on the caller's connection (every allowed user,
business-rules §8 keeps "audit" for admins) and are what the attendance explorer calls.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, bangkok
from ..queries import attendance as queries
from ..queries import timeclock as timeclock_queries
from ..rules import attendance, sessions
from . import people, schedules, timeclock

# The explorer shows attendance, not the audit trail: the area of the attendance report it
# replaces (open to every allowed user).
AREA = "attendance"
ADMIN = False
STAFF_AREA = people.AREA  # the staff dashboard: admins
REVIEW_FLAGS = (sessions.MISSING_CLOCK_OUT, sessions.ORPHAN_CLOCK_OUT)


def load_period_attendance(
    conn: Connection,
    start: dt.date,
    end: dt.date,
    staff_id: int | None = None,
    *,
    as_of: dt.datetime | None = None,
) -> pd.DataFrame:
    """Attendance rows (``attendance.ATTENDANCE_COLUMNS`` + staff_name) of the period only.

    Time entries are read by a timestamp range (the period widened by the longest session, so a
    shift's overnight session is seen), which lets PostgreSQL prune monthly partitions."""
    start, end = attendance.compute_period(start, end)
    as_of = as_of or bangkok.now()
    limits = timeclock.load_timeclock_settings(conn)
    window = dt.timedelta(hours=int(limits["max_session_hours"]))
    entries = timeclock_queries.load_entries(
        conn,
        bangkok.at(start) - window,
        bangkok.at(end + dt.timedelta(days=1)) + window,
        [staff_id] if staff_id is not None else None,
    )
    worked = sessions.compute_sessions(entries, limits["max_session_hours"])
    if len(worked):
        first = start - dt.timedelta(days=1)
        worked = worked[worked["work_date"].map(lambda d: first <= d <= end).astype(bool)]
    result = attendance.compute_attendance(
        queries.load_period_shifts(conn, start, end, staff_id),
        worked,
        as_of=as_of,
        max_session_hours=limits["max_session_hours"],
    )
    result = result[result["work_date"].map(lambda d: start <= d <= end).astype(bool)]
    names = queries.load_staff_names(conn, sorted({int(s) for s in result["staff_id"]}))
    result = result.reset_index(drop=True)
    result.insert(1, "staff_name", result["staff_id"].map(names).astype(object))
    return result


def load_explorer_people(conn: Connection, user_email: str) -> list[tuple[str, int]]:
    """The explorer's people to pick, for an allowed user."""
    access.check(conn, user_email, AREA, admin=ADMIN)
    return queries.load_staff_options(conn)


def load_explorer_attendance(
    conn: Connection, user_email: str, start: dt.date, end: dt.date, staff_id: int | None = None
) -> pd.DataFrame:
    """The explorer's rows of a period (at most ``attendance.MAX_DAYS`` days), for an allowed
    user."""
    access.check(conn, user_email, AREA, admin=ADMIN)
    return load_period_attendance(conn, start, end, staff_id)


def load_flagged_sessions(conn: Connection, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    """Sessions with a review flag (missing / orphan clock-out) dated in the period, with names."""
    limits = timeclock.load_timeclock_settings(conn)
    window = dt.timedelta(hours=limits["max_session_hours"])
    entries = timeclock_queries.load_entries(
        conn, bangkok.at(date_from) - window, bangkok.at(date_to + dt.timedelta(days=1)) + window
    )
    worked = sessions.compute_sessions(entries, limits["max_session_hours"])
    now = bangkok.now()
    keep = worked["flag"].isin(REVIEW_FLAGS) & worked["work_date"].map(
        lambda d: date_from <= d <= date_to
    ).astype(bool)
    # a clock-in of the last max_session_hours is still open, not missing its clock-out
    still_open = worked["clock_in"].map(lambda t: t is not None and now - t < window).astype(bool)
    flagged = worked[keep & ~(still_open & (worked["flag"] == sessions.MISSING_CLOCK_OUT))]
    names = dict(zip(entries["staff_id"], entries["staff_name"], strict=False))
    flagged = flagged.copy()
    flagged.insert(1, "staff_name", flagged["staff_id"].map(names).astype(object))
    return flagged.reset_index(drop=True)


def load_staff_today(conn: Connection, user_email: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The staff dashboard's today (an admin area): (the people clocked in now, today's
    attendance rows)."""
    access.check(conn, user_email, STAFF_AREA)
    today = bangkok.today()
    roster = people.load_staff(conn)
    rows = schedules.load_attendance(conn, today, today, as_of=bangkok.now())
    return roster[roster["currently_clocked_in"].astype(bool)], rows


def load_staff_period(
    conn: Connection, user_email: str, date_from: dt.date, date_to: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The staff dashboard's period (an admin area): (attendance rows, flagged sessions)."""
    access.check(conn, user_email, STAFF_AREA)
    rows = schedules.load_attendance(conn, date_from, date_to, as_of=bangkok.now())
    return rows, load_flagged_sessions(conn, date_from, date_to)
