"""Pay rates, the pure rules (business-rules §3.2, §5): a rate's values parsed at the edge, what
a form refuses, the row values, the rate in force on a day, a raise's plan (which open row it
closes, or which rows clash), the cuts a change makes and a change's summary in words."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from ...money import round_money

TYPES = ("salary", "hourly")
INDIVIDUAL_RATE_TYPES = ("Individual, 1 PAX", "Individual, 2 PAX")
#: A new person's first rate starts with these premiums (THB per hour, flat, on top of base pay:
#: business-rules §3.2), inside the studio's ranges (OT 70-150, holiday 80-200), never 0: a form
#: left as it opens must not pay overtime or holiday work nothing.
DEFAULT_OT_RATE_PER_HOUR = Decimal("100.00")
DEFAULT_HOLIDAY_RATE_PER_HOUR = Decimal("100.00")
DEFAULT_MIN_HOURS_FOR_ALLOWANCE = 6
#: The components a change may lower to 0 (only after a confirmation), as a person reads them.
COMPONENT_LABELS = {
    "base_salary": "monthly salary",
    "hourly_rate": "hourly rate",
    "ot_rate_per_hour": "overtime rate",
    "holiday_rate_per_hour": "holiday rate",
}
HISTORY_COLUMNS = ["created_at", "action_type", "changed_by_identifier", "changes_summary", "reason"]
COLUMNS = [
    "id",
    "staff_id",
    "compensation_type",
    "base_salary",
    "hourly_rate",
    "ot_rate_per_hour",
    "holiday_rate_per_hour",
    "is_service_charge_eligible",
    "min_hours_for_allowance",
    "effective_from",
    "effective_to",
]


class CompensationError(ValueError):
    """A pay-rate change a person can fix; the message says what clashes or is missing."""


@dataclasses.dataclass(frozen=True)
class Rates:
    """The values of one compensation row, parsed at the edge (Decimal money, int hours)."""

    compensation_type: str
    base_salary: Decimal = Decimal(0)
    hourly_rate: Decimal = Decimal(0)
    ot_rate_per_hour: Decimal = Decimal(0)
    holiday_rate_per_hour: Decimal = Decimal(0)
    is_service_charge_eligible: bool = False
    min_hours_for_allowance: int = 6


# --- pure rules ---------------------------------------------------------------------------------


def parse_amount(value: Any, label: str) -> Decimal:
    """A THB amount typed in a form ('12,500', '฿ 95.5', '') as Decimal (blank = 0)."""
    if isinstance(value, Decimal):
        return value
    text = str(value or "").replace(",", "").replace("฿", "").replace("THB", "").strip()
    if text == "":
        return Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CompensationError(f"{label} must be an amount such as 12500 or 95.50, not {value!r}")
    if not amount.is_finite():
        raise CompensationError(f"{label} must be an amount such as 12500 or 95.50, not {value!r}")
    return amount


def compute_rates_refusal(rates: Rates) -> str | None:
    """Why these rates cannot be saved, or None (the table's check constraints, said plainly)."""
    if rates.compensation_type not in TYPES:
        return f"the pay type is salary or hourly, not {rates.compensation_type!r}"
    if rates.compensation_type == "salary" and rates.base_salary <= 0:
        return "a salary needs a monthly base salary above 0"
    if rates.compensation_type == "hourly" and rates.hourly_rate <= 0:
        return "hourly pay needs an hourly rate above 0"
    for label, amount in (
        ("the base salary", rates.base_salary),
        ("the hourly rate", rates.hourly_rate),
        ("the overtime rate", rates.ot_rate_per_hour),
        ("the holiday rate", rates.holiday_rate_per_hour),
    ):
        if amount < 0:
            return f"{label} cannot be negative"
    if rates.min_hours_for_allowance < 0:
        return "the minimum hours for the allowance cannot be negative"
    return None


def compute_row_values(rates: Rates) -> dict[str, Any]:
    """The columns of a row: only the field of the chosen type is kept (the other is 0)."""
    salary = rates.compensation_type == "salary"
    return {
        "compensation_type": rates.compensation_type,
        "base_salary": round_money(rates.base_salary) if salary else Decimal("0.00"),
        "hourly_rate": Decimal("0.00") if salary else round_money(rates.hourly_rate),
        "ot_rate_per_hour": round_money(rates.ot_rate_per_hour),
        "holiday_rate_per_hour": round_money(rates.holiday_rate_per_hour),
        "is_service_charge_eligible": bool(rates.is_service_charge_eligible),
        "min_hours_for_allowance": int(rates.min_hours_for_allowance),
    }


def compute_new_person_rates(compensation_type: str = "salary") -> Rates:
    """What a new person's first pay rate starts as: non-zero OT and holiday premiums."""
    return Rates(
        compensation_type=compensation_type,
        ot_rate_per_hour=DEFAULT_OT_RATE_PER_HOUR,
        holiday_rate_per_hour=DEFAULT_HOLIDAY_RATE_PER_HOUR,
        min_hours_for_allowance=DEFAULT_MIN_HOURS_FOR_ALLOWANCE,
    )


def compute_rates_of_row(row: dict) -> Rates:
    """A stored compensation row (or an audit snapshot of one) as Rates: every field copied."""
    hours = row.get("min_hours_for_allowance")
    return Rates(
        compensation_type=row.get("compensation_type") or "salary",
        base_salary=Decimal(str(row.get("base_salary") or 0)),
        hourly_rate=Decimal(str(row.get("hourly_rate") or 0)),
        ot_rate_per_hour=Decimal(str(row.get("ot_rate_per_hour") or 0)),
        holiday_rate_per_hour=Decimal(str(row.get("holiday_rate_per_hour") or 0)),
        is_service_charge_eligible=bool(row.get("is_service_charge_eligible")),
        min_hours_for_allowance=DEFAULT_MIN_HOURS_FOR_ALLOWANCE if hours is None else int(hours),
    )


def compute_row_in_force(existing: list[dict], day: dt.date) -> dict | None:
    """The row in force on ``day``; else the latest row that started before it (a leaver's last
    rate); else the earliest row to come (a rate that starts later); None without rows."""
    rows = sorted(existing, key=lambda r: r["effective_from"])
    for row in rows:
        end = row["effective_to"]
        if row["effective_from"] <= day and (end is None or end >= day):
            return row
    started = [r for r in rows if r["effective_from"] <= day]
    if started:
        return started[-1]
    return rows[0] if rows else None


def compute_default_start(existing: list[dict], today: dt.date) -> dt.date:
    """The first date, from ``today`` on, that a new rate may start from (``compute_raise_plan``
    accepts it): today, or the day after the latest start or closed end that reaches today."""
    start = today
    for row in existing:
        start = max(start, row["effective_from"] + dt.timedelta(days=1))
        if row["effective_to"] is not None:
            start = max(start, row["effective_to"] + dt.timedelta(days=1))
    return start


def _amount_text(value: Decimal) -> str:
    return "0" if value == 0 else f"{value:,.2f}"


def compute_pay_cuts(current: Rates | None, new: Rates) -> list[str]:
    """What a new rate lowers to 0 or drops, compared with the rate it replaces, as a person
    reads it ("overtime rate 150.00 -> 0", "service charge: eligible -> not eligible"); empty
    when nothing is cut (a first rate cuts nothing). Such a change is saved only once confirmed."""
    if current is None:
        return []
    before, after = compute_row_values(current), compute_row_values(new)
    cuts = [
        f"{label} {_amount_text(before[key])} -> 0"
        for key, label in COMPONENT_LABELS.items()
        if before[key] > 0 and after[key] == 0
    ]
    if before["is_service_charge_eligible"] and not after["is_service_charge_eligible"]:
        cuts.append("service charge: eligible -> not eligible")
    return cuts


def compute_change_summary(previous: dict | None, new: dict) -> str:
    """One line of a person's change history for a new pay rate: what changed from the rate it
    replaced (every field), or the first rate's values."""
    rates = compute_rates_of_row(new)
    values = compute_row_values(rates)
    start = new.get("effective_from")
    if previous is None or "compensation_type" not in previous:
        kind = rates.compensation_type
        amount = values["base_salary"] if kind == "salary" else values["hourly_rate"]
        parts = [
            f"pay rate from {start}: {kind} {_amount_text(amount)}",
            f"overtime rate {_amount_text(values['ot_rate_per_hour'])}",
            f"holiday rate {_amount_text(values['holiday_rate_per_hour'])}",
            "service charge: " + ("eligible" if values["is_service_charge_eligible"]
                                   else "not eligible"),
        ]
        return ", ".join(parts)
    old = compute_row_values(compute_rates_of_row(previous))
    changes = []
    if old["compensation_type"] != values["compensation_type"]:
        changes.append(f"pay type {old['compensation_type']} -> {values['compensation_type']}")
    for key, label in COMPONENT_LABELS.items():
        if old[key] != values[key]:
            changes.append(f"{label} {_amount_text(old[key])} -> {_amount_text(values[key])}")
    if old["is_service_charge_eligible"] != values["is_service_charge_eligible"]:
        changes.append(
            "service charge: "
            + ("eligible -> not eligible" if old["is_service_charge_eligible"]
               else "not eligible -> eligible")
        )
    if old["min_hours_for_allowance"] != values["min_hours_for_allowance"]:
        changes.append(f"allowance after {old['min_hours_for_allowance']} h ->"
                       f" {values['min_hours_for_allowance']} h")
    return f"new pay rate from {start}: " + (", ".join(changes) or "same rates")


def _period(row: dict) -> str:
    end = row["effective_to"]
    return f"{row['effective_from']} to {end}" if end is not None else f"{row['effective_from']} (open)"


def compute_raise_plan(existing: list[dict], effective_from: dt.date) -> tuple[list[dict], str | None]:
    """Which rows a new row from ``effective_from`` closes (the day before), or why it clashes.

    ``existing``: the person's rows (id, effective_from, effective_to). The open row that starts
    before the date is closed on the day before; a row starting on or after the date, or a closed
    row that reaches it, clashes.
    """
    closes: list[dict] = []
    clashes: list[str] = []
    for row in sorted(existing, key=lambda r: r["effective_from"]):
        start, end = row["effective_from"], row["effective_to"]
        if start >= effective_from:
            clashes.append(_period(row))
        elif end is None:
            closes.append({**row, "effective_to": effective_from - dt.timedelta(days=1)})
        elif end >= effective_from:
            clashes.append(_period(row))
    if clashes:
        return [], (
            f"a rate from {effective_from} overlaps the existing row"
            f"{'s' if len(clashes) > 1 else ''} {', '.join(clashes)}; pick a date after"
            f" {max(r['effective_to'] or r['effective_from'] for r in existing)}"
        )
    return closes, None


def compute_pay_rate_history(rows: list[tuple]) -> list[tuple]:
    """The audit rows of a person's pay rates (timestamp, action, user_email, details) as rows
    of the change history (created_at, action_type, changed_by_identifier, changes_summary,
    reason)."""
    history = []
    for created_at, action, email, details in rows:
        after = details.get("after") or {}
        closed = (details.get("before") or {}).get("closed") or []
        if "staff_id" in after:
            kind = "pay_rate_raised" if action == "RAISE" else "pay_rate_set"
            summary = compute_change_summary(closed[0] if closed else None, after)
        else:
            kind, summary = "pay_rate_closed", f"pay rate ends on {after.get('effective_to')}"
        history.append((created_at, kind, email, summary, details.get("reason")))
    return history
