"""Payroll and time-clock settings (``payroll_settings``; business-rules §0, §1, §3).

A missing row means the default of the rules; a row that says ``0`` means 0 (**fix**). Each
setting has a kind (whole number or amount), a lower bound and a default; a value is parsed and
checked here, once, before it is stored as text. Saving the default value stores it explicitly;
"use the default" removes the row.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from ... import access, audit
from ...models.core import PayrollSetting

SETTINGS_TABLE = PayrollSetting.__table__
AREA = "settings"


class SettingError(ValueError):
    """A settings value a person can fix; the message says what is allowed."""


@dataclasses.dataclass(frozen=True)
class Setting:
    key: str
    group: str  # payroll | time clock
    label: str
    default: str
    kind: str  # "int" | "amount"
    minimum: Decimal
    description: str


SETTINGS = [
    Setting("daily_allowance_thb", "payroll", "Daily allowance (฿)", "100", "amount", Decimal(0),
            "Paid to salary staff per working day"),
    Setting("weekly_ot_threshold_hours", "payroll", "Overtime after (hours per week)", "48",
            "amount", Decimal(0), "Non-holiday hours of a Sunday–Saturday week before overtime"),
    Setting("max_session_hours", "payroll", "Maximum session (hours)", "16", "int", Decimal(1),
            "Longest clock-in to clock-out pairing"),
    Setting("pin_max_failed_attempts", "time clock", "Wrong PINs before a lock", "10", "int",
            Decimal(1), "The kiosk warns one attempt before"),
    Setting("pin_lockout_minutes", "time clock", "Lock minutes", "60", "int", Decimal(0),
            "How long a locked person waits (an admin can unlock earlier)"),
]
BY_KEY = {s.key: s for s in SETTINGS}


def compute_setting_value(key: str, raw: object) -> str:
    """The text stored for a value typed in a form, or SettingError saying what is allowed."""
    setting = BY_KEY.get(key)
    if setting is None:
        raise SettingError(f"unknown setting {key!r}")
    text = str(raw if raw is not None else "").replace(",", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise SettingError(f"{setting.label}: type a number, not {raw!r}")
    if setting.kind == "int" and value != value.to_integral_value():
        raise SettingError(f"{setting.label}: a whole number, not {text}")
    if value < setting.minimum:
        raise SettingError(f"{setting.label}: at least {setting.minimum}, not {text}")
    if setting.kind == "int":
        return str(int(value))
    if value.as_tuple().exponent < -2:
        raise SettingError(f"{setting.label}: at most 2 decimals, not {text}")
    return str(value)


def load_settings(conn: Connection) -> pd.DataFrame:
    """Every setting with its value in force, its default and whether it is the default."""
    stored = dict(
        conn.execute(
            sa.select(SETTINGS_TABLE.c.setting_key, SETTINGS_TABLE.c.setting_value).where(
                SETTINGS_TABLE.c.setting_key.in_(list(BY_KEY))
            )
        ).all()
    )
    rows = [
        {
            "key": s.key,
            "group": s.group,
            "label": s.label,
            "value": stored.get(s.key, s.default),
            "default": s.default,
            "is_default": s.key not in stored,
            "description": s.description,
        }
        for s in SETTINGS
    ]
    return pd.DataFrame(rows, dtype=object)


def save_setting(conn: Connection, user_email: str, key: str, raw: object) -> str:
    """Store a setting's value (admins; audited); returns the text stored."""
    access.check(conn, user_email, AREA, admin=True)
    value = compute_setting_value(key, raw)
    before = conn.execute(
        sa.select(SETTINGS_TABLE.c.setting_value)
        .where(SETTINGS_TABLE.c.setting_key == key)
        .with_for_update()
    ).scalar()
    statement = pg_insert(SETTINGS_TABLE).values(
        setting_key=key, setting_value=value, description=BY_KEY[key].description
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["setting_key"],
            set_={"setting_value": value, "updated_at": sa.func.now()},
        )
    )
    audit.record(
        conn,
        user_email,
        "UPDATE",
        "payroll_settings",
        key,
        before={"setting_value": before, "default": before is None},
        after={"setting_value": value},
    )
    return value


def reset_setting(conn: Connection, user_email: str, key: str) -> str:
    """Remove a setting's row: the default of the rules applies again; returns the default."""
    access.check(conn, user_email, AREA, admin=True)
    if key not in BY_KEY:
        raise SettingError(f"unknown setting {key!r}")
    before = conn.execute(
        sa.delete(SETTINGS_TABLE)
        .where(SETTINGS_TABLE.c.setting_key == key)
        .returning(SETTINGS_TABLE.c.setting_value)
    ).scalar()
    audit.record(
        conn,
        user_email,
        "UPDATE",
        "payroll_settings",
        key,
        before={"setting_value": before},
        after={"setting_value": BY_KEY[key].default, "default": True},
    )
    return BY_KEY[key].default
