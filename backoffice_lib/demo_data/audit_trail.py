"""The audit trail the demo period would have left (audit_logs), for the audit notebooks.

Admins looking at payroll and packages, coaches at their earnings, the invoices as they were
created, the raises and the leaver's deactivation, and a few refusals (a coach trying payroll).
Timestamps are explicit, so the rows are as reproducible as the rest.
"""

from __future__ import annotations

import datetime as dt
import json

from .. import bangkok
from .people import ADMINS, COACHES, Person
from .period import Dice, Period

AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/17.5",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
]


def _at(rng: Dice, day: dt.date, first_hour: int = 9, last_hour: int = 20) -> dt.datetime:
    return bangkok.at(day, dt.time(rng.randrange(first_hour, last_hour + 1), rng.randrange(60),
                                   rng.randrange(60)))


def build_audit_logs(rng: Dice, period: Period, staff: list[Person],
                     invoices: list[dict]) -> list[dict]:
    rows = []

    def add(moment, email, action, resource_type, resource_id=None, details=None):
        if moment > period.clock:
            return
        rows.append({
            "id": rng.uuid4(), "user_email": email, "action": action,
            "resource_type": resource_type, "resource_id": resource_id,
            "details": json.dumps(details or {}), "timestamp": moment,
            "ip_address": f"192.168.1.{rng.randrange(20, 60)}", "user_agent": rng.choice(AGENTS),
        })

    for day in period.days():
        if rng.chance(0.6):
            add(_at(rng, day), rng.choice(ADMINS), "VIEW", "packages",
                details={"view": rng.choice(["expiring", "low_balance", "not_activated"])})
        if day.day <= 3:
            add(_at(rng, day), ADMINS[0], "VIEW", "payroll",
                details={"month": f"{day - dt.timedelta(days=day.day):%Y-%m}"})
        if day.weekday() == 0:
            for email, code, _, _ in COACHES:
                if rng.chance(0.7):
                    add(_at(rng, day, 8, 22), email, "VIEW", "coach_earnings",
                        details={"coach_code": code})
        if rng.chance(0.03):
            email = rng.choice(COACHES)[0]
            add(_at(rng, day), email, "ACCESS_DENIED", "payroll",
                details={"reason": f"{email} is not an admin; payroll is for admins only"})
    for invoice in invoices:
        add(_at(rng, invoice["invoice_date"], 17, 21), ADMINS[1], "CREATE", "invoice",
            str(invoice["id"]), details={"after": {
                "invoice_number": invoice["invoice_number"],
                "total_amount": str(invoice["total_amount"]), "status": invoice["status"]}})
    for person in staff:
        if len(person.compensation) > 1:
            old, new = person.compensation[0], person.compensation[1]
            add(_at(rng, new["effective_from"] - dt.timedelta(days=5)), ADMINS[0], "UPDATE",
                "staff_compensation", str(person.id), details={
                    "reason": "annual review",
                    "before": {k: str(old[k]) for k in ("base_salary", "hourly_rate")},
                    "after": {k: str(new[k]) for k in ("base_salary", "hourly_rate")}})
        if person.last_day:
            add(_at(rng, person.last_day, 18, 21), ADMINS[0], "UPDATE", "staff",
                str(person.id), details={"reason": "left the studio",
                                         "before": {"is_active": True},
                                         "after": {"is_active": False}})
    rows.sort(key=lambda r: r["timestamp"])
    return rows
