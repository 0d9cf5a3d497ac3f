"""SQL of the time clock: ``time_entries`` (punches and corrections), a person's PIN hash and
wrong-PIN state on ``staff``, the time-clock settings' rows and which dates are finalised. The
trigger ``validate_time_entry()`` is the last guard for every writer: the writes here run in a
savepoint, so its refusal is ``DatabaseRefused`` and the caller's transaction goes on."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...models.core import PayrollSetting, Staff, TimeEntry
from .refusals import in_savepoint

STAFF = Staff.__table__
TIME_ENTRIES = TimeEntry.__table__
PAYROLL_SETTINGS = PayrollSetting.__table__
ENTRY_COLUMNS = ["id", "staff_id", "staff_name", "action", "timestamp", "photo_url",
                 "photo_captured", "camera_error"]


def load_setting_rows(conn: Connection, keys: list[str]) -> list[tuple[str, str]]:
    """(key, stored text) of the settings among ``keys`` that have a row."""
    return [tuple(r) for r in conn.execute(
        sa.select(PAYROLL_SETTINGS.c.setting_key, PAYROLL_SETTINGS.c.setting_value).where(
            PAYROLL_SETTINGS.c.setting_key.in_(keys)
        )
    ).all()]


def load_last_entry(conn: Connection, staff_pk: int) -> dict | None:
    row = conn.execute(
        sa.select(TIME_ENTRIES.c.id, TIME_ENTRIES.c.action, TIME_ENTRIES.c.timestamp)
        .where(TIME_ENTRIES.c.staff_id == staff_pk)
        .order_by(TIME_ENTRIES.c.timestamp.desc(), TIME_ENTRIES.c.id.desc())
        .limit(1)
    ).first()
    return dict(row._mapping) if row else None


def load_entries(
    conn: Connection,
    start: dt.datetime,
    end: dt.datetime,
    staff_pks: list[int] | None = None,
) -> pd.DataFrame:
    """Time entries with ``start <= timestamp < end`` (aware datetimes), with staff names."""
    query = (
        sa.select(
            TIME_ENTRIES.c.id,
            TIME_ENTRIES.c.staff_id,
            STAFF.c.staff_name,
            TIME_ENTRIES.c.action,
            TIME_ENTRIES.c.timestamp,
            TIME_ENTRIES.c.photo_url,
            TIME_ENTRIES.c.photo_captured,
            TIME_ENTRIES.c.camera_error,
        )
        .join(STAFF, STAFF.c.id == TIME_ENTRIES.c.staff_id)
        .where(TIME_ENTRIES.c.timestamp >= start, TIME_ENTRIES.c.timestamp < end)
        .order_by(TIME_ENTRIES.c.staff_id, TIME_ENTRIES.c.timestamp, TIME_ENTRIES.c.id)
    )
    if staff_pks is not None:
        query = query.where(TIME_ENTRIES.c.staff_id.in_(staff_pks))
    rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=ENTRY_COLUMNS)
    frame["timestamp"] = frame["timestamp"].astype(object)
    return frame


def load_entry(conn: Connection, entry_id: int, *, lock: bool = False) -> dict | None:
    query = sa.select(
        TIME_ENTRIES.c.id,
        TIME_ENTRIES.c.staff_id,
        TIME_ENTRIES.c.action,
        TIME_ENTRIES.c.timestamp,
        TIME_ENTRIES.c.photo_captured,
        TIME_ENTRIES.c.device_info,
    ).where(TIME_ENTRIES.c.id == entry_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return dict(row._mapping) if row is not None else None


def load_neighbours(conn: Connection, staff_pk: int, moment: dt.datetime, exclude: int | None):
    """(previous, next) entries of a person around ``moment``, ignoring entry ``exclude``."""
    base = sa.select(TIME_ENTRIES.c.id, TIME_ENTRIES.c.action, TIME_ENTRIES.c.timestamp).where(
        TIME_ENTRIES.c.staff_id == staff_pk, TIME_ENTRIES.c.id.is_distinct_from(exclude)
    )
    before = conn.execute(
        base.where(TIME_ENTRIES.c.timestamp < moment)
        .order_by(TIME_ENTRIES.c.timestamp.desc())
        .limit(1)
    ).first()
    after = conn.execute(
        base.where(TIME_ENTRIES.c.timestamp > moment).order_by(TIME_ENTRIES.c.timestamp).limit(1)
    ).first()
    return (dict(before._mapping) if before else None, dict(after._mapping) if after else None)


def save_new_entry(conn: Connection, values: dict) -> int:
    """Insert a time entry (in a savepoint); its id."""
    return in_savepoint(conn, lambda: conn.execute(
        sa.insert(TIME_ENTRIES).values(**values).returning(TIME_ENTRIES.c.id)).scalar_one())


def save_entry_time(conn: Connection, entry_id: int, moment: dt.datetime) -> None:
    in_savepoint(conn, lambda: conn.execute(
        sa.update(TIME_ENTRIES).where(TIME_ENTRIES.c.id == entry_id).values(timestamp=moment)))


def delete_entry(conn: Connection, entry_id: int) -> None:
    in_savepoint(conn, lambda: conn.execute(
        sa.delete(TIME_ENTRIES).where(TIME_ENTRIES.c.id == entry_id)))


def load_pin_hash(conn: Connection, staff_pk: int) -> str | None:
    return conn.scalar(sa.select(STAFF.c.pin_hash).where(STAFF.c.id == staff_pk))


def save_pin_state(conn: Connection, staff_pk: int, failed_attempts: int,
                   locked_until: dt.datetime | None) -> None:
    """A person's wrong-PIN count and lock."""
    conn.execute(
        sa.update(STAFF)
        .where(STAFF.c.id == staff_pk)
        .values(failed_attempts=failed_attempts, locked_until=locked_until)
    )


def load_date_is_finalised(conn: Connection, day: dt.date) -> bool:
    """Whether the payroll month of this Bangkok date is finalised."""
    return bool(conn.scalar(
        sa.text("SELECT backoffice.payroll_date_is_finalised(CAST(:d AS date))"), {"d": day}))
