"""Public holidays (business-rules §3.2: holiday hours are paid a premium on active dates).

A year is filled from the Thai calendar of the ``holidays`` package (the dates already there are
kept as they are, active or not); a date can be switched off and on, and the studio can add its
own days. One date holds one holiday (``public_holidays.holiday_date`` is unique).

Service functions take the caller's connection, check access (admins), never commit, and write
one ``audit_logs`` row per change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import holidays as holiday_calendars
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ... import access, audit
from ...models.core import PublicHoliday

HOLIDAYS = PublicHoliday.__table__
AREA = "holidays"
COLUMNS = ["id", "holiday_date", "holiday_name", "is_active"]


class HolidayError(ValueError):
    """A holiday change a person can fix (a date already listed, no name, a year out of range)."""


def compute_thai_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The year's Thai public holidays (date, English name), in date order."""
    if not 2000 <= int(year) <= 2100:
        raise HolidayError(f"pick a year between 2000 and 2100, not {year}")
    calendar = holiday_calendars.Thailand(years=int(year), language="en_US")
    return sorted(calendar.items())


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


def fill_holidays(conn: Connection, user_email: str, year: int) -> dict[str, list]:
    """Add the year's Thai holidays that are missing; dates already listed stay as they are."""
    access.check(conn, user_email, AREA, admin=True)
    calendar = compute_thai_holidays(year)
    added: list[dict] = []
    kept: list[dt.date] = []
    for day, name in calendar:
        inserted = conn.execute(
            pg_insert(HOLIDAYS)
            .values(holiday_date=day, holiday_name=name, is_active=True)
            .on_conflict_do_nothing(index_elements=["holiday_date"])
            .returning(HOLIDAYS.c.id)
        ).scalar()
        if inserted is None:
            kept.append(day)
        else:
            added.append({"id": inserted, "holiday_date": day, "holiday_name": name})
    audit.record(
        conn,
        user_email,
        "FILL",
        "public_holidays",
        str(year),
        after={"added": added},
        details={"year": year, "kept": kept, "source": "holidays package, Thailand"},
    )
    return {"added": added, "kept": kept}


def add_holiday(conn: Connection, user_email: str, holiday_date: dt.date, holiday_name: str) -> dict:
    """One of the studio's own days off (active)."""
    access.check(conn, user_email, AREA, admin=True)
    name = (holiday_name or "").strip()
    if not isinstance(holiday_date, dt.date):
        raise HolidayError("a holiday needs a date")
    if not name:
        raise HolidayError("a holiday needs a name")
    existing = conn.execute(
        sa.select(HOLIDAYS.c.holiday_name).where(HOLIDAYS.c.holiday_date == holiday_date)
    ).scalar()
    if existing is not None:
        raise HolidayError(f"{holiday_date} is already listed ({existing}); switch it on or off")
    row = conn.execute(
        sa.insert(HOLIDAYS)
        .values(holiday_date=holiday_date, holiday_name=name, is_active=True)
        .returning(*[HOLIDAYS.c[c] for c in COLUMNS])
    ).mappings().one()
    audit.record(conn, user_email, "CREATE", "public_holidays", row["id"], after=dict(row))
    return dict(row)


def set_holiday_active(
    conn: Connection, user_email: str, holiday_date: dt.date, active: bool
) -> dict[str, Any]:
    """Switch a listed date on (holiday hours paid) or off."""
    access.check(conn, user_email, AREA, admin=True)
    before = conn.execute(
        sa.select(*[HOLIDAYS.c[c] for c in COLUMNS])
        .where(HOLIDAYS.c.holiday_date == holiday_date)
        .with_for_update()
    ).mappings().first()
    if before is None:
        raise HolidayError(f"{holiday_date} is not a listed holiday")
    conn.execute(
        sa.update(HOLIDAYS).where(HOLIDAYS.c.id == before["id"]).values(is_active=bool(active))
    )
    after = {**before, "is_active": bool(active)}
    audit.record(
        conn,
        user_email,
        "UPDATE",
        "public_holidays",
        before["id"],
        before={"is_active": before["is_active"]},
        after={"is_active": bool(active), "holiday_date": holiday_date},
    )
    return after
