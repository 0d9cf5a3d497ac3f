"""Pay rates: a person's compensation history, raises, and the coaches' rates (business-rules §3.2, §5).

A person has at most one ``staff_compensation`` row in force on any day (the database's exclusion
constraint ``ex_staff_compensation_no_overlap`` is the last guard for every writer). A raise from a
date closes the open row on the day before and opens the new one, in the caller's transaction; a
row that starts on or after that date, or a closed row that reaches it, is a clash: refused with
the dates that clash. Salary rows carry a monthly ``base_salary`` (hourly_rate 0); hourly rows an
``hourly_rate`` (base_salary 0).

The pure rules are ``rules.compensation``; the SQL ``queries.compensation``. Service
functions take the caller's connection, check access (an admin area), never commit, and
write one ``audit_logs`` row per change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from ... import access, audit
from ...money import round_money
from ..queries import compensation as queries
from ..queries.refusals import DatabaseRefused
from ..rules.compensation import (
    COLUMNS,
    HISTORY_COLUMNS,
    INDIVIDUAL_RATE_TYPES,
    CompensationError,
    Rates,
    compute_pay_rate_history,
    compute_raise_plan,
    compute_rates_refusal,
    compute_row_values,
    parse_amount,
)
from .people import resolve_staff

AREA = "staff"


def load_compensation(conn: Connection, staff_pk: int, *, lock: bool = False) -> pd.DataFrame:
    """A person's compensation rows, newest first (Decimal money)."""
    return queries.load_compensation(conn, staff_pk, lock=lock)


# --- services -----------------------------------------------------------------------------------


def add_compensation(
    conn: Connection,
    user_email: str,
    staff_ref: Any,
    rates: Rates,
    effective_from: dt.date,
    *,
    reason: str | None = None,
) -> dict[str, Any]:
    """A new compensation row from ``effective_from``: the first one, or a raise that closes the
    open row on the day before. Refused (CompensationError) on a clash, naming its dates."""
    access.check(conn, user_email, AREA)
    if not isinstance(effective_from, dt.date):
        raise CompensationError("the new rate needs a start date")
    refusal = compute_rates_refusal(rates)
    if refusal:
        raise CompensationError(refusal)
    person = resolve_staff(conn, staff_ref, lock=True)
    existing = queries.load_compensation(conn, person["id"], lock=True).to_dict("records")
    closes, refusal = compute_raise_plan(existing, effective_from)
    if refusal:
        raise CompensationError(f"{person['staff_name']}: {refusal}")
    values = {
        "staff_id": person["id"],
        **compute_row_values(rates),
        "effective_from": effective_from,
        "effective_to": None,
    }
    # act_as: a finalised payroll month may be changed only by an admin with a reason (0003)
    audit.act_as(conn, user_email, reason or ("raise" if closes else "first pay rate"))
    try:
        new_id = queries.save_rate_change(conn, closes, values)
    except DatabaseRefused as exc:
        raise CompensationError(f"{person['staff_name']}: {exc}") from None
    before = {
        "closed": [
            {**{k: r[k] for k in COLUMNS if k not in ("staff_id", "effective_from")},
             "effective_from": r["effective_from"], "effective_to": None}
            for r in closes
        ]
    }
    after = {
        **values,
        "id": new_id,
        "closed": [{"id": r["id"], "effective_to": r["effective_to"]} for r in closes],
    }
    audit.record(
        conn,
        user_email,
        "RAISE" if closes else "CREATE",
        "staff_compensation",
        new_id,
        before=before if closes else None,
        after=after,
        details={"staff_name": person["staff_name"], **({"reason": reason} if reason else {})},
    )
    return {**values, "id": new_id, "closed": after["closed"]}


def load_pay_rate_history(conn: Connection, staff_pk: int, *, limit: int = 100) -> pd.DataFrame:
    """A person's pay-rate changes from the audit trail, as rows of the change history
    (created_at, action_type, changed_by_identifier, changes_summary, reason), newest first: the
    rates ``add_compensation`` saved and the rows the importer closed (``close_pay_rate``)."""
    history = compute_pay_rate_history(
        queries.load_pay_rate_audit_rows(conn, staff_pk, limit=limit))
    return pd.DataFrame(history, columns=HISTORY_COLUMNS, dtype=object)


# --- coach rates --------------------------------------------------------------------------------


def load_coach_rates(conn: Connection) -> pd.DataFrame:
    """Every rate type a coaching booking can be paid at (the Coaching package types and the
    individual lessons) with its rate (None when missing: coach_earnings reports an error row)."""
    coaching = queries.load_coaching_types(conn)
    rates = queries.load_coach_rate_values(conn)
    names = [*INDIVIDUAL_RATE_TYPES, *coaching]
    names += sorted(set(rates) - set(names))
    return pd.DataFrame(
        {"rate_type": names, "rate": [rates.get(n) for n in names]}, dtype=object
    )


def save_coach_rate(
    conn: Connection, user_email: str, rate_type: str, rate: Decimal | str
) -> dict[str, Any]:
    """Set the THB per coaching hour paid for a rate type (an admin area; audited)."""
    access.check(conn, user_email, AREA)
    rate_type = (rate_type or "").strip()
    if not rate_type:
        raise CompensationError("pick the rate type (booking type) the rate is for")
    amount = round_money(parse_amount(rate, "the coach rate"))
    if amount < 0:
        raise CompensationError("a coach rate cannot be negative")
    before = queries.load_coach_rate(conn, rate_type, lock=True)
    queries.save_coach_rate_value(conn, rate_type, amount)
    audit.record(
        conn,
        user_email,
        "UPDATE" if before is not None else "CREATE",
        "coach_rates",
        rate_type,
        before={"rate": before} if before is not None else None,
        after={"rate": amount},
    )
    return {"rate_type": rate_type, "rate": amount}
