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

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit
from ..queries import holidays as queries
from ..rules.holidays import HolidayError, compute_thai_holidays

AREA = "holidays"


def load_holidays(conn: Connection, year: int) -> pd.DataFrame:
    return queries.load_holidays(conn, year)


def load_holiday_years(conn: Connection) -> list[int]:
    return queries.load_holiday_years(conn)


def fill_holidays(conn: Connection, user_email: str, year: int) -> dict[str, list]:
    """Add the year's Thai holidays that are missing; dates already listed stay as they are."""
    access.check(conn, user_email, AREA, admin=True)
    calendar = compute_thai_holidays(year)
    added: list[dict] = []
    kept: list[dt.date] = []
    for day, name in calendar:
        inserted = queries.save_missing_holiday(conn, day, name)
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
    existing = queries.load_holiday(conn, holiday_date)
    if existing is not None:
        raise HolidayError(
            f"{holiday_date} is already listed ({existing['holiday_name']}); switch it on or off")
    row = queries.save_new_holiday(conn, holiday_date, name)
    audit.record(conn, user_email, "CREATE", "public_holidays", row["id"], after=dict(row))
    return row


def set_holiday_active(
    conn: Connection, user_email: str, holiday_date: dt.date, active: bool
) -> dict[str, Any]:
    """Switch a listed date on (holiday hours paid) or off."""
    access.check(conn, user_email, AREA, admin=True)
    before = queries.load_holiday(conn, holiday_date, lock=True)
    if before is None:
        raise HolidayError(f"{holiday_date} is not a listed holiday")
    queries.save_holiday_active(conn, before["id"], bool(active))
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
