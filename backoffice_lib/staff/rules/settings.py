"""Payroll and time-clock settings, the pure rules (business-rules §0, §1, §3): each setting's
kind, lower bound and default, and a typed value checked once before it is stored as text. A
missing row means the default; a row that says ``0`` means 0 (**fix**)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

import pandas as pd


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


def compute_settings_in_force(stored: dict[str, str]) -> pd.DataFrame:
    """Every setting with its value in force (``stored``: key -> text of the rows there), its
    default and whether it is the default."""
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
