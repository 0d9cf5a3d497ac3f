"""SQL of the attendance reads: people to pick, the shifts of a period, names by id.

Only the chosen period is read: shifts by a ``schedule_date`` range (and the person, using the
``(staff_id, schedule_date)`` index); time entries come from ``queries.timeclock.load_entries``
by a ``timestamp`` range (PostgreSQL prunes the monthly partitions).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...models.core import Staff, StaffSchedule

STAFF = Staff.__table__
SHIFTS = StaffSchedule.__table__
SHIFT_COLUMNS = ["id", "staff_id", "schedule_date", "start_time", "end_time"]


def load_staff_options(conn: Connection) -> list[tuple[str, int]]:
    """(name, id) of every staff member: active people by name, then those who left, marked."""
    rows = conn.execute(
        sa.select(STAFF.c.staff_name, STAFF.c.id, STAFF.c.is_active).order_by(
            STAFF.c.is_active.is_(False), STAFF.c.staff_name, STAFF.c.id
        )
    ).all()
    return [
        (name if active is not False else f"{name} (inactive)", pk) for name, pk, active in rows
    ]


def load_period_shifts(
    conn: Connection, start: dt.date, end: dt.date, staff_id: int | None = None
) -> pd.DataFrame:
    """Shifts dated ``start``..``end`` (of one person: the (staff_id, schedule_date) index)."""
    query = sa.select(*(SHIFTS.c[c] for c in SHIFT_COLUMNS)).where(
        SHIFTS.c.schedule_date >= start, SHIFTS.c.schedule_date <= end
    )
    if staff_id is not None:
        query = query.where(SHIFTS.c.staff_id == staff_id)
    rows = conn.execute(query.order_by(SHIFTS.c.schedule_date, SHIFTS.c.start_time)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=SHIFT_COLUMNS)


def load_staff_names(conn: Connection, ids: list[int]) -> dict[int, str]:
    """{staff id: name} of the given ids."""
    if not ids:
        return {}
    return dict(conn.execute(sa.select(STAFF.c.id, STAFF.c.staff_name)
                             .where(STAFF.c.id.in_(ids))).all())
