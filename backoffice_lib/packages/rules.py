"""Pure rules of packages, their alerts and coach pay (business-rules §4, §5).

Plain values in, plain values out: no database, no SQLAlchemy. The services in ``packages``,
``package_alerts`` and ``coaching`` load, call these, and save; tests call them directly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..money import ZERO, round_hours, round_money, to_decimal

STATUSES = ("not_activated", "expired", "unlimited", "depleted", "active")
USABLE_STATUSES = ("active", "unlimited", "not_activated")

STATUS_COLUMNS = [
    "package_id",
    "customer_name",
    "package_type_name",
    "package_category",
    "purchase_date",
    "first_use_date",
    "expiration_date",
    "total_hours",
    "used_hours",
    "remaining_hours",
    "package_status",
]
HOUR_COLUMNS = ("total_hours", "used_hours", "remaining_hours")

NOT_ACTIVATED_DAYS = 30
LOW_BALANCE_HOURS = Decimal(1)
LOW_BALANCE_SHARE = Decimal("0.10")


# --- packages ----------------------------------------------------------------------------------


def compute_remaining_hours(total_hours: Decimal | None, used_hours: Decimal | None) -> Decimal | None:
    """max(0, hours − Σ used_hours); None for an unlimited package."""
    if total_hours is None:
        return None
    return max(ZERO, to_decimal(total_hours) - to_decimal(used_hours or ZERO))


def compute_package_status(
    first_use_date: dt.date | None,
    expiration_date: dt.date | None,
    total_hours: Decimal | None,
    used_hours: Decimal | None,
    as_of: dt.date,
) -> str:
    """First that applies: not_activated, expired, unlimited, depleted, active.

    The same rule as the SQL function ``backoffice.package_status`` (tests keep them equal). A
    package is usable through its expiration day; one never used never expires.
    """
    if first_use_date is None:
        return "not_activated"
    if expiration_date is not None and expiration_date < as_of:
        return "expired"
    if total_hours is None:
        return "unlimited"
    if to_decimal(total_hours) - to_decimal(used_hours or ZERO) <= 0:
        return "depleted"
    return "active"


def compute_usage_refusal(package: dict[str, Any], hours: Decimal, used_date: dt.date) -> str | None:
    """Why recording ``hours`` on ``used_date`` is refused (§4), or None when it may be recorded.

    ``package`` holds purchase_date, expiration_date, total_hours and used_hours (all usage so far).
    """
    hours = to_decimal(hours)
    if hours <= 0:
        return f"used hours must be more than 0, not {hours}"
    if used_date < package["purchase_date"]:
        return f"usage on {used_date} is before the purchase on {package['purchase_date']}"
    expiration = package.get("expiration_date")
    if expiration is not None and used_date > expiration:
        return (
            f"the package expired on {expiration} (usable through that day),"
            f" usage on {used_date} is after it"
        )
    remaining = compute_remaining_hours(package.get("total_hours"), package.get("used_hours"))
    if remaining is not None and hours > remaining:
        return f"{round_hours(hours)} h requested but only {round_hours(remaining)} h remain"
    return None


def format_status_row(row: dict[str, Any]) -> dict[str, Any]:
    """One status row as reported: hours with 2 decimals, ids as text."""
    out = dict(row)
    out["package_id"] = str(row["package_id"])
    for column in HOUR_COLUMNS:
        if out.get(column) is not None:
            out[column] = round_hours(out[column])
    return out


# --- alerts ---------------------------------------------------------------------------------


def is_low_balance(total_hours: Decimal | None, remaining_hours: Decimal | None) -> bool:
    """remaining ≤ 1 h or ≤ 10 % of the package's hours (never for unlimited packages)."""
    if total_hours is None or remaining_hours is None:
        return False
    return remaining_hours <= LOW_BALANCE_HOURS or remaining_hours <= total_hours * LOW_BALANCE_SHARE


def compute_alerts(
    packages: list[dict[str, Any]], as_of: dt.date, warning_days: int
) -> list[dict[str, Any]]:
    """The alerts that apply on ``as_of`` to packages with their status (package_status,
    purchase_date, expiration_date, total_hours, remaining_hours)."""
    alerts = []
    for p in packages:
        status = p["package_status"]
        expiration = p.get("expiration_date")
        if status in ("active", "unlimited") and expiration is not None:
            days_left = (expiration - as_of).days
            if 0 <= days_left <= warning_days:
                left = "" if p.get("remaining_hours") is None else (
                    f", {round_hours(p['remaining_hours'])} h left"
                )
                when = "today" if days_left == 0 else f"in {days_left} day{'s' * (days_left != 1)}"
                alerts.append(_alert(p, "expiring_soon", f"expires {when} ({expiration}){left}",
                                     days_until_expiry=days_left))
        if status == "active" and is_low_balance(p.get("total_hours"), p.get("remaining_hours")):
            alerts.append(_alert(
                p, "low_balance",
                f"low balance: {round_hours(p['remaining_hours'])} h of"
                f" {round_hours(p['total_hours'])} h left",
            ))
        if status == "not_activated":
            age = (as_of - p["purchase_date"]).days
            if age >= NOT_ACTIVATED_DAYS:
                alerts.append(_alert(
                    p, "not_activated",
                    f"bought on {p['purchase_date']} ({age} days ago) and never used",
                    days_since_purchase=age,
                ))
    return alerts


def _alert(package: dict[str, Any], level: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "package_id": package["package_id"],
        "alert_level": level,
        "message": message,
        "details": {
            "package_status": package["package_status"],
            "expiration_date": package.get("expiration_date"),
            "remaining_hours": package.get("remaining_hours"),
            **details,
        },
    }


# --- coaching ------------------------------------------------------------------------------------


def compute_visible_coach(user: Any, requested: str | None) -> tuple[str | None, str | None]:
    """(coach code to filter on, refusal reason) for an ``access.User``. Admins see any coach (None = all); a coach sees
    only their own rows; anyone else sees none."""
    wanted = requested.strip().upper() if requested and requested.strip() else None
    if user.is_admin:
        return wanted, None
    own = (user.coach_code or "").strip().upper()
    if not own:
        return None, f"{user.email} is neither an admin nor a coach; coach earnings are not visible"
    if wanted and wanted != own:
        return None, f"{user.email} is coach {own} and may see only their own earnings, not {wanted}"
    return own, None


def compute_coach_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per coach: bookings, hours, gross, deductions, earnings (sums of the rounded row amounts),
    and the number of error rows (a missing rate), which add no money."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        t = totals.setdefault(row["coach_code"], {
            "coach_code": row["coach_code"], "bookings": 0, "hours": ZERO, "gross_amount": ZERO,
            "discount_deduction": ZERO, "coach_earnings": ZERO, "error_rows": 0,
        })
        t["bookings"] += 1
        t["hours"] += row["hours"] or ZERO
        if row.get("error"):
            t["error_rows"] += 1
            continue
        t["gross_amount"] += round_money(row["gross_amount"])
        t["discount_deduction"] += round_money(row["discount_deduction"])
        t["coach_earnings"] += round_money(row["coach_earnings"])
    out = []
    for code in sorted(totals):
        t = totals[code]
        t["hours"] = round_hours(t["hours"])
        out.append(t)
    return out
