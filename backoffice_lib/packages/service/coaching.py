"""Coach earnings (business-rules §5) from the ``coach_earnings`` view.

The view holds the rules (one row per confirmed coaching booking; rate type from the linked
Coaching package, else ``Individual, 1 PAX`` / ``Individual, 2 PAX``; gross = hours × rate;
discount_deduction = package discount ÷ package hours × hours; a missing rate is an error row).
This service reads it for a period, keeps a coach to their own rows, and totals per coach.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from ... import access, audit
from .. import queries
from ..rules import compute_coach_totals, compute_visible_coach

AREA = "coaching"


def run_coach_earnings(
    conn: Connection,
    user_email: str | None,
    date_from: dt.date,
    date_to: dt.date,
    coach: str | None = None,
) -> dict[str, Any]:
    """The earnings the user may see for a period: rows, per-coach totals and error rows.

    A coach sees only their own rows (allowed_users.coach_code); asking for another coach is
    refused and the refusal audited. The read itself is audited as VIEW.
    """
    if date_to < date_from:
        raise ValueError(f"the period ends ({date_to}) before it starts ({date_from})")
    user = access.check(conn, user_email, AREA, admin=False)
    coach_code, refusal = compute_visible_coach(user, coach)
    if refusal:
        audit.record(conn, user.email, "ACCESS_DENIED", AREA, coach, details={"reason": refusal})
        raise access.AccessDenied(f"access refused: {refusal}")
    rows = queries.load_coach_earnings(conn, date_from, date_to, coach_code)
    audit.record(
        conn, user.email, "VIEW", "coach_earnings", coach_code or "all",
        details={"from": date_from, "to": date_to, "rows": len(rows)},
    )
    return {
        "coach_code": coach_code,
        "rows": rows,
        "totals": compute_coach_totals(rows),
        "errors": [r for r in rows if r.get("error")],
    }


def require_visible_coach(user_email: str | None, coach: str | None, engine=None) -> str | None:
    """For entry points: the coach filter the user may use, checked in a transaction of its own
    so that a refusal's audit row is kept (as ``access.require``)."""
    from ... import database

    refusal: access.AccessDenied | None = None
    with database.transaction(engine) as conn:
        try:
            user = access.check(conn, user_email, AREA, admin=False)
            coach_code, reason = compute_visible_coach(user, coach)
            if reason:
                audit.record(conn, user.email, "ACCESS_DENIED", AREA, coach,
                             details={"reason": reason})
                refusal = access.AccessDenied(f"access refused: {reason}")
            else:
                return coach_code
        except access.AccessDenied as denied:
            refusal = denied
    raise refusal
