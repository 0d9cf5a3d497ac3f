"""Small fixtures shared by the staff / time-clock / schedule / attendance tests (not a test file).

PIN hashes are made at bcrypt cost 4 here to keep the tests fast; the library always hashes at
cost 12 (tests of create_staff and reset_pin check that).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from backoffice_lib import bangkok
from backoffice_lib.staff.rules import pins

BKK = bangkok.BANGKOK
PIN = "246810"
FAST_HASH = pins.hash_pin(PIN, cost=4)
ADMIN = "admin-tc@studio.example"
MANAGER = "shiftlead-tc@studio.example"  # allowed, not admin


def sql(conn, statement, **params):
    return conn.execute(sa.text(statement), params)


def add_users(conn) -> None:
    sql(
        conn,
        "INSERT INTO backoffice.allowed_users (email, is_admin) VALUES (:a, true), (:m, false)"
        " ON CONFLICT (email) DO NOTHING",
        a=ADMIN,
        m=MANAGER,
    )


def add_staff(conn, name="Somchai", staff_id=None, active=True, pin_hash=FAST_HASH) -> int:
    return sql(
        conn,
        "INSERT INTO backoffice.staff (staff_name, staff_id, pin_hash, is_active)"
        " VALUES (:n, :sid, :h, :a) RETURNING id",
        n=name,
        sid=staff_id or f"TC-{name}",
        h=pin_hash,
        a=active,
    ).scalar_one()


def add_entry(conn, staff_pk, action, when) -> int:
    with conn.begin_nested():
        return sql(
            conn,
            "INSERT INTO backoffice.time_entries (staff_id, action, timestamp)"
            " VALUES (:s, :a, :t) RETURNING id",
            s=staff_pk,
            a=action,
            t=when,
        ).scalar_one()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BKK)


def staff_row(conn, staff_pk) -> dict:
    return dict(
        sql(
            conn,
            "SELECT failed_attempts, locked_until, is_active FROM backoffice.staff WHERE id = :i",
            i=staff_pk,
        )
        .mappings()
        .one()
    )
