"""SQL of ``public_holidays``: one date holds one holiday (``holiday_date`` is unique)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ...models.core import PublicHoliday

HOLIDAYS = PublicHoliday.__table__
COLUMNS = ["id", "holiday_date", "holiday_name", "is_active"]


def load_holidays(conn: Connection, year: int) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(*[HOLIDAYS.c[c] for c in COLUMNS])
        .where(HOLIDAYS.c.holiday_date.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .order_by(HOLIDAYS.c.holiday_date)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=COLUMNS, dtype=object)


def load_holiday_years(conn: Connection) -> list[int]:
    year = sa.extract("year", HOLIDAYS.c.holiday_date)
    rows = conn.execute(sa.select(year).distinct().order_by(year)).all()
    return [int(r[0]) for r in rows]


def load_holiday(conn: Connection, holiday_date: dt.date, *, lock: bool = False) -> dict | None:
    """The listed holiday of a date (locked ``FOR UPDATE`` when asked), or None."""
    query = sa.select(*[HOLIDAYS.c[c] for c in COLUMNS]).where(
        HOLIDAYS.c.holiday_date == holiday_date)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    return dict(row) if row is not None else None


def save_missing_holiday(conn: Connection, holiday_date: dt.date, name: str) -> int | None:
    """Insert an active holiday unless its date is listed; its id, or None when it was."""
    return conn.execute(
        pg_insert(HOLIDAYS)
        .values(holiday_date=holiday_date, holiday_name=name, is_active=True)
        .on_conflict_do_nothing(index_elements=["holiday_date"])
        .returning(HOLIDAYS.c.id)
    ).scalar()


def save_new_holiday(conn: Connection, holiday_date: dt.date, name: str) -> dict:
    row = conn.execute(
        sa.insert(HOLIDAYS)
        .values(holiday_date=holiday_date, holiday_name=name, is_active=True)
        .returning(*[HOLIDAYS.c[c] for c in COLUMNS])
    ).mappings().one()
    return dict(row)


def save_holiday_active(conn: Connection, holiday_id: int, active: bool) -> None:
    conn.execute(sa.update(HOLIDAYS).where(HOLIDAYS.c.id == holiday_id).values(is_active=active))
