"""Payroll and time-clock settings (``payroll_settings``; business-rules §0, §1, §3).

A missing row means the default of the rules; a row that says ``0`` means 0 (**fix**). Each
setting has a kind (whole number or amount), a lower bound and a default; a value is parsed and
checked here, once, before it is stored as text. Saving the default value stores it explicitly;
"use the default" removes the row.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit
from ..queries import settings as queries
from ..rules.settings import (  # the rules the forms and tests name through the service
    BY_KEY,
    SETTINGS,
    Setting,
    SettingError,
    compute_setting_value,
    compute_settings_in_force,
)

AREA = "settings"
__all__ = ["AREA", "BY_KEY", "SETTINGS", "Setting", "SettingError", "compute_setting_value",
           "load_settings", "reset_setting", "save_setting"]


def load_settings(conn: Connection) -> pd.DataFrame:
    """Every setting with its value in force, its default and whether it is the default."""
    return compute_settings_in_force(queries.load_stored_settings(conn, list(BY_KEY)))


def save_setting(conn: Connection, user_email: str, key: str, raw: object) -> str:
    """Store a setting's value (admins; audited); returns the text stored."""
    access.check(conn, user_email, AREA, admin=True)
    value = compute_setting_value(key, raw)
    before = queries.load_setting_value(conn, key, lock=True)
    queries.save_setting_value(conn, key, value, BY_KEY[key].description)
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
    before = queries.delete_setting(conn, key)
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
