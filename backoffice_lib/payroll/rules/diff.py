"""What changed between two payroll runs, per person, and why. Pure.

A run keeps its lines as a snapshot (``snapshot_lines``); ``compute_run_diff`` compares two
snapshots by staff_id: people added to or gone from the run, and for the others every pay
component that moved, with the drivers (hours, days, rates, compensation row, service-charge
share) that explain it.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from ... import money
from . import COMPONENTS, HOUR_COLUMNS, PayrollResult
from .statutory import NET_PAY_COLUMNS

SNAPSHOT_FIELDS = [
    "staff_id", "staff_name", "compensation_type", "compensation_id", "base_salary",
    "hourly_rate", "ot_rate_per_hour", "holiday_rate_per_hour", "is_service_charge_eligible",
    "prorate_days", "working_days", *HOUR_COLUMNS, *COMPONENTS, "total_pay", *NET_PAY_COLUMNS,
]
DRIVERS = [
    ("working_days", "working days"),
    ("total_hours", "hours"),
    ("overtime_hours", "overtime hours"),
    ("holiday_hours", "holiday hours"),
    ("compensation_type", "compensation type"),
    ("compensation_id", "compensation row"),
    ("base_salary", "salary"),
    ("hourly_rate", "hourly rate"),
    ("ot_rate_per_hour", "OT rate"),
    ("holiday_rate_per_hour", "holiday rate"),
    ("prorate_days", "pro-rated days"),
    ("is_service_charge_eligible", "service-charge eligibility"),
]
DIFF_COLUMNS = ["staff_id", "staff_name", "change", "total_before", "total_after", "delta",
                "components", "why"]


def _text(value) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def snapshot_lines(result: PayrollResult) -> list[dict]:
    """The run's lines as JSON-ready text values (stored in payroll_runs.lines)."""
    return [
        {name: _text(row.get(name)) for name in SNAPSHOT_FIELDS}
        for row in result.lines.to_dict("records")
    ]


def _money(value) -> Decimal:
    return money.to_decimal(value) if value not in (None, "") else money.ZERO


def compute_run_diff(before: list[dict] | None, after: list[dict]) -> pd.DataFrame:
    """One row per person whose pay or drivers changed between ``before`` and ``after``."""
    old = {line["staff_id"]: line for line in (before or [])}
    new = {line["staff_id"]: line for line in after}
    rows = []
    for staff_id in sorted(set(old) | set(new)):
        a, b = old.get(staff_id), new.get(staff_id)
        if a is None:
            rows.append((staff_id, b["staff_name"], "added", money.ZERO, _money(b["total_pay"]),
                         "", "new in the run"))
            continue
        if b is None:
            rows.append((staff_id, a["staff_name"], "removed", _money(a["total_pay"]), money.ZERO,
                         "", "no longer in the run (no sessions and no compensation in force)"))
            continue
        moved = [
            f"{name} {a.get(name) or '0'} → {b.get(name) or '0'}"
            for name in COMPONENTS + NET_PAY_COLUMNS
            if name in a and name in b and _money(a.get(name)) != _money(b.get(name))
        ]
        why = [
            f"{label} {a.get(key) or '—'} → {b.get(key) or '—'}"
            for key, label in DRIVERS
            if (a.get(key) or None) != (b.get(key) or None)
        ]
        if not moved and not why:
            continue
        if not why and any(n.startswith("service_charge") for n in moved):
            why = ["service-charge pool or the number of eligible staff changed"]
        if not why and moved:
            why = ["statutory rates, social-security cover or declared allowances changed"]
        rows.append((staff_id, b["staff_name"], "changed", _money(a["total_pay"]),
                     _money(b["total_pay"]), "; ".join(moved), "; ".join(why)))
    frame = pd.DataFrame(
        [(r[0], r[1], r[2], r[3], r[4], r[4] - r[3], r[5], r[6]) for r in rows],
        columns=DIFF_COLUMNS,
    )
    return frame
