"""SQL of ``staff_schedules`` (shifts) and ``staff_weekly_schedules`` (weekly patterns). The
exclusion constraint ``ex_staff_schedules_no_overlap`` refuses overlapping shifts of one person
for every writer; the inserts and updates here run in a savepoint so that such a refusal is
``DatabaseRefused`` and the caller's transaction goes on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...models.core import Staff, StaffSchedule, StaffWeeklySchedule
from .refusals import DatabaseRefused

STAFF = Staff.__table__
SHIFTS = StaffSchedule.__table__
PATTERNS = StaffWeeklySchedule.__table__
SHIFT_COLUMNS = [
    "id",
    "staff_id",
    "staff_name",
    "schedule_date",
    "start_time",
    "end_time",
    "location",
    "notes",
    "created_by",
]
PATTERN_COLUMNS = ["id", "staff_id", "staff_name", "day_of_week", "start_time", "end_time",
                   "location", "is_active"]
OVERLAP = "overlaps another shift of the same person (found by the database)"


def load_shifts(conn: Connection, date_from: dt.date, date_to: dt.date) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(
            SHIFTS.c.id,
            SHIFTS.c.staff_id,
            STAFF.c.staff_name,
            SHIFTS.c.schedule_date,
            SHIFTS.c.start_time,
            SHIFTS.c.end_time,
            SHIFTS.c.location,
            SHIFTS.c.notes,
            SHIFTS.c.created_by,
        )
        .join(STAFF, STAFF.c.id == SHIFTS.c.staff_id)
        .where(SHIFTS.c.schedule_date.between(date_from, date_to))
        .order_by(SHIFTS.c.schedule_date, SHIFTS.c.start_time, STAFF.c.staff_name)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SHIFT_COLUMNS)


def load_patterns(conn: Connection, *, active_staff_only: bool = True) -> pd.DataFrame:
    query = (
        sa.select(
            PATTERNS.c.id,
            PATTERNS.c.staff_id,
            STAFF.c.staff_name,
            PATTERNS.c.day_of_week,
            PATTERNS.c.start_time,
            PATTERNS.c.end_time,
            PATTERNS.c.location,
            PATTERNS.c.is_active,
        )
        .join(STAFF, STAFF.c.id == PATTERNS.c.staff_id)
        .order_by(STAFF.c.staff_name, PATTERNS.c.day_of_week, PATTERNS.c.start_time)
    )
    if active_staff_only:
        query = query.where(STAFF.c.is_active.is_(True))
    rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=PATTERN_COLUMNS)


def load_clash(conn: Connection, staff_pk: int, day: dt.date, start: dt.time, end: dt.time,
               *, other_than: Any = None):
    """A shift of the person that date overlapping start..end (not ``other_than``), or None."""
    query = sa.select(SHIFTS.c.start_time, SHIFTS.c.end_time).where(
        SHIFTS.c.staff_id == staff_pk,
        SHIFTS.c.schedule_date == day,
        SHIFTS.c.start_time < end,
        SHIFTS.c.end_time > start,
    )
    if other_than is not None:
        query = query.where(SHIFTS.c.id != other_than)
    return conn.execute(query.limit(1)).first()


def save_new_shift(conn: Connection, values: dict) -> Any:
    """Insert a shift in a savepoint; its id (an overlap found by the database is refused)."""
    try:
        with conn.begin_nested():
            return conn.execute(
                sa.insert(SHIFTS).values(**values).returning(SHIFTS.c.id)
            ).scalar_one()
    except sa.exc.IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint == "ex_staff_schedules_no_overlap":
            raise DatabaseRefused(OVERLAP) from exc
        raise DatabaseRefused(str(exc.orig).splitlines()[0]) from exc


def load_shift(conn: Connection, shift_id: Any, *, lock: bool = False) -> dict | None:
    """A shift with its person's name (the shift row locked when asked), or None."""
    query = (
        sa.select(*[SHIFTS.c[c] for c in SHIFT_COLUMNS if c != "staff_name"], STAFF.c.staff_name)
        .join(STAFF, STAFF.c.id == SHIFTS.c.staff_id)
        .where(SHIFTS.c.id == shift_id)
    )
    row = conn.execute(query.with_for_update(of=SHIFTS) if lock else query).mappings().first()
    return dict(row) if row is not None else None


def save_shift(conn: Connection, shift_id: Any, values: dict) -> None:
    try:
        with conn.begin_nested():
            conn.execute(sa.update(SHIFTS).where(SHIFTS.c.id == shift_id).values(**values))
    except sa.exc.IntegrityError as exc:
        raise DatabaseRefused(OVERLAP) from exc


def delete_shift(conn: Connection, shift_id: Any) -> None:
    conn.execute(sa.delete(SHIFTS).where(SHIFTS.c.id == shift_id))


def save_new_pattern(conn: Connection, values: dict) -> Any:
    return conn.execute(sa.insert(PATTERNS).values(**values).returning(PATTERNS.c.id)).scalar_one()


def load_pattern_active(conn: Connection, pattern_id: Any) -> bool | None:
    """Whether the pattern is switched on; None when there is no such pattern."""
    row = conn.execute(sa.select(PATTERNS.c.is_active).where(PATTERNS.c.id == pattern_id)).first()
    return None if row is None else row.is_active


def save_pattern_active(conn: Connection, pattern_id: Any, active: bool) -> None:
    conn.execute(sa.update(PATTERNS).where(PATTERNS.c.id == pattern_id).values(is_active=active))


def load_staff_names(conn: Connection) -> dict:
    """staff id -> name, of everyone."""
    return dict(conn.execute(sa.select(STAFF.c.id, STAFF.c.staff_name)).all())
