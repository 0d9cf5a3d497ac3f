"""Pure rules of packages, their alerts, the front desk, the monitor and coach pay (§4, §5).

Plain values and DataFrames in, plain values out: no database, no SQLAlchemy, no widgets. The
services (``service``, ``service.alerts``, ``service.coaching``, ``service.customers``,
``service.monitor``) load with ``queries``, call these, and save; tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

import pandas as pd

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


class PackageRefused(ValueError):
    """A package operation that the rules refuse; the message says why, for a person."""


class CustomerError(ValueError):
    """A customer the front desk cannot add as typed; the message says why."""


def parse_package_id(package_id: uuid.UUID | str) -> uuid.UUID:
    """A package id typed or passed as text, as a UUID; anything else is refused."""
    if isinstance(package_id, uuid.UUID):
        return package_id
    try:
        return uuid.UUID(str(package_id).strip())
    except ValueError:
        raise PackageRefused(f"{package_id!r} is not a package id") from None


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


def compute_package_snapshot(package: dict[str, Any]) -> dict[str, Any]:
    """The package's fields the audit trail keeps before and after a change."""
    keys = (
        "customer_name", "customer_id", "stable_hash_id", "package_type_id", "purchase_date",
        "first_use_date", "expiration_date", "employee_name", "discount_amount",
    )
    return {k: package.get(k) for k in keys}


# --- alerts ---------------------------------------------------------------------------------

WARNING_DAYS_KEY = "package_expiry_warning_days"
DEFAULT_WARNING_DAYS = 7
ALERT_LIST_COLUMNS = [
    "raised_on",
    "alert_level",
    "message",
    "package_id",
    "customer_name",
    "contact_number",
    "email",
    "package_type_name",
    "package_category",
    "purchase_date",
    "first_use_date",
    "expiration_date",
    "total_hours",
    "used_hours",
    "remaining_hours",
    "reached",  # whether the alert reached its customer, per channel (delivery)
]


def compute_warning_days(value: str | None) -> int:
    """``package_expiry_warning_days`` as stored (text): no row means 7, '0' means 0."""
    if value is None:
        return DEFAULT_WARNING_DAYS
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{WARNING_DAYS_KEY} must be a whole number of days, not {value!r}") from None
    if days < 0:
        raise ValueError(f"{WARNING_DAYS_KEY} cannot be negative ({days})")
    return days


def compute_alert_counts(new: list[dict[str, Any]]) -> dict[str, int]:
    """How many new alerts per level."""
    counts: dict[str, int] = {}
    for a in new:
        counts[a["alert_level"]] = counts.get(a["alert_level"], 0) + 1
    return counts


def alert_list_frame(alerts: list[dict[str, Any]]) -> pd.DataFrame:
    """The alert list as a DataFrame for people: hours with 2 decimals (Decimal), ids as text."""
    rows = []
    for a in alerts:
        row = {c: a.get(c) for c in ALERT_LIST_COLUMNS}
        row["package_id"] = str(row["package_id"])
        row["reached"] = compute_reached(a)
        for c in HOUR_COLUMNS:
            if row[c] is not None:
                row[c] = round_hours(row[c])
        rows.append(row)
    return pd.DataFrame(rows, columns=ALERT_LIST_COLUMNS)


def compute_reached(alert: dict[str, Any]) -> str:
    """What the customer got of an alert: the outbox's word per channel, else why nothing."""
    if alert.get("reached"):
        return str(alert["reached"])
    if not alert.get("email") and not alert.get("line_user_id"):
        return "no e-mail or LINE: phone the customer"
    return "not sent yet"


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


# --- the front desk ------------------------------------------------------------------------------

NO_STAFF_LABEL = "— pick who is credited —"
CODE_PATTERN = re.compile(r"^CUS(\d+)$")


def compute_staff_options(names: list[str], signed_in: str | None) -> tuple[list, str | None]:
    """The "Staff" choices and the default: the signed-in person when they are staff, else the
    placeholder (None), never a name nobody chose."""
    options = [(NO_STAFF_LABEL, None)] + [(n, n) for n in names]
    return options, signed_in if signed_in in names else None


def compute_signed_in_staff(names: list[str]) -> str | None:
    """The signed-in user is a staff member when exactly one active staff member bears their
    name; else nobody is credited by default."""
    return names[0] if len(names) == 1 else None


def compute_next_code(codes: list[str]) -> str:
    """The next ``CUS00001``-style code after the highest one in use."""
    numbers = [int(m.group(1)) for c in codes if c and (m := CODE_PATTERN.match(c))]
    return f"CUS{max(numbers, default=0) + 1:05d}"


def compute_new_customer(
    customer_name: str | None, contact_number: str | None, email: str | None
) -> dict[str, Any]:
    """A new customer's name, phone and e-mail as stored, or CustomerError: a name and a phone
    or an e-mail (the live system's rule)."""
    name = (customer_name or "").strip()
    phone = (contact_number or "").strip() or None
    mail = (email or "").strip() or None
    if not name:
        raise CustomerError("a customer needs a name")
    if phone is None and mail is None:
        raise CustomerError("a customer needs a phone number or an e-mail")
    if mail is not None and not re.match(r"^[^@\s]+@[^@\s]+$", mail):
        raise CustomerError(f"{mail!r} is not an e-mail address")
    return {"customer_name": name, "contact_number": phone, "email": mail}


def compute_digits(text: str) -> str:
    """The digits of a search (a phone typed with dashes or spaces)."""
    return re.sub(r"\D", "", text)


# --- the package monitor -------------------------------------------------------------------------

EXPIRY_HORIZONS = (7, 30)
USAGE_WEEKS = 26
WATCH_COLUMNS = ["customer_name", "contact_number", "package_type_name", "purchase_date",
                 "first_use_date", "expiration_date", "days_until_expiry", "total_hours",
                 "used_hours", "remaining_hours", "package_status"]


def compute_category_table(counts: list[dict[str, Any]]) -> pd.DataFrame:
    """Packages per category (rows) and usable status (columns), with remaining hours."""
    categories = sorted({c["package_category"] for c in counts})
    table = []
    for category in categories:
        mine = [c for c in counts if c["package_category"] == category]
        row: dict[str, Any] = {"category": category}
        for status in USABLE_STATUSES:
            row[status] = sum(c["packages"] for c in mine if c["package_status"] == status)
        row["usable"] = sum(row[s] for s in USABLE_STATUSES)
        row["hours_left"] = round_hours(sum(
            (c["remaining_hours"] or ZERO for c in mine if c["package_status"] in USABLE_STATUSES),
            ZERO,
        ))
        row["expired_or_depleted"] = sum(
            c["packages"] for c in mine if c["package_status"] in ("expired", "depleted")
        )
        table.append(row)
    columns = ["category", *USABLE_STATUSES, "usable", "hours_left", "expired_or_depleted"]
    return pd.DataFrame(table, columns=columns)


def _watch_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = []
    for r in rows:
        row = {c: r.get(c) for c in WATCH_COLUMNS}
        for c in HOUR_COLUMNS:
            if row[c] is not None:
                row[c] = round_hours(row[c])
        out.append(row)
    return pd.DataFrame(out, columns=WATCH_COLUMNS)


def compute_watch_lists(flagged: list[dict[str, Any]], as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Split the flagged packages into: expiring within 7 / 30 days, low balance, never activated."""
    usable = [r for r in flagged if r["package_status"] in ("active", "unlimited")]
    lists = {}
    for days in EXPIRY_HORIZONS:
        lists[f"expiring_{days}"] = _watch_frame(sorted(
            (r for r in usable if r["expiration_date"] is not None
             and 0 <= (r["expiration_date"] - as_of).days <= days),
            key=lambda r: (r["expiration_date"], r["customer_name"]),
        ))
    lists["low_balance"] = _watch_frame(sorted(
        (r for r in flagged if r["package_status"] == "active"
         and is_low_balance(r["total_hours"], r["remaining_hours"])),
        key=lambda r: (r["remaining_hours"], r["customer_name"]),
    ))
    lists["never_activated"] = _watch_frame(sorted(
        (r for r in flagged if r["package_status"] == "not_activated"
         and (as_of - r["purchase_date"]).days >= NOT_ACTIVATED_DAYS),
        key=lambda r: (r["purchase_date"], r["customer_name"]),
    ))
    return lists


def compute_usage_series(series: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Hours per week (weeks start on Monday) and per hour of day (all 24 hours present)."""
    weeks = pd.DataFrame(
        [{"week": r["week"], "hours": round_hours(r["hours"]), "usages": r["usages"]}
         for r in series if r["grain"] == "week"],
        columns=["week", "hours", "usages"],
    )
    by_hour = {r["hour"]: r for r in series if r["grain"] == "hour"}
    hours = pd.DataFrame(
        [{"hour": h, "hours": round_hours(by_hour[h]["hours"]) if h in by_hour else Decimal("0.00"),
          "usages": by_hour[h]["usages"] if h in by_hour else 0} for h in range(24)],
        columns=["hour", "hours", "usages"],
    )
    return {"weeks": weeks, "hours": hours}


# --- coaching ------------------------------------------------------------------------------------

EARNINGS_COLUMNS = [
    "booking_id",
    "booking_date",
    "start_time",
    "coach_code",
    "customer_name",
    "number_of_people",
    "hours",
    "package_id",
    "rate_type",
    "rate",
    "gross_amount",
    "discount_deduction",
    "coach_earnings",
    "error",
]
TOTAL_COLUMNS = [
    "coach_code",
    "bookings",
    "hours",
    "gross_amount",
    "discount_deduction",
    "coach_earnings",
    "error_rows",
]


def earnings_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in EARNINGS_COLUMNS} for r in rows],
                        columns=EARNINGS_COLUMNS)


def totals_frame(totals: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(totals, columns=TOTAL_COLUMNS)



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
